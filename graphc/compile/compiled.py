"""gc.compile: graph -> the passes -> Program -> NumPy source -> a callable.

The stages of compilation in order: ``passes.optimize`` (the pass pipeline of the chosen
level), ``program.lower``, ``printer.generate``, ``loader.load_module``.

>>> import graphc as gc
>>> g = gc.Graph("neuron")
>>> x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
>>> loss = gc.bce(gc.sigmoid((w @ x).named("z")), y).named("loss")
>>> f = gc.compile([loss] + gc.grad(loss, [w]))
>>> loss_v, dw_v = f(x=[1, -1], w=[1, 2], y=1)
>>> dw_v.round(4)
array([-0.7311,  0.7311])
"""

import html
import sys
import warnings

from ..errors import GraphError
from ..files import write_atomic
from ..graph import Node
from .. import passes
from .loader import load_module
from .printer import generate
from .program import lower
from .report import Report
from . import tiny


def compile(nodes, name=None, unused="warn", opt=1,  # noqa: A001  (gc.compile, as asked)
            debug=False, report=False, check_finite=False):
    """Generate NumPy code computing ``nodes`` and compile it into a CompiledFunction.

    Call it with every input and parameter the nodes need, by keyword; it returns a tuple
    of arrays in the order of ``nodes`` (one array if ``nodes`` is a single node). An input
    or parameter that no node needs is reported: ``unused="warn"`` (default), ``"error"``
    (GraphError) or ``"ignore"``. The function keeps its source, not the graph: changing
    the graph later does not change what it computes.

    The graph goes through ``passes.optimize`` first, on a copy: ``opt=0`` runs the
    stable rewrites and constant folding only (one statement a node), ``opt=1`` (the
    default) also fuses element-wise regions and removes repeated and dead nodes; ``opt=2``
    also uses Python floats for tiny static shapes, else dead temporaries (``_generate``);
    ``debug=True`` checks the graph after every pass (``passes.verify``), naming the pass
    and the node when one left it malformed. ``report=True`` prints how long each stage
    took (to standard error) and keeps it as ``f.report``. ``check_finite=True`` raises
    NonFiniteError at the first float feed or value computed that is nan or inf.

    >>> f = gc.compile([loss, dloss_dw])                 # doctest: +SKIP
    >>> teaching = gc.compile([loss, dloss_dw], opt=0)   # doctest: +SKIP
    >>> loss_v, dw_v = f(x=[1, -1], w=[1, 2], y=1)       # doctest: +SKIP
    """
    _check_options(unused, opt)
    single = isinstance(nodes, Node)
    nodes = [nodes] if single else list(nodes)
    graph = _graph_of(nodes)
    outputs, timings = [n.id for n in nodes], Report()
    optimized = passes.optimize(graph, outputs, opt=opt, debug=debug, report=timings)
    with timings.timed("lower"):
        program = lower(optimized, outputs, source=graph)
    _report_unused(program, unused)
    with timings.timed("codegen"):
        source = _generate(program, opt, idents := {}, bool(check_finite))
    with timings.timed("python compile"):
        f = CompiledFunction(source, name or graph.name, single)
    f.report, f.variables = timings, {i: optimized.id_of(n) for i, n in idents.items()}
    if report:
        print(f"graphc: compiling {f.name!r}\n{timings}", file=sys.stderr)
    return f


def _generate(program, opt, names=None, finite=False):
    """The module's source at level ``opt``: views written into their consumer from 1; at 2
    a tiny static program on Python floats (``tiny.py``), else results computed in place
    in temporaries that die on their line (``z1 += b1``; never a feed or an output);
    ``finite``: each float value checked (``check_finite``)."""
    return generate(program, inline=opt >= 1, reuse=opt >= 2,
                    floats=tiny.compute_source if opt >= 2 else None, names=names,
                    finite=finite)


