"""``draw``: the forward graph, the backward graph, the gradient flow, or scopes collapsed.

Every view draws from the user's graph without changing it: gradients a view needs are
taken on ``graph.copy()``.
"""

from graphc import evaluate
from graphc.autodiff import differentiate, gradient_of
from graphc.errors import GraphError
from graphc.graph import Graph, Node, walk
from graphc.shapes import fmt

from .canvas import add_edges, add_nodes, diagram, edges, node_id, outputs
from .collapse import COLLAPSE_ALL, plan
from .gradflow import draw_gradflow, loss_of
from .style import (HIGHLIGHT, SCOPE_BOX, TIE, OptionError, check_dpi, check_grads, label,
                    layout, node_attrs, node_lines, short)

VIEWS = ("forward", "backward", "gradflow")

NO_GRADIENTS = ("no gradient nodes yet: gc.grad(loss, [...]) adds them, or "
                "draw(loss, view='backward') takes them on a copy")


def draw(target, view="forward", at=None, collapse=None, exact=None, *, rankdir="LR",
         slide=False, dpi=None, grads="all", highlight=None):
    """A ``graphviz.Digraph`` of a graph, a node or a list of nodes (what they depend on).

    ``view``: "forward" (inputs, parameters, constants, ops and outputs, each with its
    name, op and shape), "backward" (the gradient nodes autodiff added, tied by dashed
    edges to their forward nodes; for a single loss node without gradients they are taken
    on a copy), or "gradflow" (the forward graph of a scalar loss with what flows back
    along each edge; see ``visualize.gradflow``). ``at``: feeds; each node then shows its
    value. ``collapse=True`` draws one box per top-level scope (forward and gradflow);
    ``collapse=None`` (the default) does so for a gradient flow of more than
    ``COLLAPSE_NODES`` nodes, and past ``COLLAPSE_ALL`` (300) nodes every view collapses
    scopes and repeated blocks (``visualize.collapse``), saying so in its title;
    ``collapse=False`` draws every node.
    A whole Graph without gradient nodes in the backward view is drawn forward, its title
    saying that there are none. ``exact`` (gradflow only): exact values or numbers, as
    ``gc.explain`` takes it (None: its default). ``highlight`` (forward and
    backward): a node or a list of nodes drawn with a thick red outline.

    For slides: ``rankdir`` "LR" (default), "TB", "BT" or "RL"; ``slide=True`` fits the
    diagram into a 16:9 slide; ``dpi`` the resolution of a PNG (default 200; SVG stays in
    points); ``grads="params"`` hides the gradients of data inputs such as x and y
    (gradflow and backward; default "all").

    >>> import visualize
    >>> d = visualize.draw(loss, view="gradflow", at={"x": [1, -1], "w": [1, 2], "y": 1})
    ... # doctest: +SKIP
    >>> visualize.export(d, "neuron.svg")                   # doctest: +SKIP
    """
    options = _checked(view, collapse, grads, rankdir=rankdir, slide=slide, dpi=dpi,
                       highlight=highlight)
    if view == "gradflow":
        return draw_gradflow(loss_of(target), at, exact, collapse=collapse, grads=grads,
                             **options)
    marked = () if highlight is None else targets(highlight)[1]
    if view == "backward":
        return _backward(target, at, grads, options, marked, collapse)
    return _forward(target, at, collapse, options, marked)


def _checked(view, collapse, grads, rankdir, slide, dpi, highlight):
    """The layout options (rankdir, slide, dpi) of ``draw``, every option checked."""
    if view not in VIEWS:
        raise OptionError("view", f"view must be one of {', '.join(VIEWS)}; got {view!r}")
    if collapse not in (None, True, False):
        raise OptionError("collapse", f"collapse must be None (when big), True or False; "
                          f"got {collapse!r}")
    if collapse and view == "backward":
        raise OptionError("collapse", f"collapse=True draws the forward graph or the "
                          f"gradient flow, not view={view!r}")
    if highlight is not None and view == "gradflow":
        raise OptionError("highlight", "highlight= marks nodes of the forward and backward "
                          "views, not of view='gradflow'")
    check_grads(grads)
    layout(rankdir, slide)
    return {"rankdir": rankdir, "slide": slide, "dpi": check_dpi(dpi)}


