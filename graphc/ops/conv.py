"""Convolution: conv2d on NCHW tensors (cross-correlation, as in PyTorch) and its gradients.

``conv2d(x, w[, b])``: x (N, C, H, W), w (F, C, kh, kw), b (F,) -> (N, F, H', W') with
H' = floor((H - kh + p + s) / s) for p = 2 * padding (padding is per side, as in PyTorch).
Pooling, which shares the window plumbing below, lives in ``pool.py``.

Gradient rules (<y, ct> = <x, input_grad(ct, w)> = <w, weight_grad(x, ct)>, all linear):
  conv2d(x, w, b):           dx = conv2d_input_grad(ct, w, like=x)    (the transposed conv)
                             dw = conv2d_weight_grad(x, ct, like=w)   db = sum(ct, (0, 2, 3))
  conv2d_input_grad(ct, w):  dct = conv2d(u, w)       dw = conv2d_weight_grad(u, ct, like=w)
  conv2d_weight_grad(x, ct): dx = conv2d_input_grad(ct, u, like=x)    dct = conv2d(x, u)
(u: the cotangent flowing into the gradient op), so second derivatives work.

The generated code copies the windows into one contiguous im2col array by a loop over the
kh * kw kernel offsets (each a strided view) and applies the weights with one matrix
product (col2im, for the input's gradient, is the same loop adding back); the references
loop over the offsets with plain products and sums, so they also compute exact values on
object arrays.
"""

import numpy as np

from ..errors import GraphError, ShapeError
from .. import shapes
from . import notation
from .registry import OpDef, TestSpec, register

Conv2d = notation.named("conv2d", (2, 3))
Conv2dInputGrad = notation.named("conv2d_input_grad", 2)
Conv2dWeightGrad = notation.named("conv2d_weight_grad", 2)


# ---- attributes and shapes (shared with pool.py) -----------------------------------------------

def where(op, args, attrs):
    """``conv2d of 'x' (2, 3, 5, 5) and 'w' (4, 3, 3, 3) with stride=(1, 1), ...``."""
    shown = ", ".join(f"{k}={v!r}" for k, v in attrs.items())
    operands = " and ".join(shapes.describe(a) for a in args)
    return f"{op} of {operands}" + (f" with {shown}" if shown else "")


def pair(value, name, op, args, low):
    """``value`` (an int or a pair of ints, each >= ``low``) as a pair; ShapeError if not."""
    ints = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    values = (value, value) if ints else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    ok = values is not None and len(values) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
    if not ok:
        raise ShapeError(f"{where(op, args, {})}: {name} must be an int or a pair of ints, "
                         f"got {value!r}")
    if min(values) < low:
        rule = "positive" if low == 1 else "non-negative"
        raise ShapeError(f"{where(op, args, {})}: {name} {values} must be {rule}")
    return tuple(int(v) for v in values)


def require_image(arg, what, op, args, attrs, named_ok=(0,)):
    """A rank-4 float operand whose dimensions are ints except at ``named_ok``."""
    shapes.require_float(arg, op)
    if len(arg.shape) != 4:
        raise ShapeError(f"{where(op, args, attrs)}: {what} {shapes.describe(arg)} must have "
                         f"rank 4, not {len(arg.shape)}")
    named = [d for i, d in enumerate(arg.shape) if isinstance(d, str) and i not in named_ok]
    if named:
        raise ShapeError(f"{where(op, args, attrs)}: {what} {shapes.describe(arg)} must have "
                         f"int dimensions where it has {', '.join(named)}")


