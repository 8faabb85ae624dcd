"""The check run between passes: is this still a well-formed graph?

>>> import graphc as gc
>>> g = gc.Graph()
>>> s = gc.sigmoid(g.input("x", shape=(3,))).named("s")
>>> verify(g, after="fold_constants") is g
True
"""

import networkx as nx

from .. import ops
from ..errors import GraphcError, GraphError
from ..graph import LEAVES, walk
from ..graph.node import infer
from ..shapes import fmt


def verify(graph, after="(none)"):
    """Check ``graph`` as a pass left it and return it; GraphError naming the pass
    ``after`` and the node (its name, op and shapes, and its operands') when it is wrong.

    Holds afterwards: the graph is acyclic and every edge runs from an earlier node to a
    later one (by ``position``, the order every stage walks in); each node's name finds
    it; each op node has as many operands as its op takes, in slots 0 .. n-1; and
    re-inferring its shape and dtype from its operands (``graphc.graph.node.infer``) gives
    those of its record.
    """
    if not nx.is_directed_acyclic_graph(graph.nx):
        cycle = [graph.record(edge[0]).name for edge in nx.find_cycle(graph.nx)]
        raise GraphError(f"after pass {after!r}: the graph has a cycle through "
                         f"{', '.join(map(repr, cycle))}")
    for v in walk.order(graph):
        problem = _problem(graph, v)
        if problem:
            raise GraphError(f"after pass {after!r}: node {_describe(graph, v)}: {problem}")
    return graph


def _problem(graph, v):
    """What is wrong with node ``v``, or None."""
    record = graph.record(v)
    if graph.id_of(record.name) != v:
        return f"its name finds node {graph.id_of(record.name)!r}, not {v}"
    edges = sorted((data["slot"], u) for u, _, data in graph.nx.in_edges(v, data=True))
    slots, operands = [k for k, _ in edges], graph.operands(v)
    if [u for _, u in edges] != operands:  # the store keeps operands beside the edges
        return (f"its edges give the operands {_names(graph, [u for _, u in edges])}, its "
                f"record store {_names(graph, operands)}")
    if any(graph.position(u) >= graph.position(v) for u in operands):
        return "an operand comes after it"
    if record.op in LEAVES:
        return f"a {record.op} has operands" if operands else None
    arity = ops.get(record.op).arity
    if slots != list(range(len(slots))):
        return f"its operand slots are {slots}, not 0 .. {len(slots) - 1}"
    if (arity is None and not operands) or (arity is not None and len(operands) != arity):
        return (f"op {record.op!r} takes {'one or more' if arity is None else arity} "
                f"operands, it has {len(operands)}")
    return _inferred(graph, record, operands)


def _inferred(graph, record, operands):
    """How re-inferring the node's shape and dtype disagrees with its record, or None."""
    try:
        _, shape, dtype = infer(record.op, [graph.record(u).arg for u in operands],
                                record.attrs)
    except GraphcError as err:
        return f"its operands no longer fit its op: {err}"
    if (tuple(shape), dtype) != (record.shape, record.dtype):
        return (f"its operands give shape {fmt(shape)} {dtype}, its record says "
                f"{fmt(record.shape)} {record.dtype}")
    return None


def _names(graph, ids):
    return ", ".join(repr(graph.record(u).name) for u in ids) or "none"


def _describe(graph, v):
    record = graph.record(v)
    operands = ", ".join(f"{graph.record(u).name} {fmt(graph.record(u).shape)}"
                         for u in graph.operands(v))
    inputs = f" of {operands}" if operands else ""
    return f"{record.name!r} ({record.op}, shape {fmt(record.shape)} {record.dtype}{inputs})"
