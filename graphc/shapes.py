"""Shapes and dtypes: the small algebra every op's ``infer`` rule is written in.

A shape is a tuple of dimensions; a dimension is an ``int`` or a name such as ``"N"``
(a batch size known only when the graph is fed). Broadcasting follows NumPy, with one
rule for names: a named dimension matches only itself or 1.
"""

import operator
from dataclasses import dataclass

import numpy as np

from .errors import DTypeError, ShapeError

FLOATS = ("float32", "float64")
INTS = ("int32", "int64")
DTYPES = FLOATS + INTS


@dataclass(frozen=True)
class Arg:
    """What an op's rules see of one operand: its name, producing op, shape and dtype."""

    name: str
    op: str
    shape: tuple
    dtype: str
    weak: bool = False  # a plain Python number: it takes the dtype of what it meets


def fmt(shape):
    """``(3, 4)``, ``(N, 784)``, ``()``: a shape as people write it."""
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def describe(arg):
    """``'w' (3, 4)``: an operand named and shaped, for error messages."""
    return f"{arg.name!r} {fmt(arg.shape)}"


def integer(value):
    """``value`` as an int if it is an integer (a Python or NumPy int; not a bool, not a
    float), else None: the one test of "an int" for shapes, axes and counts."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def normalize_shape(shape, what="shape"):
    """Check a user's shape and return it as a tuple; an int ``n`` means ``(n,)``. Only a
    tuple or a list is a shape: bytes, sets and dicts iterate into nonsense."""
    if integer(shape) is not None or isinstance(shape, str):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise ShapeError(f"{what} must be a tuple of ints and names, got {shape!r}")
    dims = tuple(d if isinstance(d, str) or integer(d) is None else integer(d)
                 for d in shape)
    for d in dims:
        ok_int = isinstance(d, int) and d >= 0
        ok_name = isinstance(d, str) and d.isidentifier() and d.isascii()
        if not (ok_int or ok_name):
            raise ShapeError(
                f"{what} {shape!r}: each dimension must be an int >= 0 or a name "
                f"such as 'N', got {d!r}")
    return dims


def normalize_dtype(dtype):
    """Return the dtype's canonical name; graphc uses float32/64 and int32/64."""
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    name = {"float": "float64", "int": "int64", "double": "float64"}.get(name, name)
    if name not in DTYPES:
        raise DTypeError(f"dtype {dtype!r} is not supported; use one of {', '.join(DTYPES)}")
    return name


def broadcast_dims(dims):
    """The broadcast of one column of dimensions, or None when they do not fit."""
    out = 1
    for d in dims:
        if d == 1 or d == out:
            continue
        if out != 1:
            return None
        out = d
    return out


def broadcast(args, op):
    """The shape that ``args`` broadcast to; ShapeError naming them when they do not."""
    rank = max((len(a.shape) for a in args), default=0)
    padded = [(1,) * (rank - len(a.shape)) + tuple(a.shape) for a in args]
    out = []
    for column in zip(*padded):
        d = broadcast_dims(column)
        if d is None:
            names = " and ".join(describe(a) for a in args)
            raise ShapeError(f"{op}: cannot broadcast {names}: dimensions {column} differ")
        out.append(d)
    return tuple(out)


def promote(args, op):
    """The result dtype of combining ``args``; plain numbers never widen a tensor's dtype."""
    strong = [a.dtype for a in args if not a.weak] or [a.dtype for a in args]
    floats = [d for d in strong if d in FLOATS]
    if floats:
        return "float64" if "float64" in floats else "float32"
    if any(a.dtype in FLOATS for a in args):  # a plain float meets integers
        return "float64"
    return "int64" if "int64" in strong else "int32"


def float_of(dtype):
    """The float dtype a computation on ``dtype`` produces (ints compute in float64)."""
    return dtype if dtype in FLOATS else "float64"


def require_float(arg, op):
    if arg.dtype not in FLOATS:
        raise DTypeError(f"{op}: operand {describe(arg)} is {arg.dtype}; it needs a float")


def normalize_axes(axis, ndim, op, arg):
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes; a list is
    refused, as NumPy refuses it, and so is anything else that is not an int."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, list):
        raise ShapeError(f"{op}: axis {axis!r} of {describe(arg)} is a list; give an int "
                         f"or a tuple of ints, as NumPy takes: axis={tuple(axis)!r}")
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        index = integer(a)
        if index is None:
            raise ShapeError(f"{op}: axis {a!r} of {describe(arg)} must be an int (or a tuple "
                             f"of ints, or None for every axis)")
        if not -ndim <= index < ndim:
            raise ShapeError(f"{op}: axis {a!r} is out of range for {describe(arg)} "
                             f"of rank {ndim}")
        out.append(index % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: axis {axis!r} repeats an axis of {describe(arg)}")
    return tuple(sorted(out))


def normalize_axis(axis, ndim, op, arg):
    """The one ``axis`` (an int) of an op that takes one, such as softmax or concat, as a
    non-negative int; a tuple, a list or None is a ShapeError naming ``op``."""
    if isinstance(axis, (tuple, list)) or axis is None:
        raise ShapeError(f"{op}: axis {axis!r} of {describe(arg)} must be one int: {op} "
                         f"takes one axis")
    (index,) = normalize_axes(axis, ndim, op, arg)
    return index


def expand(shape, axes):
    """``shape`` with a 1 inserted at each of ``axes`` (positions in the result)."""
    dims = list(shape)
    for a in sorted(axes):
        dims.insert(a, 1)
    return tuple(dims)
