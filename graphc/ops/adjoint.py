"""The ops only gradients create: the adjoints of broadcasting, fan-out, means, matrix
products, class labels and indexing. Each keeps the family of the ops it serves, so its
diagram colour is theirs.

Gradient rules, one identity each:
  broadcast_like(x, like):    dx = sum_to(ct, like=x)        (each is the other's adjoint)
  sum_to(x, like):            dx = broadcast_like(ct, like=x)
  zeros_like(x):              none (it depends on x's shape only)
  identity(x):                dx = ct
  add_n(x0, x1, ...):         dx_i = sum_to(ct, like=x_i)
  count(x0, ..., axes):       none (a number of elements, not a value)
  outer(u, v):                du = ct @ v                    dv = u @ ct
  one_hot(labels, like):      none (integer labels and a shape)
  softmax_minus_one_hot(p, labels):  dp = ct   (p - one_hot(labels), with no one-hot array)
  index_put(v, like, index):  dv = ct[index]
Unlike the layout in ARCHITECTURE.md, the gradient ops of conv2d and of pooling stay beside
their forward ops in ``conv.py`` and ``pool.py``, on purpose: they share the im2col helpers,
and their adjoint identities are stated together.

``broadcast_like(x, like, axes)`` is ``x`` with size-1 axes inserted at ``axes``, broadcast
to ``like``'s shape; ``sum_to(x, like, axes)`` sums ``x`` back down to ``like``'s shape (and
drops ``axes``). Both read the target shape from ``like`` at run time, so named dimensions
need no value when the graph is built. ``count`` is the number of elements over some axes,
read from the runtime shape in the same way: the divisor of a mean. ``index_put(ct, x,
index)`` is zeros of x's shape with ct written where ``x[index]`` read.
"""

import functools
import math

import numpy as np
import sympy as sp

from ..errors import ShapeError
from .. import shapes
from . import notation
from .nn import check_labels, first_bad
from .registry import OpDef, TestSpec, register
from .shape import check_index, index_shape, index_text, notation_of, python_index


# ---- broadcast_like and sum_to -----------------------------------------------------------

def _axes_of(small):
    """The ``prepare`` of an op whose ``axes`` are inserted into operand ``small``'s shape:
    they index the expanded shape, of rank ``len(small.shape) + len(axes)`` (the gradient
    of sum_to, a broadcast_like, has its small operand first; sum_to has it second)."""
    def prepare(attrs, args):
        axes = attrs.get("axes") or ()
        axes = (axes,) if isinstance(axes, int) else tuple(axes)
        rank = len(args[small].shape) + len(axes)
        return {"axes": shapes.normalize_axes(axes, rank, "broadcast", args[small])}
    return prepare


def _check_fits(small, big, op, args):
    padded = shapes.Arg("", "", small, "float64")
    target = shapes.Arg("", "", big, "float64")
    try:
        fits = shapes.broadcast([padded, target], op) == tuple(big)
    except ShapeError:
        fits = False
    if not fits or len(small) > len(big):
        raise ShapeError(f"{op}: {shapes.describe(args[0])} does not broadcast against "
                         f"{shapes.describe(args[1])}")


def _infer_broadcast_like(attrs, args):
    x, like = args
    _check_fits(shapes.expand(x.shape, attrs["axes"]), like.shape, "broadcast_like", args)
    return tuple(like.shape), x.dtype


def _infer_sum_to(attrs, args):
    x, like = args
    _check_fits(shapes.expand(like.shape, attrs["axes"]), x.shape, "sum_to", args)
    return tuple(like.shape), x.dtype


def _reference_broadcast_like(attrs, x, like):
    x = np.asarray(x)
    if attrs["axes"]:
        x = np.expand_dims(x, attrs["axes"])
    return np.broadcast_to(x, np.shape(like))


def _reference_sum_to(attrs, x, like):
    _, summed = _summed_axes(np.shape(x), np.shape(like), attrs["axes"])
    return np.sum(x, axis=summed, keepdims=True).reshape(np.shape(like))


# What generated modules call; written apart from the references above so that the
# reference interpreter stays an independent oracle for the generated code.

