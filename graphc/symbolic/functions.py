"""Whole-tensor functions in claims: ``sum``, ``mean``, ``softmax``, ``log_softmax``,
``onehot`` and ``outer``, as NumPy has them (``CLAIM_FUNCTIONS`` in reader.py act element by
element; these take whole tensors).

A tensor argument is an array of its components (a claim at a point); sum, mean, softmax
and log_softmax are the graph's own ops' exact rules, so a claim's ``softmax(f)`` is
exp(f[0])/(exp(f[0]) + exp(f[1]) + ...) exactly as graphc derives it. Axes are integers,
negative ones counting from the end. A number stands for a scalar (``sum(3)`` is 3, as in
NumPy); an argument that is one symbol may be a scalar or a tensor without its components,
so it is refused, asking for a point.

>>> x = sp.Array([1, 2, 3])
>>> call("sum", [x], ["x"]), call("mean", [x], ["x"])
(6, 2)
>>> call("onehot", [sp.Array([2, 0]), sp.Integer(3)], ["y", "3"])
[[0, 0, 1], [1, 0, 0]]
"""

import numpy as np
import sympy as sp

from ..errors import ClaimError
from ..ops import registry
from .guards import Reject
from .tensors import MAX_ELEMENTS, is_array, objects, shape_of, value_of


def _axis(name, value, shape):
    """``value`` as an axis of a tensor of ``shape``, counted from 0 (negative from the end)."""
    if not isinstance(value, sp.Integer):
        raise Reject(f"the axis of {name} must be an integer, got {value}")
    axis, rank = int(value), len(shape)
    if not -rank <= axis < rank:
        raise Reject(f"axis {axis} is out of range for {name} of shape {shape}")
    return axis % rank


def _tensor(name, value, text, scalar_hint):
    """The components of ``value`` (a number stands for itself), else a Reject asking for
    a point: one symbol may be a scalar or a whole tensor, and only components tell."""
    if is_array(value) or value.is_number:
        return objects(value)
    raise Reject(f"{name} needs the tensor's components, but {text} is one symbol here: give "
                 f"a point (at=, or --at), where a tensor of at most {MAX_ELEMENTS} elements "
                 f"is the array of its components; {scalar_hint}")


def _reduction(op):
    def reduce(x, *axis, texts):
        values = _tensor(op, x, texts[0], f"the {op} of a scalar is the scalar itself")
        rank = np.ndim(values)
        axes = (_axis(op, axis[0], np.shape(values)),) if axis else tuple(range(rank))
        attrs = {"axes": axes, "keepdims": False}
        return value_of(registry.get(op).exact(attrs, np.asarray(values, dtype=object)))
    return reduce


def _softmax(op):
    def softmax(x, *axis, texts):
        values = _tensor(op, x, texts[0], "softmax of a scalar is 1")
        shape = np.shape(values)
        where = _axis(op, axis[0], shape) if axis else -1
        exact = registry.get(op).exact
        if not shape:       # as a vector of one: softmax 1, log_softmax 0
            return value_of(exact({"axis": 0}, np.array([values], dtype=object))[0])
        return value_of(exact({"axis": where}, values))
    return softmax


def _class_index(y, classes):
    """None when the number ``y`` is a class index 0..classes-1, else why not."""
    if not (y.is_Integer or (y.is_Float and float(y).is_integer())):
        return f"a class index must be an integer, got {y}"
    if not 0 <= int(y) < classes:
        return (f"class index {int(y)} is out of range for {classes} class"
                f"{'es' if classes > 1 else ''} (0..{classes - 1})")
    return None


class OneHotEntry(sp.Function):
    """Component ``k`` of onehot(y, classes) for a symbol ``y`` (a label's stand-in): 1 or
    0 once ``y`` is a number; a number that is not a class index is a ClaimError then."""

    nargs = 3

    @classmethod
    def eval(cls, y, k, classes):
        if y.is_number:
            why = _class_index(y, int(classes))
            if why is not None:
                raise ClaimError(f"onehot(label, {classes}) in a claim, at the point: {why}")
            return sp.S.One if int(y) == int(k) else sp.S.Zero
        return None

    def _sympystr(self, printer):
        y, k, classes = self.args
        return f"onehot({printer.doprint(y)}, {classes})[{k}]"


def onehot(y, classes, texts):
    """onehot(y, K): 0/1 rows of K classes for the integer labels ``y`` (0-based)."""
    if not (isinstance(classes, sp.Integer) and classes > 0):
        raise Reject(f"onehot(y, K) needs K a positive integer, got {classes}")
    labels = np.asarray(objects(y), dtype=object)
    if labels.size * int(classes) > MAX_ELEMENTS:
        raise Reject(f"onehot({texts[0]}, {classes}) would have more than {MAX_ELEMENTS} "
                     "elements")
    for label in labels.ravel():
        why = _class_index(label, int(classes)) if label.is_number else None
        if why is not None:
            raise Reject(f"onehot({texts[0]}, {classes}): {why}")
    hot = [[OneHotEntry(label, k, classes) for k in range(int(classes))]
           for label in labels.ravel()]
    return value_of(np.array(hot, dtype=object).reshape(labels.shape + (int(classes),)))


def outer(a, b, texts):
    """outer(a, b): the matrix a[i] * b[j] of two vectors (a scalar scales, as in NumPy)."""
    values = [_tensor("outer", v, t, "the outer product of scalars is their product")
              for v, t in zip((a, b), texts)]
    if any(np.ndim(v) > 1 for v in values):
        raise Reject(f"outer needs two vectors, got shapes {shape_of(a)} and {shape_of(b)}")
    if np.size(values[0]) * np.size(values[1]) > MAX_ELEMENTS:
        raise Reject(f"outer({', '.join(texts)}) would have more than {MAX_ELEMENTS} elements")
    return value_of(np.multiply.outer(*values))


#: Whole-tensor functions: the name a user types -> (function, the arities allowed). Each
#: function takes the argument values and ``texts``, the arguments as typed.
TENSOR_FUNCTIONS = {
    "sum": (_reduction("sum"), (1, 2)),
    "mean": (_reduction("mean"), (1, 2)),
    "softmax": (_softmax("softmax"), (1, 2)),
    "log_softmax": (_softmax("log_softmax"), (1, 2)),
    "onehot": (onehot, (2,)),
    "outer": (outer, (2,)),
}

#: How each is called, for messages.
USAGE = {"sum": "sum(x) or sum(x, axis)", "mean": "mean(x) or mean(x, axis)",
         "softmax": "softmax(x) or softmax(x, axis)",
         "log_softmax": "log_softmax(x) or log_softmax(x, axis)",
         "onehot": "onehot(y, K)", "outer": "outer(a, b)"}


def check_arity(name, count):
    """Reject a call of tensor function ``name`` with ``count`` arguments it does not take."""
    arities = TENSOR_FUNCTIONS[name][1]
    if count not in arities:
        raise Reject(f"{name} takes {' or '.join(map(str, arities))} argument"
                     f"{'s' if max(arities) > 1 else ''}, got {count}: {USAGE[name]}")


def call(name, args, texts):
    """The value of tensor function ``name`` on ``args`` (typed as ``texts``); Reject when
    the arity, an axis or an argument is wrong."""
    check_arity(name, len(args))
    return TENSOR_FUNCTIONS[name][0](*args, texts=texts)
