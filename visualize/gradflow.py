"""The gradient flow: the forward graph of a scalar loss, with what flows back on each edge.

``flow(loss, at)`` is the data (reusable by other drawings): one ``EdgeFlow`` per edge that
carries a gradient, and the gradient line of each node. With ``at`` it is read from
``gc.explain(loss, at=at, steps="all")`` by node ids, so each edge reads as the slides
write it, upstream x local = what flows back; without ``at``, from the contributions of the
``Gradients`` record of a backward pass on a copy, as formulas. Edge colour and width
follow the size of the gradient on a log scale, so a vanishing gradient fades and thins
toward the input.

>>> [e.lines[1] for e in edge_styles(loss, at=AT) if e.edge == "z -> yhat"]
... # doctest: +SKIP
['-3.718 x 0.1966 = -0.7311']
"""

from dataclasses import dataclass

import graphviz
import numpy as np

from graphc import evaluate
from graphc.autodiff import differentiate
from graphc.errors import DifferentiationError, GraphError
from graphc.explain import explain
from graphc.explain.trace import Names
from graphc.graph import Graph, Node, walk
from graphc.shapes import FLOATS, fmt
from graphc.symbolic import formulas
from graphc.text import norm, number

from .canvas import add_nodes, diagram, edges, node_id, outputs
from .collapse import COLLAPSE_ALL, plan
from .style import (CLUSTER, DIGITS, FLOW, GRAD_COLOR, HIDDEN_FLOW, NO_FLOW, SCOPE_BOX, label,
                    magnitude, scale, short, value_text)

#: Exact values (``sigmoid(-1) - 1``) are traced for graphs up to this many forward nodes;
#: beyond, SymPy's nested exact expressions grow too fast (a 14-layer sigmoid chain takes
#: seconds), so larger graphs are traced in floats only.
EXACT_NODES = 24

#: With ``collapse=None`` a gradient flow of more forward nodes than this is drawn with one
#: box per top-level scope: the unrolled RNN example (62 nodes) fits a slide that way,
#: while a two-layer MLP (about 20) stays whole. Past ``collapse.COLLAPSE_ALL`` (300) every
#: view collapses repeated blocks too, and the flow is only sketched (``sketch``).
COLLAPSE_NODES = 40


@dataclass(frozen=True)
class EdgeFlow:
    """What flows back along the edge from operand ``u`` into slot ``slot`` of ``v``.

    ``label`` is ``dloss/du``; ``formula`` the short text of what flows (its exact value
    with ``at``, else its formula); ``upstream``, ``local_value`` and ``value`` are arrays
    (None without ``at``; ``local_value`` None along a tensor edge, whose local derivative
    is a Jacobian); ``size`` the norm of ``value``; ``lines`` the edge's label text.
    """

    u: int
    v: int
    slot: int
    edge: str
    label: str
    formula: str
    local: str
    upstream: object
    local_value: object
    value: object
    size: float | None
    color: str
    penwidth: str
    lines: tuple


@dataclass(frozen=True)
class Flow:
    """The gradient flow of ``loss``: forward ``nodes`` (ids), ``edges`` (EdgeFlow, by
    ``v`` then slot), ``gradients`` (id -> label lines), ``values`` (id -> forward value)
    and the ``trace`` it was read from (None without ``at``)."""

    graph: Graph
    loss: int
    nodes: tuple
    edges: tuple
    gradients: dict
    values: dict
    trace: object


def edge_styles(loss, at=None, exact=None):
    """The ``EdgeFlow`` of each edge of ``loss``'s forward graph that carries a gradient.

    >>> {e.edge: e.lines[1] for e in edge_styles(loss, at=AT)}["z -> yhat"]
    ... # doctest: +SKIP
    '-3.718 x 0.1966 = -0.7311'
    """
    return list(flow(loss, at, exact).edges)


