"""Shape ops: transpose, reshape, concat, and basic indexing ``x[0, 1:3, ..., None]``.

Gradient rules, one identity each:
  transpose(x, axes):   dx = transpose(ct, argsort(axes))           (d(x.T)/dx = ct.T)
  reshape(x, shape):    dx = reshape(ct, x's shape)
  concat(x0, x1, ...):  dx_i = the slice of ct along axis where x_i was put
  getitem(x, index):    dx = index_put(ct, like=x, index)   (ct at index in zeros like x)

``getitem`` reads x at an index of ints, slices (with steps), ``...`` and None; its
attribute is the index as printable literals: ints, (start, stop, step) triples, "..." and
None. Its gradient, ``index_put``, lives in ``adjoint.py`` with the other ops only gradients
create, and uses the index helpers below. Fancy and boolean indexing are errors.
"""

import functools
import itertools
import math

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from ..errors import GraphError, ShapeError
from .. import shapes
from . import notation
from .registry import OpDef, TestSpec, register


# ---- transpose ---------------------------------------------------------------------------

def _prepare_transpose(attrs, args):
    ndim = len(args[0].shape)
    axes = attrs.get("axes")
    axes = tuple(reversed(range(ndim))) if axes is None else tuple(axes)
    if sorted(axes) != list(range(ndim)):
        raise ShapeError(f"transpose of {shapes.describe(args[0])}: axes {axes} are not "
                         f"a permutation of {tuple(range(ndim))}")
    return {"axes": axes}


def _notation_transpose(attrs, operand_shapes, x):
    axes = attrs["axes"]
    if axes == tuple(range(len(axes))):
        return x  # a vector or scalar "transposed"
    if len(axes) == 2:
        return notation.Transpose(x)
    return notation.Permute(x, sp.Tuple(*axes))


def _vjp_transpose(b, node, ct, needs):
    inverse = tuple(int(i) for i in np.argsort(node.attrs["axes"]))
    return [b.op("transpose", ct, axes=inverse)]  # d(x.T)/dx = ct.T


register(OpDef(
    name="transpose", family="shape", arity=1, attrs=("axes",), notation=_notation_transpose,
    rules=("d({0}.T)/d{0} = ct.T",), view="view",
    prepare=_prepare_transpose,
    infer=lambda attrs, args: (tuple(args[0].shape[i] for i in attrs["axes"]),
                               args[0].dtype),
    reference=lambda attrs, x: np.transpose(x, attrs["axes"]), vjp=_vjp_transpose,
    numpy=lambda attrs, operand_shapes: "{0}.T" if tuple(attrs["axes"]) == tuple(
        reversed(range(len(operand_shapes[0])))) else "np.transpose({0}, {axes})",
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),)),
    doc="permute axes; by default reverse them (x.T)"))


# ---- reshape and concat ------------------------------------------------------------------

_CLASSES = itertools.count()


@functools.lru_cache(maxsize=None)
def notation_of(label, text, rank=None):
    """``label(x, text)`` (``x[text]`` for getitem) for a tensor x whose static part, a shape
    or an index, is ``text``: one class per text, so SymPy sees one argument and can
    differentiate around it. ``rank`` is the result's number of axes (for LaTeX)."""
    def _sympystr(self, printer):
        if label == "getitem":
            return f"{_atom(printer, self.args[0])}[{text}]"
        return f"{label}({printer.doprint(self.args[0])}, {text})"

    def _latex(self, printer):
        if label == "getitem":
            return rf"{_atom(printer, self.args[0])}\left[{text}\right]"
        name = label.replace("_", r"\_")
        return rf"\operatorname{{{name}}}\left({printer.doprint(self.args[0])}, {text}\right)"

    def rank_of(self, ranks):
        return max(ranks) if rank is None else rank

    return type(f"Notation_{label}_{next(_CLASSES)}", (sp.Function,),
                {"nargs": 1, "_sympystr": _sympystr, "_latex": _latex, "rank_of": rank_of})


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
    rules=("d reshape({0})/d{0} = ct reshaped to {0}'s shape",), view="view",
    infer=_infer_reshape, reference=_reference_reshape, numpy=_numpy_reshape,
    notation=lambda attrs, shapes_, x: notation_of(
        "reshape", shapes.fmt(attrs["shape"]), len(attrs["shape"]))(x),
    # d reshape(x)/dx = ct reshaped back to x's shape
    vjp=lambda b, node, ct, needs: [b.op("reshape", ct, shape=node.operands[0].shape)],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), attrs={"shape": (2, -1)}),
    doc="the same elements in another shape (one -1 is inferred; named dimensions keep "
        "their place): (N, C, H, W) -> (N, -1)"))