def targets(target):
    """``(graph, ids)``: ids None for a whole Graph, else the ids of the node(s) given."""
    if isinstance(target, Graph):
        return target, None
    nodes = None
    if isinstance(target, Node):
        nodes = [target]
    elif isinstance(target, (list, tuple)):
        nodes = list(target)
    if not nodes or not all(isinstance(n, Node) for n in nodes):
        raise TypeError(f"draw takes a graphc Graph, a Node or a list of Nodes, got "
                        f"{target!r}")
    if any(n.graph is not nodes[0].graph for n in nodes):
        raise GraphError("draw takes nodes of one graph")
    return nodes[0].graph, [n.id for n in nodes]


def values_at(graph, ids, at):
    """id -> value of each node of ``ids`` at ``at`` (empty without ``at``)."""
    if at is None or not ids:
        return {}
    ids = sorted(ids)
    return dict(zip(ids, evaluate([Node(graph, v) for v in ids], at=at)))


def title(graph, view, *notes):
    return [f"{graph.name}: {view}", *notes]


def highlighted(graph, drawn, marked):
    """id -> the attributes that mark a node of ``marked`` that is drawn: a thick outline,
    and the class "highlight" beside the node's own (for a stylesheet or a test)."""
    keep, marks = set(drawn), {}
    for v in marked:
        if v in keep:
            own = node_attrs(graph.record(v)).get("class", "")
            marks[v] = {**HIGHLIGHT, "class": f"{own} highlight".strip()}
    return marks


# ---- forward --------------------------------------------------------------------------------

def _forward(target, at, collapse, options, marked=()):
    graph, ids = targets(target)
    up = graph.nx.nodes if ids is None else walk.upstream(graph, ids)
    drawn = [v for v in walk.order(graph, up) if graph.record(v).role != "grad"]
    boxes = plan(graph, drawn, collapse)
    if boxes is None:
        dot = diagram(title(graph, "forward graph"), **options)
        add_nodes(dot, graph, drawn, values_at(graph, drawn, at),
                  overrides=highlighted(graph, drawn, marked))
        add_edges(dot, graph, drawn)
        return dot
    notes = [boxes.note(len(drawn), _why(collapse))] if boxes.runs else []
    dot = diagram(title(graph, "forward graph, scopes collapsed", *notes), **options)
    _collapsed(dot, graph, drawn, boxes, at)
    return dot


def _why(collapse):
    return "" if collapse else f"more than {COLLAPSE_ALL:,}"


def _collapsed(dot, graph, drawn, boxes, at=None):
    """The ``Boxes`` of ``drawn`` (with how many nodes, params and which ops each box
    holds), the nodes outside every box as themselves (their values at ``at``), and one
    edge per pair of them that edges join."""
    where = boxes.where
    for box, _, lines in boxes.boxes:
        dot.node(box, label=label(lines), **SCOPE_BOX)
    out = outputs(graph, drawn)
    alone = [v for v in drawn if where[v] == node_id(v)]
    values = values_at(graph, alone, at)
    for v in alone:
        lines = node_lines(graph, v, values.get(v))
        dot.node(node_id(v), label=label(lines), **node_attrs(graph.record(v), output=v in out))
    crossing = {}
    for u, v, _ in edges(graph, drawn):
        if where[u] != where[v]:
            crossing.setdefault((where[u], where[v]), []).append(u)
    for (a, b), sources in crossing.items():
        shapes = sorted({fmt(graph.record(u).shape) for u in sources})
        text = shapes[0] if len(shapes) == 1 else f"{len(sources)} edges"
        dot.edge(a, b, label=label([text]), penwidth=f"{min(1 + len(sources) / 2, 4):.1f}")


# ---- backward -------------------------------------------------------------------------------

