"""Shape plumbing that gradients need: broadcast_like and its adjoint sum_to, zeros_like,
identity and add_n; and the shape ops of layers: reshape and concat.

``broadcast_like(x, like, axes)`` is ``x`` with size-1 axes inserted at ``axes``, broadcast
to ``like``'s shape; ``sum_to(x, like, axes)`` sums ``x`` back down to ``like``'s shape (and
drops ``axes``). Each is the other's gradient. Both read the target shape from ``like`` at
run time, so named dimensions need no value when the graph is built.
"""

import functools
import itertools
import math

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from ..errors import ShapeError
from .. import shapes
from . import notation
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


# ---- reshape and concat ------------------------------------------------------------------

_CLASSES = itertools.count()


@functools.lru_cache(maxsize=None)
def notation_of(label, text):
    """``label(x, text)`` (``x[text]`` for getitem) for a tensor x whose static part, a shape
    or an index, is ``text``: one class per text, so SymPy sees one argument and can
    differentiate around it."""
    def _sympystr(self, printer):
        if label == "getitem":
            return f"{_atom(printer, self.args[0])}[{text}]"
        return f"{label}({printer.doprint(self.args[0])}, {text})"

    def _latex(self, printer):
        if label == "getitem":
            return rf"{_atom(printer, self.args[0])}\left[{text}\right]"
        name = label.replace("_", r"\_")
        return rf"\operatorname{{{name}}}\left({printer.doprint(self.args[0])}, {text}\right)"

    return type(f"Notation_{label}_{next(_CLASSES)}", (sp.Function,),
                {"nargs": 1, "_sympystr": _sympystr, "_latex": _latex})


def _atom(printer, expr):
    """``expr`` printed, in parentheses unless it is a symbol or a call."""
    return printer.parenthesize(expr, PRECEDENCE["Func"], strict=True)


def _dims(shape, what):
    """``shape`` as a tuple of ints >= -1 and names (an int n means (n,))."""
    dims = (shape,) if isinstance(shape, (int, str, np.integer)) else shape
    try:
        dims = tuple(int(d) if isinstance(d, np.integer) else d for d in dims)
    except TypeError:
        raise ShapeError(f"{what}: the shape must be a tuple of ints and names, got "
                         f"{shape!r}") from None
    for d in dims:
        ok = (isinstance(d, int) and not isinstance(d, bool) and d >= -1) or (
            isinstance(d, str) and d.isidentifier() and d.isascii())
        if not ok:
            raise ShapeError(f"{what}: each dimension must be an int >= 0, -1 (inferred) "
                             f"or a name such as 'N', got {d!r} in {shape!r}")
    if dims.count(-1) > 1:
        raise ShapeError(f"{what}: at most one dimension may be -1, got {shapes.fmt(dims)}")
    return dims


def _resolve_reshape(x, target, where):
    """The target shape with -1 worked out. Named dimensions of x must keep their place,
    with every dimension before them: (N, C, H, W) -> (N, -1) is (N, C*H*W)."""
    keep = 1 + max((i for i, d in enumerate(x.shape) if isinstance(d, str)), default=-1)
    head = [x.shape[i] if i < len(target) and target[i] == -1 else d
            for i, d in enumerate(target[:keep])]
    tail = list(target[keep:])
    if tuple(head) != tuple(x.shape[:keep]) or any(isinstance(d, str) for d in tail):
        raise ShapeError(f"{where}: a named dimension such as {_first_name(x.shape, target)} "
                         f"must keep its place, with every dimension before it")
    size = math.prod(x.shape[keep:])
    known = math.prod(d for d in tail if d != -1)
    if -1 in tail and known and size % known == 0:
        tail[tail.index(-1)] = size // known
    if math.prod(tail) != size or -1 in tail:
        kept = (f" after the {shapes.fmt(x.shape[:keep])} kept in place (a named dimension "
                f"such as {_first_name(x.shape)} is never merged with others)" if keep else "")
        raise ShapeError(f"{where}: the {size} elements of {shapes.fmt(x.shape[keep:])} do "
                         f"not fit {shapes.fmt(tuple(target[keep:]))}{kept}")
    return tuple(head + tail)


def _first_name(*shape_list):
    names = [d for s in shape_list for d in s if isinstance(d, str)]
    return names[0] if names else "N"


def _prepare_reshape(attrs, args):
    x = args[0]
    target = _dims(attrs.get("shape"), f"reshape of {shapes.describe(x)}")
    where = f"reshape of {shapes.describe(x)} to {shapes.fmt(target)}"
    return {"shape": _resolve_reshape(x, target, where)}