def _prepare_concat(attrs, args):
    axis = shapes.normalize_axis(attrs.get("axis", 0), len(args[0].shape), "concat",
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


class Joined(sp.Function):
    """``concat((a, b), axis=1)``: tensors joined along an axis, the tensors then the axis
    (``label`` is the op: concat here, stack in arrange.py)."""

    label = "concat"

    def _sympystr(self, printer):
        xs = ", ".join(printer.doprint(a) for a in self.args[:-1])
        return f"{self.label}(({xs}), axis={self.args[-1]})"

    def _latex(self, printer):
        xs = ", ".join(printer.doprint(a) for a in self.args[:-1])
        return rf"\operatorname{{{self.label}}}_{{{self.args[-1]}}}\left({xs}\right)"

register(OpDef(
    name="concat", family="shape", arity=None, attrs=("axis",), prepare=_prepare_concat,
    rules=("d concat(...)/d{x} = the slice of ct where {x} was put",),
    infer=_infer_concat, vjp=_vjp_concat,
    reference=lambda attrs, *xs: np.concatenate(xs, axis=attrs["axis"]),
    numpy="np.concatenate([{operands}], axis={axis})",
    notation=lambda attrs, shapes_, *xs: Joined(*xs, sp.Integer(attrs["axis"])),
    test=TestSpec(inputs=(("float", (3, 1), -2.0, 2.0), ("float", (3, 2), -2.0, 2.0),
                          ("float", (3, 4), -2.0, 2.0)), attrs={"axis": -1}),
    doc="the operands joined along axis (0 by default); they agree on every other axis"))


# ---- indexing ----------------------------------------------------------------------------

BASIC = "ints, slices (with steps), ... and None"


def index_key(key, what="a node"):
    """A Python index (``x[0, 1:3, ..., None]``) as a printable attribute: a tuple of ints,
    (start, stop, step) triples, "..." and None. Lists, arrays, bools and nodes (fancy or
    boolean indexing) are a GraphError."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    for item in items:
        if isinstance(item, slice):
            out.append(tuple(None if v is None else _index_int(v, key, what)
                             for v in (item.start, item.stop, item.step)))
        elif item is Ellipsis:
            out.append("...")
        elif item is None:
            out.append(None)
        else:
            out.append(_index_int(item, key, what))
    return tuple(out)


def _index_int(value, key, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise GraphError(f"indexing {what} with {key!r}: graphc indexes with {BASIC}; "
                         f"{value!r} would be fancy or boolean indexing, which is not "
                         f"supported")
    return int(value)


def check_index(index, x):
    """``index`` as index_key gives it, checked; GraphError otherwise."""
    where = f"getitem of {shapes.describe(x)}"
    if not isinstance(index, tuple):
        raise GraphError(f"{where}: the index must be a tuple, got {index!r}")
    for item in index:
        triple = isinstance(item, tuple) and len(item) == 3 and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in item)
        plain = item is None or item == "..." or (isinstance(item, int)
                                                  and not isinstance(item, bool))
        if not (triple or plain):
            raise GraphError(f"{where}: bad index item {item!r}; use {BASIC}")
    if sum(1 for i in index if i == "...") > 1:
        raise ShapeError(f"{where}: an index can only have one ellipsis (...)")
    return index


def _slice_length(item, d, axis, where):
    start, stop, step = item
    if step == 0:
        raise ShapeError(f"{where}: slice step cannot be zero (axis {axis})")
    if isinstance(d, int):
        return len(range(*slice(start, stop, step).indices(d)))
    if start is None and stop is None and step in (None, 1, -1):
        return d
    raise ShapeError(f"{where}: axis {axis} has the named size {d}, so only all of it can "
                     f"be taken (: or ::-1), not {_item_text(item)}")


def index_shape(index, x, where):
    """The shape of ``x[index]``; ShapeError naming x when the index does not fit."""
    shape = tuple(x.shape)
    used = sum(1 for i in index if i is not None and i != "...")
    if used > len(shape):
        raise ShapeError(f"{where}: too many indices ({used}) for rank {len(shape)}")
    out, axis = [], 0
    for item in index:
        if item is None:
            out.append(1)
        elif item == "...":
            fill = len(shape) - used
            out.extend(shape[axis:axis + fill])
            axis += fill
        else:
            d = shape[axis]
            if isinstance(item, tuple):
                out.append(_slice_length(item, d, axis, where))
            elif isinstance(d, int) and not -d <= item < d:
                raise ShapeError(f"{where}: index {item} is out of range for axis {axis} "
                                 f"of size {d}")
            axis += 1
    return tuple(out) + shape[axis:]


def _item_text(item):
    if item is None:
        return "None"
    if item == "...":
        return "..."
    if isinstance(item, int):
        return str(item)
    start, stop, step = ("" if v is None else str(v) for v in item)
    return f"{start}:{stop}" + (f":{step}" if step else "")


def index_text(index):
    """The index as Python writes it: ``:, 1:3, ..., None``."""
    return ", ".join(_item_text(i) for i in index) if index else "()"


def index_rank(index, ndim):
    """The number of axes of ``x[index]`` for an ``x`` of ``ndim`` axes: an int takes one
    away, None adds one."""
    ints = sum(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index)
    return ndim - ints + sum(i is None for i in index)


def python_index(index):
    """The index as Python indexes with it: slices, Ellipsis, ints and None."""
    return tuple(slice(*i) if isinstance(i, tuple) else Ellipsis if i == "..." else i
                 for i in index)


def _prepare_getitem(attrs, args):
    index = check_index(attrs.get("index"), args[0])
    index_shape(index, args[0], f"getitem [{index_text(index)}] of {shapes.describe(args[0])}")
    return {"index": index}


def _numpy_getitem(attrs, operand_shapes):
    """``x[:, 1:3]``; a 0-d result as an array, not a NumPy scalar."""
    base = "np.asarray({0})" if not operand_shapes[0] else "{0}"
    text = f"{base}[{index_text(attrs['index'])}]"
    x = shapes.Arg("", "", tuple(operand_shapes[0]), "float64")
    return f"np.asarray({text})" if not index_shape(attrs["index"], x, "getitem") else text


register(OpDef(
    name="getitem", family="shape", arity=1, attrs=("index",), prepare=_prepare_getitem,
    rules=("d {0}[index]/d{0} = ct put at the index in zeros like {0}",),
    infer=lambda attrs, args: (index_shape(attrs["index"], args[0], "getitem"),
                               args[0].dtype),
    reference=lambda attrs, x: np.asarray(x)[python_index(attrs["index"])],
    numpy=_numpy_getitem,
    notation=lambda attrs, shapes_, x: notation_of(
        "getitem", index_text(attrs["index"]), index_rank(attrs["index"], len(shapes_[0])))(x),
    # d x[index]/dx = ct written at index into zeros of x's shape
    vjp=lambda b, node, ct, needs: [
        b.op("index_put", ct, node.operands[0], index=node.attrs["index"])],
    test=TestSpec(inputs=(("float", (3, 4, 5), -2.0, 2.0),),
                  attrs={"index": (1, (None, None, -2), None, "...")}),
    doc="basic indexing x[...]: ints, slices with steps, ... and None (no fancy or "
        "boolean indexing)"))

