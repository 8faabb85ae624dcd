"""Formulas: the SymPy expression of any node, and its LaTeX.

A formula is built by the interpreter with the ``Formulas`` rule table, one node at a time:
element-wise ops apply their scalar formula to their operands' formulas, structural ops
their matrix notation (``graphc.ops.notation``), so a tensor stays one symbol and SymPy
never sees its elements. Leaves are symbols named after their nodes; tensors the user named
(``H``, ``logits``) stay symbols too, so a gradient reads in the lecture's matrix form, and
so do named constants (``g.const("sqrt_d", np.sqrt(8))`` reads ``sqrt_d``; ``where`` gives
their values to show beside), while unnamed ones (``x ** 2``, ``g.literal(0.5)``) are numbers.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x1, w1, y = g.input("x1"), g.param("w1"), g.input("y")
>>> loss = gc.bce(gc.sigmoid(w1 * x1), y).named("loss")
>>> (dw1,) = gc.grad(loss, [w1])
>>> formula(dw1)
x1*(-y + sigmoid(w1*x1))
"""

import sympy as sp

from .. import text
from ..errors import GraphError
from ..graph import Node
from ..interpret import Interpreter, Rules
from ..ops.elementwise import formula as scalar_formula
from ..ops.scalar import arg
from .exact import exact_number
from .latex import to_latex


def symbol(record):
    """The symbol standing for a node (its record): its name, real-valued."""
    return sp.Symbol(record.name, real=True)


#: The size (terms, counting a shared subformula at each place it appears) past which a
#: node's formula writes its compound operands by their names instead of expanding them:
#: the formula of an unrolled network's gradient grows by a factor a step (an LSTM's about
#: 5), so without a budget ten steps never finish printing.
FORMULA_TERMS = 20_000


class Formulas(Rules):
    """Formulas: an op's ``notation`` over its operands' formulas, else its scalar formula;
    leaves, kept nodes and constant tensors are their symbols, scalar constants numbers. A
    node whose formula would pass ``FORMULA_TERMS`` terms names its operands instead."""

    fed = False

    def __init__(self):
        self._terms = {}  # formula -> its size, counted as it is built (never walked)
        self._owner = {}  # formula -> the record of the node it is the formula of

    def _budgeted(self, record, args, build):
        terms = [self._terms.get(a, 1) for a in args]
        if 1 + sum(terms) > FORMULA_TERMS:
            args = [symbol(self._owner[a]) if n > 1 and a in self._owner else a
                    for a, n in zip(args, terms)]
            terms = [1] * len(args)
        expr = build(args)
        self._terms[expr], self._owner[expr] = 1 + sum(terms), record
        return expr

    def leaf(self, record):
        return symbol(record)

    def kept(self, record):
        return symbol(record)

    def const(self, record):
        if record.value.ndim == 0:
            return exact_number(record.value.item())
        return symbol(record)

    def rule(self, opdef):
        def apply(record, shapes, args):
            if opdef.notation is not None:
                return self._budgeted(record, args,
                                      lambda xs: opdef.notation(record.attrs, shapes, *xs))
            f = scalar_formula(opdef, record.attrs, len(args))
            return self._budgeted(record, args, lambda xs: f.xreplace(
                {arg(i): a for i, a in enumerate(xs)}))
        return apply


def formulas(graph, ids, keep=(), given=None):
    """The formulas of the nodes ``ids`` of ``graph``: nodes in ``keep`` (ids) stay symbols
    (a target is never kept), and nodes in ``given`` (id -> expression) read as given."""
    kept = set(keep) - set(ids)
    return Interpreter(graph, Formulas()).run(list(ids), given, keep=kept)


def formula(node, keep=None):
    """The SymPy expression of ``node`` (forward or gradient) in terms of the graph's leaves.

    Nodes in ``keep`` (nodes or their names) stay symbols; by default these are the tensors
    (not scalars) that the user named, and the named constants. ``keep=()`` expands
    everything down to the leaves, named constants to their values.

    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> x, w = g.input("x"), g.param("w")
    >>> z = (w * x).named("z")
    >>> formula(gc.tanh(z)), formula(gc.tanh(z), keep=("z",)), formula(gc.tanh(z), keep=[z])
    (tanh(w*x), tanh(z), tanh(z))
    """
    graph = node.graph
    kept = _default_kept(graph) if keep is None else kept_ids(graph, keep)
    return formulas(graph, [node.id], kept)[0]


def kept_ids(graph, keep):
    """The ids of the nodes in ``keep``: nodes of ``graph`` or their names (one alone
    counts as a tuple of one); GraphError, with a did-you-mean, for a name it lacks."""
    if isinstance(keep, (str, Node)):
        keep = (keep,)
    ids = set()
    for item in keep:
        if isinstance(item, str):
            item = graph.node(item)    # GraphError: "has no node 'zz'; did you mean 'z'?"
        elif not isinstance(item, Node):
            raise GraphError(f"keep= takes nodes or node names, got {item!r}")
        elif item.graph is not graph:
            raise GraphError(f"keep= takes nodes of graph {graph.name!r}; node {item.name!r} "
                             f"is of another graph")
        ids.add(item.id)
    return ids


def latex(node, keep=None):
    r"""``formula(node)`` as LaTeX, as the lecture writes it (``graphc.symbolic.latex``):
    ``\sigma``, ``A \odot B`` for element-wise products of tensors, ``A B`` and
    ``A^{\top}`` for matrix products, ``w^{\top} x`` for dot products, ``\mathrm{loss}``;
    named constants in it are followed by their values: ``\frac{A}{\mathrm{sqrt}_{d}},
    \quad \text{where } \mathrm{sqrt}_{d} = 2.82843``.
    """
    ranks = {n.name: len(n.shape) for n in node.graph}
    expr = formula(node, keep)
    shown = [rf"{to_latex(symbol(n.record))} = {value}" for n, value in where(node, expr)]
    beside = r", \quad \text{where } " + ", ".join(shown) if shown else ""
    return to_latex(expr, ranks) + beside


def formula_text(node, keep=None):
    """``formula(node)`` as text, followed by the values of the named constants in it:
    ``A/sqrt_d, where sqrt_d = 2.82843`` (what ``graphc grad`` prints)."""
    expr = formula(node, keep)
    shown = [f"{n.name} = {value}" for n, value in where(node, expr)]
    return str(expr) + (", where " + ", ".join(shown) if shown else "")


def where(node, expr):
    """The named constants of ``node``'s graph that are symbols in ``expr`` (a formula of
    it), with their values as text, in graph order: what to show beside a formula.

    >>> where(node, formula(node))                              # doctest: +SKIP
    [(<Node 'sqrt_d': const () float64>, '2.82843')]
    """
    names = {s.name for s in sp.sympify(expr).free_symbols}
    return [(n, text.value(n.record.value)) for n in node.graph
            if n.role == "const" and n.record.named and n.name in names]


def _default_kept(graph):
    return {n.id for n in graph if n.record.named and (
        n.role == "const" or n.role == "op" and n.shape != ())}
