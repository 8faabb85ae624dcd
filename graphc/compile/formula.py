"""Element-wise formulas as NumPy text, for the printer: SymPy's NumPy printer, told to
write each operand symbol as its operand's text.

>>> from graphc.ops.scalar import arg
>>> print_expr((arg(0) - arg(1)) / arg(2), ["p", "y", "n"])[0]
'(p - y) / n'
"""

import functools

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE, precedence

from ..errors import GraphError
from ..ops.scalar import NUMPY_TEMPLATES, arg, safe_branches, step
from .shared import common, hint


# ---- element-wise formulas, by a subclass of SymPy's NumPy printer --------------------------
#
# Each operand symbol a0, a1, ... is printed as its operand's text directly; ``numpy.`` as
# ``np.``; floats keep every digit (``repr``); products and quotients are spaced as the
# templates are (``(p - y) / n``); the lecture's functions are written stably (sigmoid as
# ``np_sigmoid``, never a bare exp of an unbounded value).

class FormulaPrinter(NumPyPrinter):
    """SymPy's NumPyPrinter, writing operands' texts, ``np.``, exact floats, spaced
    operators and the lecture's functions."""

    def __init__(self, texts):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self.texts = texts
        self.helpers = {}
        self.used = set()

    def _module_format(self, fqn, register=True):
        text = super()._module_format(fqn, register)
        return "np." + text[len("numpy."):] if text.startswith("numpy.") else text

    def _print_Symbol(self, expr):
        if expr not in self.texts:
            raise GraphError(f"formula uses {expr.name!r}, which is not an operand a0, a1, ...")
        self.used.add(expr)
        return self.texts[expr]

    def _print_Piecewise(self, expr):
        """Two branches, the last for every other case, as ``np.where(cond, a, b)``."""
        pairs = expr.args
        if len(pairs) == 2 and pairs[1].cond is sp.true:
            texts = [self._print(a) for a in (pairs[0].cond, pairs[0].expr, pairs[1].expr)]
            return f"np.where({texts[0]}, {texts[1]}, {texts[2]})"
        return super()._print_Piecewise(expr)

    def _print_Float(self, expr):
        return repr(float(expr))  # all 17 digits: SymPy's own 15 would change the value

    def _print_Mul(self, expr):
        prec = PRECEDENCE["Mul"]  # not precedence(expr): SymPy ranks -a*b as an Add
        coeff, rest = expr.as_coeff_Mul()
        sign = "-" if coeff < 0 else ""
        coeff = abs(coeff)
        num, den = [], []
        if coeff.is_Rational and coeff != 1:
            num += [sp.Integer(coeff.p)] if coeff.p != 1 else []
            den += [sp.Integer(coeff.q)] if coeff.q != 1 else []
        elif coeff != 1:
            num.append(coeff)
        for f in sp.Mul.make_args(rest) if rest != 1 else ():
            if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
                den.append(sp.Pow(f.base, -f.exp))
            else:
                num.append(f)
        if sign and len(num) == 1 and not den:
            return "-" + self.parenthesize(num[0], 0.5 * (PRECEDENCE["Pow"] + prec))
        text = " * ".join(self._factor(f, prec, num) for f in num) or "1"
        if len(den) == 1:
            text += " / " + self.parenthesize(den[0], prec)  # (a + b), (a * b): bracketed
        elif den:
            text += " / (" + " * ".join(self.parenthesize(f, prec) for f in den) + ")"
        return sign + text

    def _factor(self, f, prec, factors):
        """One factor of a product: a step beside a tensor as the mask ``(x > 0)``, which
        the product turns into that tensor's dtype (11x faster than ``np.heaviside``)."""
        if isinstance(f, step) and any(
                not g.is_number and not isinstance(g, step) for g in factors):
            return f"({self._print(f.args[0])} > 0)"
        return self.parenthesize(f, prec)

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Rational and expr.exp.is_negative:
            return self._print_Mul(sp.Mul(sp.S.One, expr, evaluate=False))
        if expr.exp == sp.S.Half and expr.base.is_number:  # a Python float: np.sqrt(2),
            return repr(float(expr))                      # a float64, would widen float32
        if expr.exp == sp.S.Half:
            return f"np.sqrt({self._print(expr.base)})"
        prec = precedence(expr)
        base = self.parenthesize(expr.base, prec, strict=True)  # (-x) ** 2, not -x ** 2
        return f"{base} ** {self.parenthesize(expr.exp, prec, strict=False)}"


def _function_printer(name):
    template, helpers = NUMPY_TEMPLATES[name]

    def _print(self, expr):
        self.helpers.update((h.__name__, h) for h in helpers)
        texts = [self._print(a) for a in expr.args]
        return template(*texts) if callable(template) else template.format(*texts)
    return _print


