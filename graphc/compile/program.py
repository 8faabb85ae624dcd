"""Lowering: a graph and the nodes wanted from it, as a Program (a flat list of equations).

A Program is plain, frozen data: the leaves to feed, the constants, one equation per node
that some output needs (in the graph's deterministic order; nodes no output needs are left
out) and the outputs. Names are the graph's node names; printers make identifiers.

>>> import graphc as gc
>>> g = gc.Graph("neuron")
>>> x, w = g.input("x", shape=(2,)), g.param("w", shape=(2,))
>>> z = (w @ x).named("z")
>>> unused = gc.exp(z)
>>> [e.op for e in lower(g, [gc.sigmoid(z).named("s")]).equations]
['matmul', 'sigmoid']
"""

from dataclasses import dataclass

from ..autodiff import gradient_of
from ..errors import GraphError
from ..graph import Node, walk
from .rules import rule


@dataclass(frozen=True)
class Leaf:
    """An input or parameter: fed by name on every call."""

    name: str
    role: str       # "input" or "param"
    shape: tuple    # ints and dimension names such as "N"
    dtype: str


@dataclass(frozen=True)
class Constant:
    """A constant node's value (read-only); ``weak`` if it came from a plain Python number."""

    name: str
    value: object   # a read-only numpy array
    dtype: str
    weak: bool
    base: str = ""  # what its variable is named after: its name, or "const" if unnamed


@dataclass(frozen=True)
class Equation:
    """``name = op[attrs](*operands)``; ``note``: what a rewrite pass says of it.

    For the printer: ``base``, what its variable is named after (the user's name, or the
    op for an unnamed node); ``grad_of``, ``(y, x, y's base, x's base)`` when it is the
    gradient ``d{y}_d{x}``; ``rule``, ``(template, names)``, the gradient rule it computes
    (``graphc.compile.rules``); ``site``, how its errors name it (``walk.site``: the user's
    op and operands where the passes rewrote it)."""

    name: str
    op: str
    operands: tuple   # node names, in slot order
    attrs: tuple      # (key, value) pairs, in the node's order
    shape: tuple
    dtype: str
    note: str = ""
    base: str = ""
    role: str = "op"
    grad_of: tuple = ()
    rule: tuple = ()
    site: str = ""


@dataclass(frozen=True)
class Program:
    """What a printer needs to write code for ``outputs`` of graph ``graph``."""

    graph: str          # the graph's name, for messages
    inputs: tuple       # Leaf: the inputs and parameters the outputs need, creation order
    unused: tuple       # Leaf: those that no output needs
    constants: tuple    # Constant
    equations: tuple    # Equation, in an order where operands come first
    outputs: tuple      # node names, as asked (an output may repeat, or be a leaf)


def lower(graph, outputs, source=None):
    """The Program computing ``outputs`` (nodes or node ids of ``graph``), and only them.

    The graph is lowered as it is; ``gc.compile`` runs the passes first, and hands the
    graph they started from as ``source``, which the gradient rules are read from (a
    rewritten node keeps its id, so its rule is still the user's op's).
    """
    ids = [_node_id(graph, o) for o in outputs]
    if not ids:
        raise GraphError("nothing to compute: give at least one output node")
    needed = walk.upstream(graph, ids)
    leaves, constants, equations = [], [], []
    for v in walk.order(graph, needed):
        record = graph.record(v)
        if record.op in walk.FED:
            leaves.append(_leaf(record))
        elif record.op == "const":
            constants.append(_constant(record))
        else:
            equations.append(_equation(graph, v, record, source or graph))
    outputs = tuple(graph.record(v).name for v in ids)
    unused = tuple(_leaf(graph.record(v)) for v in walk.fed(graph, graph.nx.nodes)
                   if v not in needed)
    return Program(graph=graph.name, inputs=tuple(leaves), unused=unused,
                   constants=tuple(constants), equations=tuple(equations),
                   outputs=outputs)


def _node_id(graph, node):
    node_id = node.id if isinstance(node, Node) else node
    if not isinstance(node_id, int) or node_id not in graph.nx:
        raise GraphError(f"{node!r} is not a node of graph {graph.name!r}")
    return node_id


def _leaf(record):
    return Leaf(record.name, record.op, record.shape, record.dtype)


def _constant(record):
    value = record.value.copy()
    value.flags.writeable = False  # the Program is frozen data
    return Constant(record.name, value, record.dtype, record.weak,
                    record.name if record.named else "const")


def _equation(graph, v, record, source):
    operands = tuple(graph.record(u).name for u in graph.operands(v))
    base, grad_of = _naming(graph, v, record, source)
    found = rule(graph, v, source) if record.role == "grad" else None
    return Equation(record.name, record.op, operands, tuple(record.attrs.items()),
                    record.shape, record.dtype, note=record.note, base=base,
                    role=record.role, grad_of=grad_of, rule=found or (),
                    site=walk.site(graph, v, source))


def _naming(graph, v, record, source):
    """``(base, grad_of)`` of node ``v``: a forward node is named by the user or after its
    op (the user's op, for one the passes fused); a gradient ``d{y}_d{x}`` after y and x,
    and an unnamed part of one (what flows back along one edge) after them too."""
    if record.role != "grad":
        op = source.record(v).op if v in source.nx else record.op
        return (record.name if record.named else op), ()
    pair = gradient_of(source, v) if v in source.nx else None
    if pair:
        return record.name, _grad_of(source, pair, record.name)
    edge = next(((m, k) for m, k in record.origin if k is not None and m in source.nx), None)
    y = _gradient_of_users(graph, source, v) if edge and not record.named else None
    if y is None:
        return (record.name if record.named else record.op), ()
    m, k = edge
    return record.op, _grad_of(source, (y, source.operands(m)[k]), "")


def _gradient_of_users(graph, source, v):
    """What the gradient that node ``v`` flows into is the gradient of (its y), or None."""
    seen, stack = set(), list(graph.users(v))
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        pair = gradient_of(source, u) if u in source.nx else None
        if pair:
            return pair[0]
        stack.extend(graph.users(u))
    return None


def _grad_of(graph, pair, name):
    """``(name, x, y's base, x's base)``: the gradient's own name ("" for a part of one),
    what it is the gradient of, and what their variables would be named after."""
    y, x = (graph.record(u) for u in pair)
    return (name, x.name, y.name if y.named else y.op, x.name if x.named else x.op)
