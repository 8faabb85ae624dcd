"""Shape ops that arrange copies and axes: stack, squeeze, expand_dims, pad, tile, repeat.

Gradient rules, one identity each:
  stack(x0, x1, ..., axis):  dx_i = ct[..., i, ...]            (the i-th slice along axis)
  squeeze(x, axes):          dx = expand_dims(ct, axes)
  expand_dims(x, axes):      dx = squeeze(ct, axes)
  pad(x, pad_width):         dx = the slice of ct where x was put (the padding gets none)
  tile(x, reps):             dx = ct reshaped to (r0, d0, r1, d1, ...), summed over the r's
  repeat(x, r, axis):        dx = ct reshaped to (..., d, r, ...), summed over the r axis
The copies of tile and repeat each receive ct at their place, so the gradient sums them:
one reshape and one sum, no loop. Named dimensions (N) may stay where no copy is made.
"""

import numpy as np
import sympy as sp

from ..errors import ShapeError
from .. import shapes
from .registry import OpDef, TestSpec, register
from .shape import Joined, notation_of

FULL = (None, None, None)  # ``:`` as getitem's attribute writes it


def _int_attr(value, what, low=0):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < low:
        raise ShapeError(f"{what} must be an int >= {low}, got {value!r}")
    return int(value)


# ---- stack -------------------------------------------------------------------------------

def _prepare_stack(attrs, args):
    rank = len(args[0].shape) + 1
    axis = shapes.normalize_axis(attrs.get("axis", 0), rank, "stack", args[0])
    return {"axis": axis}


def _infer_stack(attrs, args):
    first = args[0]
    for a in args:
        if tuple(a.shape) != tuple(first.shape):
            listed = ", ".join(shapes.describe(a) for a in args)
            raise ShapeError(f"stack of {listed}: the operands must all have one shape")
    dims = list(first.shape)
    dims.insert(attrs["axis"], len(args))
    return tuple(dims), shapes.promote(args, "stack")


def _vjp_stack(b, node, ct, needs):
    """d stack(x0, x1, ...)/dx_i = the i-th slice of ct along axis."""
    axis = node.attrs["axis"]
    return [b.op("getitem", ct, index=(FULL,) * axis + (i,)) if need else None
            for i, need in enumerate(needs)]


class _Stack(Joined):
    """``stack((a, b), axis=0)``: the tensors, then the axis."""

    label = "stack"

    def rank_of(self, ranks):
        return max(ranks[:-1]) + 1


register(OpDef(
    name="stack", family="shape", arity=None, attrs=("axis",), prepare=_prepare_stack,
    rules=("d stack(...)/d{x} = the slice of ct along axis where {x} was put",),
    infer=_infer_stack, vjp=_vjp_stack,
    reference=lambda attrs, *xs: np.stack(xs, axis=attrs["axis"]),
    numpy="np.stack([{operands}], axis={axis})",
    notation=lambda attrs, shapes_, *xs: _Stack(*xs, sp.Integer(attrs["axis"])),
    test=TestSpec(inputs=(("float", (3, 2), -2.0, 2.0), ("float", (3, 2), -2.0, 2.0),
                          ("float", (3, 2), -2.0, 2.0)), attrs={"axis": 1}),
    doc="the operands, all of one shape, joined along a new axis (0 by default)"))


# ---- squeeze and expand_dims -------------------------------------------------------------

def _prepare_squeeze(attrs, args):
    x = args[0]
    axis = attrs["axes"] if "axes" in attrs else attrs.get("axis")
    if axis is None:
        return {"axes": tuple(i for i, d in enumerate(x.shape) if d == 1)}
    axes = shapes.normalize_axes(axis, len(x.shape), "squeeze", x)
    for a in axes:
        if x.shape[a] != 1:
            raise ShapeError(f"squeeze of {shapes.describe(x)}: axis {a} has size "
                             f"{x.shape[a]}, not 1, so it cannot be squeezed")
    return {"axes": axes}


