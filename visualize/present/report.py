"""The interactive backprop report: one self-contained HTML page for a scalar loss at a point.

The page holds the gradient-flow diagram (inline SVG), a panel that shows what a clicked
node or edge computes (forward value, local derivative as MathML, upstream x local =
product, the exact value), a step slider walking backprop in the order of
``visualize.steps``' frames, the generated NumPy code (opt=0: a line a node) linked line by
line to the diagram, and the verdicts of ``gc.check`` when claims are given. Everything the
script needs is one JSON blob; nothing is fetched, so the file opens from disk.

>>> r = gc.report(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})   # doctest: +SKIP
>>> r.save("neuron.html")                                           # doctest: +SKIP
PosixPath('neuron.html')
"""

import ast
import html
from pathlib import Path

import graphviz

import graphc as gc  # check and compile through the public API: visualize's tier
from graphc.autodiff import grad, gradient_of
from graphc.errors import DifferentiationError, GraphcError
from graphc.files import write_atomic
from graphc.graph import Node, walk
from graphc.shapes import fmt
from graphc.text import unpaired

import visualize
from visualize.export import INSTALL, RenderError
from visualize.gradflow import draw_gradflow, flow
from visualize.steps import order
from visualize.style import value_text

from . import mathml, page

#: The options ``report`` takes besides ``at``, ``claims`` and ``path``.
OPTIONS = ("exact",)
SUFFIXES = (".html", ".htm")


class Report:
    """A backprop report: ``html`` is the page's text; ``save(path)`` writes it atomically;
    in a notebook it shows itself in a frame."""

    def __init__(self, html_text, title):
        self.html = unpaired(html_text)  # a lone surrogate in a name shows as \udc80
        self.title = unpaired(title)

    def save(self, path):
        """Write the page to ``path`` (``.html``; its folder created) and return the path;
        an error leaves the old file, never half of one."""
        path = checked_path(path)
        data = self.html.encode("utf-8")
        return write_atomic(path, lambda f: f.write(data))

    def _repr_html_(self):
        # sandboxed: the page runs its script in an origin of its own, never the notebook's
        return (f'<iframe srcdoc="{html.escape(self.html)}" title="{html.escape(self.title)}"'
                f' sandbox="allow-scripts" style="width:100%;height:760px;border:0"></iframe>')

    def __repr__(self):
        return f"<Report {self.title!r}: {len(self.html)} characters of HTML>"


def report(loss, at=None, claims=None, path=None, **options):
    """The interactive backprop report of the scalar node ``loss`` at the point ``at``.

    ``claims`` (as ``gc.check`` takes them) add a table of verdicts; ``exact`` (True,
    False or None for the default) is passed to the trace. Returns a ``Report`` (its
    ``.html`` is the page), or with ``path`` writes the page there and returns the path.
    The user's graph is not changed.

    >>> gc.report(loss, at=AT, path="out/neuron_report.html")   # doctest: +SKIP
    PosixPath('out/neuron_report.html')
    """
    _check_options(options)
    _check_loss(loss, at)
    target = checked_path(path) if path is not None else None
    f = flow(loss, at, options.get("exact"))
    data = {"title": f"{loss.graph.name}: backprop of {loss.name}", "at": f.trace.at,
            "nodes": _nodes(f), "edges": _edges(f), "steps": order(f),
            "mathml": {"elements": mathml.ELEMENTS, "attributes": mathml.ATTRIBUTES}}
    verdicts = gc.check(loss, claims, at=at, exact=options.get("exact")) if claims else None
    code = _code_lines(loss, f)
    text = page.page(data, _svg(loss, at, options.get("exact"), f), code, verdicts)
    result = Report(text, data["title"])
    return result if target is None else result.save(target)


def _check_options(options):
    for name in options:
        if name not in OPTIONS:
            raise TypeError(f"gc.report got the option {name!r}; its options are "
                            f"at, claims, path and {', '.join(OPTIONS)}")
    exact = options.get("exact")
    if exact is not None and not isinstance(exact, bool):  # 1 == True, but 1 is no answer
        raise ValueError(f"gc.report's exact must be True, False or None (the default: "
                         f"exact where every value given is), got {options['exact']!r}")


def _check_loss(loss, at):
    if not isinstance(loss, Node):
        raise TypeError(f"gc.report takes the loss node, got {loss!r}")
    if loss.shape != ():
        raise DifferentiationError(
            f"gc.report needs a scalar loss; {loss.name!r} ({loss.op}) has shape "
            f"{fmt(loss.shape)}: reduce it first, e.g. gc.mean({loss.name})")
    if at is None or not hasattr(at, "items"):
        fed = walk.fed(loss.graph, walk.upstream(loss.graph, [loss.id]))
        names = ", ".join(loss.graph.record(v).name for v in fed) or "nothing"
        raise GraphcError(f"gc.report of {loss.name!r} needs the point to evaluate at: "
                          f"at={{name: value}} for {names}; got at={at!r}")


