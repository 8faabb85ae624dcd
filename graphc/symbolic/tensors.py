"""Tensor values in claims: element-wise arithmetic, ``@``, ``.T``, components and lists.

A claim's value is a SymPy expression (a scalar, or a tensor written as one symbol in
formula mode) or a SymPy array (at a point, where each tensor node is the array of its
components). Arithmetic between arrays is element-wise with NumPy's broadcasting, each
element built by the same guarded rule as scalars; a bad shape is a Reject that names the
shapes.

>>> a = sp.Array([1, 2])
>>> elementwise(lambda u, v: u * v, a, sp.Integer(3))
[3, 6]
>>> matmul(a, a), component(sp.Array([[1, 2], [3, 4]]), (1, 0))
(5, 3)
"""

import re

import numpy as np
import sympy as sp

from ..ops import notation
from .guards import Reject

# The lecture's w1 for w[0] of a vector w (1-based), where no node is named w1.
_LECTURE_COMPONENT = re.compile(r"(.*?[^\d_])_?([1-9]\d*)")
_INDEXED = re.compile(r"(\w+)\s*\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*,?\s*\]")

#: The most elements an array in a claim may have: a symbolic @ grows as their product.
MAX_ELEMENTS = 4096


def is_array(value):
    return isinstance(value, sp.NDimArray)


def shape_of(value):
    return tuple(value.shape) if is_array(value) else ()


def objects(value):
    """A claim value as NumPy: an object array of its components, or the one element."""
    return np.array(value.tolist(), dtype=object) if is_array(value) else value


def value_of(result):
    """A NumPy object array (or one element) as a claim value."""
    result = np.asarray(result, dtype=object)
    if result.ndim == 0:
        return sp.sympify(result.item())
    if result.size > MAX_ELEMENTS:
        raise Reject(f"it has more than {MAX_ELEMENTS} elements")
    return sp.Array(result.tolist())


def elementwise(rule, *values):
    """``rule`` applied element by element (broadcast as NumPy does) when any is an array."""
    if not any(is_array(v) for v in values):
        return rule(*values)
    try:
        arrays = np.broadcast_arrays(*(np.asarray(objects(v), dtype=object) for v in values))
    except ValueError:
        shapes = " and ".join(str(shape_of(v)) for v in values)
        raise Reject(f"shapes {shapes} do not broadcast together") from None
    flat = [rule(*items) for items in zip(*(a.ravel() for a in arrays))]
    out = np.empty(arrays[0].shape, dtype=object)
    out.ravel()[:] = flat if flat else []
    return value_of(out)


def matmul(a, b):
    """``a @ b``: the matrix product of arrays, or the product's notation between symbols."""
    if not is_array(a) and not is_array(b):
        return notation.MatMul(a, b)
    if not (is_array(a) and is_array(b)) or 0 in (a.rank(), b.rank()):
        raise Reject(f"@ needs two tensors, got shapes {shape_of(a)} and {shape_of(b)}")
    try:
        return value_of(np.matmul(objects(a), objects(b)))
    except ValueError:
        raise Reject(f"shapes {shape_of(a)} @ {shape_of(b)} do not match") from None


def transpose(a):
    """``a.T``: the array with its axes reversed, as NumPy does, or the notation."""
    return value_of(objects(a).T) if is_array(a) else notation.Transpose(a)


def component(value, index):
    """``value[index]`` for a tuple of 0-based integers (negative ones count from the end)."""
    if not is_array(value):
        raise Reject("indexing (w[0]) needs a tensor's values at a point (at=, or --at); "
                     "here it is one symbol")
    shape = shape_of(value)
    if len(index) > len(shape):
        raise Reject(f"{len(index)} indices for a tensor of shape {shape}")
    for i, n in zip(index, shape):
        if not -n <= i < n:
            raise Reject(f"index {i} is out of range for shape {shape}")
    return value_of(objects(value)[tuple(index)])


def array_of(items):
    """A list literal ``[a, b]`` (nested for matrices) as an array; rows of equal shape."""
    shapes = {shape_of(v) for v in items}
    if len(shapes) > 1:
        raise Reject(f"the rows of a list have different shapes: {sorted(shapes)}")
    if not items:
        raise Reject("an empty list is not allowed")
    return value_of(np.array([objects(v) for v in items], dtype=object))


def lecture_component(name, names):
    """(base, 0-based index) when ``name`` is the lecture's ``w1`` for ``w[0]`` of a vector
    ``w`` in ``names`` (and no node is called ``name``), else None.

    >>> lecture_component("w2", {"w": sp.Array([sp.Symbol("a"), sp.Symbol("b")])})
    ('w', 1)
    """
    match = _LECTURE_COMPONENT.fullmatch(name)
    if name in names or match is None:
        return None
    base, number = match[1], int(match[2])
    value = names.get(base)
    if is_array(value) and len(shape_of(value)) == 1 and number <= shape_of(value)[0]:
        return base, number - 1
    return None


def named_part(text, names):
    """(node name, 0-based index or None, reading) for ``w``, ``w[0]``, ``W[0, 1]`` or the
    lecture's ``w1`` (for w[0] of a vector w); None when ``text`` names no node."""
    if text in names:
        return text, None, ""
    indexed = _INDEXED.fullmatch(text)
    if indexed and indexed[1] in names:
        index = tuple(int(i) for i in indexed[2].split(","))
        component(names[indexed[1]], index)       # refuses a bad index, names the shape
        return indexed[1], index, ""
    read = lecture_component(text, names)
    if read is not None:
        return read[0], (read[1],), f"{text} read as {read[0]}[{read[1]}]"
    return None