def _backward(target, at, grads, options, marked=(), collapse=None):
    graph, ids = targets(target)
    notes, record = [], None
    if ids is None:
        drawn = walk.order(graph)
        if not any(graph.record(v).role == "grad" for v in drawn):
            notes.append(NO_GRADIENTS)
    else:
        graph, drawn, record = _with_gradients(graph, ids)
    hidden = [v for v in drawn if _bookkeeping(graph, v) or _of_input(graph, v, grads)]
    left_out = set(hidden)  # once, not once a node
    drawn = [v for v in drawn if v not in left_out]
    if any(_bookkeeping(graph, v) for v in hidden):
        notes.append("not drawn: " + short(", ".join(
            graph.record(v).name for v in hidden if _bookkeeping(graph, v)), 80)
            + " (element counts, folded into the formulas when compiled)")
    boxes = plan(graph, drawn, collapse)
    if boxes is not None:
        notes.append(boxes.note(len(drawn), _why(collapse)))
    dot = diagram(title(graph, "backward graph (gradient nodes dashed, tied to their "
                               "forward node)", *notes), **options)
    if boxes is not None:
        _collapsed(dot, graph, drawn, boxes, at)
        _ties(dot, graph, drawn, boxes.where)
        return dot
    values = values_at(graph, drawn, at)
    dot.graph_attr["ordering"] = "out"  # operands in slot order, so edges do not cross
    add_nodes(dot, graph, drawn, values, extra=_along(graph, drawn, record),
              overrides=highlighted(graph, drawn, marked))
    add_edges(dot, graph, drawn)
    _ties(dot, graph, drawn, {v: node_id(v) for v in drawn})
    return dot


def _ties(dot, graph, drawn, where):
    """A dashed tie from each gradient node to its forward node, between the nodes or
    boxes (``where``: id -> DOT id) they are drawn as, once a pair."""
    tied = set()
    for v in drawn:
        of = gradient_of(graph, v)
        if of is None or of[1] not in where or of[1] == v:
            continue
        pair = (where[v], where[of[1]])
        if pair[0] != pair[1] and pair not in tied:
            tied.add(pair)
            dot.edge(*pair, **TIE)


#: Gradient nodes that are bookkeeping, not a step of the chain rule: the number of
#: elements a mean divides by (constant folding makes it a number in the formula).
BOOKKEEPING_OPS = ("count",)


def _bookkeeping(graph, v):
    """A gradient node that is an element count or an unnamed constant (the seed
    ``dloss_dloss = 1``, where backprop starts, stays)."""
    record = graph.record(v)
    return record.role == "grad" and (record.op in BOOKKEEPING_OPS
                                      or (record.op == "const" and not record.named))


def _of_input(graph, v, grads):
    """With ``grads="params"``: ``v`` is the gradient of a data input (x, y)."""
    of = gradient_of(graph, v) if grads == "params" else None
    return of is not None and graph.record(of[1]).role == "input"


def _with_gradients(graph, ids):
    """The graph, the ids to draw and the Gradients record (None for gradients the user
    took) for nodes: what they depend on; for one forward node, with its gradients (those
    in the graph, else taken on a copy for the nodes ``walk.default_wrt`` names)."""
    if len(ids) != 1 or graph.record(ids[0]).role == "grad":
        return graph, walk.order(graph, walk.upstream(graph, ids)), None
    loss = ids[0]
    taken = [v for v in walk.order(graph) if (gradient_of(graph, v) or (None,))[0] == loss]
    if taken:
        return graph, walk.order(graph, walk.upstream(graph, [loss] + taken)), None
    work = graph.copy()
    grads = differentiate(work, loss, walk.default_wrt(work, loss))
    return work, walk.order(work, walk.upstream(work, [loss, *grads.results])), grads


def _along(graph, drawn, grads):
    """id -> ``along z -> yhat``: the edge a contribution node flows back along (known
    from the Gradients record of gradients the view took itself)."""
    if grads is None:
        return {}
    texts, keep = {}, set(drawn)
    for (m, k), c in grads.contributions.items():  # in the order backprop made them
        if c in keep:
            u = graph.operands(m)[k]
            texts.setdefault(c, []).append(f"along {graph.record(u).name} -> "
                                           f"{graph.record(m).name}")
    return {c: [short(t[0] + (f" (+{len(t) - 1})" if len(t) > 1 else ""))]
            for c, t in texts.items()}