def _check_options(unused, opt):
    if unused not in ("warn", "error", "ignore"):
        raise ValueError(f"unused must be 'warn', 'error' or 'ignore', got {unused!r}")
    if isinstance(opt, bool) or opt not in passes.LEVELS:
        raise ValueError(f"opt must be one of {', '.join(map(str, passes.LEVELS))}, got "
                         f"{opt!r}")


def _graph_of(nodes):
    if not nodes:
        raise GraphError("compile needs at least one node to compute")
    for n in nodes:
        if not isinstance(n, Node):
            raise TypeError(f"compile takes graph nodes, got {n!r}")
    graph = nodes[0].graph
    strays = [n.name for n in nodes if n.graph is not graph]
    if strays:
        raise GraphError(f"compile takes nodes of one graph: {strays[0]!r} is not in graph "
                         f"{graph.name!r}")
    return graph


def _report_unused(program, unused):
    if not program.unused or unused == "ignore":
        return
    names = ", ".join(f"{leaf.role} {leaf.name!r}" for leaf in program.unused)
    message = (f"graph {program.graph!r}: no output needs {names}; the compiled function "
               f"does not use it (feeding it is allowed)")
    if unused == "error":
        raise GraphError(message)
    warnings.warn(message + "; pass unused='ignore' to compile to silence this",
                  stacklevel=3)


class CompiledFunction:
    """Generated NumPy code, compiled: call it with feeds by keyword.

    ``source`` is the module's text, ``save(path)`` writes it as a standalone module,
    ``inputs`` lists (name, shape, dtype) for each feed and ``outputs`` the output names;
    ``report`` is how long its compilation took (``gc.compile(..., report=True)``);
    ``variables`` maps each variable of ``compute`` to the id of the node it holds (ids of
    the compiled graph, which are the user's for every node the passes kept).

    For a loop that checked its feeds once, ``check(**feeds)`` returns them as the arrays
    of INPUTS, in order, and ``unchecked(*arrays)`` computes from such arrays with no
    check at all (wrong shapes or dtypes then fail deep inside NumPy, or compute nonsense;
    an output may share memory with a feed, since nothing is copied).
    """

    def __init__(self, source, name, single=False):
        self.source = source
        self.name = name
        self.report = None
        self.variables = {}
        self._single = single
        self._module = load_module(source, name)
        self._compute = self._module.compute

    @property
    def inputs(self):
        return self._module.INPUTS

    @property
    def outputs(self):
        return self._module.OUTPUTS

    def __call__(self, /, **feeds):  # positional-only self: a feed may be called "self"
        values = self._module.run(**feeds)
        return values[0] if self._single else values

    def check(self, /, **feeds):
        """The feeds, checked as a call checks them, as the arrays of INPUTS in order."""
        m = self._module
        return m.check_named_feeds(m.GRAPH, m.INPUTS, feeds, m.UNUSED, m.PASSED)

    def unchecked(self, /, *arrays):
        """The outputs from ``arrays`` (those of INPUTS, in order), with no check and no
        copy: the fast path for a loop whose feeds were checked once."""
        values = self._compute(*arrays)
        return values[0] if self._single else values

    def save(self, path):
        """Write the module to ``path`` (creating its folder) and return the path. It goes
        to a temporary file beside it first, renamed into place: an error leaves the old
        file, never half."""
        return write_atomic(path, lambda f: f.write(self.source.encode("utf-8")))

    def __repr__(self):
        return (f"<CompiledFunction {self.name!r}: ({', '.join(self.outputs)}) from "
                f"{', '.join(n for n, _, _ in self.inputs) or 'nothing'}>")

    def _repr_html_(self):
        """The generated source in a notebook, under the repr: highlighted by Pygments
        where it is installed (``pip install graphc[highlight]``), else plain."""
        head = f"<p><code>{html.escape(repr(self))}</code></p>"
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f"{head}\n<pre>{html.escape(self.source)}</pre>"
        # inline styles, not classes: the colours need no stylesheet beside the notebook
        code = highlight(self.source, PythonLexer(), HtmlFormatter(noclasses=True))
        return f"{head}\n{code}"