def _prepare_expand(attrs, args):
    x = args[0]
    axis = attrs["axes"] if "axes" in attrs else attrs.get("axis")
    if axis is None:
        raise ShapeError(f"expand_dims of {shapes.describe(x)}: give the axis (an int or "
                         f"a tuple) where the new size-1 axis goes")
    rank = len(x.shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    return {"axes": shapes.normalize_axes(axis, rank, "expand_dims", x)}


register(OpDef(
    name="squeeze", family="shape", arity=1, attrs=("axis", "axes"), view="view",
    prepare=_prepare_squeeze,
    rules=("d squeeze({0})/d{0} = expand_dims(ct) at the squeezed axes",),
    infer=lambda attrs, args: (tuple(d for i, d in enumerate(args[0].shape)
                                     if i not in attrs["axes"]), args[0].dtype),
    reference=lambda attrs, x: np.squeeze(x, axis=attrs["axes"]),
    numpy="np.squeeze({0}, axis={axes})",
    notation=lambda attrs, shapes_, x: notation_of(
        "squeeze", f"axis={attrs['axes']}", len(shapes_[0]) - len(attrs["axes"]))(x),
    vjp=lambda b, node, ct, needs: [b.op("expand_dims", ct, axes=node.attrs["axes"])],
    test=TestSpec(inputs=(("float", (3, 1, 4, 1), -2.0, 2.0),), attrs={"axis": None}),
    doc="x without its size-1 axes (all of them by default, or those of axis)"))

register(OpDef(
    name="expand_dims", family="shape", arity=1, attrs=("axis", "axes"), view="view",
    prepare=_prepare_expand,
    rules=("d expand_dims({0})/d{0} = squeeze(ct) at the new axes",),
    infer=lambda attrs, args: (shapes.expand(args[0].shape, attrs["axes"]), args[0].dtype),
    reference=lambda attrs, x: np.expand_dims(x, attrs["axes"]),
    numpy="np.expand_dims({0}, {axes})",
    notation=lambda attrs, shapes_, x: notation_of(
        "expand_dims", f"axis={attrs['axes']}", len(shapes_[0]) + len(attrs["axes"]))(x),
    vjp=lambda b, node, ct, needs: [b.op("squeeze", ct, axes=node.attrs["axes"])],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), attrs={"axis": (0, -1)}),
    doc="x with a new size-1 axis at axis (an int or a tuple of positions in the result)"))


# ---- pad ---------------------------------------------------------------------------------

def _pad_pairs(pad_width, ndim, where):
    """NumPy's pad_width forms (n, (before, after), or one pair per axis) as one pair of
    ints >= 0 per axis."""
    def pair(p):
        if isinstance(p, (int, np.integer)) and not isinstance(p, bool):
            p = (p, p)
        if not isinstance(p, (tuple, list)) or len(p) != 2:
            raise ShapeError(f"{where}: pad_width must be an int n, a pair (before, after) "
                             f"or one pair per axis, got {pad_width!r}")
        return tuple(_int_attr(v, f"{where}: each padding", 0) for v in p)

    items = pad_width
    if isinstance(items, (tuple, list)) and items and isinstance(items[0], (tuple, list)):
        if len(items) == 1:
            items = list(items) * ndim
        elif len(items) != ndim:
            raise ShapeError(f"{where}: pad_width has {len(items)} pairs for {ndim} axes")
        return tuple(pair(p) for p in items)
    return (pair(items),) * ndim


