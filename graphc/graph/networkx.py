"""Graph.from_networkx: rebuild a DAG made directly with NetworkX, checking everything;
Graph.to_networkx: the plain DAG it reads."""

import networkx as nx

from .. import ops
from ..errors import GraphError, ShapeError
from .node import VIEW


def build(graph, G):
    """Add the nodes of ``G`` to the empty ``graph`` in topological order."""
    if not isinstance(G, nx.DiGraph):
        raise GraphError(f"from_networkx needs a networkx.DiGraph, got {type(G).__name__}")
    check_acyclic(G)
    handles = {}
    for key in nx.lexicographical_topological_sort(G, key=str):
        data = G.nodes[key]
        name = data.get("name", str(key))
        op = data.get("op")
        if not isinstance(op, str):
            raise GraphError(f"node {name!r} has no 'op' attribute" if op is None else
                             f"node {name!r}: 'op' must be an op's name, got {op!r}")
        if op in ("input", "param", "const"):
            _check_leaf(G, key, name, op)
        if op in ("input", "param"):
            make = graph.input if op == "input" else graph.param
            handles[key] = make(name, _shape(data, name), data.get("dtype", "float64"))
        elif op == "const":
            if "value" not in data:
                raise GraphError(f"constant {name!r} has no 'value' attribute")
            handles[key] = graph.const(name, data["value"], data.get("dtype"))
        else:
            operands = [handles[u] for u in _slots(G, key, name, op)]
            handles[key] = graph.apply(op, operands, data.get("attrs"), name=name)
    return graph


def check_acyclic(G, error=GraphError):
    """Raise ``error`` naming a cycle of ``G`` as a path of node names, if it has one."""
    try:
        cycle = nx.find_cycle(G)
    except nx.NetworkXNoCycle:
        return
    names = [repr(G.nodes[e[0]].get("name", str(e[0]))) for e in cycle]
    path = " -> ".join(names + names[:1])
    raise error(f"the graph has a cycle: {path}")


def _check_leaf(G, key, name, op):
    """An input, param or const takes no operands: an edge into one is an error, not
    silently dropped."""
    sources = [str(G.nodes[u].get("name", u)) for u, _ in G.in_edges(key)]
    if sources:
        role = "an input" if op == "input" else f"a {op}"
        raise GraphError(f"node {name!r} is {role}: it takes no operands, but "
                         f"{', '.join(map(repr, sources))} -> {name!r} feeds it")


def _shape(data, name):
    """A leaf's ``shape`` attribute: a tuple (or list) of ints and names, or one int; a
    string (``'abc'``, or ``'(2, 3)'`` read back from a text format) is refused."""
    shape = data.get("shape", ())
    if isinstance(shape, str):
        raise ShapeError(f"node {name!r}: shape {shape!r} is a string; give a tuple of ints "
                         f"and names, such as ('N', 3)")
    return shape


def _slots(G, key, name, op):
    """The operands of node ``key`` in slot order; every slot present exactly once."""
    try:
        opdef = ops.get(op)
    except GraphError as err:
        raise GraphError(f"node {name!r}: {err}") from None
    found = {}
    for u, _, data in G.in_edges(key, data=True):
        slot = data.get("slot")
        if not isinstance(slot, int) or isinstance(slot, bool):
            raise GraphError(f"edge {G.nodes[u].get('name', u)!r} -> {name!r} has no integer "
                             f"'slot' attribute (got {slot!r})")
        if slot in found:
            first, second = (str(G.nodes[v].get("name", v)) for v in (found[slot], u))
            raise GraphError(f"node {name!r} ({op}): operand slot {slot} is given twice "
                             f"({first!r} and {second!r}); it expects {_expects(opdef)}")
        found[slot] = u
    count = len(found) if opdef.arity is None else opdef.arity
    expected = list(range(count))
    if sorted(found) != expected:
        raise GraphError(f"node {name!r} ({op}) expects operand slots {expected}, got "
                         f"{sorted(found)}")
    return [found[i] for i in expected]


def _expects(opdef):
    if opdef.arity is None:
        return "one or more operand slots 0, 1, ..."
    return f"operand slots {list(range(opdef.arity))}"


def export(graph):
    """A ``networkx.MultiDiGraph`` of ``graph``'s nodes in graph order (no records)."""
    G = nx.MultiDiGraph(name=graph.name)
    for v in graph.order():
        record = graph.record(v)
        data = {key: graph.nx.nodes[v][key] for key in VIEW}
        data["attrs"] = dict(record.attrs)
        if record.op == "const":
            data["value"] = record.value
        G.add_node(v, **data)
    for v in graph.order():
        for slot, u in enumerate(graph.operands(v)):
            G.add_edge(u, v, key=slot, slot=slot)
    return G