def _np_broadcast_like(x, shape, axes=()):
    """``x`` with size-1 axes inserted at ``axes``, broadcast to ``shape`` (a view)."""
    return np.broadcast_to(np.expand_dims(x, axes) if axes else x, shape)


register(OpDef(
    name="broadcast_like", family="shape", arity=2, attrs=("axes",), nondiff=(1,),
    rules=("d broadcast({0})/d{0} = sum_to(ct, {0})",),
    notation=lambda attrs, shapes_, x, like: x,  # broadcasting is implicit in the notation
    numpy="_np_broadcast_like({0}, np.shape({1}), axes={axes})",
    helpers=(_np_broadcast_like,),
    prepare=_axes_of(0), infer=_infer_broadcast_like, reference=_reference_broadcast_like,
    # d broadcast(x)/dx = ct summed back to x's shape
    vjp=lambda b, node, ct, needs: [
        b.op("sum_to", ct, node.operands[0], axes=node.attrs["axes"]), None],
    test=TestSpec(inputs=(("float", (3,), -2.0, 2.0), ("float", (2, 3), -2.0, 2.0))),
    doc="x (with size-1 axes inserted at axes) broadcast to the shape of like"))


def _summed_axes(x_shape, like_shape, axes):
    """The axes of x that sum_to sums: its extra leading axes and those broadcast from 1.
    Known when the graph is built: a named dimension such as N is never taken for a 1."""
    target = shapes.expand(like_shape, axes)
    lead = len(x_shape) - len(target)
    return lead, tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(target) if d == 1 and x_shape[lead + i] != 1)


def _numpy_sum_to(attrs, operand_shapes):
    """The sum written out, so a bias gradient reads ``dloss_dz.sum(axis=0)`` (the method:
    np.sum's Python wrapper costs a microsecond a call, much of a small layer's sum)."""
    lead, summed = _summed_axes(*operand_shapes, attrs["axes"])
    axis = summed[0] if len(summed) == 1 else summed
    if not summed:
        return "np.reshape({0}, np.shape({1}))"
    if summed == tuple(range(lead)) and not attrs["axes"]:
        return f"{{0}}.sum(axis={axis})"
    return f"{{0}}.sum(axis={axis}, keepdims=True).reshape(np.shape({{1}}))"


def _notation_sum_to(attrs, operand_shapes, x):
    """``sum(x, axis=0)`` for the axes broadcasting added, written as the sum it is."""
    _, summed = _summed_axes(*operand_shapes, attrs["axes"])
    return notation.reduce("sum", x, summed) if summed else x


register(OpDef(
    name="sum_to", family="shape", arity=2, attrs=("axes",), nondiff=(1,),
    rules=("d sum_to({0})/d{0} = ct broadcast to {0}'s shape",),
    notation=lambda attrs, shapes_, x, like: _notation_sum_to(attrs, shapes_, x),
    numpy=_numpy_sum_to,
    prepare=_axes_of(1), infer=_infer_sum_to, reference=_reference_sum_to,
    # d sum_to(x)/dx = ct broadcast back to x's shape
    vjp=lambda b, node, ct, needs: [
        b.op("broadcast_like", ct, node.operands[0], axes=node.attrs["axes"]), None],
    test=TestSpec(inputs=(("float", (2, 3), -2.0, 2.0), ("float", (3,), -2.0, 2.0))),
    doc="x summed down to the shape of like (the gradient of broadcasting)"))


# ---- zeros_like, identity, add_n ---------------------------------------------------------

register(OpDef(
    name="zeros_like", family="shape", arity=1, nondiff=(0,),
    notation=lambda attrs, shapes_, x: sp.S.Zero,
    exact=lambda attrs, x: np.full(np.shape(x), sp.S.Zero, dtype=object),
    infer=lambda attrs, args: (tuple(args[0].shape), args[0].dtype),
    reference=lambda attrs, x: np.zeros(np.shape(x), dtype=np.asarray(x).dtype),
    numpy="np.zeros(np.shape({0}), dtype={dtype})",
    vjp=lambda b, node, ct, needs: [None],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), grad=False),
    doc="zeros of x's shape: the gradient of a node the output does not depend on"))