def _prepare_pad(attrs, args):
    x = args[0]
    where = f"pad of {shapes.describe(x)}"
    if not x.shape:
        raise ShapeError(f"{where}: a scalar has no axis to pad")
    pairs = _pad_pairs(attrs.get("pad_width"), len(x.shape), where)
    for axis, (d, p) in enumerate(zip(x.shape, pairs)):
        if isinstance(d, str) and p != (0, 0):
            raise ShapeError(f"{where}: axis {axis} has the named size {d}, which cannot "
                             f"be padded (give it (0, 0))")
    value = attrs.get("value", 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ShapeError(f"{where}: value must be a number, got {value!r}")
    return {"pad_width": pairs, "value": float(value)}


def _infer_pad(attrs, args):
    x = args[0]
    dims = tuple(d if isinstance(d, str) else d + p + q
                 for d, (p, q) in zip(x.shape, attrs["pad_width"]))
    return dims, x.dtype


def _vjp_pad(b, node, ct, needs):
    """d pad(x)/dx = ct without the padding: the slice where x was put."""
    index = tuple((p or None, -q if q else None, None) for p, q in node.attrs["pad_width"])
    return [b.op("getitem", ct, index=index)]


def _pad_text(attrs):
    """``pad(x, ((1, 1),), value=2.0)``: the value is written unless it is 0."""
    value = attrs["value"]
    return f"{attrs['pad_width']}" + (f", value={value:g}" if value else "")


def _exact_pad(attrs, x):
    value = sp.nsimplify(attrs["value"])
    return np.pad(np.asarray(x, dtype=object), attrs["pad_width"], constant_values=value)


register(OpDef(
    name="pad", family="shape", arity=1, attrs=("pad_width", "value"), prepare=_prepare_pad,
    rules=("d pad({0})/d{0} = the slice of ct where {0} was put",),
    infer=_infer_pad, vjp=_vjp_pad, exact=_exact_pad,
    reference=lambda attrs, x: np.pad(x, attrs["pad_width"], constant_values=attrs["value"]),
    numpy="np.pad({0}, {pad_width}, constant_values={value})",
    notation=lambda attrs, shapes_, x: notation_of("pad", _pad_text(attrs), len(shapes_[0]))(x),
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),),
                  attrs={"pad_width": ((1, 0), (0, 2)), "value": 0.5}),
    doc="x with constant value (0 by default) on each side: pad_width as NumPy takes it, "
        "n, (before, after) or one pair per axis"))


# ---- tile and repeat ---------------------------------------------------------------------

def _check_named_first(x, copied, where):
    """Named dimensions must come before every copied axis: the gradient reshapes ct to
    split the copies off, and a reshape keeps a named dimension only in its place."""
    named = [i for i, d in enumerate(x.shape) if isinstance(d, str)]
    if named and copied and min(copied) <= max(named):
        first = "a new leading axis" if min(copied) < 0 else f"axis {min(copied)}"
        raise ShapeError(f"{where}: the named dimension {x.shape[max(named)]} must come "
                         f"before every axis that is copied ({first})")


def _prepare_tile(attrs, args):
    x = args[0]
    where = f"tile of {shapes.describe(x)}"
    reps = attrs.get("reps")
    reps = (reps,) if isinstance(reps, (int, np.integer)) else reps
    if not isinstance(reps, (tuple, list)) or not reps:
        raise ShapeError(f"{where}: reps must be an int or a tuple of ints, got {reps!r}")
    reps = tuple(_int_attr(r, f"{where}: each of reps", 1) for r in reps)
    # the axes of x copied (reps align with x's last axes); new leading axes count as -1
    copied = [max(-1, i + len(x.shape) - len(reps)) for i, r in enumerate(reps)
              if r > 1 or i < len(reps) - len(x.shape)]
    _check_named_first(x, copied, where)
    return {"reps": reps}


def _tiled(x_shape, reps):
    """x's shape and reps, both padded with leading 1s to one length, as NumPy does."""
    rank = max(len(x_shape), len(reps))
    return ((1,) * (rank - len(x_shape)) + tuple(x_shape),
            (1,) * (rank - len(reps)) + tuple(reps))


def _infer_tile(attrs, args):
    dims, reps = _tiled(args[0].shape, attrs["reps"])
    return tuple(d if r == 1 else d * r for d, r in zip(dims, reps)), args[0].dtype


