"""Element-wise formulas as NumPy source, by a subclass of SymPy's NumPy printer.

Operand symbols a0, a1, ... become the operands' variables; ``numpy.`` becomes ``np.``;
floats keep every digit (``repr``); the lecture's functions are written stably (sigmoid as
``np_sigmoid``, exp(-logaddexp(0, -x)), never a bare exp of an unbounded value).

>>> from graphc.ops.scalar import arg, sigmoid
>>> print_expr(arg(0) * sigmoid(arg(1)), ["x", "z"])[0]
'x*np_sigmoid(z)'
"""

import functools
import re

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .errors import GraphError
from .ops.scalar import NUMPY_TEMPLATES, arg

_TOKEN = re.compile("\x00([0-9]+)\x00")  # an operand's place in printed text


class FormulaPrinter(NumPyPrinter):
    """SymPy's NumPyPrinter, writing ``np.``, exact floats and the lecture's functions."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self.helpers = {}

    def _module_format(self, fqn, register=True):
        text = super()._module_format(fqn, register)
        return "np." + text[len("numpy."):] if text.startswith("numpy.") else text

    def _print_Symbol(self, expr):
        match = re.fullmatch(r"a([0-9]+)", expr.name)
        if match is None:
            raise GraphError(f"formula uses {expr.name!r}, which is not an operand a0, a1, ...")
        return f"\x00{match.group(1)}\x00"

    def _print_Float(self, expr):
        return repr(float(expr))  # all 17 digits: SymPy's own 15 would change the value


def _function_printer(name):
    template, helpers = NUMPY_TEMPLATES[name]

    def _print(self, expr):
        self.helpers.update((h.__name__, h) for h in helpers)
        return template.format(*[self._print(a) for a in expr.args])
    return _print


for _name in NUMPY_TEMPLATES:  # _print_sigmoid, _print_relu, ...: SymPy dispatches by class
    setattr(FormulaPrinter, f"_print_{_name}", _function_printer(_name))


@functools.lru_cache(maxsize=4096)
def formula_text(expr):
    """``expr`` printed with operand i as ``\\x00i\\x00``, and the helpers it calls."""
    printer = FormulaPrinter()
    try:
        text = printer.doprint(expr)
    except NotImplementedError:  # SymPy's printer has no NumPy for some function
        text = None
    imports = set(printer.module_imports) - {"numpy"}
    if text is None or getattr(printer, "_not_supported", None) or imports or "\n" in text:
        raise GraphError(f"the formula {expr} uses functions NumPy lacks; generated code "
                         f"cannot compute it")
    helpers = tuple(printer.helpers[k] for k in sorted(printer.helpers))
    return text, helpers


def print_expr(expr, texts):
    """``expr`` over a0, a1, ... written with ``texts[i]`` for a{i}: (text, kept, helpers),
    ``kept`` being the operands the text still uses."""
    text, helpers = formula_text(expr)
    kept = sorted({int(i) for i in _TOKEN.findall(text)})
    return _TOKEN.sub(lambda m: texts[int(m.group(1))], text), kept, helpers


def print_formula(opdef, attrs, texts):
    """An element-wise op's formula over its operands' texts (see ``print_expr``).

    An operand written as the literal 1 (a gradient's seed) is put into the formula, where
    SymPy drops it exactly: ``1*(p - y)/n`` prints as ``(p - y)/n``.
    """
    expr = sp.sympify(opdef.scalar(*[arg(i) for i in range(len(texts))], **attrs))
    ones = {arg(i): sp.S.One for i, t in enumerate(texts) if t in ("1", "1.0")}
    if ones:
        expr = expr.xreplace(ones)
    return print_expr(expr, texts)