def flow(loss, at=None, exact=None):
    """The ``Flow`` of the scalar node ``loss``; the user's graph is not changed.

    ``exact``: trace exact values (default: for graphs up to ``EXACT_NODES`` nodes).

    >>> f = flow(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})   # doctest: +SKIP
    """
    _check_loss(loss)
    if at is None:
        return _from_formulas(loss)
    return _from_trace(loss, at, exact)


def loss_of(target):
    """The scalar loss a gradient flow is drawn for: the node given, or a Graph's loss
    (``graphc.graph.walk.loss_of``: its one scalar op node that no forward node uses)."""
    if isinstance(target, (list, tuple)) and len(target) == 1:
        target = target[0]
    if isinstance(target, Node):
        return target
    if not isinstance(target, Graph):
        raise TypeError(f"view='gradflow' takes one loss node (or a Graph with one), got "
                        f"{target!r}")
    try:
        return Node(target, walk.loss_of(target))
    except GraphError as err:
        raise GraphError(f"view='gradflow' needs one scalar loss, but {err}; draw the loss "
                         f"node itself: draw(g['loss'], view='gradflow')") from None


def _check_loss(loss):
    if not isinstance(loss, Node):
        raise TypeError(f"a gradient flow is drawn for a loss node, got {loss!r}")
    if loss.shape != ():
        raise DifferentiationError(
            f"view='gradflow' needs a scalar loss; {loss.name!r} has shape {fmt(loss.shape)}: "
            f"reduce it first, e.g. gc.mean({loss.name})")


def _wrt(graph, forward):
    """Every float input and parameter, so every edge that can carry a gradient does."""
    return [Node(graph, v) for v in walk.fed(graph, forward, FLOATS)]


# ---- with at: read from gc.explain ------------------------------------------------------------

def _from_trace(loss, at, exact):
    graph = loss.graph
    forward = tuple(walk.order(graph, walk.upstream(graph, [loss.id])))
    if exact is None and len(forward) > EXACT_NODES:
        exact = False
    trace = explain(loss, at=at, wrt=_wrt(graph, forward), exact=exact, steps="all")
    totals = {r.wrt_id: r for r in trace.backward if r.step in ("upstream", "sum")}
    found, local = [], {}
    for r in trace.backward:  # with steps="all", the edge (m, k) of a row is (its node, k)
        key = (r.wrt_id, r.node_id, r.edge_key[1]) if r.edge_key else None
        if r.step == "local":
            local[key] = r
        elif r.step in ("product", "vjp"):
            found.append((key, r, totals[r.node_id]))
    lo, hi = scale(norm(r.value) for _, r, _ in found)
    flows = tuple(_traced_edge(trace.loss, key, r, local.get(key), up, (lo, hi))
                  for key, r, up in sorted(found, key=lambda f: (f[0][1], f[0][2])))
    gradients = _sums(flows, totals, trace.loss)
    values = {r.node_id: r.value for r in trace.forward}
    return Flow(graph, loss.id, forward, flows, gradients, values, trace)


def _traced_edge(L, key, row, local, up, bounds):
    """An EdgeFlow from a product row (with its local row) or a vjp row."""
    u, v, k = key
    top = f"d{L}/d{row.node}"
    exact = "" if row.exact is None else short(str(row.exact))
    if local is not None:
        lines = [f"{top} x {local.label} = {row.label}",
                 f"{_num(up.value)} x {_num(local.value)} = {_num(row.value)}",
                 f"{local.label} = {short(local.formula)}"]
        local_text = lines[2]
    else:
        jac = f"d{row.node}/d{row.wrt}"
        lines = [f"{top} x {jac} = {row.label}  (vjp)",
                 f"{value_text(up.value)} x {jac} = {value_text(row.value)}",
                 f"{row.label} = {short(row.formula)}"]
        local_text = ""
    if exact and exact != lines[1].rsplit(" = ", 1)[-1]:
        lines.append(f"{row.label} = {exact}")
    size = norm(row.value)
    color, width = magnitude(size, *bounds)
    return EdgeFlow(u, v, k, row.edge, row.label, exact or short(row.formula or ""),
                    local_text, up.value, None if local is None else local.value, row.value,
                    size, color, width, tuple(lines))


