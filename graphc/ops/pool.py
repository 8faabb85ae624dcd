"""Pooling: max_pool2d and avg_pool2d, as in PyTorch, and their gradients.

x is (N, C, H, W), unbatched (C, H, W), or one image (H, W); the output keeps the leading
axes: (.., H', W'), H' = floor((H + p - d (kh - 1) - 1) / s) + 1 as conv2d's (p the padding
of both sides, d the dilation). The stride defaults to the kernel size; padding is an int,
a pair (rows, columns) on each side or a pair of pairs ((top, bottom), (left, right)), each
side at most half the kernel (PyTorch's pooling pads both sides alike; a pair of pairs
pads as F.pad would first). max pads with -inf and takes a dilation (as PyTorch's
max_pool2d does; avg_pool2d has none, as in PyTorch); avg counts the padded zeros
(PyTorch's count_include_pad=True).
Max pooling sends the gradient to the FIRST maximum of each window (row-major within the
window), as PyTorch does.

Gradient rules (u: the cotangent flowing into a gradient op; all are linear in ct or u):
  max_pool2d(x):            dx = max_pool2d_grad(x, ct)     ct routed to each first argmax
  max_pool2d_grad(x, ct):   dct = max_pool2d_select(x, u)   u read at each first argmax
  max_pool2d_select(x, u):  du = max_pool2d_grad(x, ct)
  avg_pool2d(x):            dx = avg_pool2d_grad(ct, like=x) ct / (kh kw) spread over windows
  avg_pool2d_grad(ct):      dct = avg_pool2d(u)
Where the first argmax sits is piecewise constant in x, so the x operand of the max gradient
ops carries no gradient (nondiff: zero almost everywhere); second derivatives therefore work.

The generated code loops over the kh * kw kernel offsets, each a strided (.., H', W') view
of the padded input (conv.py's np_window_views): a running maximum or sum for the pooling;
for the max's gradient, a mask per offset of the windows whose first maximum sits there.
"""

import numpy as np

from ..errors import ShapeError
from .. import shapes
from . import notation
from .conv import (SIDES, np_offsets, np_padded, np_sides, np_unpadded, np_unwindows,
                   np_window_views, out_size, padding_sides, pair, require_image,
                   require_shape, where)
from .registry import OpDef, TestSpec, register

ATTRS = ("kernel_size", "stride", "padding")


# ---- shape rules -------------------------------------------------------------------------------

def _prepare(attrs, args, op):
    if attrs.get("kernel_size") is None:
        raise ShapeError(f"{where(op, args, {})}: kernel_size is required")
    kernel = pair(attrs["kernel_size"], "kernel_size", op, args, 1)
    stride = attrs.get("stride")
    stride = kernel if stride is None else pair(stride, "stride", op, args, 1)
    padding = padding_sides(attrs.get("padding", 0), op, args)
    if any(2 * max(p) > k for p, k in zip(np_sides(padding), kernel)):
        raise ShapeError(f"{where(op, args, {})}: padding {padding} must be at most half "
                         f"the kernel size {kernel}")
    prepared = {"kernel_size": kernel, "stride": stride, "padding": padding}
    dilation = pair(attrs.get("dilation", 1), "dilation", op, args, 1)
    if dilation != (1, 1):  # kept where it is not 1, so plain pooling's code reads as before
        prepared["dilation"] = dilation
    return prepared


def _pooled(x, op, args, attrs):
    """x (N, C, H, W), (C, H, W) or (H, W) checked; the pooled shape (.., H', W')."""
    rank = len(x.shape)
    require_image(x, "input", op, args, attrs, named_ok=tuple(range(rank - 2)),
                  ranks=(4, 3, 2))
    return tuple(x.shape[:-2]) + out_size(x.shape[-2:], attrs["kernel_size"],
                                          attrs["stride"], attrs["padding"], op, args, attrs,
                                          attrs.get("dilation", (1, 1)))


def _infer_pool(op):
    def infer(attrs, args):
        return _pooled(args[0], op, args, attrs), args[0].dtype
    return infer


def _infer_max_pool2d_grad(attrs, args):
    x, ct = args
    require_shape(ct, _pooled(x, "max_pool2d_grad", args, attrs), "cotangent",
                  "max_pool2d_grad", args, attrs)
    shapes.require_float(ct, "max_pool2d_grad")
    return tuple(x.shape), ct.dtype