def out_size(image, kernel, stride, padding, op, args, attrs):
    """(H', W') of the windows of an (.., H, W) image; ShapeError if the kernel does not fit."""
    size = []
    for n, k, s, p in zip(image, kernel, stride, padding):
        if k > n + 2 * p:
            full = tuple(n + 2 * p for n, p in zip(image, padding))
            raise ShapeError(f"{where(op, args, attrs)}: kernel {tuple(kernel)} is larger "
                             f"than the padded input {full} (input {tuple(image)} plus "
                             f"padding {tuple(padding)} on each side)")
        size.append((n - k + 2 * p + s) // s)  # the lecture's floor((n - k + p + s) / s)
    return tuple(size)


def require_shape(arg, expected, what, op, args, attrs):
    if tuple(arg.shape) != tuple(expected):
        raise ShapeError(f"{where(op, args, attrs)}: {what} {shapes.describe(arg)} must have "
                         f"shape {shapes.fmt(expected)}")


# ---- what generated modules call: im2col and its adjoint, as loops over the kernel offsets -----

def np_padded(x, padding, fill=0):
    """x (N, C, H, W) padded on each side with ``fill``; x itself, not a copy, for no padding."""
    (ph, pw) = padding
    if ph == pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def np_unpadded(image, padding):
    """The padding cut off ``image`` (N, C, H, W) again: a fresh array, or image itself."""
    (ph, pw), (h, w) = padding, np.shape(image)[2:]
    return image if ph == pw == 0 else image[:, :, ph:h - ph, pw:w - pw].copy()


def np_offsets(shape, kernel, stride, padding):
    """For each kernel offset (i, j), row-major: (i, j) and the index of the elements of the
    padded (N, C, H, W) image of ``shape`` that offset meets, one per window: (.., H', W').

    >>> [at for _, at in np_offsets((1, 1, 3, 3), (2, 2), (1, 1), (0, 0))][1]
    (Ellipsis, slice(0, 2, 1), slice(1, 3, 1))
    """
    oh, ow = ((n - k + 2 * p) // s + 1 for n, k, s, p in zip(shape[2:], kernel, stride,
                                                             padding))
    (sh, sw) = stride
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield (i, j), (Ellipsis, slice(i, i + sh * (oh - 1) + 1, sh),
                           slice(j, j + sw * (ow - 1) + 1, sw))


def np_window_views(x, kernel, stride, padding, fill=0):
    """Each window's element at each kernel offset (row-major) of x (N, C, H, W) padded with
    ``fill``: a list of kh * kw (N, C, H', W') views, so a loop over the offsets is short."""
    padded = np_padded(x, padding, fill)
    return [padded[at] for _, at in np_offsets(np.shape(x), kernel, stride, padding)]


def np_columns(x, kernel, stride, padding):
    """im2col: the zero-padded windows of x (N, C, H, W) as one contiguous
    (N, C, kh * kw, H', W') array; reshaped to (N, C kh kw, H' W') its rows are in the order
    of ``w.reshape(F, -1)``, so one matrix product applies the weights. (A copy a kernel
    offset: twice as fast as np.stack, or as copying a 6-d sliding_window_view.)"""
    views = np_window_views(x, kernel, stride, padding)
    (n, c, oh, ow) = np.shape(views[0])
    cols = np.empty((n, c, len(views), oh, ow), dtype=views[0].dtype)
    for k, view in enumerate(views):
        cols[:, :, k] = view
    return cols


def np_unwindows(cols, shape, stride, padding):
    """``cols`` (N, C, kh, kw, H', W') summed back into an image of ``shape`` (N, C, H, W):
    the adjoint of ``np_columns`` (col2im); a loop over the kernel offsets only."""
    (ph, pw), (n, c, h, w) = padding, shape
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for (i, j), at in np_offsets(shape, np.shape(cols)[2:4], stride, padding):
        out[at] += cols[:, :, i, j]
    return np_unpadded(out, padding)


def _np_conv2d(x, w, b=None, *, stride, padding):
    """Cross-correlation of x (N, C, H, W) with w (F, C, kh, kw), plus b (F,): (N, F, H', W'),
    one matrix product of w as (F, C kh kw) with the columns of x."""
    cols = np_columns(x, np.shape(w)[2:], stride, padding)
    (n, c, k, oh, ow), f = cols.shape, np.shape(w)[0]
    out = np.matmul(np.reshape(w, (f, c * k)), cols.reshape(n, c * k, oh * ow))
    if b is not None:  # in place where the sum keeps out's dtype: out is our own buffer
        b = np.reshape(b, (f, 1))
        out = np.add(out, b, out=out) if np.result_type(out, b) == out.dtype else out + b
    return out.reshape(n, f, oh, ow)


def _np_conv2d_input_grad(ct, w, shape, *, stride, padding):
    """The gradient of conv2d wrt x (a transposed convolution), x of ``shape``: the columns
    w.T @ ct, summed back into the image (col2im)."""
    (n, f, oh, ow), (_, c, kh, kw) = np.shape(ct), np.shape(w)
    cols = np.matmul(np.reshape(w, (f, c * kh * kw)).T, np.reshape(ct, (n, f, oh * ow)))
    return np_unwindows(cols.reshape(n, c, kh, kw, oh, ow), shape, stride, padding)


def _np_conv2d_weight_grad(x, ct, kernel, *, stride, padding):
    """The gradient of conv2d wrt w (F, C, *kernel): ct @ the columns of x, summed over N
    (a product per sample, then a sum: faster than a tensordot, which copies both)."""
    cols = np_columns(x, kernel, stride, padding)
    (n, c, k, oh, ow), f = cols.shape, np.shape(ct)[1]
    cols = cols.reshape(n, c * k, oh * ow).transpose(0, 2, 1)
    dw = np.matmul(np.reshape(ct, (n, f, oh * ow)), cols).sum(axis=0)
    return dw.reshape((f, c) + tuple(kernel))