def _num(value):
    return number(value, DIGITS)


def _sums(flows, totals, L):
    """id -> the node's gradient line (``totals``: its upstream or sum row); where it fans
    out, the sum of what flows back."""
    parts = {}
    for e in flows:
        parts.setdefault(e.u, []).append(e)
    lines = {}
    for v, row in totals.items():
        text = f"d{L}/d{row.wrt} = {value_text(row.value)}"
        incoming = parts.get(v, [])
        if len(incoming) > 1:
            if all(np.ndim(e.value) == 0 for e in incoming):
                terms = " + ".join(_num(e.value) for e in incoming)
            else:
                terms = f"sum of {len(incoming)} edges"
            text = short(f"d{L}/d{row.wrt} = {terms} = {value_text(row.value)}", 64)
        lines[v] = [text]
    return lines


# ---- without at: formulas of the contribution nodes --------------------------------------------

def _from_formulas(loss):
    """What flows back on each edge as a formula, from gradients taken on a copy with
    respect to every float node (so no step is fused away and each edge gets its own)."""
    work = loss.graph.copy()
    forward = tuple(walk.order(work, walk.upstream(work, [loss.id])))
    wrt = [v for v in forward if walk.can_carry_gradient(work)(v)]
    grads = differentiate(work, loss.id, wrt)
    totals = {v: t for v, t in grads.totals.items() if v != loss.id}
    # forward nodes and the upstream gradients stay symbols, so a formula reads as a step;
    # plain numbers (an unnamed scalar constant such as the 2 of x ** 2) stay numbers
    keep = {v for v in forward if not work.record(v).plain_number} | set(totals.values())
    found = [(u, v, k) for u, v, k in edges(work, forward) if (v, k) in grads.contributions]
    names = Names.of_edges(work, [(v, u) for u, v, _ in found])
    flows, fan = [], {}
    for u, v, k in found:
        c = grads.contributions[v, k]
        text = short(formulas(work, [c], _kept_near(work, c, keep))[0])
        lab = f"d{loss.name}/d{work.record(u).name}"
        flows.append(EdgeFlow(u, v, k, names.edge(v, u, (v, k)), lab, text, "", None, None,
                              None, None, GRAD_COLOR, "1.50", (f"{lab} = {text}",)))
        fan[u] = fan.get(u, 0) + 1
    gradients = {u: [f"d{loss.name}/d{work.record(u).name} = sum of {n} edges"]
                 for u, n in fan.items() if n > 1}
    return Flow(loss.graph, loss.id, forward, tuple(flows), gradients, {}, None)


def _kept_near(graph, c, keep):
    """The nodes of ``keep`` that the formula of ``c`` reaches before any other of them:
    the symbols it is written in. Found by a walk that stops at them, so each edge's
    formula costs what it reads, not the size of the graph (the flow stays linear)."""
    reached = walk.upstream(graph, graph.operands(c), stop=keep)
    return reached & keep


def sketch(loss, at=None):
    """The ``Flow`` of a big graph, for a collapsed diagram: which edges carry a gradient
    and, with ``at``, each one's value and size (numbers, by ``gc.evaluate``), but no
    formulas and no trace, so it costs a backward pass, not a SymPy step an edge."""
    _check_loss(loss)
    work = loss.graph.copy()
    forward = tuple(walk.order(work, walk.upstream(work, [loss.id])))
    grads = differentiate(work, loss.id, [v for v in forward
                                          if walk.can_carry_gradient(work)(v)])
    found = [(u, v, k, grads.contributions[v, k]) for u, v, k in edges(work, forward)
             if (v, k) in grads.contributions]
    values = {}
    if at is not None:
        ids = list(forward) + [c for *_, c in found]
        values = dict(zip(ids, evaluate([Node(work, i) for i in ids], at=at)))
    bounds = scale(norm(values[c]) for *_, c in found if c in values)
    flows = []
    for u, v, k, c in found:
        lab = f"d{loss.name}/d{work.record(u).name}"
        value = values.get(c)
        size = None if value is None else norm(value)
        color, width = (GRAD_COLOR, "1.50") if size is None else magnitude(size, *bounds)
        text = lab if value is None else f"{lab} = {value_text(value)}"
        flows.append(EdgeFlow(u, v, k, f"{work.record(u).name} -> {work.record(v).name}",
                              lab, "", "", None, None, value, size, color, width, (text,)))
    kept = {v: values[v] for v in forward if v in values}
    return Flow(loss.graph, loss.id, forward, tuple(flows), {}, kept, None)