register(OpDef(
    name="identity", family="shape", arity=1, notation=lambda attrs, shapes_, x: x,
    rules=("d {0}/d{0} = ct",), view="view",
    infer=lambda attrs, args: (tuple(args[0].shape), args[0].dtype),
    reference=lambda attrs, x: np.array(x, copy=True), numpy="{0}",  # run() copies outputs
    vjp=lambda b, node, ct, needs: [ct],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),)),
    doc="a copy of x, under a name of its own"))


def _infer_add_n(attrs, args):
    return shapes.broadcast(args, "add_n"), shapes.promote(args, "add_n")


register(OpDef(
    name="add_n", family="elementwise", arity=None, infer=_infer_add_n,
    rules=("d(sum of the parts)/d{x} = ct",),
    notation=lambda attrs, shapes_, *xs: sp.Add(*xs),
    reference=lambda attrs, *xs: functools.reduce(np.add, xs),
    numpy="{0} + {1}",  # a left fold over any number of operands, a few terms a line
    vjp=lambda b, node, ct, needs: [
        b.sum_to(ct, x) if need else None for x, need in zip(node.operands, needs)],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),) * 3),
    doc="the sum of its operands: where a node fans out, what flows back to it"))


# ---- count -------------------------------------------------------------------------------

def _prepare_count(attrs, args):
    shape = shapes.broadcast(args, "count")
    probe = shapes.Arg(args[0].name, args[0].op, shape, args[0].dtype)
    return {"axes": shapes.normalize_axes(attrs.get("axes"), len(shape), "count", probe)}


def _count(attrs, xs):
    shape = np.broadcast_shapes(*[np.shape(x) for x in xs])
    return sp.Integer(math.prod(shape[i] for i in attrs["axes"]))


def count_notation(attrs, operand_shapes):
    """The count as a number, or as the product of named dimensions such as N."""
    shape = shapes.broadcast([shapes.Arg("", "", s, "float64") for s in operand_shapes],
                             "count")
    return sp.Mul(*[sp.Symbol(d, positive=True, integer=True) if isinstance(d, str)
                    else sp.Integer(d) for d in (shape[i] for i in attrs["axes"])])


def _reference_count(attrs, *xs):
    dtype = shapes.float_of(np.result_type(*xs).name)
    return np.asarray(int(_count(attrs, xs)), dtype=dtype)


def _np_count(*xs, axes):
    """The number of elements of the operands' broadcast shape over ``axes``, as a float of
    their dtype (float64 for integers): the divisor of a mean."""
    shape = np.broadcast_shapes(*[np.shape(x) for x in xs])
    dtype = np.result_type(*xs)
    n = 1
    for a in axes:
        n *= shape[a]
    return np.asarray(n, dtype=dtype if dtype.kind == "f" else np.float64)


def _numpy_count(attrs, operand_shapes):
    """The count read from the operands' shapes: ``x.shape[0]``, ``x.size``, or
    ``x.shape[0] * y.shape[1]`` (each axis from an operand that has it at full size)."""
    rank = max(len(s) for s in operand_shapes)
    padded = [(None,) * (rank - len(s)) + tuple(s) for s in operand_shapes]
    full = shapes.broadcast([shapes.Arg("", "", s, "float64") for s in operand_shapes],
                            "count")
    axes = tuple(attrs["axes"])
    for k, s in enumerate(padded):
        if len(operand_shapes[k]) == rank and axes == tuple(range(rank)) and s == full:
            return f"{{{k}}}.size" if rank else "1"
    reads = []
    for a in axes:
        k = next((k for k, s in enumerate(padded) if s[a] == full[a]), None)
        if k is None:  # every operand broadcasts here (no operand holds the axis)
            return "_np_count({operands}, axes={axes})"
        reads.append(f"{{{k}}}.shape[{a - (rank - len(operand_shapes[k]))}]")
    return " * ".join(reads) if reads else "1"


