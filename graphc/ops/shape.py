"""Shape plumbing that gradients need: broadcast_like and its adjoint sum_to, zeros_like,
identity and add_n.

``broadcast_like(x, like, axes)`` is ``x`` with size-1 axes inserted at ``axes``, broadcast
to ``like``'s shape; ``sum_to(x, like, axes)`` sums ``x`` back down to ``like``'s shape (and
drops ``axes``). Each is the other's gradient. Both read the target shape from ``like`` at
run time, so named dimensions need no value when the graph is built.
"""

import functools

import numpy as np
import sympy as sp

from ..errors import ShapeError
from . import notation, shapes
from .registry import OpDef, TestSpec, register


def _prepare_axes(attrs, args):
    like = args[1]
    axes = attrs.get("axes", ())
    return {"axes": shapes.normalize_axes(axes, len(like.shape), "broadcast", like)}


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
    notation=lambda attrs, shapes_, x, like: x,  # broadcasting is implicit in the notation
    numpy="_np_broadcast_like({0}, np.shape({1}), axes={axes})",
    helpers=(_np_broadcast_like,),
    prepare=_prepare_axes, infer=_infer_broadcast_like, reference=_reference_broadcast_like,
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
    """The sum written out, so a bias gradient reads ``np.sum(dloss_dz, axis=0)``."""
    lead, summed = _summed_axes(*operand_shapes, attrs["axes"])
    axis = summed[0] if len(summed) == 1 else summed
    if not summed:
        return "np.reshape({0}, np.shape({1}))"
    if summed == tuple(range(lead)) and not attrs["axes"]:
        return f"np.sum({{0}}, axis={axis})"
    return f"np.sum({{0}}, axis={axis}, keepdims=True).reshape(np.shape({{1}}))"


def _notation_sum_to(attrs, operand_shapes, x):
    """``sum(x, axis=0)`` for the axes broadcasting added, written as the sum it is."""
    _, summed = _summed_axes(*operand_shapes, attrs["axes"])
    return notation.reduce("sum", x, summed) if summed else x


register(OpDef(
    name="sum_to", family="shape", arity=2, attrs=("axes",), nondiff=(1,),
    notation=lambda attrs, shapes_, x, like: _notation_sum_to(attrs, shapes_, x),
    numpy=_numpy_sum_to,
    prepare=_prepare_axes, infer=_infer_sum_to, reference=_reference_sum_to,
    # d sum_to(x)/dx = ct broadcast back to x's shape
    vjp=lambda b, node, ct, needs: [
        b.op("broadcast_like", ct, node.operands[0], axes=node.attrs["axes"]), None],
    test=TestSpec(inputs=(("float", (2, 3), -2.0, 2.0), ("float", (3,), -2.0, 2.0))),
    doc="x summed down to the shape of like (the gradient of broadcasting)"))

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
    infer=lambda attrs, args: (tuple(args[0].shape), args[0].dtype),
    reference=lambda attrs, x: np.array(x, copy=True), numpy="np.copy({0})",
    vjp=lambda b, node, ct, needs: [ct],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),)),
    doc="a copy of x, under a name of its own"))


def _infer_add_n(attrs, args):
    return shapes.broadcast(args, "add_n"), shapes.promote(args, "add_n")


register(OpDef(
    name="add_n", family="elementwise", arity=None, infer=_infer_add_n,
    notation=lambda attrs, shapes_, *xs: sp.Add(*xs),
    reference=lambda attrs, *xs: functools.reduce(np.add, xs),
    numpy="{0} + {1}",  # a left fold over any number of operands, a few terms a line
    vjp=lambda b, node, ct, needs: [
        b.sum_to(ct, x) if need else None for x, need in zip(node.operands, needs)],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),) * 3),
    doc="the sum of its operands: where a node fans out, what flows back to it"))