def _infer_max_pool2d_select(attrs, args):
    x, u = args
    pooled = _pooled(x, "max_pool2d_select", args, attrs)
    require_shape(u, x.shape, "operand", "max_pool2d_select", args, attrs)
    shapes.require_float(u, "max_pool2d_select")
    return pooled, u.dtype


def _infer_avg_pool2d_grad(attrs, args):
    ct, like = args
    require_shape(ct, _pooled(like, "avg_pool2d_grad", args, attrs), "cotangent",
                  "avg_pool2d_grad", args, attrs)
    shapes.require_float(ct, "avg_pool2d_grad")
    return tuple(like.shape), ct.dtype


# ---- what generated modules call: loops over the kernel offsets, on strided views ------------

def np_fold(ufunc, views):
    """``ufunc`` (np.maximum, np.add) folded over the equal-shaped arrays ``views``, into one
    new buffer: a window reduction as kh * kw - 1 whole-array steps, no window copies."""
    out = ufunc(views[0], views[1]) if len(views) > 1 else views[0].copy()
    for view in views[2:]:
        ufunc(out, view, out=out)
    return out


def np_first_max(x, kernel_size, stride, padding, dilation=(1, 1)):
    """For each kernel offset, row-major: where the windows of x (padded with -inf) have
    their first maximum at that offset, a bool (N, C, H', W') mask; a tie goes to the
    earliest offset, as np.argmax and PyTorch have it (a window holding a nan equals no
    maximum: none of its masks is set). Padding is never a maximum: a window of -inf
    inputs has its first at its first real element, as in PyTorch."""
    views = np_window_views(x, kernel_size, stride, padding, -np.inf, dilation)
    real = np_window_views(np.ones(np.shape(x)[-2:], dtype=bool), kernel_size, stride,
                           padding, False, dilation)  # (H', W') each: not padding
    top = np_fold(np.maximum, views)
    taken = None  # the windows whose maximum an earlier offset holds
    for view, inside in zip(views, real):
        first = view == top
        first &= inside
        if taken is not None:
            np.greater(first, taken, out=first)  # first and not taken
        taken = first if taken is None else taken | first
        yield first


def _np_max_pool2d(x, kernel_size, stride, padding, dilation=(1, 1)):
    """The max of each window of x (.., H, W), padded with -inf."""
    return np_fold(np.maximum, np_window_views(x, kernel_size, stride, padding, -np.inf,
                                               dilation))


def _np_max_pool2d_grad(x, ct, kernel_size, stride, padding, dilation=(1, 1)):
    """ct (.., H', W') sent to the first maximum of each window of x."""
    ((t, b), (l, r)), (h, w) = np_sides(padding), np.shape(x)[-2:]
    dx = np.zeros(np.shape(x)[:-2] + (h + t + b, w + l + r), dtype=ct.dtype)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]
    apart = all(s >= k for s, k in zip(stride, spans))  # no overlap: write, not add
    finite = np.isfinite(ct).all()  # else ct * mask would make 0 * inf = nan off the maxima
    offsets = np_offsets(np.shape(x), kernel_size, stride, padding, dilation)
    masks = np_first_max(x, kernel_size, stride, padding, dilation)
    for (_, at), first in zip(offsets, masks):
        if finite and apart:
            np.multiply(ct, first, out=dx[at])
        else:
            dx[at] += ct * first if finite else np.where(first, ct, 0)
    return np_unpadded(dx, padding)


def _np_max_pool2d_select(x, u, kernel_size, stride, padding, dilation=(1, 1)):
    """u (.., H, W) read where each window of x has its first maximum."""
    views = np_window_views(u, kernel_size, stride, padding, 0, dilation)
    out = np.zeros(np.shape(views[0]), dtype=u.dtype)
    for view, first in zip(views, np_first_max(x, kernel_size, stride, padding, dilation)):
        np.copyto(out, view, where=first)
    return out


def _np_avg_pool2d(x, kernel_size, stride, padding):
    """The mean of each window of x (.., H, W); padded zeros count."""
    out = np_fold(np.add, np_window_views(x, kernel_size, stride, padding))
    out /= kernel_size[0] * kernel_size[1]  # our own buffer
    return out