register(OpDef(
    name="count", family="reduce", arity=None, attrs=("axes",), prepare=_prepare_count,
    view="shape",
    notation=lambda attrs, shapes_, *xs: count_notation(attrs, shapes_),
    exact=lambda attrs, *xs: np.asarray(_count(attrs, xs), dtype=object),
    numpy=_numpy_count, helpers=(_np_count,),
    infer=lambda attrs, args: ((), shapes.float_of(shapes.promote(args, "count"))),
    reference=_reference_count,
    vjp=lambda b, node, ct, needs: [None] * len(needs),  # depends on shapes, not values
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), attrs={"axes": (0,)},
                  grad=False),
    doc="the number of elements of the operands' broadcast shape over axes (all by "
        "default), as a float; the divisor of a mean"))


# ---- outer -------------------------------------------------------------------------------

def _infer_outer(attrs, args):
    u, v = args
    if len(u.shape) != 1 or len(v.shape) != 1:
        raise ShapeError(f"outer of {shapes.describe(u)} and {shapes.describe(v)}: "
                         f"both operands must be vectors")
    return (u.shape[0], v.shape[0]), shapes.promote(args, "outer")


register(OpDef(
    name="outer", family="linalg", arity=2, infer=_infer_outer,
    rules=("d outer({0}, {1})/d{0} = ct @ {1}", "d outer({0}, {1})/d{1} = {0} @ ct"),
    notation=lambda attrs, shapes_, u, v: notation.Outer(u, v),
    reference=lambda attrs, u, v: np.multiply.outer(u, v), numpy="np.multiply.outer({0}, {1})",
    # d outer(u, v)/du = ct @ v; d/dv = u @ ct
    vjp=lambda b, node, ct, needs: [
        ct @ node.operands[1] if needs[0] else None,
        node.operands[0] @ ct if needs[1] else None],
    test=TestSpec(inputs=(("float", (3,), -2.0, 2.0), ("float", (4,), -2.0, 2.0))),
    doc="outer product of two vectors: (m,) x (k,) -> (m, k)"))


# ---- one_hot -----------------------------------------------------------------------------

def _infer_one_hot(attrs, args):
    labels, like = args
    if labels.dtype not in shapes.INTS or tuple(like.shape[:-1]) != tuple(labels.shape):
        raise ShapeError(f"one_hot: labels {shapes.describe(labels)} ({labels.dtype}) must "
                         f"be integers of shape {shapes.fmt(like.shape[:-1])}")
    return tuple(like.shape), shapes.float_of(like.dtype)


def _np_one_hot(labels, like, where=""):
    """One-hot rows of ``labels`` as wide as ``like``'s last axis, in ``like``'s dtype."""
    classes = np.shape(like)[-1]
    check_labels(labels, classes, where)
    return (labels[..., None] == np.arange(classes)).astype(np.asarray(like).dtype)


register(OpDef(
    name="one_hot", family="nn", arity=2, nondiff=(0, 1), infer=_infer_one_hot,
    notation=lambda attrs, shapes_, labels, like: notation.OneHot(labels),
    exact=lambda attrs, labels, like: _exact_one_hot(labels, np.shape(like)[-1]),
    numpy="_np_one_hot({0}, {1}, {node})", helpers=(_np_one_hot, check_labels, first_bad),
    reference=lambda attrs, labels, like: _np_one_hot(labels, like),
    vjp=lambda b, node, ct, needs: [None, None],
    test=TestSpec(inputs=(("labels", (4,), 3), ("float", (4, 3), -2.0, 2.0)), grad=False),
    doc="one-hot rows of integer labels, as wide as like's last axis"))


def _exact_one_hot(labels, classes):
    check_labels(labels, classes)
    hot = np.asarray(labels)[..., None] == np.arange(classes)
    return np.where(hot, sp.S.One, sp.S.Zero).astype(object)


# ---- softmax_minus_one_hot ---------------------------------------------------------------

def _infer_minus_one_hot(attrs, args):
    p, labels = args
    shapes.require_float(p, "softmax_minus_one_hot")
    if not p.shape or labels.dtype not in shapes.INTS or tuple(p.shape[:-1]) != tuple(
            labels.shape):
        raise ShapeError(f"softmax_minus_one_hot of {shapes.describe(p)}: labels "
                         f"{shapes.describe(labels)} ({labels.dtype}) must be integers of "
                         f"shape {shapes.fmt(p.shape[:-1])}")
    return tuple(p.shape), p.dtype


