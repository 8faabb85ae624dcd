"""Convolution: conv2d (cross-correlation, as in PyTorch) and its gradients.

``conv2d(x, w[, b])`` takes the forms torch.nn.functional.conv2d takes, plus the lecture's:
  x (N, C, H, W), w (F, C / groups, kh, kw), b (F,)  -> (N, F, H', W')
  x (C, H, W),    w (F, C / groups, kh, kw), b (F,)  -> (F, H', W')      (unbatched)
  x (H, W),       w (kh, kw),                b ()    -> (H', W')         (one image, one kernel)
with H' = floor((H + p - d (kh - 1) - 1) / s) + 1 for p the padding of both sides together,
d the dilation and s the stride (for d = 1 the lecture's floor((n - k + p + s) / s)).
``padding`` is an int, a pair (rows, columns) on each side, or a pair of pairs
((top, bottom), (left, right)), so an odd total can be written; it is kept as (rows,
columns) where both sides agree. ``dilation`` and ``groups`` are kept only where they are
not 1 (so the code of a plain convolution reads as it always has). Pooling, which shares
the window plumbing below, lives in ``pool.py``.

Gradient rules (<y, ct> = <x, input_grad(ct, w)> = <w, weight_grad(x, ct)>, all linear):
  conv2d(x, w, b):           dx = conv2d_input_grad(ct, w, like=x)    (the transposed conv)
                             dw = conv2d_weight_grad(x, ct, like=w)   db = sum(ct, (0, 2, 3))
  conv2d_input_grad(ct, w):  dct = conv2d(u, w)       dw = conv2d_weight_grad(u, ct, like=w)
  conv2d_weight_grad(x, ct): dx = conv2d_input_grad(ct, u, like=x)    dct = conv2d(x, u)
(u: the cotangent flowing into the gradient op), so second derivatives work; db sums ct
over every axis but the filters' (all of them for the single-image form).

The generated code sees every form as (N, C, H, W) (a reshape adding leading axes of 1),
copies the windows into one contiguous im2col array by a loop over the kh * kw kernel
offsets (each a strided view) and applies the weights with one matrix product per group,
batched by np.matmul (col2im, for the input's gradient, is the same loop adding back); the
references loop over the offsets and the groups with plain products and sums, so they also
compute exact values on object arrays.
"""

import numpy as np

from ..errors import GraphError, ShapeError
from .. import shapes
from . import notation
from .registry import OpDef, TestSpec, register

Conv2d = notation.named("conv2d", (2, 3))
Conv2dInputGrad = notation.named("conv2d_input_grad", 2)
Conv2dWeightGrad = notation.named("conv2d_weight_grad", 2)
FORMS = "(N, C, H, W), (C, H, W) or (H, W)"


# ---- attributes and shapes (shared with pool.py) -----------------------------------------------

def where(op, args, attrs):
    """``conv2d of 'x' (2, 3, 5, 5) and 'w' (4, 3, 3, 3) with stride=(1, 1), ...``."""
    shown = ", ".join(f"{k}={v!r}" for k, v in attrs.items())
    operands = " and ".join(shapes.describe(a) for a in args)
    return f"{op} of {operands}" + (f" with {shown}" if shown else "")


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _ints(value, count):
    """``value`` as a tuple of ``count`` ints, or None."""
    try:
        values = tuple(value)
    except TypeError:
        return None
    return values if len(values) == count and all(_is_int(v) for v in values) else None


def pair(value, name, op, args, low, forms="an int or a pair of ints"):
    """``value`` (an int or a pair of ints, each >= ``low``) as a pair; ShapeError if not."""
    values = (value, value) if _is_int(value) else _ints(value, 2)
    if values is None:
        raise ShapeError(f"{where(op, args, {})}: {name} must be {forms}, got {value!r}")
    if min(values) < low:
        rule = "positive" if low == 1 else "non-negative"
        raise ShapeError(f"{where(op, args, {})}: {name} {values} must be {rule}")
    return tuple(int(v) for v in values)


