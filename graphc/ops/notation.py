"""Matrix notation for formulas of tensor graphs: SymPy functions that print as people write.

A tensor is one SymPy symbol (``W2``), never its elements; these functions stand for the
structural ops over such symbols and print as ``A @ B``, ``A.T``, ``sum(A, axis=0)``,
``softmax(Z)`` (and as ``A B``, ``A^{T}``, ... in LaTeX). Element-wise functions (sigmoid,
relu, exp, ...) applied to a tensor symbol mean element-wise application, and ``*`` between
tensors is the element-wise product, as in NumPy.

>>> A, B = sp.symbols("A B")
>>> str(Transpose(MatMul(A + B, B)))
'((A + B) @ B).T'
"""

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE


def _str(printer, arg, level):
    return printer.parenthesize(arg, level, strict=False)


class MatMul(sp.Function):
    """The matrix product ``a @ b``; its argument order is kept (it is not commutative)."""

    nargs = 2
    precedence = PRECEDENCE["Mul"]  # parenthesized inside a product, not inside a sum

    def _sympystr(self, printer):
        a, b = self.args
        return f"{_str(printer, a, PRECEDENCE['Mul'])} @ {_str(printer, b, PRECEDENCE['Mul'])}"

    def _latex(self, printer):
        a, b = (printer.parenthesize(x, PRECEDENCE["Mul"], strict=False) for x in self.args)
        return f"{a} {b}"


class Transpose(sp.Function):
    """``a.T``: a matrix transposed."""

    nargs = 1

    @classmethod
    def eval(cls, a):
        if isinstance(a, Transpose):
            return a.args[0]
        return None

    def _sympystr(self, printer):
        return f"{printer.parenthesize(self.args[0], PRECEDENCE['Atom'], strict=True)}.T"

    def _latex(self, printer):
        return f"{{{printer.parenthesize(self.args[0], PRECEDENCE['Atom'], strict=True)}}}^{{T}}"


def _axes_text(axes):
    values = tuple(int(a) for a in axes)
    return str(values[0]) if len(values) == 1 else str(values)


class _Reduction(sp.Function):
    """``name(x, axis=...)``; args: x, the axes (a Tuple; empty for all) and keepdims."""

    label = ""

    def _sympystr(self, printer):
        x, axes, keep = self.args
        parts = [printer.doprint(x)]
        if len(axes):
            parts.append(f"axis={_axes_text(axes)}")
        if keep:
            parts.append("keepdims=True")
        return f"{self.label}({', '.join(parts)})"

    def _latex(self, printer):
        x, axes, _ = self.args
        below = f"_{{{_axes_text(axes)}}}" if len(axes) else ""
        return rf"\operatorname{{{self.label}}}{below}\left({printer.doprint(x)}\right)"


class ReduceSum(_Reduction):
    """``sum(x, axis=...)``."""

    nargs = 3
    label = "sum"


class ReduceMean(_Reduction):
    """``mean(x, axis=...)``."""

    nargs = 3
    label = "mean"


def reduce(kind, x, axes=(), keepdims=False):
    """``sum`` or ``mean`` of ``x`` over ``axes`` (all when empty), as notation."""
    cls = ReduceSum if kind == "sum" else ReduceMean
    return cls(x, sp.Tuple(*[sp.Integer(a) for a in axes]), sp.true if keepdims else sp.false)


class _Named(sp.Function):
    """A function printed by its lecture name: ``softmax(Z)``, ``onehot(labels)``, ..."""

    label = ""

    def _sympystr(self, printer):
        return f"{self.label}({', '.join(printer.doprint(a) for a in self.args)})"

    def _latex(self, printer):
        inner = ", ".join(printer.doprint(a) for a in self.args)
        return rf"\operatorname{{{self.label}}}\left({inner}\right)"


def named(label, nargs):
    """A new printable function class called ``label`` taking ``nargs`` arguments."""
    return type(f"Notation_{label}", (_Named,), {"label": label, "nargs": nargs})


Softmax = named("softmax", 1)
LogSoftmax = named("log_softmax", 1)
OneHot = named("onehot", 1)
CrossEntropy = named("cross_entropy", 2)
Outer = named("outer", 2)
Permute = named("transpose", 2)


def emap(function, *arrays):
    """``function`` applied element by element to object arrays (broadcast), exactly."""
    return np.vectorize(function, otypes=[object])(*arrays)


def exact_mean(values, axes=None):
    """The mean of an object array over ``axes`` (all by default) as an exact fraction."""
    values = np.asarray(values, dtype=object)
    axes = tuple(range(values.ndim)) if axes is None else tuple(axes)
    count = int(np.prod([values.shape[a] for a in axes])) if axes else 1
    return np.asarray(np.sum(values, axis=axes) / sp.Integer(count), dtype=object)
