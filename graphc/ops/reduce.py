"""Reductions: sum and mean (whole, or along axes, with keepdims), and argmax (not
differentiable); max, min, var, std, logsumexp and prod are in ``reduce_stats.py``.

Gradient rules:
  d sum(x, axes)/dx  = broadcast ct back over the summed axes
  d mean(x, axes)/dx = the same, divided by the number of elements averaged
The number averaged is a ``count`` node (in ``adjoint.py``), read from the runtime shape.
"""

import math

import numpy as np
import sympy as sp

from ..errors import ShapeError
from .. import shapes
from . import notation
from .registry import OpDef, TestSpec, register


def prepare_reduce(attrs, args, op):
    """``axis`` as the sorted tuple ``axes``; a record's own ``axes`` are taken as they are,
    so its attributes rebuild the node (``replace`` and ``passes.verify`` re-infer it)."""
    x = args[0]
    axis = attrs["axes"] if "axes" in attrs else attrs.get("axis")
    axes = shapes.normalize_axes(axis, len(x.shape), op, x)
    return {"axes": axes, "keepdims": bool(attrs.get("keepdims", False))}


def reduced(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def spread(b, node, ct):
    """ct broadcast back to the reduced operand's shape."""
    axes = () if node.attrs["keepdims"] else node.attrs["axes"]
    return b.op("broadcast_like", ct, node.operands[0], axes=axes)


def notation_reduce(name, attrs, operand_shapes, x):
    """``sum(x, axis=1)``; over every axis just ``sum(x)``; of a scalar, the scalar."""
    (shape,) = operand_shapes
    if not shape:
        return x
    axes = () if len(attrs["axes"]) == len(shape) else attrs["axes"]
    return notation.reduce(name, x, axes, attrs["keepdims"], attrs.get("ddof", 0))


def _exact_reduce(name, attrs, x):
    summed = np.sum(x, axis=attrs["axes"], keepdims=attrs["keepdims"])
    if name == "sum":
        return np.asarray(summed, dtype=object)
    count = math.prod(np.shape(x)[a] for a in attrs["axes"])
    return np.asarray(summed / sp.Integer(count), dtype=object)


def _define_reduce(name, reference, vjp, float_result, doc):
    register(OpDef(
        notation=lambda attrs, shapes_, x: notation_reduce(name, attrs, shapes_, x),
        exact=lambda attrs, x: _exact_reduce(name, attrs, x),
        name=name, family="reduce", arity=1, attrs=("axis", "keepdims", "axes"),
        rules=(f"d {name}({{x}})/d{{x}} = ct broadcast back over the reduced axes"
               + (" / count" if name == "mean" else ""),),
        numpy=f"{{0}}.{name}(axis={{axes}}, keepdims={{keepdims}})",  # the method: quicker
        prepare=lambda attrs, args: prepare_reduce(attrs, args, name),
        infer=lambda attrs, args: (
            reduced(args[0].shape, attrs["axes"], attrs["keepdims"]),
            shapes.float_of(args[0].dtype) if float_result else args[0].dtype),
        reference=lambda attrs, x: reference(x, axis=attrs["axes"],
                                             keepdims=attrs["keepdims"]),
        vjp=vjp,
        test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),),
                      attrs={"axis": 1, "keepdims": name == "mean"}),
        doc=doc))


_define_reduce("sum", np.sum, lambda b, node, ct, needs: [spread(b, node, ct)], False,
               "sum of all elements, or along axis (keepdims keeps them as size 1)")
_define_reduce(
    "mean", np.mean,
    lambda b, node, ct, needs: [
        spread(b, node, ct) / b.op("count", node.operands[0], axes=node.attrs["axes"])],
    True, "mean of all elements, or along axis")


class _ArgMax(sp.Function):
    """``argmax(x, axis=1)``."""

    nargs = 2

    def rank_of(self, ranks):
        return ranks[0] - 1

    def _sympystr(self, printer):
        return f"argmax({printer.doprint(self.args[0])}, axis={self.args[1]})"

    def _latex(self, printer):
        return (rf"\operatorname{{argmax}}_{{{self.args[1]}}}"
                rf"\left({printer.doprint(self.args[0])}\right)")


def _prepare_argmax(attrs, args):
    x = args[0]
    if not x.shape:
        raise ShapeError(f"argmax of {shapes.describe(x)}: needs at least one axis")
    axis = shapes.normalize_axis(attrs.get("axis", -1), len(x.shape), "argmax", x)
    return {"axis": axis}


register(OpDef(
    name="argmax", family="reduce", arity=1, attrs=("axis",), nondiff=(0,),
    prepare=_prepare_argmax,
    infer=lambda attrs, args: (reduced(args[0].shape, (attrs["axis"],), False), "int64"),
    reference=lambda attrs, x: np.argmax(x, axis=attrs["axis"]),
    notation=lambda attrs, shapes_, x: _ArgMax(x, sp.Integer(attrs["axis"])),
    numpy="np.argmax({0}, axis={axis})",
    vjp=lambda b, node, ct, needs: [None],  # piecewise constant: no gradient flows
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0),), attrs={"axis": -1}, grad=False),
    doc="the index of the largest element along axis (the last by default; the first "
        "of ties), as int64; not differentiable"))