def _np_avg_pool2d_grad(ct, shape, kernel_size, stride, padding):
    """ct (.., H', W') / (kh kw) spread evenly over each window, into an image of shape."""
    part = ct / (kernel_size[0] * kernel_size[1])
    cols = np.broadcast_to(part[..., None, None, :, :], np.shape(ct)[:-2] +
                           tuple(kernel_size) + np.shape(ct)[-2:])
    return np_unwindows(cols, shape, stride, padding)


# ---- references: plain loops over the kernel offsets -------------------------------------------

def _offsets(attrs, shape):
    return np_offsets(shape, attrs["kernel_size"], attrs["stride"], attrs["padding"],
                      attrs.get("dilation", (1, 1)))


def _zeros_padded(attrs, shape, dtype):
    """Zeros of the padded image of ``shape`` (.., H, W)."""
    ((t, b), (l, r)), (h, w) = np_sides(attrs["padding"]), shape[-2:]
    return np.zeros(tuple(shape[:-2]) + (h + t + b, w + l + r), dtype=dtype)


def _ref_first_argmax(attrs, x):
    """The row-major number of each window's first maximum among its real elements (never
    padding): the first real element starts it, only a strictly larger value moves it."""
    xp = np_padded(x, attrs["padding"], -np.inf)
    real = np_padded(np.ones(np.shape(x)[-2:], dtype=bool), attrs["padding"], False)
    best = seen = arg = None
    for k, (_, at) in enumerate(_offsets(attrs, np.shape(x))):
        if best is None:
            best, seen = np.full(xp[at].shape, -np.inf), np.zeros(real[at].shape, bool)
            arg = np.zeros(xp[at].shape, dtype=int)
        take = np.asarray(real[at] & (~seen | (xp[at] > best)), dtype=bool)
        best, arg, seen = np.where(take, xp[at], best), np.where(take, k, arg), seen | real[at]
    return best, arg


def _ref_max_pool2d(attrs, x):
    return _ref_first_argmax(attrs, x)[0]


def _ref_max_pool2d_grad(attrs, x, ct):
    arg = _ref_first_argmax(attrs, x)[1]
    dxp = _zeros_padded(attrs, np.shape(x), np.asarray(ct).dtype)
    for k, (_, at) in enumerate(_offsets(attrs, np.shape(x))):
        dxp[at] += np.where(arg == k, ct, 0)
    return np_unpadded(dxp, attrs["padding"])


def _ref_max_pool2d_select(attrs, x, u):
    arg, up = _ref_first_argmax(attrs, x)[1], np_padded(u, attrs["padding"])
    out = np.zeros(arg.shape, dtype=np.asarray(u).dtype)
    for k, (_, at) in enumerate(_offsets(attrs, np.shape(x))):
        out = np.where(arg == k, up[at], out)
    return out


def _ref_avg_pool2d(attrs, x):
    xp, (kh, kw) = np_padded(x, attrs["padding"]), attrs["kernel_size"]
    return sum(xp[at] for _, at in _offsets(attrs, np.shape(x))) / (kh * kw)


def _ref_avg_pool2d_grad(attrs, ct, like):
    (kh, kw) = attrs["kernel_size"]
    dxp = _zeros_padded(attrs, np.shape(like), np.asarray(ct).dtype)
    for _, at in _offsets(attrs, np.shape(like)):
        dxp[at] += ct / (kh * kw)
    return np_unpadded(dxp, attrs["padding"])


# ---- registration ------------------------------------------------------------------------------

_SPEC = {"kernel_size": 3, "stride": 2, "padding": 1}
_X, _Y = ("float", (2, 3, 5, 5), -2.0, 2.0), ("float", (2, 3, 3, 3), -2.0, 2.0)
_ARGS = "kernel_size={kernel_size}, stride={stride}, padding={padding}"
_VIEWS = (np_window_views, np_padded, np_offsets) + SIDES  # the offsets' views and calls

