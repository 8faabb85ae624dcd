"""What the passes share: element-wise formulas of nodes, numbers in formulas, rewiring
users, and removing what a rewrite left unused. Every edit goes through the graph's editing
API (``replace``, ``remove``, ``update``), on a copy the pass made.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> formula_of(gc.sigmoid(x * 2).record)
sigmoid(a0)
"""

import functools

import numpy as np
import sympy as sp

from .. import ops
from ..autodiff import canonical
from ..graph import LEAVES, Node, walk
from ..graph.node import infer
from ..ops.elementwise import formula
from ..ops.scalar import arg


def formula_of(record):
    """The SymPy formula of an element-wise node over a0, a1, ...: an ``elementwise``
    node's own, or the scalar formula of an element-wise op; None for any other node."""
    if record.op in LEAVES:
        return None
    if record.op == "elementwise":
        return record.attrs["expr"]
    return _op_formula(record.op, tuple(record.attrs.items()), _arity(record))


def _arity(record):
    return ops.get(record.op).arity or 0


@functools.lru_cache(maxsize=4096)
def _op_formula(op, attr_items, n):
    opdef = ops.get(op)
    if opdef.family != "elementwise" or opdef.scalar is None or not n:
        return None
    return sp.sympify(formula(opdef, dict(attr_items), n))


def number(value):
    """A scalar array as the SymPy number a formula holds: integral values exactly (the
    count 1, the seed 1.0), other floats with every bit."""
    item = np.asarray(value).item()
    if isinstance(item, float) and not item.is_integer():
        return sp.Float(item)
    return sp.Integer(int(item))


class Writable:
    """The graph a pass works on: the one it was given until its first edit, which makes it
    a copy (so a pass that changes nothing copies nothing; a copy keeps every id)."""

    def __init__(self, graph):
        self.graph, self.copied = graph, False

    def edit(self):
        """The graph to change: a copy of the given one, made once."""
        if not self.copied:
            self.graph, self.copied = self.graph.copy(), True
        return self.graph


def user_named(record):
    """A tensor the user named (a forward op or a constant): it stays a variable."""
    return record.named and record.role in ("op", "const")


def as_elementwise(graph, v, expr, mapping):
    """``(expr, operands)`` for node ``v`` recomputed as ``elementwise`` of ``expr``, whose
    symbols ``mapping`` binds to node ids: symbols bound to one node merged, unused ones
    dropped; None when that would change ``v``'s shape or dtype."""
    canon, nodes = canonical(expr, {s: Node(graph, u) for s, u in mapping.items()})
    if not nodes:
        return None
    record = graph.record(v)
    operands = [n.id for n in nodes]
    try:
        _, shape, dtype = infer("elementwise", [graph.record(u).arg for u in operands],
                                {"expr": canon})
    except ValueError:
        return None
    if (shape, dtype) != (record.shape, record.dtype):
        return None
    return canon, operands


def bare(expr, operands):
    """The operand ``expr`` is, when it is one operand as it is (``a0``); else None."""
    return operands[0] if expr == arg(0) and len(operands) == 1 else None


def rewire(graph, v, old, new):
    """Make node ``v`` read ``new`` wherever it read ``old`` (the same shape and dtype)."""
    record = graph.record(v)
    operands = [new if u == old else u for u in graph.operands(v)]
    graph.replace(v, record.op, operands, record.attrs, note=record.note)


def rewire_users(graph, old, new):
    """Make every user of ``old`` read ``new`` instead (``new`` comes before them)."""
    for v in graph.users(old):
        rewire(graph, v, old, new)


def prune(graph, ids, keep):
    """Remove the nodes of ``ids`` that nothing uses, none of ``keep`` and no input or
    param, then those of their operands this leaves unused, and so on."""
    stack = sorted(ids)
    while stack:
        v = stack.pop()
        if v not in graph.nx or v in keep or graph.nx.out_degree(v):
            continue
        if graph.record(v).op in walk.FED:
            continue
        operands = graph.operands(v)
        graph.remove(v)
        stack.extend(operands)
