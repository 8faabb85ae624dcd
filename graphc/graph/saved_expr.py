"""The SymPy formula of a saved ``elementwise`` node (a gradient, a fused region), as
``sympy.srepr`` text, read back by walking its Python syntax tree, never by ``eval``.

Loading never runs code: only calls of an explicit list of SymPy classes (``CLASSES``)
and graphc's scalar functions are rebuilt, on literals that are checked first. A text is
an argument only where srepr writes one (a Symbol's name, a Float's digits), since SymPy's
functions pass other strings to ``sympify``, which evaluates them; numbers are bounded, so a
hostile file cannot make SymPy compute ``Pow(10, 10**4000)`` or parse ``Float('1e999999999')``.
The tree is built with evaluation off; then sums, products, the element-wise functions and
powers of small numbers are evaluated again (``_canonical``), which puts their arguments in
SymPy's order, so the rebuilt expression equals the saved one.

>>> text = to_text(sp.Symbol("a0") + 1)
>>> from_text(text, "n") == sp.Symbol("a0") + 1
True
"""

import ast
import re

import sympy as sp

from ..errors import GraphError
from ..ops import scalar

#: The longest expression text read back (a fused region of a large model is far shorter).
MAX_CHARS = 200_000
#: graphc's own SymPy functions, by name, that a saved expression may call.
GRAPHC_FUNCTIONS = {name: obj for name, obj in vars(scalar).items()
                    if isinstance(obj, type) and issubclass(obj, sp.Function)}
#: The SymPy classes a saved expression may call: numbers, symbols, arithmetic, the
#: element-wise functions graphc's ops are made of, and what a Piecewise holds.
CLASSES = {cls.__name__: cls for cls in (
    sp.Integer, sp.Rational, sp.Float, sp.Symbol, sp.Add, sp.Mul, sp.Pow, sp.exp, sp.log,
    sp.tanh, sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.erf, sp.Piecewise,
    sp.functions.elementary.piecewise.ExprCondPair, sp.StrictGreaterThan, sp.GreaterThan,
    sp.StrictLessThan, sp.LessThan, sp.Equality, sp.Unequality)}
#: Names srepr writes bare.
CONSTANTS = {"true": sp.true, "false": sp.false, "pi": sp.pi, "E": sp.E, "oo": sp.oo,
             "Half": sp.S.Half, "One": sp.S.One, "Zero": sp.S.Zero,
             "NegativeOne": sp.S.NegativeOne}
#: The largest integer literal (in digits) and float exponent a saved expression may hold.
MAX_DIGITS = 40
FLOAT_TEXT = re.compile(r"-?\d{1,40}(\.\d{0,40})?([eE][-+]?\d{1,3})?")
NAME_TEXT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
#: Keyword arguments srepr writes: a Symbol's assumptions, a Float's precision.
ASSUMPTIONS = {"real", "positive", "negative", "nonnegative", "nonpositive", "integer",
               "finite", "nonzero"}


def to_text(expr):
    """The ``srepr`` text of ``expr``."""
    return sp.srepr(expr)


def from_text(text, name):
    """The expression ``text`` spells (``to_text``'s inverse); GraphError naming node
    ``name`` when the text is anything but allowlisted calls of checked literals."""
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
    except Exception as err:  # noqa: BLE001  (whatever SymPy raises, the file is at fault)
        raise GraphError(f"node {name!r}: the saved expression cannot be read: "
                         f"{type(err).__name__}: {str(err)[:200]}") from None
    if not isinstance(expr, sp.Expr):
        raise GraphError(f"node {name!r}: the saved expression is not a SymPy expression")
    _check_numbers(expr, name)
    return expr


def _build(node, name):
    if isinstance(node, ast.Constant) and type(node.value) in (int, bool):
        if type(node.value) is int and len(str(abs(node.value))) > MAX_DIGITS:
            raise GraphError(f"node {name!r}: the saved expression holds an integer of more "
                             f"than {MAX_DIGITS} digits")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant):
        return -_build(node.operand, name)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _call(node, name)
    raise GraphError(f"node {name!r}: the saved expression holds {ast.dump(node)[:60]}, "
                     f"which is not a call of a SymPy class on literals")


def _call(node, name):
    """An allowlisted class called on built arguments; a text only where srepr puts one."""
    func = node.func.id
    make = GRAPHC_FUNCTIONS.get(func) or CLASSES.get(func)
    if make is None:
        raise GraphError(f"node {name!r}: the saved expression calls {func!r}, which is not "
                         f"one of the SymPy classes or graphc functions a formula is made of")
    args = [_text(a, func, name) if i == 0 and func in ("Symbol", "Float")
            else _build(a, name) for i, a in enumerate(node.args)]
    kwargs = {}
    for k in node.keywords:
        allowed = ASSUMPTIONS if func == "Symbol" else {"precision"} if func == "Float" else ()
        if k.arg not in allowed:
            raise GraphError(f"node {name!r}: the saved expression gives {func} the argument "
                             f"{k.arg!r}")
        kwargs[k.arg] = _build(k.value, name)
    if func == "Float" and not 1 <= kwargs.get("precision", 53) <= 200:
        raise GraphError(f"node {name!r}: a saved Float's precision must be 1 to 200 bits")
    return make(*args, **kwargs)


def _text(node, func, name):
    """The one text argument srepr writes: a Symbol's name or a Float's digits, checked."""
    pattern = NAME_TEXT if func == "Symbol" else FLOAT_TEXT
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and pattern.fullmatch(node.value)):
        raise GraphError(f"node {name!r}: the saved expression gives {func} "
                         f"{ast.unparse(node)[:60]}, which is not a "
                         f"{'name' if func == 'Symbol' else 'number'}")
    return node.value


#: Classes rebuilt with SymPy's evaluation on (arguments in SymPy's own order); they cannot
#: blow up on bounded numbers. A power is evaluated when its base is not a number, or both
#: are small numbers; anything else stays as it was read.
CANONICAL = (sp.Add, sp.Mul, sp.exp, sp.log, sp.tanh, sp.Abs, sp.sign, sp.Max, sp.Min,
             sp.Heaviside, sp.erf)
SMALL = 16


def _small_power(base, exponent):
    if not exponent.is_Rational or abs(exponent.p) > SMALL or abs(exponent.q) > SMALL:
        return False
    return not base.is_Number or (base.is_Rational and abs(base.p) < 10 ** 6
                                  and abs(base.q) < 10 ** 6)


def _canonical(expr):
    """``expr`` (built with evaluation off) with its safe parts evaluated, bottom up."""
    if not expr.args:
        return expr
    args = [_canonical(a) for a in expr.args]
    power = expr.func is sp.Pow and _small_power(*args)
    if expr.func is sp.Pow and args[0].is_Number and args[1].is_Number and not power:
        raise ValueError(f"a power of numbers, {str(expr)[:40]}, too large to compute")
    if power or expr.func in CANONICAL or expr.func in GRAPHC_FUNCTIONS.values():
        return expr.func(*args)
    with sp.evaluate(False):
        return expr.func(*args)


def _check_numbers(expr, name):
    """Every number of the expression is one a float can hold (generated code computes in
    floats: a larger one would overflow only when the code runs)."""
    for atom in expr.atoms(sp.Number):
        try:
            fits = not atom.is_finite or abs(float(atom)) <= 1e300
        except OverflowError:
            fits = False
        if not fits:
            raise GraphError(f"node {name!r}: the saved expression holds the number "
                             f"{str(atom)[:40]}, beyond what a float holds")
