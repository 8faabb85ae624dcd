"""Constant folding: values known when the graph is compiled become numbers in formulas.

>>> import graphc as gc
>>> g = gc.Graph("neuron")
>>> x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
>>> yhat = gc.sigmoid((w @ x).named("z")).named("yhat")
>>> loss = gc.bce(yhat, y).named("loss")
>>> dw = gc.grad(loss, [w])[0]
>>> g["dloss_dyhat"].attrs["expr"]                # the seed 1.0 and the count 1 as operands
a0*(a1 - a2)/(a1*a3*(1 - a1))
>>> out = fold_constants(g, [loss.id, dw.id])
>>> out.record(g["dloss_dyhat"].id).attrs["expr"]
(a0 - a1)/(a0*(1 - a0))
"""

import math

import numpy as np

from .. import ops
from ..errors import GraphcError
from ..graph import LEAVES, walk
from ..ops.scalar import arg
from .edit import (Writable, as_elementwise, bare, formula_of, number, prune, rewire_users,
                   user_named)

#: Ops whose operands at these slots are read for their shape only (None: every slot); such
#: an operand of a static shape is as good as known.
SHAPE_ONLY = {
    "count": None,           # the number of elements over some axes
    "zeros_like": (0,),
    "broadcast_like": (1,),  # the target shape
    "sum_to": (1,),
}

#: The ops a known scalar operand is put into as a number (becoming ``elementwise``).
TAKES_NUMBERS = ("elementwise", "add", "sub", "mul", "div")

#: A known value larger than this many elements is left to run time.
MAX_ELEMENTS = 1 << 16


def fold_constants(graph, outputs):
    """A graph in which no scalar known at compile time is computed at run time where an
    element-wise node can hold it as a number.

    Known are constants, a ``count`` over static dimensions (a named dimension such as N
    is not), and every op over known operands (computed by the op's ``reference``). Each
    known scalar feeding an ``elementwise`` node, or an add, sub, mul or div, is put into
    its formula, where SymPy's automatic evaluation simplifies it (the seed ``1.0`` and the
    count ``1`` vanish from the neuron's ``dloss_dz``); a node whose formula is then a bare
    operand is bypassed (its users read that operand) unless it is an output or named by
    the user. Left as they were: a user's literal in ``x * 2``, a constant or forward node
    the user named, a known tensor, and a known value feeding any other op (the editing
    API never gives a node a later operand, and a new constant would be later). Outputs
    keep their ids, names and values; the graph given is not changed (a copy is returned,
    or the same graph when nothing folds).
    """
    known, keep = known_values(graph), set(outputs)
    work, touched = Writable(graph), set()
    for v in walk.order(graph):
        record = work.graph.record(v)
        if v in known or record.op not in TAKES_NUMBERS:
            continue
        touched |= _fold_into(work, v, known, keep)
    if not touched:
        return graph
    prune(work.edit(), touched, keep=keep)
    return work.graph


def _fold_into(work, v, known, outputs):
    """Put the known scalars among ``v``'s operands into its formula; the ids this left
    without a use (or bypassed)."""
    graph = work.graph
    record = graph.record(v)
    operands = graph.operands(v)
    numbers = {i: number(known[u]) for i, u in enumerate(operands)
               if _takes(graph, u, known)}
    if not numbers:
        return set()
    expr = formula_of(record).xreplace({arg(i): n for i, n in numbers.items()})
    mapping = {arg(i): u for i, u in enumerate(operands) if i not in numbers}
    rebuilt = as_elementwise(graph, v, expr, mapping) if mapping else None
    if rebuilt is None:
        return set()
    canon, kept = rebuilt
    target = bare(canon, kept)
    stays = target is None or user_named(record)
    if record.op != "elementwise" and stays and _literals_only(graph, operands, numbers):
        return set()  # x * 2 as the user wrote it
    gone = {operands[i] for i in numbers}
    if target is not None and v not in outputs and not user_named(record):
        rewire_users(work.edit(), v, target)
        return gone | {v}
    work.edit().replace(v, "elementwise", kept, {"expr": canon}, note=record.note)
    return gone


def _takes(graph, u, known):
    """Operand ``u`` goes into a formula as a number: a known scalar nobody named."""
    return u in known and known[u].shape == () and not user_named(graph.record(u))


def _literals_only(graph, operands, numbers):
    return all(graph.record(operands[i]).role == "const" for i in numbers)


def known_values(graph):
    """``{id: array}`` for every node whose value is known at compile time (up to
    MAX_ELEMENTS elements): constants, counts over static dimensions, ops over them."""
    known = {}
    for v in walk.order(graph):
        record = graph.record(v)
        if record.op == "const":
            known[v] = np.asarray(record.value)
        elif record.op not in LEAVES and _static(record.shape):
            value = _evaluate(graph, v, record, known)
            if value is not None:
                known[v] = value
    return known


def _static(shape):
    return all(isinstance(d, int) for d in shape) and math.prod(shape) <= MAX_ELEMENTS


def _evaluate(graph, v, record, known):
    """The node's value by its op's reference, when every operand is known or read for a
    static shape only; else None."""
    shape_only = SHAPE_ONLY.get(record.op, ())
    values = []
    for slot, u in enumerate(graph.operands(v)):
        operand = graph.record(u)
        if u in known:
            values.append(known[u])
        elif (shape_only is None or slot in shape_only) and _static(operand.shape):
            values.append(np.broadcast_to(np.zeros((), operand.dtype), operand.shape))
        else:
            return None
    try:
        with np.errstate(all="ignore"):
            value = ops.get(record.op).reference(dict(record.attrs), *values)
        value = np.array(value, dtype=record.dtype)
    except (GraphcError, ValueError, TypeError, ArithmeticError):
        return None
    return value if value.shape == record.shape else None