def _infer_reshape(attrs, args):
    x = args[0]
    if _resolve_reshape(x, attrs["shape"], "reshape") != tuple(attrs["shape"]):
        raise ShapeError(f"reshape of {shapes.describe(x)}: bad target "
                         f"{shapes.fmt(attrs['shape'])}")
    return tuple(attrs["shape"]), x.dtype


def _reference_reshape(attrs, x):
    target = [np.shape(x)[i] if isinstance(d, str) else d
              for i, d in enumerate(attrs["shape"])]
    return np.reshape(x, target)


def _numpy_reshape(attrs, operand_shapes):
    """``np.reshape(x, (2, 6))``; named dimensions are read from x: ``np.shape(x)[:1]``."""
    target = tuple(attrs["shape"])
    keep = 1 + max((i for i, d in enumerate(target) if isinstance(d, str)), default=-1)
    if not keep:
        return f"np.reshape({{0}}, {shapes.fmt(target)})"
    rest = f" + {shapes.fmt(target[keep:])}" if target[keep:] else ""
    return f"np.reshape({{0}}, np.shape({{0}})[:{keep}]{rest})"


register(OpDef(
    name="reshape", family="shape", arity=1, attrs=("shape",), prepare=_prepare_reshape,
    infer=_infer_reshape, reference=_reference_reshape, numpy=_numpy_reshape,
    notation=lambda attrs, shapes_, x: notation_of("reshape", shapes.fmt(attrs["shape"]))(
        x),
    # d reshape(x)/dx = ct reshaped back to x's shape
    vjp=lambda b, node, ct, needs: [b.op("reshape", ct, shape=node.operands[0].shape)],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), attrs={"shape": (2, -1)}),
    doc="the same elements in another shape (one -1 is inferred; named dimensions keep "
        "their place): (N, C, H, W) -> (N, -1)"))


def _prepare_concat(attrs, args):
    (axis,) = shapes.normalize_axes(attrs.get("axis", 0), len(args[0].shape), "concat",
                                    args[0])
    return {"axis": axis}


def _infer_concat(attrs, args):
    axis, first = attrs["axis"], args[0]
    where = "concat of " + ", ".join(shapes.describe(a) for a in args) + f" along axis {axis}"
    for a in args:
        same_rank = len(a.shape) == len(first.shape)
        if not same_rank or any(d != e for i, (d, e) in enumerate(zip(a.shape, first.shape))
                                if i != axis):
            raise ShapeError(f"{where}: the shapes must agree on every other axis")
    sizes = [a.shape[axis] for a in args]
    if len(args) > 1 and any(isinstance(d, str) for d in sizes):
        raise ShapeError(f"{where}: cannot join along the named dimension "
                         f"{_first_name(sizes)}")
    total = sizes[0] if len(args) == 1 else sum(sizes)
    dims = list(first.shape)
    dims[axis] = total
    return tuple(dims), shapes.promote(args, "concat")


def _vjp_concat(b, node, ct, needs):
    """d concat(x0, x1, ...)/dx_i = the slice of ct along axis where x_i was put."""
    axis, grads, start = node.attrs["axis"], [], 0
    if len(needs) == 1:
        return [ct]
    for x, need in zip(node.operands, needs):
        size = x.shape[axis]  # an int: a named dimension cannot be joined
        index = ((None, None, None),) * axis + ((start, start + size, None),)
        grads.append(b.op("getitem", ct, index=index) if need else None)
        start += size
    return grads


class _Concat(sp.Function):
    """``concat((a, b), axis=1)``: the tensors, then the axis."""

    def _sympystr(self, printer):
        xs = ", ".join(printer.doprint(a) for a in self.args[:-1])
        return f"concat(({xs}), axis={self.args[-1]})"

    def _latex(self, printer):
        xs = ", ".join(printer.doprint(a) for a in self.args[:-1])
        return rf"\operatorname{{concat}}_{{{self.args[-1]}}}\left({xs}\right)"

register(OpDef(
    name="concat", family="shape", arity=None, attrs=("axis",), prepare=_prepare_concat,
    infer=_infer_concat, vjp=_vjp_concat,
    reference=lambda attrs, *xs: np.concatenate(xs, axis=attrs["axis"]),
    numpy="np.concatenate([{operands}], axis={axis})",
    notation=lambda attrs, shapes_, *xs: _Concat(*xs, sp.Integer(attrs["axis"])),
    test=TestSpec(inputs=(("float", (3, 1), -2.0, 2.0), ("float", (3, 2), -2.0, 2.0),
                          ("float", (3, 4), -2.0, 2.0)), attrs={"axis": -1}),
    doc="the operands joined along axis (0 by default); they agree on every other axis"))