def _np_softmax_minus_one_hot(p, labels, where=""):
    """``p - one_hot(labels)`` with no one-hot array: a copy of ``p`` less one at each
    row's label (cross_entropy's gradient from its softmax p, before the mean)."""
    classes = np.shape(p)[-1]
    check_labels(labels, classes, where)
    out = np.array(p, copy=True)
    rows = out.reshape(-1, classes)  # a view: the copy is contiguous
    rows[np.arange(rows.shape[0]), np.ravel(labels)] -= 1
    return out


register(OpDef(
    name="softmax_minus_one_hot", family="nn", arity=2, nondiff=(1,),
    infer=_infer_minus_one_hot,
    rules=("d({0} - one_hot({1}))/d{0} = ct",),
    notation=lambda attrs, shapes_, p, labels: p - notation.OneHot(labels),
    exact=lambda attrs, p, labels: p - _exact_one_hot(labels, np.shape(p)[-1]),
    numpy="_np_softmax_minus_one_hot({0}, {1}, {node})",
    helpers=(_np_softmax_minus_one_hot, check_labels, first_bad),
    reference=lambda attrs, p, labels: p - _np_one_hot(labels, p),
    vjp=lambda b, node, ct, needs: [ct, None],  # d(p - one_hot(labels))/dp = ct
    test=TestSpec(inputs=(("float", (4, 3), 0.0, 1.0), ("labels", (4,), 3))),
    doc="p - one_hot(labels) for rows p (C,) or (N, C), with no one-hot array: what "
        "passes.share_softmax makes of cross_entropy's gradient from its softmax p"))


# ---- index_put ---------------------------------------------------------------------------

def _infer_index_put(attrs, args):
    values, like = args
    where = f"index_put of {shapes.describe(values)} at [{index_text(attrs['index'])}] " \
            f"of {shapes.describe(like)}"
    expected = index_shape(attrs["index"], like, where)
    if tuple(values.shape) != expected:
        raise ShapeError(f"{where}: the values must have shape {shapes.fmt(expected)}")
    return tuple(like.shape), values.dtype


def _reference_index_put(attrs, values, like):
    values = np.asarray(values)
    out = np.zeros(np.shape(like), dtype=values.dtype)
    # item(): an object array stores a 0-d array put at one element as that array, not as
    # its value (exact values would then hold arrays inside sums)
    out[python_index(attrs["index"])] = values.item() if values.ndim == 0 else values
    return out


def _np_index_put(values, like, index):
    """Zeros of ``like``'s shape with ``values`` at ``index``: the gradient of indexing."""
    out = np.zeros(np.shape(like), dtype=np.result_type(values))
    out[index] = values
    return out


register(OpDef(
    name="index_put", family="shape", arity=2, attrs=("index",), nondiff=(1,),
    rules=("d index_put({0})/d{0} = ct at the index",),
    prepare=lambda attrs, args: {"index": check_index(attrs.get("index"), args[1])},
    infer=_infer_index_put, reference=_reference_index_put,
    numpy=lambda attrs, shapes_: f"_np_index_put({{0}}, {{1}}, "
                                 f"np.s_[{index_text(attrs['index'])}])",
    helpers=(_np_index_put,),
    notation=lambda attrs, shapes_, v, like: notation_of(
        "index_put", f"[{index_text(attrs['index'])}]", len(shapes_[1]))(v),
    # d index_put(v)/dv = ct read back at index
    vjp=lambda b, node, ct, needs: [b.op("getitem", ct, index=node.attrs["index"]), None],
    test=TestSpec(inputs=(("float", (2, 1, 5), -2.0, 2.0), ("float", (3, 4, 5), -2.0, 2.0)),
                  attrs={"index": (1, (None, None, -2), None, "...")}),
    doc="zeros of like's shape with values written at index (the gradient of x[index])"))