# ---- the diagram ------------------------------------------------------------------------------

def draw_gradflow(loss, at=None, exact=None, collapse=None, grads="all", flowed=None,
                  **options):
    """The forward graph of ``loss`` with the backward flow drawn on its edges, each arrow
    pointing the way the gradient flows (from the loss back: DOT's ``dir=back``, so an
    edge keeps its endpoints ``u -> v``), the value that flowed forward written above what
    flows back, and a key with the range of the gradient sizes drawn. ``collapse``,
    ``grads`` and ``options`` (rankdir, slide, dpi) as ``visualize.draw`` takes them;
    ``flowed``: the ``flow(loss, at, exact)`` already worked out (the report's), not redone.

    >>> draw_gradflow(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})   # doctest: +SKIP
    """
    f = flowed if flowed is not None else (sketch(loss, at) if _big(loss, collapse)
                                           else flow(loss, at, exact))
    boxes = plan(f.graph, f.nodes, collapse, scoped_past=COLLAPSE_NODES)
    shown = [e for e in f.edges if not hidden(f, e, grads)]
    gradients = {v: lines for v, lines in f.gradients.items()
                 if not (grads == "params" and f.graph.record(v).role == "input")}
    dot = diagram(_title(f, loss, _collapse_note(f, boxes, collapse)), **options)
    if boxes is not None and boxes.boxes:
        sizes = _draw_blocks(dot, f, boxes, shown, gradients)
    else:
        sizes = _draw_nodes(dot, f, shown, gradients)
    legend(dot, sizes)
    return dot


def _big(loss, collapse):
    """Whether the flow of ``loss`` is drawn collapsed with runs, so only sketched."""
    if collapse is False or not isinstance(loss, Node):
        return False
    return len(walk.upstream(loss.graph, [loss.id])) > COLLAPSE_ALL


def hidden(f, e, grads):
    """With ``grads="params"``, the gradient along ``e`` is not shown: it flows into a
    data input (an x or a y), which training does not change."""
    return grads == "params" and f.graph.record(e.u).role == "input"


def _draw_nodes(dot, f, shown, gradients):
    """Every node and edge of the flow; returns the gradient sizes drawn."""
    graph = f.graph
    add_nodes(dot, graph, f.nodes, f.values, extra=gradients)
    by_key = {(e.u, e.v, e.slot): e for e in f.edges}
    drawn = {(e.u, e.v, e.slot) for e in shown}
    bounds = scale(e.size for e in shown)
    for u, v, k in edges(graph, f.nodes):
        e, above = by_key.get((u, v, k)), _value_line(f, u)
        if e is None or (u, v, k) not in drawn:
            style = NO_FLOW if e is None else HIDDEN_FLOW
            dot.edge(node_id(u), node_id(v), label=label(above), **style)
            continue
        color, width = (e.color, e.penwidth) if e.size is None else magnitude(e.size, *bounds)
        dot.edge(node_id(u), node_id(v), label=label(above + list(e.lines)), color=color,
                 penwidth=width, fontcolor="#1f2937", **FLOW)
    return [e.size for e in shown if e.size is not None]


def _value_line(f, u):
    """The value that flowed forward out of ``u`` (none without ``at``)."""
    if u not in f.values:
        return []
    return [f"{f.graph.record(u).name} = {value_text(f.values[u])}"]


# ---- collapsed: one box per block --------------------------------------------------------------