for _name in NUMPY_TEMPLATES:  # _print_sigmoid, _print_relu, ...: SymPy dispatches by class
    setattr(FormulaPrinter, f"_print_{_name}", _function_printer(_name))


def print_expr(expr, texts):
    """``expr`` over a0, a1, ... written with ``texts[i]`` for a{i}: (text, kept, helpers),
    ``kept`` being the operands the text still uses.

    SymPy prints ``expr`` once over placeholders (cached: every layer of a deep net has
    the same formula), which the texts then fill in. The printer reads a text only to see
    whether it starts with ``-`` (SymPy's sums), so such a text is printed directly.
    """
    if any(t.startswith("-") for t in texts):
        text, kept, helpers = _printed(expr, tuple(texts))
        return text, list(kept), helpers
    pieces, kept, helpers = _printed(expr, _places(len(texts)))
    parts = pieces.split(_MARK)
    parts[1::2] = [texts[int(i)] for i in parts[1::2]]
    text = "".join(parts)
    if "\n" in text:
        raise GraphError(f"the formula {expr} uses functions NumPy lacks; generated code "
                         f"cannot compute it")
    return text, list(kept), helpers


_MARK = "\x00"  # around an operand's index in a printed formula: no text holds it


@functools.lru_cache(maxsize=64)
def _places(n):
    return tuple(f"{_MARK}{i}{_MARK}" for i in range(n))


@functools.lru_cache(maxsize=4096)
def _printed(expr, texts):
    """(text, kept, helpers) of ``expr`` printed over ``texts``; what ``print_expr`` caches."""
    printer = FormulaPrinter({arg(i): t for i, t in enumerate(texts)})
    try:
        text = printer.doprint(safe_branches(expr))  # no branch computed on unsafe input
    except NotImplementedError:  # SymPy's printer has no NumPy for some function
        text = None
    imports = set(printer.module_imports) - {"numpy"}
    if text is None or getattr(printer, "_not_supported", None) or imports or "\n" in text:
        raise GraphError(f"the formula {expr} uses functions NumPy lacks; generated code "
                         f"cannot compute it")
    kept = tuple(sorted(int(s.name[1:]) for s in printer.used))
    return text, kept, tuple(printer.helpers[k] for k in sorted(printer.helpers))


def print_formula(opdef, attrs, texts, name=None):
    """An element-wise op's formula over its operands' texts: (text, kept, helpers,
    shared), as ``print_expr``'s with ``shared`` the statements ``(identifier, text)`` to
    run before it, each a costly piece the formula repeats (``common``), computed once.

    ``name(hint)`` gives each piece a fresh identifier made from ``hint`` (``sigmoid_z``);
    without it nothing is shared. An operand written as the literal 1 (a gradient's seed)
    is put into the formula, where SymPy drops it exactly: ``1*(p - y)/n`` prints as
    ``(p - y) / n``. A factor common to every term is taken out once (SymPy spreads a
    number over a sum: ``p/2048 - y/2048`` is computed as ``(p - y) / 2048``, one
    division, not two).

    >>> from graphc.ops.scalar import sigmoid
    >>> op = type("Op", (), {"scalar": staticmethod(lambda x: x * sigmoid(x) + sigmoid(x))})
    >>> print_formula(op, {}, ["z"], lambda hint: hint)[::3]
    ('z * sigmoid_z + sigmoid_z', [('sigmoid_z', 'np_sigmoid(z)')])
    """
    expr = sp.sympify(opdef.scalar(*[arg(i) for i in range(len(texts))], **attrs))
    ones = {arg(i): sp.S.One for i, t in enumerate(texts) if t in ("1", "1.0")}
    if ones:
        expr = expr.xreplace(ones)
    pieces, reduced = common(expr, len(texts)) if name is not None else ((), expr)
    if not pieces:
        return print_expr(factored(expr), texts) + ([],)
    n, texts, shared, kept, helpers = len(texts), list(texts), [], set(), {}

    def printed(e):  # over the operands and the pieces before: a{n + i} is piece i's
        text, used, needs = print_expr(factored(e), texts)
        kept.update(i for i in used if i < n)
        helpers.update((h.__name__, h) for h in needs)
        return text

    for piece in pieces:
        shared.append((name(hint(piece, texts)), printed(piece)))
        texts.append(shared[-1][0])
    text = printed(reduced)
    return text, sorted(kept), tuple(helpers[k] for k in sorted(helpers)), shared


@functools.lru_cache(maxsize=4096)
def factored(expr):
    """``expr`` with a factor common to every term taken out, where that is smaller:
    ``p/2048 - y/2048`` as ``(p - y)/2048``."""
    factored = sp.factor_terms(expr)
    return factored if sp.count_ops(factored) < sp.count_ops(expr) else expr