def padding_sides(value, op, args):
    """``padding`` checked: (rows, columns) where each axis has the same on both sides (an
    int or a pair given), else ((top, bottom), (left, right)) as given."""
    per_side = None
    if not _is_int(value) and _ints(value, 2) is None:
        try:
            per_side = tuple(_ints(v, 2) for v in value)
        except TypeError:
            per_side = None
    if not per_side or len(per_side) != 2 or None in per_side:
        return pair(value, "padding", op, args, 0, forms="an int, a pair of ints (rows, "
                    "columns) or a pair of pairs ((top, bottom), (left, right))")
    per_side = tuple(tuple(int(v) for v in p) for p in per_side)
    if min(min(p) for p in per_side) < 0:
        raise ShapeError(f"{where(op, args, {})}: padding {per_side} must be non-negative")
    same = all(top == bottom for top, bottom in per_side)
    return tuple(p[0] for p in per_side) if same else per_side


def np_sides(padding):
    """((top, bottom), (left, right)) of a padding kept as (rows, columns) or already so."""
    return tuple((p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in padding)


def padding_text(padding):
    if all(isinstance(p, (int, np.integer)) for p in padding):
        return f"padding {tuple(padding)} on each side"
    return f"padding {tuple(padding)} ((top, bottom), (left, right))"


def require_image(arg, what, op, args, attrs, named_ok=(0,), ranks=(4,)):
    """A float operand of one of ``ranks`` whose dimensions are ints except at
    ``named_ok``."""
    shapes.require_float(arg, op)
    if len(arg.shape) not in ranks:
        raise ShapeError(f"{where(op, args, attrs)}: {what} {shapes.describe(arg)} must have "
                         f"rank {' or '.join(map(str, ranks))}, not {len(arg.shape)}")
    named = [d for i, d in enumerate(arg.shape) if isinstance(d, str) and i not in named_ok]
    if named:
        raise ShapeError(f"{where(op, args, attrs)}: {what} {shapes.describe(arg)} must have "
                         f"int dimensions where it has {', '.join(named)}")


def out_size(image, kernel, stride, padding, op, args, attrs, dilation=(1, 1)):
    """(H', W') of the windows of an (.., H, W) image: floor((n + p - d (k - 1) - 1) / s) + 1
    (the lecture's floor((n - k + p + s) / s) for d = 1); ShapeError if the kernel does not
    fit."""
    totals = tuple(a + b for a, b in np_sides(padding))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(span > n + p for n, span, p in zip(image, spans, totals)):
        full = tuple(n + p for n, p in zip(image, totals))
        dilated = "" if spans == tuple(kernel) else f" dilated by {tuple(dilation)} to {spans}"
        raise ShapeError(f"{where(op, args, attrs)}: kernel {tuple(kernel)}{dilated} is "
                         f"larger than the padded input {full} (input {tuple(image)} plus "
                         f"{padding_text(padding)})")
    return tuple((n + p - span) // s + 1 for n, span, p, s in zip(image, spans, totals, stride))


def require_shape(arg, expected, what, op, args, attrs):
    if tuple(arg.shape) != tuple(expected):
        raise ShapeError(f"{where(op, args, attrs)}: {what} {shapes.describe(arg)} must have "
                         f"shape {shapes.fmt(expected)}")


# ---- what generated modules call: im2col and its adjoint, as loops over the kernel offsets -----

def np_image4(x):
    """x as (N, C, H, W): an (H, W) or (C, H, W) operand with leading axes of 1 (a view)."""
    return np.reshape(x, (1,) * (4 - np.ndim(x)) + np.shape(x))


def np_padded(x, padding, fill=0):
    """x (.., H, W) padded with ``fill``; x itself, not a copy, for no padding."""
    sides = np_sides(padding)
    if not any(sum(sides, ())):
        return x
    return np.pad(x, ((0, 0),) * (np.ndim(x) - 2) + sides, constant_values=fill)


def np_unpadded(image, padding):
    """The padding cut off ``image`` (.., H, W) again: a fresh array, or image itself."""
    ((t, b), (l, r)), (h, w) = np_sides(padding), np.shape(image)[-2:]
    return image if t == b == l == r == 0 else image[..., t:h - b, l:w - r].copy()


def np_offsets(shape, kernel, stride, padding, dilation=(1, 1)):
    """For each kernel offset (i, j), row-major: (i, j) and the index of the elements of the
    padded (.., H, W) image of ``shape`` that offset meets, one per window: (.., H', W').

    >>> [at for _, at in np_offsets((1, 1, 3, 3), (2, 2), (1, 1), (0, 0))][1]
    (Ellipsis, slice(0, 2, 1), slice(1, 3, 1))
    """
    totals = [a + b for a, b in np_sides(padding)]
    oh, ow = ((n + p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
        shape[-2:], kernel, stride, totals, dilation))
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield (i, j), (Ellipsis, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                           slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def np_window_views(x, kernel, stride, padding, fill=0, dilation=(1, 1)):
    """Each window's element at each kernel offset (row-major) of x (.., H, W) padded with
    ``fill``: a list of kh * kw (.., H', W') views, so a loop over the offsets is short."""
    padded = np_padded(x, padding, fill)
    return [padded[at] for _, at in np_offsets(np.shape(x), kernel, stride, padding,
                                                dilation)]


def np_columns(x, kernel, stride, padding, dilation=(1, 1)):
    """im2col: the zero-padded windows of x (N, C, H, W) as one contiguous
    (N, C, kh * kw, H', W') array; reshaped to (N, C kh kw, H' W') its rows are in the order
    of ``w.reshape(F, -1)``, so one matrix product applies the weights. (A copy a kernel
    offset: twice as fast as np.stack, or as copying a 6-d sliding_window_view.)"""
    views = np_window_views(x, kernel, stride, padding, 0, dilation)
    (n, c, oh, ow) = np.shape(views[0])
    cols = np.empty((n, c, len(views), oh, ow), dtype=views[0].dtype)
    for k, view in enumerate(views):
        cols[:, :, k] = view
    return cols


def np_unwindows(cols, shape, stride, padding, dilation=(1, 1)):
    """``cols`` (.., kh, kw, H', W') summed back into an image of ``shape`` (.., H, W): the
    adjoint of ``np_columns`` (col2im); a loop over the kernel offsets only."""
    ((t, b), (l, r)), (h, w) = np_sides(padding), shape[-2:]
    out = np.zeros(tuple(shape[:-2]) + (h + t + b, w + l + r), dtype=cols.dtype)
    for (i, j), at in np_offsets(shape, np.shape(cols)[-4:-2], stride, padding, dilation):
        out[at] += cols[..., i, j, :, :]
    return np_unpadded(out, padding)


def _np_conv2d(x, w, b=None, *, stride, padding, dilation=(1, 1), groups=1):
    """Cross-correlation of x (N, C, H, W) with w (F, C / groups, kh, kw), plus b (F,):
    (N, F, H', W'), one matrix product a group of w as (F / groups, C kh kw / groups) with
    the columns of x; the unbatched forms as a batch of one."""
    lead = 4 - np.ndim(x)
    x, w = np_image4(x), np_image4(w)
    cols = np_columns(x, np.shape(w)[2:], stride, padding, dilation)
    (n, c, k, oh, ow), f = cols.shape, np.shape(w)[0]
    cols = cols.reshape(n, groups, c // groups * k, oh * ow)
    out = np.matmul(np.reshape(w, (groups, f // groups, c // groups * k)), cols)
    out = out.reshape(n, f, oh * ow)
    if b is not None:  # in place where the sum keeps out's dtype: out is our own buffer
        b = np.reshape(b, (f, 1))
        out = np.add(out, b, out=out) if np.result_type(out, b) == out.dtype else out + b
    return out.reshape((n, f, oh, ow)[lead:])


def _np_conv2d_input_grad(ct, w, shape, *, stride, padding, dilation=(1, 1), groups=1):
    """The gradient of conv2d wrt x (a transposed convolution), x of ``shape``: the columns
    w.T @ ct a group, summed back into the image (col2im)."""
    ct, w = np_image4(ct), np_image4(w)
    (n, f, oh, ow), (_, cg, kh, kw) = np.shape(ct), np.shape(w)
    w = np.reshape(w, (groups, f // groups, cg * kh * kw)).transpose(0, 2, 1)
    cols = np.matmul(w, np.reshape(ct, (n, groups, f // groups, oh * ow)))
    cols = cols.reshape(n, groups * cg, kh, kw, oh, ow)
    image = (n, groups * cg) + tuple(shape[-2:])
    return np.reshape(np_unwindows(cols, image, stride, padding, dilation), shape)


def _np_conv2d_weight_grad(x, ct, shape, *, stride, padding, dilation=(1, 1), groups=1):
    """The gradient of conv2d wrt w of ``shape``: ct @ the columns of x a group, summed over
    N (a product per sample, then a sum: faster than a tensordot, which copies both)."""
    x, ct = np_image4(x), np_image4(ct)
    cols = np_columns(x, tuple(shape[-2:]), stride, padding, dilation)
    (n, c, k, oh, ow), f = cols.shape, np.shape(ct)[1]
    cols = cols.reshape(n, groups, c // groups * k, oh * ow).transpose(0, 1, 3, 2)
    dw = np.matmul(np.reshape(ct, (n, groups, f // groups, oh * ow)), cols).sum(axis=0)
    return dw.reshape(shape)


# ---- references: plain loops over the groups and the kernel offsets (object arrays too) --------

def _window_attrs(attrs):
    return attrs["stride"], attrs["padding"], attrs.get("dilation", (1, 1))


def _groups(attrs, *pairs):
    """The operands split into ``groups``, one tuple a group: pairs of (array, axis)."""
    g = attrs.get("groups", 1)
    return zip(*(np.split(a, g, axis=axis) for a, axis in pairs))


def _ref_conv2d(attrs, x, w, b=None):
    (s, p, d), lead = _window_attrs(attrs), 4 - np.ndim(x)
    parts = []
    for xs, ws in _groups(attrs, (np_image4(x), 1), (np_image4(w), 0)):
        xp = np_padded(xs, p)
        parts.append(sum((xp[at][:, None] * ws[None, :, :, i, j, None, None]).sum(axis=2)
                         for (i, j), at in np_offsets(np.shape(xs), np.shape(ws)[2:], s, p, d)))
    out = np.concatenate(parts, axis=1)
    if b is not None:
        out = out + np.reshape(b, (-1,))[None, :, None, None]
    return np.reshape(out, np.shape(out)[lead:])


def _ref_conv2d_input_grad(attrs, ct, w, like):
    (s, p, d), shape = _window_attrs(attrs), np.shape(like)
    ((t, b), (l, r)), (h, wd) = np_sides(p), shape[-2:]
    parts = []
    for cts, ws in _groups(attrs, (np_image4(ct), 1), (np_image4(w), 0)):
        part = (np.shape(cts)[0], np.shape(ws)[1], h, wd)
        dxp = np.zeros(part[:2] + (h + t + b, wd + l + r), dtype=np.result_type(ct, w))
        for (i, j), at in np_offsets(part, np.shape(ws)[2:], s, p, d):
            dxp[at] += (cts[:, :, None] * ws[None, :, :, i, j, None, None]).sum(axis=1)
        parts.append(dxp[..., t:t + h, l:l + wd])
    return np.reshape(np.concatenate(parts, axis=1), shape)


def _ref_conv2d_weight_grad(attrs, x, ct, like):
    (s, p, d), shape = _window_attrs(attrs), np.shape(like)
    parts = []
    for xs, cts in _groups(attrs, (np_image4(x), 1), (np_image4(ct), 1)):
        xp, kernel = np_padded(xs, p), tuple(shape[-2:])
        dw = np.zeros((np.shape(cts)[1], np.shape(xs)[1]) + kernel,
                      dtype=np.result_type(x, ct))
        for (i, j), at in np_offsets(np.shape(xs), kernel, s, p, d):
            dw[:, :, i, j] = (cts[:, :, None] * xp[at][:, None]).sum(axis=(0, 3, 4))
        parts.append(dw)
    return np.reshape(np.concatenate(parts, axis=0), shape)


# ---- shape rules -------------------------------------------------------------------------------

def _prepare(attrs, args, op):
    """stride and padding always; dilation and groups where they are not 1."""
    prepared = {"stride": pair(attrs.get("stride", 1), "stride", op, args, 1),
                "padding": padding_sides(attrs.get("padding", 0), op, args)}
    dilation = pair(attrs.get("dilation", 1), "dilation", op, args, 1)
    if dilation != (1, 1):
        prepared["dilation"] = dilation
    groups = attrs.get("groups", 1)
    if not _is_int(groups) or groups < 1:
        raise ShapeError(f"{where(op, args, {})}: groups must be a positive int, got "
                         f"{groups!r}")
    if groups != 1:
        prepared["groups"] = int(groups)
    return prepared


def _check_channels(x, w, op, args, attrs):
    """x (.., C, H, W) and w (F, C / groups, kh, kw): (F,), else ShapeError."""
    groups, (c, (f, cg)) = attrs.get("groups", 1), (x.shape[-3], w.shape[:2])
    if c % groups or f % groups:
        raise ShapeError(f"{where(op, args, attrs)}: groups={groups} must divide both the "
                         f"input's {c} channels and the weights' {f} filters")
    if cg * groups != c:
        per = f" (C / groups = {c // groups} with groups={groups})" if groups > 1 else ""
        raise ShapeError(f"{where(op, args, attrs)}: channel counts differ: the input has "
                         f"{c} channels{per}, the weights {cg}")
    return (f,)


def _check_conv(x, w, op, args, attrs):
    """x and w checked, in one of the three forms; the output's shape."""
    rank = len(x.shape)
    if rank not in (2, 3, 4):
        raise ShapeError(f"{where(op, args, attrs)}: input {shapes.describe(x)} must be "
                         f"{FORMS}, so of rank 4, 3 or 2, not {rank}")
    require_image(x, "input", op, args, attrs, named_ok=(0,) if rank == 4 else (),
                  ranks=(rank,))
    want = 2 if rank == 2 else 4
    if len(w.shape) != want:
        form = "(kh, kw)" if rank == 2 else "(F, C / groups, kh, kw)"
        raise ShapeError(f"{where(op, args, attrs)}: weights {shapes.describe(w)} must have "
                         f"rank {want}, not {len(w.shape)}: {form} for an input of rank {rank}")
    require_image(w, "weights", op, args, attrs, named_ok=(), ranks=(want,))
    if rank == 2 and attrs.get("groups", 1) != 1:
        raise ShapeError(f"{where(op, args, attrs)}: groups needs channels; a single (H, W) "
                         f"image with a (kh, kw) kernel has one")
    filters = () if rank == 2 else _check_channels(x, w, op, args, attrs)
    size = out_size(x.shape[-2:], w.shape[-2:], attrs["stride"], attrs["padding"], op, args,
                    attrs, attrs.get("dilation", (1, 1)))
    return tuple(x.shape[:-3]) + filters + size


def _infer_conv2d(attrs, args):
    if len(args) not in (2, 3):
        raise GraphError(f"op 'conv2d' takes 2 or 3 operands (x, w[, b]), got {len(args)}")
    x, w = args[:2]
    out = _check_conv(x, w, "conv2d", args, attrs)
    if len(args) == 3:
        shapes.require_float(args[2], "conv2d")
        require_shape(args[2], tuple(w.shape[:1]) if len(w.shape) == 4 else (), "bias",
                      "conv2d", args, attrs)
    return out, shapes.promote(args, "conv2d")


def _infer_input_grad(attrs, args):
    ct, w, like = args
    op = "conv2d_input_grad"
    require_shape(ct, _check_conv(like, w, op, args, attrs), "cotangent", op, args, attrs)
    return tuple(like.shape), shapes.promote(args[:2], op)


def _infer_weight_grad(attrs, args):
    x, ct, like = args
    op = "conv2d_weight_grad"
    require_shape(ct, _check_conv(x, like, op, args, attrs), "cotangent", op, args, attrs)
    return tuple(like.shape), shapes.promote(args[:2], op)


# ---- gradient rules, one identity a row (u: the cotangent of the gradient op itself) ----------

def bias_axes(rank):
    """The axes of a conv2d output of ``rank`` that its bias is broadcast over."""
    return {4: (0, 2, 3), 3: (1, 2), 2: (0, 1)}[rank]


def _vjp_conv2d(b, node, ct, needs):
    x, w = node.operands[:2]
    rules = (lambda: b.op("conv2d_input_grad", ct, w, x, **node.attrs),  # transposed conv
             lambda: b.op("conv2d_weight_grad", x, ct, w, **node.attrs),  # x's windows . ct
             lambda: b.op("sum", ct, axis=bias_axes(len(x.shape))))      # db = sum of ct
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

ATTRS = ("stride", "padding", "dilation", "groups")
_SPEC = {"stride": 2, "padding": 1}
SIDES = (np_sides,)  # every window helper reads the padding through it
COLUMNS = (np_columns, np_window_views, np_padded, np_offsets) + SIDES  # im2col and its calls
_X, _W, _CT = (2, 3, 5, 5), (4, 3, 3, 3), (2, 4, 3, 3)


def _float(shape):
    return ("float", shape, -2.0, 2.0)


def template(call):
    """A conv op's NumPy template: ``call`` plus dilation and groups where the node has them
    (``call`` ends in its last argument, without the closing parenthesis)."""
    def chosen(attrs, operand_shapes):
        return call + "".join(f", {k}={{{k}}}" for k in ATTRS[2:] if k in attrs) + ")"
    return chosen


def _conv2d_rules(attrs, operand_shapes):
    call = "conv2d({0}, {1}, {2})" if len(operand_shapes) == 3 else "conv2d({0}, {1})"
    axes = bias_axes(len(operand_shapes[0]))
    return (f"d {call}/d{{0}} = conv2d_input_grad(ct, {{1}})",
            f"d {call}/d{{1}} = conv2d_weight_grad({{0}}, ct)",
            f"d {call}/d{{2}} = sum(ct, axes {axes})")


register(OpDef(
    name="conv2d", family="conv", arity=None, attrs=ATTRS, rules=_conv2d_rules,
    prepare=lambda attrs, args: _prepare(attrs, args, "conv2d"), infer=_infer_conv2d,
    notation=lambda attrs, shapes_, *xs: Conv2d(*xs),
    reference=_ref_conv2d, vjp=_vjp_conv2d,
    numpy=template("_np_conv2d({operands}, stride={stride}, padding={padding}"),
    helpers=(_np_conv2d, np_image4) + COLUMNS,
    test=TestSpec(inputs=(_float(_X), _float(_W), _float((4,))), attrs=_SPEC),
    doc="2-D cross-correlation of x (N, C, H, W) or (C, H, W) with w (F, C / groups, kh, "
        "kw), or of one image x (H, W) with a kernel w (kh, kw), plus an optional bias b "
        "(F,) or (), as in PyTorch: H' = (H + p - dilation (kh - 1) - 1) // stride + 1, p "
        "the padding of both sides"))

register(OpDef(
    name="conv2d_input_grad", family="conv", arity=3, attrs=ATTRS,
    rules=("d conv2d_input_grad({0}, {1})/d{0} = conv2d(ct, {1})",
           "d conv2d_input_grad({0}, {1})/d{1} = conv2d_weight_grad(ct, {0})"),
    nondiff=(2,), prepare=lambda attrs, args: _prepare(attrs, args, "conv2d_input_grad"),
    infer=_infer_input_grad,
    notation=lambda attrs, shapes_, ct, w, like: Conv2dInputGrad(ct, w),
    reference=_ref_conv2d_input_grad, vjp=_vjp_input_grad,
    numpy=template("_np_conv2d_input_grad({0}, {1}, np.shape({2}), stride={stride}, "
                   "padding={padding}"),
    helpers=(_np_conv2d_input_grad, np_image4, np_unwindows, np_offsets, np_unpadded) + SIDES,
    test=TestSpec(inputs=(_float(_CT), _float(_W), _float(_X)), attrs=_SPEC),
    doc="the gradient of conv2d wrt its input x (shape of like): ct (N, F, H', W') "
        "correlated back through w, a transposed convolution"))

register(OpDef(
    name="conv2d_weight_grad", family="conv", arity=3, attrs=ATTRS,
    rules=("d conv2d_weight_grad({0}, {1})/d{0} = conv2d_input_grad({1}, ct)",
           "d conv2d_weight_grad({0}, {1})/d{1} = conv2d({0}, ct)"),
    nondiff=(2,), prepare=lambda attrs, args: _prepare(attrs, args, "conv2d_weight_grad"),
    infer=_infer_weight_grad,
    notation=lambda attrs, shapes_, x, ct, like: Conv2dWeightGrad(x, ct),
    reference=_ref_conv2d_weight_grad, vjp=_vjp_weight_grad,
    numpy=template("_np_conv2d_weight_grad({0}, {1}, np.shape({2}), stride={stride}, "
                   "padding={padding}"),
    helpers=(_np_conv2d_weight_grad, np_image4) + COLUMNS,
    test=TestSpec(inputs=(_float(_X), _float(_CT), _float(_W)), attrs=_SPEC),
    doc="the gradient of conv2d wrt its weights (shape of like): the windows of x "
        "weighted by ct (N, F, H', W') and summed"))
