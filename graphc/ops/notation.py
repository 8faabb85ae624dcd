r"""Matrix notation for formulas of tensor graphs: SymPy functions that print as people write.

A tensor is one SymPy symbol (``W2``), never its elements; these functions stand for the
structural ops over such symbols and print as ``A @ B``, ``A.T``, ``sum(A, axis=0)``,
``softmax(Z)`` (and as ``A B``, ``A^{\top}``, ``w^{\top} x`` for two vectors, ... in
LaTeX). Element-wise functions (sigmoid, relu, exp, ...) applied to a tensor symbol mean
element-wise application, and ``*`` between tensors is the element-wise product, as in
NumPy (``A \odot B`` in LaTeX, ``graphc.symbolic.latex``).

LaTeX needs the number of axes of a subexpression (``x @ x`` is a dot product for vectors,
``A * B`` a Hadamard product for tensors): ``rank(expr, ranks)`` gives it from the ranks of
the symbols, and each class here that changes the number of axes says how in ``rank_of``.

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

    def rank_of(self, ranks):
        a, b = ranks
        if a == 1 or b == 1:
            return a + b - 2  # a vector's axis is summed: a dot product, or matrix @ vector
        return max(a, b)

    def _latex(self, printer):
        a, b = (printer.parenthesize(x, PRECEDENCE["Mul"], strict=False) for x in self.args)
        ranks = getattr(printer, "ranks", None)  # a shape-aware printer gives the ranks
        if ranks is not None and rank(self.args[0], ranks) == rank(self.args[1], ranks) == 1:
            return f"{transposed(printer, self.args[0])} {b}"  # the dot product w^T x
        return f"{a} {b}"


def transposed(printer, x):
    r"""``x^{\top}`` in LaTeX: braces around the base unless it is a plain symbol."""
    base = printer.parenthesize(x, PRECEDENCE["Atom"], strict=True)
    if isinstance(x, sp.Symbol) and "^" not in base:
        return rf"{base}^{{\top}}"
    return rf"{{{base}}}^{{\top}}"


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
        return transposed(printer, self.args[0])


def _axes_text(axes):
    values = tuple(int(a) for a in axes)
    return str(values[0]) if len(values) == 1 else str(values)


class _Reduction(sp.Function):
    """``name(x, axis=...)``; args: x, the axes (a Tuple; empty for all), keepdims and, for
    var and std only, a nonzero ddof."""

    label = ""

    def rank_of(self, ranks):
        x, axes, keep = self.args[:3]
        if keep:
            return ranks[0]
        return max(ranks[0] - len(axes), 0) if len(axes) else 0

    def _sympystr(self, printer):
        x, axes, keep = self.args[:3]
        parts = [printer.doprint(x)]
        if len(axes):
            parts.append(f"axis={_axes_text(axes)}")
        if keep:
            parts.append("keepdims=True")
        parts += [f"ddof={d}" for d in self.args[3:]]
        return f"{self.label}({', '.join(parts)})"

    def _latex(self, printer, exp=None):
        x, axes = self.args[:2]
        below = f"_{{{_axes_text(axes)}}}" if len(axes) else ""
        ddof = [rf"\mathrm{{ddof}}={d}" for d in self.args[3:]]
        inner = ", ".join([printer.doprint(x)] + ddof)
        return _raised(rf"{_operator(self.label)}{below}\left({inner}\right)", exp)


def _operator(label):
    r"""``\operatorname{log\_softmax}``: an underscore escaped, not a subscript."""
    return rf"\operatorname{{{label}}}".replace("_", r"\_")


def _raised(tex, exp):
    """``tex`` to the power ``exp`` (SymPy's printer passes it for a function in a Pow)."""
    return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


class ReduceSum(_Reduction):
    """``sum(x, axis=...)``."""

    nargs = 3
    label = "sum"


class ReduceMean(_Reduction):
    """``mean(x, axis=...)``."""

    nargs = 3
    label = "mean"


_REDUCTIONS = {"sum": ReduceSum, "mean": ReduceMean}


def reduce(kind, x, axes=(), keepdims=False, ddof=0):
    """``kind`` (sum, mean, max, var, ...) of ``x`` over ``axes`` (all when empty), as
    notation; one class per kind, made once, so that equal formulas compare equal."""
    if kind not in _REDUCTIONS:
        _REDUCTIONS[kind] = type(f"Reduce_{kind}", (_Reduction,),
                                 {"nargs": (3, 4), "label": kind})
    extra = (sp.Integer(ddof),) if ddof else ()
    return _REDUCTIONS[kind](x, sp.Tuple(*[sp.Integer(a) for a in axes]),
                             sp.true if keepdims else sp.false, *extra)


class _Named(sp.Function):
    """A function printed by its lecture name: ``softmax(Z)``, ``onehot(labels)``, ...;
    ``ranked`` gives its rank from those of its arguments (by default, the largest)."""

    label = ""
    ranked = max

    def rank_of(self, ranks):
        return type(self).ranked(ranks)

    def _sympystr(self, printer):
        return f"{self.label}({', '.join(printer.doprint(a) for a in self.args)})"

    def _latex(self, printer, exp=None):
        inner = ", ".join(printer.doprint(a) for a in self.args)
        return _raised(rf"{_operator(self.label)}\left({inner}\right)", exp)


def named(label, nargs, ranked=max):
    """A new printable function class called ``label`` taking ``nargs`` arguments, whose
    rank is ``ranked(ranks of its arguments)``."""
    return type(f"Notation_{label}", (_Named,), {"label": label, "nargs": nargs,
                                                  "ranked": staticmethod(ranked)})


def scalar(ranks):
    """The rank of a function whose value is a number (a loss)."""
    return 0


Softmax = named("softmax", 1)
LogSoftmax = named("log_softmax", 1)
OneHot = named("onehot", 1, lambda ranks: ranks[0] + 1)
CrossEntropy = named("cross_entropy", 2, scalar)
Outer = named("outer", 2, sum)
Permute = named("transpose", 2, lambda ranks: ranks[0])


def rank(expr, ranks):
    """The number of axes of ``expr``, a formula over symbols whose ranks are ``ranks``
    (symbol name -> rank; a symbol not there is a number). Element-wise operations
    broadcast, so their rank is the largest of their operands'.

    >>> rank(MatMul(*sp.symbols("x y")), {"x": 1, "y": 1})
    0
    """
    if isinstance(expr, sp.Symbol):
        return ranks.get(expr.name, 0)
    if not isinstance(expr, sp.Basic) or not expr.args:
        return 0
    inner = [rank(a, ranks) for a in expr.args]
    if hasattr(expr, "rank_of"):
        return expr.rank_of(inner)
    return max(inner)


def emap(function, *arrays):
    """``function`` applied element by element to object arrays (broadcast), exactly."""
    return np.vectorize(function, otypes=[object])(*arrays)


def exact_mean(values, axes=None):
    """The mean of an object array over ``axes`` (all by default) as an exact fraction."""
    values = np.asarray(values, dtype=object)
    axes = tuple(range(values.ndim)) if axes is None else tuple(axes)
    count = int(np.prod([values.shape[a] for a in axes])) if axes else 1
    return np.asarray(np.sum(values, axis=axes) / sp.Integer(count), dtype=object)
