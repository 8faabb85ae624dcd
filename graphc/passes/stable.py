"""Numerically stable rewrites, stated as data: the rows of ``STABLE``.

Each row names the op it rewrites, the op its first operand must be (or any), the op the
node becomes, and how: through that operand (bce of a sigmoid from the sigmoid's logits)
or on the same operands; a row may also guard the gradient nodes that read the first
operand (the clamped bce divides its gradient by max(p (1 - p), 1e-12), as PyTorch does).
For each node, the first row that fits applies.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from ..graph import walk
from ..ops.losses import clamp_bce, logit_quotient
from ..ops.scalar import arg
from .edit import Writable, formula_of


@dataclass(frozen=True)
class Stable:
    """``op(x, ...)``, where ``x`` is an ``inner`` node (any node when None), becomes
    ``to(...)``: on ``x``'s own operand when ``through``, else on the same operands, with the
    attrs of the node (``attrs="outer"``) or of ``x`` (``"inner"``). ``gradient``, if given,
    is (formula, symbol of x) -> formula, applied to the element-wise gradient nodes that
    read ``x``; ``note`` (``gradient_note``) is what the generated code's comment says of
    the rewritten node (gradient node)."""

    op: str
    inner: str | None
    to: str
    through: bool
    attrs: str
    note: str
    gradient: Callable | None = None
    gradient_note: str = ""


STABLE = (
    # bce(sigmoid(z), y) = bce_with_logits(z, y): max(z, 0) - z y + log(1 + exp(-|z|));
    # its gradient stays: sigmoid's out (1 - out) cancels bce's 1/(p (1 - p)) to p - y
    Stable("bce", "sigmoid", "bce_with_logits", through=True, attrs="outer",
           note="bce of a sigmoid, computed from its logits"),
    # bce(p, y) of any other p: logs clamped at -100, 1/(p (1 - p)) at 1/1e-12 (PyTorch)
    Stable("bce", None, "bce_clamped", through=False, attrs="outer",
           note="bce of a probability, its logs clamped at -100", gradient=clamp_bce,
           gradient_note="bce's gradient, clamped as in PyTorch"),
    # log(softmax(z)) = log_softmax(z) = z - logsumexp(z): no log of an underflowed 0
    Stable("log", "softmax", "log_softmax", through=True, attrs="inner",
           note="log of a softmax, as log_softmax"),
)


def rewrite_stable(graph, table=STABLE):
    """Return a graph in which every node that a row of ``table`` fits is rewritten by it.

    Afterwards no binary cross-entropy takes the log of a probability that came from a
    sigmoid, every other one clamps its logs (and its gradient's divisor), and no log is
    taken of a softmax, so logits of any size give a finite loss. Node ids and names are
    kept, and each rewritten node has a ``note``; the graph given is not changed (the same
    graph is returned when no row fits, a copy otherwise).

    >>> stable = rewrite_stable(g)                                # doctest: +SKIP
    >>> stable.record(loss.id).op                                 # doctest: +SKIP
    'bce_with_logits'
    """
    matches = [(v, row) for v in walk.order(graph)
               for row in [_first_fit(graph, v, table)] if row is not None]
    if not matches:
        return graph
    out, guarded = graph.copy(), set()
    for v, row in matches:
        _rewrite(out, v, row, guarded)
    return out


def _first_fit(graph, v, table):
    record = graph.record(v)
    for row in table:
        if row.op == record.op and (
                row.inner is None or graph.record(graph.operands(v)[0]).op == row.inner):
            return row
    return None


def _rewrite(out, v, row, guarded):
    operands = out.operands(v)
    x = operands[0]
    if row.through:
        operands = [out.operands(x)[0], *operands[1:]]
    attrs = out.record(x if row.attrs == "inner" else v).attrs
    out.replace(v, row.to, operands, attrs, note=row.note)
    if row.gradient is not None:
        _guard_gradients(out, x, row, guarded)


def _guard_gradients(out, x, row, guarded):
    """Apply ``row.gradient`` to each element-wise gradient node that reads ``x`` (once)."""
    for u in out.users(x):
        record = out.record(u)
        if u in guarded or record.op != "elementwise" or record.role != "grad":
            continue
        expr = record.attrs["expr"]
        guarded_expr = row.gradient(expr, arg(out.operands(u).index(x)))
        if guarded_expr != expr:
            out.replace(u, "elementwise", out.operands(u), {"expr": guarded_expr},
                        note=row.gradient_note)
            guarded.add(u)


def guard_quotients(graph, outputs):
    """Return a graph in which no gradient that ``fuse_cancelling`` left divides by a
    sigmoid's ``p`` or ``1 - p`` where the sigmoid's logit ``z`` is at hand: bce's
    ``(p - y)/(p (1 - p))`` of a bce computed from its logits (an output, ``dloss_dyhat``
    asked for, or a part of a sum) reads ``z`` and divides by sigmoid(z) and sigmoid(-z),
    clamped at the dtype's smallest normal, and its gradient into ``y`` is ``-z``
    (``ops.losses.logit_quotient``): right in both tails and finite for any ``z``. The
    graph given is not changed."""
    work = Writable(graph)
    for v in walk.order(graph):
        found = _logit_of_quotient(work.graph, v)
        if found is None:
            continue
        p, z = found
        record, operands = graph.record(v), graph.operands(v)
        expr, zs = formula_of(record), arg(len(operands))
        guarded = logit_quotient(expr, arg(operands.index(p)), zs,
                                 sp.Float(float(np.finfo(record.dtype).tiny)))
        if guarded != expr:
            work.edit().replace(v, "elementwise", operands + [z], {"expr": guarded},
                                note=record.note or "bce's gradient, from the logits")
    return work.graph


def _logit_of_quotient(graph, v):
    """(p, z) when ``v`` is an element-wise gradient of a bce that ``rewrite_stable``
    computes from its logits z (into p or y), reading that bce's p = sigmoid(z)."""
    record = graph.record(v)
    if record.op != "elementwise" or record.role != "grad":
        return None
    for m, slot in record.origin:
        if m not in graph.nx or graph.record(m).op != "bce_with_logits":
            continue
        z = graph.operands(m)[0]
        for p in graph.operands(v):
            if graph.record(p).op == "sigmoid" and graph.operands(p) == [z]:
                return p, z
    return None
