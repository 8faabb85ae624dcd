"""Basic indexing, ``x[0, 1:3, ..., None]``, and its gradient.

``getitem`` reads x at an index of ints, slices (with steps), ``...`` and None; its
attribute is the index as printable literals: ints, (start, stop, step) triples, "..." and
None. Its gradient is ``index_put``: zeros of x's shape with the cotangent written where x
was read; the gradient of that is getitem again. Fancy and boolean indexing are errors.
"""

import numpy as np

from ..errors import GraphError, ShapeError
from .. import shapes
from .registry import OpDef, TestSpec, register
from .shape import notation_of


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


def _check_index(index, x):
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


def _python_index(index):
    return tuple(slice(*i) if isinstance(i, tuple) else Ellipsis if i == "..." else i
                 for i in index)


def _prepare_getitem(attrs, args):
    index = _check_index(attrs.get("index"), args[0])
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
    infer=lambda attrs, args: (index_shape(attrs["index"], args[0], "getitem"),
                               args[0].dtype),
    reference=lambda attrs, x: np.asarray(x)[_python_index(attrs["index"])],
    numpy=_numpy_getitem,
    notation=lambda attrs, shapes_, x: notation_of("getitem", index_text(attrs["index"]))(
        x),
    # d x[index]/dx = ct written at index into zeros of x's shape
    vjp=lambda b, node, ct, needs: [
        b.op("index_put", ct, node.operands[0], index=node.attrs["index"])],
    test=TestSpec(inputs=(("float", (3, 4, 5), -2.0, 2.0),),
                  attrs={"index": (1, (None, None, -2), None, "...")}),
    doc="basic indexing x[...]: ints, slices with steps, ... and None (no fancy or "
        "boolean indexing)"))


def _infer_index_put(attrs, args):
    values, like = args
    where = f"index_put of {shapes.describe(values)} at [{index_text(attrs['index'])}] " \
            f"of {shapes.describe(like)}"
    expected = index_shape(attrs["index"], like, where)
    if tuple(values.shape) != expected:
        raise ShapeError(f"{where}: the values must have shape {shapes.fmt(expected)}")
    return tuple(like.shape), values.dtype


def _reference_index_put(attrs, values, like):
    out = np.zeros(np.shape(like), dtype=np.asarray(values).dtype)
    out[_python_index(attrs["index"])] = values
    return out


def _np_index_put(values, like, index):
    """Zeros of ``like``'s shape with ``values`` at ``index``: the gradient of indexing."""
    out = np.zeros(np.shape(like), dtype=np.result_type(values))
    out[index] = values
    return out


register(OpDef(
    name="index_put", family="shape", arity=2, attrs=("index",), nondiff=(1,),
    prepare=lambda attrs, args: {"index": _check_index(attrs.get("index"), args[1])},
    infer=_infer_index_put, reference=_reference_index_put,
    numpy=lambda attrs, shapes_: f"_np_index_put({{0}}, {{1}}, "
                                 f"np.s_[{index_text(attrs['index'])}])",
    helpers=(_np_index_put,),
    notation=lambda attrs, shapes_, v, like: notation_of(
        "index_put", f"[{index_text(attrs['index'])}]")(v),
    # d index_put(v)/dv = ct read back at index
    vjp=lambda b, node, ct, needs: [b.op("getitem", ct, index=node.attrs["index"]), None],
    test=TestSpec(inputs=(("float", (2, 1, 5), -2.0, 2.0), ("float", (3, 4, 5), -2.0, 2.0)),
                  attrs={"index": (1, (None, None, -2), None, "...")}),
    doc="zeros of like's shape with values written at index (the gradient of x[index])"))
