r"""LaTeX of formulas, written as the lecture writes them.

SymPy's LaTeX printer sees symbols, not tensors, so it writes ``A*B`` (element-wise) and
``A @ B`` (matrix product) alike as ``A B``. This printer is told the rank of every symbol
(``graphc.ops.notation.rank``) and writes

- ``A \odot B`` for the element-wise (Hadamard) product of two or more tensors; a product
  with scalars stays juxtaposition (``2 x_{1} A``);
- ``A B`` for the matrix product, ``A^{\top}`` for the transpose, ``w^{\top} x`` for the
  dot product of two vectors;
- names of more than one letter upright (``\mathrm{loss}``, ``\mathrm{logits}``); one
  letter, a Greek name or a decorated letter (``yhat`` as ``\hat{y}``) as SymPy writes it,
  and a trailing index as a subscript (``W2`` as ``W_{2}``);
- any other name safely: TeX's special characters in it escaped (``y_%`` as
  ``y_{\%}``, ``a&b`` as ``\mathrm{a\&b}``), a newline or a lone surrogate as the text
  ``\n`` or ``\udc80`` (``graphc.text.visible``), a name with nothing to script
  (``^``, ``_x``) upright, escaped, so a formula always reads in MathJax and LaTeX and no
  name runs a command (``name_latex``, the one home of this).

>>> import sympy as sp
>>> A, B, x = sp.symbols("A B x")
>>> to_latex(A * B, {"A": 2, "B": 2}), to_latex(2 * A * x, {"A": 2})
('A \\odot B', '2 A x')
"""

import re

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter, translate
from sympy.printing.precedence import PRECEDENCE

from ..ops.notation import MatMul, rank
from ..text import visible

#: TeX's special characters as math mode writes them. ``_`` and ``^`` mark subscripts and
#: superscripts, as SymPy reads any name (``x_1``, ``x^2``); one left inside a part (a name
#: that starts with ``_``) is escaped.
_MATH = {"\\": r"{\backslash}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%",
         "#": r"\#", "&": r"\&", "~": r"{\sim}", "_": r"\_", "^": r"\hat{}"}
_SPECIAL = re.compile(r"[\\{}$%#&~]")
_SCRIPT = re.compile(r"[_^]")  # left in a part of a name: it starts with one (``_x``, ``^``)


class TensorLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, told the rank of each symbol (name -> number of axes)."""

    def __init__(self, ranks, settings=None):
        super().__init__(settings)
        self.ranks = dict(ranks)

    def _print_Symbol(self, expr, style="plain"):
        name = visible(expr.name)  # a newline or a lone surrogate as text: \n, \udc80
        if _SPECIAL.search(name) or _SCRIPT.search(split_super_sub(name)[0]):
            return _escaped_name(name)  # SymPy would pass it through as LaTeX
        text = super()._print_Symbol(expr, style)
        base = split_super_sub(expr.name)[0]
        if len(base) > 1 and translate(base) == base and text.startswith(base):
            return rf"\mathrm{{{base}}}" + text[len(base):]  # a word, not a product
        return text

    def _print_Mul(self, expr):
        factors = expr.as_ordered_factors()
        tensors = [f for f in factors if rank(f, self.ranks)]
        if len(tensors) < 2:
            return super()._print_Mul(expr)
        numer = [f for f in tensors if not _reciprocal(f)]
        denom = [1 / f for f in tensors if _reciprocal(f)]
        text = self._hadamard(numer) if numer else "1"
        if denom:
            text = rf"\frac{{{text}}}{{{self._hadamard(denom)}}}"
        scale, sign = sp.Mul(*[f for f in factors if not rank(f, self.ranks)]), ""
        if scale.could_extract_minus_sign():
            scale, sign = -scale, "- "
        if scale == 1:
            return sign + text
        return f"{sign}{self.parenthesize(scale, PRECEDENCE['Mul'], strict=False)} {text}"

    def _hadamard(self, factors):
        """Tensors joined by ``\\odot``; a sum or a matrix product inside parentheses."""
        parts = [rf"\left({self.doprint(f)}\right)" if isinstance(f, MatMul) else
                 self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in factors]
        return r" \odot ".join(parts)


def _reciprocal(factor):
    return factor.is_Pow and factor.exp.is_negative


def _escaped_name(name):
    """A name holding TeX's special characters, split into its base, superscripts and
    subscripts as SymPy splits any name, each part escaped; a base of more than one
    character upright, as a word, unless it is a Greek or decorated letter (``alpha``)."""
    base, supers, subs = split_super_sub(name)
    text = _part(base)
    text = rf"\mathrm{{{text}}}" if len(base) > 1 and text == _escape(base) else text
    if supers:
        text += "^{%s}" % " ".join(map(_part, supers))
    if subs:
        text += "_{%s}" % " ".join(map(_part, subs))
    return text


def _part(part):
    """One part of a name: a Greek or decorated letter as SymPy writes it, else escaped."""
    return _escape(part) if _SPECIAL.search(part) or _SCRIPT.search(part) else translate(part)


def _escape(part):
    return re.sub(r"[\\{}$%#&~_^]", lambda m: _MATH[m.group(0)], part)


def name_latex(name):
    r"""A node's name as a LaTeX symbol, as every formula writes it: ``w1`` as ``w_{1}``,
    ``yhat`` as ``\hat{y}``, ``loss`` as ``\mathrm{loss}``, and a name with TeX's special
    characters escaped (``y_%`` as ``y_{\%}``).

    >>> name_latex("w1"), name_latex("a&b")
    ('w_{1}', '\\mathrm{a\\&b}')
    """
    return to_latex(sp.Symbol(name))


def to_latex(expr, ranks=None):
    """``expr`` as LaTeX, the symbols named in ``ranks`` (name -> rank) being tensors."""
    return TensorLatexPrinter(ranks or {}).doprint(expr)
