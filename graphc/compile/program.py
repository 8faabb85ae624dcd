"""Lowering: a graph and the nodes wanted from it, as a Program (a flat list of equations).

A Program is plain, frozen data: the leaves to feed, the constants, one equation per node
that some output needs (in the graph's deterministic order; nodes no output needs are left
out) and the outputs. Each equation also says which values die with it (their last use), so
a printer can free them. Names are the graph's node names; printers make identifiers.

>>> import graphc as gc
>>> g = gc.Graph("neuron")
>>> x, w = g.input("x", shape=(2,)), g.param("w", shape=(2,))
>>> z = (w @ x).named("z")
>>> unused = gc.exp(z)
>>> [e.op for e in lower(g, [gc.sigmoid(z).named("s")]).equations]
['matmul', 'sigmoid']
"""

import dataclasses
from dataclasses import dataclass

from ..errors import GraphError
from ..graph import Node, walk


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


@dataclass(frozen=True)
class Equation:
    """``name = op[attrs](*operands)``; ``frees``: values whose last use this is;
    ``note``: what a rewrite pass says of it (for the comment)."""

    name: str
    op: str
    operands: tuple   # node names, in slot order
    attrs: tuple      # (key, value) pairs, in the node's order
    shape: tuple
    dtype: str
    frees: tuple = ()
    note: str = ""


@dataclass(frozen=True)
class Program:
    """What a printer needs to write code for ``outputs`` of graph ``graph``."""

    graph: str          # the graph's name, for messages
    inputs: tuple       # Leaf: the inputs and parameters the outputs need, creation order
    unused: tuple       # Leaf: those that no output needs
    constants: tuple    # Constant
    equations: tuple    # Equation, in an order where operands come first
    outputs: tuple      # node names, as asked (an output may repeat, or be a leaf)


def lower(graph, outputs):
    """The Program computing ``outputs`` (nodes or node ids of ``graph``), and only them.

    The graph is lowered as it is; ``gc.compile`` runs ``passes.rewrite_stable`` first.
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
            equations.append(_equation(graph, v, record))
    outputs = tuple(graph.record(v).name for v in ids)  # a name in here is never freed
    unused = tuple(_leaf(graph.record(v)) for v in walk.fed(graph, graph.nx.nodes)
                   if v not in needed)
    return Program(graph=graph.name, inputs=tuple(leaves), unused=unused,
                   constants=tuple(constants), equations=_with_frees(equations, outputs),
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
    return Constant(record.name, value, record.dtype, record.weak)


def _equation(graph, v, record):
    operands = tuple(graph.record(u).name for u in graph.operands(v))
    return Equation(record.name, record.op, operands, tuple(record.attrs.items()),
                    record.shape, record.dtype, note=record.note)


def _with_frees(equations, outputs):
    """The equations, each with the computed values whose last use it is (not outputs)."""
    position = {e.name: i for i, e in enumerate(equations)}
    last = {}
    for i, e in enumerate(equations):
        for name in e.operands:
            last[name] = i
    frees = [[] for _ in equations]
    for name, i in last.items():
        if name in position and name not in outputs:
            frees[i].append(name)
    return tuple(dataclasses.replace(e, frees=tuple(sorted(f, key=position.__getitem__)))
                 for e, f in zip(equations, frees))