def _collapse_note(f, boxes, collapse):
    """The title lines saying what was collapsed and why."""
    if boxes is None or not (boxes.boxes or collapse):
        return []
    if not boxes.boxes:
        return ["collapse=True: no scopes to collapse, every node drawn"]
    past = COLLAPSE_ALL if boxes.runs else COLLAPSE_NODES
    why = "" if collapse else f"more than {past:,}"
    return [boxes.note(len(f.nodes), why), "an edge of a box: the total gradient through "
            "it (the norm of what each node receives through it, summed)"]


def _draw_blocks(dot, f, boxes, shown, gradients):
    """One box per block (DOT ids ``s0``, ``s1``, ... in graph order, as the collapsed
    forward view), the nodes outside every block as themselves, and one edge per pair of
    them that edges join; returns the gradient sizes drawn."""
    graph, where = f.graph, boxes.where
    for box, _, lines in boxes.boxes:
        dot.node(box, label=label(lines), **SCOPE_BOX)
    outside = [v for v in f.nodes if where[v] == node_id(v)]
    add_nodes(dot, graph, outside, f.values, extra=gradients, out=outputs(graph, f.nodes))
    by_key = {(e.u, e.v, e.slot): e for e in shown}
    bundles = {}
    for u, v, k in edges(graph, f.nodes):
        if where[u] != where[v]:
            bundles.setdefault((where[u], where[v]), []).append(by_key.get((u, v, k)))
    totals = {pair: total(flows) for pair, flows in bundles.items()}
    bounds = scale(totals.values())
    for (a, b), flows in bundles.items():
        many = [f"{len(flows)} edges"] if len(flows) > 1 else []
        if not any(e is not None for e in flows):
            dot.edge(a, b, label=label(many), **NO_FLOW)
        elif totals[a, b] is None:  # formulas: no sizes without at
            dot.edge(a, b, label=label(many), color=GRAD_COLOR, **FLOW)
        else:
            color, width = magnitude(totals[a, b], *bounds)
            dot.edge(a, b, label=label(many + [number(totals[a, b], DIGITS)]), color=color,
                     penwidth=width, fontcolor="#1f2937", **FLOW)
    return [t for t in totals.values() if t is not None]


def total(flows):
    """The total gradient through a bundle of edges (EdgeFlow or None each): the norm of
    the summed gradient of each node the bundle leaves (what that node receives through
    it, as backprop sums a fan-out), summed over those nodes; None without values."""
    by_source = {}
    for e in flows:
        if e is not None and e.value is not None:
            by_source.setdefault(e.u, []).append(np.asarray(e.value, dtype=float))
    if not by_source:
        return None
    return sum(norm(sum(values)) for values in by_source.values())


def legend(dot, sizes):
    """A small key: the smallest and the largest gradient size drawn (their true range,
    not the padded range the colours are spread over)."""
    if not sizes:
        return
    key = graphviz.Digraph(name="cluster_legend",
                           graph_attr={**CLUSTER, "label": "key", "class": "legend"})
    key.node("legend", shape="plaintext", **{"class": "legend"}, label=label([
        "gradient size (its norm) drawn:",
        f"smallest {number(min(sizes), DIGITS)}, largest {number(max(sizes), DIGITS)}",
        "pale and thin: small; dark and wide: large (log scale)"]))
    dot.subgraph(key)


def _title(f, loss, notes=()):
    head = f"{f.graph.name}: gradient flow of {loss.name}"
    if f.trace is None and f.values:  # a sketch (a big graph): numbers, no trace
        lines = [head, "each edge: the size of what flows back along it, at the point given",
                 "colour and width: size of the gradient, log scale (the key gives its range)"]
    elif f.trace is None:
        lines = [head, "each edge: what flows back along it (a formula; add at= for values)"]
    else:
        lines = [short(f"{head} at {f.trace.at}", 120),
                 "each edge: the value that flowed forward, then upstream x local = what "
                 "flows back (vjp along a tensor edge)",
                 "colour and width: size of the gradient, log scale (the key gives its range)"]
    return lines + list(notes)