def checked_path(path):
    """The one check of a report's path (``graphc report -o`` turns its error into a usage
    error)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"a report is an HTML page: give a path ending in .html (or .htm), "
                         f"got {str(path)!r}")
    return path


# ---- the data of the page ---------------------------------------------------------------------

def _exact_text(exact, shown):
    """The exact value as text, or "" where it says no more than the number shown."""
    text = "" if exact is None else str(exact)
    return "" if text == shown else text


def _nodes(f):
    """id -> what the panel shows of a node: name, op, shape, value, its gradient."""
    forward = {r.node_id: r for r in f.trace.forward}
    totals = {r.wrt_id: r for r in f.trace.backward if r.step in ("upstream", "sum")}
    nodes = {}
    for v in f.nodes:
        record, row = f.graph.record(v), forward.get(v)
        value = f.values.get(v)
        shown = "" if value is None else value_text(value)
        entry = {"name": record.name, "op": record.op, "role": record.role,
                 "shape": fmt(record.shape), "value": shown,
                 "exact": _exact_text(row.exact if row else None, shown),
                 "gradient": "", "gradient_exact": ""}
        total = totals.get(v)
        if total is not None:
            entry["gradient"] = f"{total.label} = {value_text(total.value)}"
            entry["gradient_exact"] = _exact_text(total.exact, value_text(total.value))
        nodes[str(v)] = entry
    return nodes


def _edges(f):
    """What flows back along each edge, in the flow's order (by ``v``, then slot): the
    local derivative's formula as MathML (from the trace's local row; along a tensor edge
    the vjp's formula) and the exact values of the local derivative and of the product."""
    rows = {}
    for r in f.trace.backward:
        if r.edge_key:
            rows[r.step, r.wrt_id, r.node_id, r.edge_key[1]] = r
    L = f.graph.record(f.loss).name
    edges = []
    for e in f.edges:
        key = (e.u, e.v, e.slot)
        local, vjp = rows.get(("local", *key)), rows.get(("vjp", *key))
        product = rows.get(("product", *key)) or vjp
        shown = value_text(e.value)
        edges.append({
            "u": e.u, "v": e.v, "slot": e.slot, "edge": e.edge, "label": e.label,
            "upstream_label": f"d{L}/d{f.graph.record(e.v).name}",
            "local_label": f"d{f.graph.record(e.v).name}/d{f.graph.record(e.u).name}",
            "upstream": value_text(e.upstream), "value": shown, "vjp": local is None,
            "local": "" if e.local_value is None else value_text(e.local_value),
            "local_exact": "" if local is None else _exact_text(local.exact, value_text(
                local.value)),
            "mathml": _mathml(local) if local else _text_math(vjp),
            "exact": _exact_text(product.exact if product else None, shown),
            "lines": list(e.lines)})
    return edges


def _mathml(row):
    """The row's formula in presentation MathML (browsers draw it; no MathJax needed),
    every name in it escaped (``mathml.formula``)."""
    if row is None or row.formula is None:
        return ""
    try:
        return mathml.formula(row.formula)
    except (AttributeError, TypeError, ValueError, NotImplementedError):
        return _text_math(row)  # SymPy's printer lacks a few matrix expressions


def _text_math(row):
    """A vjp's formula (``W.T @ dloss_dz``, ``outer(dloss_dz, x)``) as MathML text: matrix
    notation reads better as graphc writes it than as SymPy's MathML spells it."""
    if row is None or row.formula is None:
        return ""
    return mathml.text(str(row.formula))


# ---- the diagram and the code -----------------------------------------------------------------

def _svg(loss, at, exact, f):
    """The gradient-flow diagram as SVG text, each node and edge marked with the graphc
    node or flow edge it draws (``page.mark_svg`` reads Graphviz's titles). Every node is
    drawn (never collapsed into scope boxes), so each step the slider walks is clickable."""
    drawn = draw_gradflow(loss, at, exact, collapse=False, flowed=f)  # the page's own flow
    try:
        svg = visualize.render(drawn, "svg").decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise RenderError(f"cannot draw the report's diagram: Graphviz's dot program was "
                          f"not found; {INSTALL}") from None
    return page.mark_svg(svg, [(e.u, e.v) for e in f.edges])


def _code_lines(loss, f):
    """The lines of the generated ``compute`` (opt=0: a statement a node), each as
    ``(text, node id or None)``; a gradient's line belongs to the node it is the gradient
    of. Compiled on a copy, so the user's graph gains no gradient nodes."""
    work = loss.graph.copy()
    wrt = [Node(work, v) for v in f.nodes if v != loss.id and walk.can_carry_gradient(work)(v)]
    grads = grad(Node(work, loss.id), wrt)
    function = gc.compile([Node(work, loss.id)] + list(grads), opt=0, unused="ignore")
    owner = {}
    for ident, v in function.variables.items():
        pair = gradient_of(work, v) if v in work.nx else None
        v = pair[1] if pair else v
        owner[ident] = v if v in f.nodes else None
    return _lines_of_compute(function.source, owner)


def _lines_of_compute(source, owner):
    """``(text, node id or None)`` for each line of ``def compute``: a statement's lines
    (and the comment lines just above it) belong to the node its target holds."""
    tree = ast.parse(source)
    compute = next(d for d in tree.body if isinstance(d, ast.FunctionDef)
                   and d.name == "compute")
    lines = source.splitlines()
    belongs = {}
    for stmt in compute.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            v = owner.get(stmt.targets[0].id)
            start = stmt.lineno
            while start > compute.lineno + 1 and lines[start - 2].strip().startswith("#"):
                start -= 1
            for n in range(start, stmt.end_lineno + 1):
                belongs[n] = v
    end = compute.end_lineno
    return [(lines[n - 1], belongs.get(n)) for n in range(compute.lineno, end + 1)]