# ---- references: plain loops over the kernel offsets (object arrays work too) ------------------

def _ref_conv2d(attrs, x, w, b=None):
    xp, s, p = np_padded(x, attrs["padding"]), attrs["stride"], attrs["padding"]
    out = sum((xp[at][:, None] * w[None, :, :, i, j, None, None]).sum(axis=2)
              for (i, j), at in np_offsets(np.shape(x), np.shape(w)[2:], s, p))
    return out if b is None else out + b[None, :, None, None]


def _ref_conv2d_input_grad(attrs, ct, w, like):
    s, (ph, pw) = attrs["stride"], attrs["padding"]
    n, c, h, wd = np.shape(like)
    dxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=np.result_type(ct, w))
    for (i, j), at in np_offsets(np.shape(like), np.shape(w)[2:], s, (ph, pw)):
        dxp[at] += (ct[:, :, None] * w[None, :, :, i, j, None, None]).sum(axis=1)
    return dxp[:, :, ph:ph + h, pw:pw + wd]


def _ref_conv2d_weight_grad(attrs, x, ct, like):
    xp, s, p = np_padded(x, attrs["padding"]), attrs["stride"], attrs["padding"]
    dw = np.zeros(np.shape(like), dtype=np.result_type(x, ct))
    for (i, j), at in np_offsets(np.shape(x), np.shape(like)[2:], s, p):
        dw[:, :, i, j] = (ct[:, :, None] * xp[at][:, None]).sum(axis=(0, 3, 4))
    return dw


# ---- shape rules -------------------------------------------------------------------------------

def _prepare(attrs, args, op):
    return {"stride": pair(attrs.get("stride", 1), "stride", op, args, 1),
            "padding": pair(attrs.get("padding", 0), "padding", op, args, 0)}


def _check_conv(x, w, op, args, attrs):
    """x (N, C, H, W) and w (F, C, kh, kw) checked; the output's (H', W')."""
    require_image(x, "input", op, args, attrs)
    require_image(w, "weights", op, args, attrs, named_ok=())
    if x.shape[1] != w.shape[1]:
        raise ShapeError(f"{where(op, args, attrs)}: channel counts differ: the input has "
                         f"{x.shape[1]} channels, the weights {w.shape[1]}")
    return out_size(x.shape[2:], w.shape[2:], attrs["stride"], attrs["padding"], op, args,
                    attrs)


def _infer_conv2d(attrs, args):
    if len(args) not in (2, 3):
        raise GraphError(f"op 'conv2d' takes 2 or 3 operands (x, w[, b]), got {len(args)}")
    x, w = args[:2]
    size = _check_conv(x, w, "conv2d", args, attrs)
    if len(args) == 3:
        shapes.require_float(args[2], "conv2d")
        require_shape(args[2], (w.shape[0],), "bias", "conv2d", args, attrs)
    return (x.shape[0], w.shape[0]) + size, shapes.promote(args, "conv2d")


def _infer_input_grad(attrs, args):
    ct, w, like = args
    op = "conv2d_input_grad"
    size = _check_conv(like, w, op, args, attrs)
    require_shape(ct, (like.shape[0], w.shape[0]) + size, "cotangent", op, args, attrs)
    return tuple(like.shape), shapes.promote(args[:2], op)


def _infer_weight_grad(attrs, args):
    x, ct, like = args
    op = "conv2d_weight_grad"
    size = _check_conv(x, like, op, args, attrs)
    require_shape(ct, (x.shape[0], like.shape[0]) + size, "cotangent", op, args, attrs)
    return tuple(like.shape), shapes.promote(args[:2], op)


# ---- gradient rules, one identity a row (u: the cotangent of the gradient op itself) ----------

def _vjp_conv2d(b, node, ct, needs):
    x, w = node.operands[:2]
    rules = (lambda: b.op("conv2d_input_grad", ct, w, x, **node.attrs),  # transposed conv
             lambda: b.op("conv2d_weight_grad", x, ct, w, **node.attrs),  # x's windows . ct
             lambda: b.op("sum", ct, axis=(0, 2, 3)))                     # db = sum of ct
    return [rule() if need else None for rule, need in zip(rules, needs)]


def _vjp_input_grad(b, node, u, needs):
    ct, w, _ = node.operands
    rules = (lambda: b.op("conv2d", u, w, **node.attrs),                 # adjoint's adjoint
             lambda: b.op("conv2d_weight_grad", u, ct, w, **node.attrs))  # <conv2d(u, w), ct>
    return [rule() if need else None for rule, need in zip(rules, needs)] + [None]


