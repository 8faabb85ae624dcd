"""Walks over a graph: one definition each of order, upstream, downstream, on_paths, the
loss of a graph and the nodes differentiated by default. Every stage uses these, and
``site``, how a message names a node.

Each walk takes a graph and node ids and returns ids; none recurses, so a 10,000-node
chain walks as fast as a short one.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x, w = g.input("x"), g.param("w")
>>> loss = gc.sigmoid(w * x).named("loss")
>>> [g.record(v).name for v in order(g, upstream(g, [loss.id]))]
['x', 'w', 'mul2', 'loss']
>>> g.record(loss_of(g)).name, [g.record(v).name for v in default_wrt(g, loss.id)]
('loss', ['w'])
"""

from ..errors import GraphError, at_node
from ..shapes import FLOATS

#: The roles of the nodes a graph's user feeds.
FED = ("input", "param")


def order(graph, ids=None):
    """Node ids in a deterministic topological order (ties broken by creation).

    An operand always exists before the node that uses it, so every edge runs from a
    smaller id to a larger one and creation order is already the lexicographical
    topological order that ``networkx.lexicographical_topological_sort`` would give; a
    node a pass added ``before`` another (``NodeStore.add``) sits at its ``position``.
    """
    ids = graph.nx.nodes if ids is None else ids
    return sorted(ids) if graph.in_creation_order else sorted(ids, key=graph.position)


def upstream(graph, ids, stop=(), carries=None):
    """``ids`` and every node they depend on; nodes in ``stop`` are included when reached,
    but what they depend on is not; only nodes passing ``carries`` (when given) are entered."""
    seen, stack = set(ids), list(ids)
    while stack:
        v = stack.pop()
        if v in stop:
            continue
        for u in graph.nx.predecessors(v):
            if u not in seen and (carries is None or carries(u)):
                seen.add(u)
                stack.append(u)
    return seen


def downstream(graph, ids, within=None, carries=None):
    """``ids`` and every node that depends on them, walking only through nodes of
    ``within`` (all when None) for which ``carries(id)`` holds (all when None)."""
    seen, stack = set(), list(ids)
    while stack:
        v = stack.pop()
        if v in seen or (within is not None and v not in within):
            continue
        if carries is not None and not carries(v):
            continue
        seen.add(v)
        stack.extend(graph.nx.successors(v))
    return seen


def on_paths(graph, sources, target, carries=None):
    """The nodes on a path from one of ``sources`` to ``target`` (both ends included),
    every node of the path passing ``carries`` (when given)."""
    within = upstream(graph, [target], carries=carries)
    return downstream(graph, sources, within=within, carries=carries)


def can_carry_gradient(graph):
    """The test of ``on_paths`` for a gradient: a float node that is not a constant."""
    def carries(v):
        record = graph.record(v)
        return record.dtype in FLOATS and record.role != "const"
    return carries


def forward_users(graph, v):
    """The users of ``v`` that are not gradient nodes."""
    return [w for w in graph.users(v) if graph.record(w).role != "grad"]


def loss_candidates(graph):
    """The scalar op nodes that no forward node uses: where a graph's loss can be."""
    return [v for v in order(graph) if graph.record(v).role == "op"
            and graph.record(v).shape == () and not forward_users(graph, v)]


def loss_of(graph):
    """The id of the graph's one loss candidate; GraphError naming them if not one (its
    message reads on after a caller's own words: "needs one scalar loss, but ...")."""
    found = loss_candidates(graph)
    if len(found) != 1:
        names = ", ".join(repr(graph.record(v).name) for v in found) or "none"
        raise GraphError(f"graph {graph.name!r} has {len(found)} scalar op nodes that no "
                         f"forward node uses ({names})")
    return found[0]


def fed(graph, ids, dtypes=None):
    """The inputs and parameters among ``ids``, in order (of ``dtypes`` only, if given)."""
    return [v for v in order(graph, ids) if graph.record(v).role in FED
            and (dtypes is None or graph.record(v).dtype in dtypes)]


def default_wrt(graph, loss):
    """The nodes a trace or diagram differentiates ``loss`` for when not told: its float
    parameters, or its float inputs when it has none (as the slides do)."""
    up = upstream(graph, [loss])
    params = [v for v in fed(graph, up, FLOATS) if graph.record(v).role == "param"]
    return params or fed(graph, up, FLOATS)


def site(graph, v, source=None):
    """How a message names node ``v``: ``node 'loss' (cross_entropy of 'z', 'y')``; a node
    of the user's as the user built it where ``source`` (the graph the passes started
    from) holds it, so that a loss the passes rewrote reads as the user's op of the user's
    operands; a gradient node as it is computed, that is what its code reads. A node with
    no name of its own is named by its op and operands (``exp of 'w'``), not by the name
    made from its id."""
    user = source is not None and v in source.nx and source.record(v).role != "grad"
    g = source if user else graph
    record = g.record(v)
    operands = [g.record(u).name for u in g.operands(v)]
    return at_node(record.name if record.named else None, record.op, operands)