# name, infer, reference, vjp (a row: the identity), nondiff, NumPy template, helpers, test
# inputs, doc
_OPS = (
    ("max_pool2d", _infer_pool("max_pool2d"), _ref_max_pool2d,
     lambda b, node, ct, needs: [b.op("max_pool2d_grad", node.operands[0], ct,
                                      **node.attrs)],            # ct to each first argmax
     (), f"_np_max_pool2d({{0}}, {_ARGS})", (_np_max_pool2d, np_fold) + _VIEWS, (_X,),
     "the max of each kh x kw window of x (N, C, H, W), padded with -inf, as in PyTorch; "
     "its gradient goes to the first maximum of each window"),
    ("max_pool2d_grad", _infer_max_pool2d_grad, _ref_max_pool2d_grad,
     lambda b, node, u, needs: [None, b.op("max_pool2d_select", node.operands[0], u,
                                           **node.attrs)],       # u read at each argmax
     (0,), f"_np_max_pool2d_grad({{0}}, {{1}}, {_ARGS})",
     (_np_max_pool2d_grad, np_first_max, np_fold, np_unpadded) + _VIEWS, (_X, _Y),
     "the gradient of max_pool2d: ct (N, C, H', W') sent to the first maximum of each "
     "window of x"),
    ("max_pool2d_select", _infer_max_pool2d_select,
     _ref_max_pool2d_select,
     lambda b, node, ct, needs: [None, b.op("max_pool2d_grad", node.operands[0], ct,
                                            **node.attrs)],      # ct back to each argmax
     (0,), f"_np_max_pool2d_select({{0}}, {{1}}, {_ARGS})",
     (_np_max_pool2d_select, np_first_max, np_fold) + _VIEWS, (_X, _X),
     "u (N, C, H, W) read where each window of x has its first maximum: the gradient of "
     "max_pool2d_grad wrt its cotangent"),
    ("avg_pool2d", _infer_pool("avg_pool2d"), _ref_avg_pool2d,
     lambda b, node, ct, needs: [b.op("avg_pool2d_grad", ct, node.operands[0],
                                      **node.attrs)],            # ct / (kh kw) per window
     (), f"_np_avg_pool2d({{0}}, {_ARGS})", (_np_avg_pool2d, np_fold) + _VIEWS, (_X,),
     "the mean of each kh x kw window of x (N, C, H, W), padded zeros counted, as in "
     "PyTorch"),
    ("avg_pool2d_grad", _infer_avg_pool2d_grad, _ref_avg_pool2d_grad,
     lambda b, node, u, needs: [b.op("avg_pool2d", u, **node.attrs), None],  # its adjoint
     (1,), f"_np_avg_pool2d_grad({{0}}, np.shape({{1}}), {_ARGS})",
     (_np_avg_pool2d_grad, np_unwindows, np_offsets, np_unpadded) + SIDES, (_Y, _X),
     "the gradient of avg_pool2d: ct (N, C, H', W') / (kh kw) spread evenly over each "
     "window, in the shape of like"),
)

def _template(call):
    """A max pooling's call gets the dilation where the node has one (avg has none)."""
    def chosen(attrs, operand_shapes):
        return call[:-1] + (", dilation={dilation})" if "dilation" in attrs else ")")
    return chosen


_RULES = {
    "max_pool2d": ("d max_pool2d({0})/d{0} = ct routed to each window's first maximum",),
    "max_pool2d_grad": ((), "d max_pool2d_grad({0}, {1})/d{1} = max_pool2d_select({0}, ct)"),
    "max_pool2d_select": ((), "d max_pool2d_select({0}, {1})/d{1} = max_pool2d_grad({0}, ct)"),
    "avg_pool2d": ("d avg_pool2d({0})/d{0} = ct / (kh kw) spread over each window",),
    "avg_pool2d_grad": ("d avg_pool2d_grad({0})/d{0} = avg_pool2d(ct)",),
}

for _name, _infer, _ref, _vjp, _nondiff, _numpy, _helpers, _inputs, _doc in _OPS:
    _shown = 1 if _name == "avg_pool2d_grad" else len(_inputs)  # like is shape only
    _notation = notation.named(_name, _shown)
    register(OpDef(
        name=_name, family="pool", arity=len(_inputs), nondiff=_nondiff,
        attrs=ATTRS + (("dilation",) if _name.startswith("max") else ()),
        rules=_RULES[_name],
        prepare=lambda attrs, args, op=_name: _prepare(attrs, args, op), infer=_infer,
        notation=lambda attrs, shapes_, *xs, cls=_notation, n=_shown: cls(*xs[:n]),
        reference=_ref, vjp=_vjp, numpy=_template(_numpy), helpers=_helpers,
        test=TestSpec(inputs=_inputs, attrs=_SPEC), doc=_doc))