def _vjp_weight_grad(b, node, u, needs):
    x, ct, _ = node.operands
    rules = (lambda: b.op("conv2d_input_grad", ct, u, x, **node.attrs),  # <conv2d(x, u), ct>
             lambda: b.op("conv2d", x, u, **node.attrs))                 # adjoint's adjoint
    return [rule() if need else None for rule, need in zip(rules, needs)] + [None]


# ---- registration ------------------------------------------------------------------------------

_SPEC = {"stride": 2, "padding": 1}
COLUMNS = (np_columns, np_window_views, np_padded, np_offsets)  # im2col and what it calls
_X, _W, _CT = (2, 3, 5, 5), (4, 3, 3, 3), (2, 4, 3, 3)


def _float(shape):
    return ("float", shape, -2.0, 2.0)


_CONV2D_RULES = ("d conv2d(...)/d{0} = conv2d_input_grad(ct, {1})",
                 "d conv2d(...)/d{1} = conv2d_weight_grad({0}, ct)",
                 "d conv2d(...)/d{2} = sum(ct, axes (0, 2, 3))")

register(OpDef(
    name="conv2d", family="conv", arity=None, attrs=("stride", "padding"),
    rules=lambda attrs, operand_shapes: tuple(
        rule.replace("conv2d(...)", "conv2d({0}, {1}, {2})" if len(operand_shapes) == 3
                     else "conv2d({0}, {1})") for rule in _CONV2D_RULES),
    prepare=lambda attrs, args: _prepare(attrs, args, "conv2d"), infer=_infer_conv2d,
    notation=lambda attrs, shapes_, *xs: Conv2d(*xs),
    reference=_ref_conv2d, vjp=_vjp_conv2d,
    numpy="_np_conv2d({operands}, stride={stride}, padding={padding})",
    helpers=(_np_conv2d,) + COLUMNS,
    test=TestSpec(inputs=(_float(_X), _float(_W), _float((4,))), attrs=_SPEC),
    doc="2-D cross-correlation of x (N, C, H, W) with w (F, C, kh, kw), plus an optional "
        "bias b (F,), as in PyTorch: (N, F, H', W'), H' = (H - kh + 2 padding) // stride + 1"))

register(OpDef(
    name="conv2d_input_grad", family="conv", arity=3, attrs=("stride", "padding"),
    rules=("d conv2d_input_grad({0}, {1})/d{0} = conv2d(ct, {1})",
           "d conv2d_input_grad({0}, {1})/d{1} = conv2d_weight_grad(ct, {0})"),
    nondiff=(2,), prepare=lambda attrs, args: _prepare(attrs, args, "conv2d_input_grad"),
    infer=_infer_input_grad,
    notation=lambda attrs, shapes_, ct, w, like: Conv2dInputGrad(ct, w),
    reference=_ref_conv2d_input_grad, vjp=_vjp_input_grad,
    numpy="_np_conv2d_input_grad({0}, {1}, np.shape({2}), stride={stride}, padding={padding})",
    helpers=(_np_conv2d_input_grad, np_unwindows, np_offsets, np_unpadded),
    test=TestSpec(inputs=(_float(_CT), _float(_W), _float(_X)), attrs=_SPEC),
    doc="the gradient of conv2d wrt its input x (shape of like): ct (N, F, H', W') "
        "correlated back through w, a transposed convolution"))

register(OpDef(
    name="conv2d_weight_grad", family="conv", arity=3, attrs=("stride", "padding"),
    rules=("d conv2d_weight_grad({0}, {1})/d{0} = conv2d_input_grad({1}, ct)",
           "d conv2d_weight_grad({0}, {1})/d{1} = conv2d({0}, ct)"),
    nondiff=(2,), prepare=lambda attrs, args: _prepare(attrs, args, "conv2d_weight_grad"),
    infer=_infer_weight_grad,
    notation=lambda attrs, shapes_, x, ct, like: Conv2dWeightGrad(x, ct),
    reference=_ref_conv2d_weight_grad, vjp=_vjp_weight_grad,
    numpy="_np_conv2d_weight_grad({0}, {1}, np.shape({2})[2:], stride={stride}, "
          "padding={padding})",
    helpers=(_np_conv2d_weight_grad,) + COLUMNS,
    test=TestSpec(inputs=(_float(_X), _float(_CT), _float(_W)), attrs=_SPEC),
    doc="the gradient of conv2d wrt its weights (shape of like): the windows of x "
        "weighted by ct (N, F, H', W') and summed"))