def _vjp_tile(b, node, ct, needs):
    """d tile(x)/dx = ct reshaped to (r0, d0, r1, d1, ...), summed over the copies."""
    x = node.operands[0]
    dims, reps = _tiled(x.shape, node.attrs["reps"])
    target, summed = [], []
    for d, r in zip(dims, reps):
        if r > 1:
            summed.append(len(target))
            target.append(r)
        target.append(d)
    dx = b.op("sum", b.op("reshape", ct, shape=tuple(target)), axis=tuple(summed)) \
        if summed else ct
    extra = len(dims) - len(x.shape)
    return [b.op("squeeze", dx, axes=tuple(range(extra))) if extra else dx]


register(OpDef(
    name="tile", family="shape", arity=1, attrs=("reps",), prepare=_prepare_tile,
    rules=("d tile({0})/d{0} = ct summed over the copies",),
    infer=_infer_tile, vjp=_vjp_tile,
    reference=lambda attrs, x: np.tile(x, attrs["reps"]),
    numpy="np.tile({0}, {reps})",
    notation=lambda attrs, shapes_, x: notation_of(
        "tile", f"{attrs['reps']}", max(len(shapes_[0]), len(attrs["reps"])))(x),
    test=TestSpec(inputs=(("float", (2, 3), -2.0, 2.0),), attrs={"reps": (2, 1, 3)}),
    doc="x copied reps times along each axis, as np.tile (reps an int or a tuple)"))


def _prepare_repeat(attrs, args):
    x = args[0]
    where = f"repeat of {shapes.describe(x)}"
    repeats = _int_attr(attrs.get("repeats"), f"{where}: repeats (one int)", 1)
    axis = attrs.get("axis")
    if axis is None:
        _check_named_first(x, [0], where)
        return {"repeats": repeats, "axis": None}
    axis = shapes.normalize_axis(axis, len(x.shape), "repeat", x)
    _check_named_first(x, [axis], where)
    return {"repeats": repeats, "axis": axis}


def _infer_repeat(attrs, args):
    x, r, axis = args[0], attrs["repeats"], attrs["axis"]
    if axis is None:
        return (int(np.prod(x.shape, dtype=int)) * r,), x.dtype
    dims = list(x.shape)
    dims[axis] *= r
    return tuple(dims), x.dtype


def _vjp_repeat(b, node, ct, needs):
    """d repeat(x)/dx = ct reshaped to (..., d, r, ...), summed over the r copies."""
    x, r, axis = node.operands[0], node.attrs["repeats"], node.attrs["axis"]
    if axis is None:
        size = int(np.prod(x.shape, dtype=int))
        flat = b.op("sum", b.op("reshape", ct, shape=(size, r)), axis=1)
        return [b.op("reshape", flat, shape=tuple(x.shape))]
    target = tuple(x.shape[:axis + 1]) + (r,) + tuple(x.shape[axis + 1:])
    return [b.op("sum", b.op("reshape", ct, shape=target), axis=axis + 1)]


register(OpDef(
    name="repeat", family="shape", arity=1, attrs=("repeats", "axis"),
    prepare=_prepare_repeat, infer=_infer_repeat, vjp=_vjp_repeat,
    rules=("d repeat({0})/d{0} = ct summed over the copies",),
    reference=lambda attrs, x: np.repeat(x, attrs["repeats"], axis=attrs["axis"]),
    numpy="np.repeat({0}, {repeats}, axis={axis})",
    notation=lambda attrs, shapes_, x: notation_of(
        "repeat", f"{attrs['repeats']}, axis={attrs['axis']}",
        1 if attrs["axis"] is None else len(shapes_[0]))(x),
    test=TestSpec(inputs=(("float", (2, 3), -2.0, 2.0),), attrs={"repeats": 2, "axis": 1}),
    doc="each element of x repeated (an int of times) along axis, as np.repeat; with "
        "axis None, of x flattened"))
