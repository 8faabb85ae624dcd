"""A SymPy expression in a saved graph (the generic "elementwise" op's ``expr``): written as
``sympy.srepr`` text, read back by walking its Python syntax tree, never by ``eval``.

Only calls of allowlisted names are rebuilt: SymPy's own expression classes (``Add``,
``Symbol``, ``Integer``, ``exp``, ...) and graphc's scalar functions (``sigmoid``,
``step``, ...), with literal arguments. They are built with evaluation off, so a hostile
file cannot make SymPy compute ``Pow(10, 10**4000)``; then sums, products, element-wise
functions and powers with small exponents are evaluated again (``CANONICAL``), which puts
their arguments in SymPy's order, so the rebuilt expression equals the saved one.

>>> text = to_text(sp.Symbol("a0") + 1)
>>> from_text(text, "n") == sp.Symbol("a0") + 1
True
"""

import ast

import sympy as sp

from ..errors import GraphError
from ..ops import scalar

#: The longest expression text read back (a fused region of a large model is far shorter).
MAX_CHARS = 200_000
#: graphc's own SymPy functions, by name, that a saved expression may call.
GRAPHC_FUNCTIONS = {name: obj for name, obj in vars(scalar).items()
                    if isinstance(obj, type) and issubclass(obj, sp.Function)}


def to_text(expr):
    """The ``srepr`` text of ``expr``."""
    return sp.srepr(expr)


def from_text(text, name):
    """The expression ``text`` spells (``to_text``'s inverse); GraphError naming node
    ``name`` when the text is anything but allowlisted calls of literals."""
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        raise GraphError(f"node {name!r}: a saved expression must be a text of at most "
                         f"{MAX_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
        with sp.evaluate(False):
            expr = _build(tree.body, name)
        expr = _canonical(expr)
    except GraphError:
        raise
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError) as err:
        raise GraphError(f"node {name!r}: the saved expression cannot be read: "
                         f"{type(err).__name__}: {err}") from None
    if not isinstance(expr, sp.Expr):
        raise GraphError(f"node {name!r}: the saved expression is not a SymPy expression")
    return expr


def _build(node, name):
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant):
        return -_build(node.operand, name)
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_build(e, name) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        make = _allowed(node.func.id, name)
        args = [_build(a, name) for a in node.args]
        kwargs = {k.arg: _build(k.value, name) for k in node.keywords if k.arg}
        if len(kwargs) != len(node.keywords):
            raise GraphError(f"node {name!r}: the saved expression uses ** arguments")
        return make(*args, **kwargs)
    raise GraphError(f"node {name!r}: the saved expression holds {ast.dump(node)[:60]}, "
                     f"which is not a call of a SymPy class on literals")


#: Classes rebuilt with SymPy's evaluation on, which puts their arguments in SymPy's own
#: order (so the expression read back equals the one saved) and cannot blow up: sums,
#: products and the element-wise functions. A power is evaluated only for a small exponent;
#: anything else stays as it was read.
CANONICAL = (sp.Add, sp.Mul, sp.exp, sp.log, sp.tanh, sp.Abs, sp.sign, sp.Max, sp.Min,
             sp.Heaviside, sp.erf)
SMALL_EXPONENT = 1000


def _canonical(expr):
    """``expr`` (built with evaluation off) with its safe parts evaluated, bottom up."""
    if not expr.args:
        return expr
    args = [_canonical(a) for a in expr.args]
    power = expr.func is sp.Pow and args[1].is_Rational and abs(args[1].p) <= SMALL_EXPONENT \
        and abs(args[1].q) <= SMALL_EXPONENT
    if power or expr.func in CANONICAL or expr.func in GRAPHC_FUNCTIONS.values():
        return expr.func(*args)
    with sp.evaluate(False):
        return expr.func(*args)


def _allowed(func, name):
    """The constructor ``func`` names, if it is one a saved expression may call."""
    if func in GRAPHC_FUNCTIONS:
        return GRAPHC_FUNCTIONS[func]
    obj = getattr(sp, func, None) if not func.startswith("_") else None
    if isinstance(obj, type) and issubclass(obj, sp.Basic):
        return obj
    raise GraphError(f"node {name!r}: the saved expression calls {func!r}, which is not a "
                     f"SymPy expression class or a graphc scalar function")
