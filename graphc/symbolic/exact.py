"""Exact values: the interpreter's rule table over NumPy arrays of SymPy numbers.

Floats fed to it are taken as the decimals they print as (0.1 is 1/10), so the lecture's
``dl/dw1 = sigmoid(-1) - 1`` comes out as that expression, not as -0.7311; fractions and
SymPy values are taken as they are.

Exact values stay small only where the numbers fed are: ``why_numeric(at)`` says why a
point is better computed in numbers (a random float's 17 digits make fractions that grow
at every op), and callers use exact values by default only where it says nothing. Every
exact value is also made within a budget, checked as each node's value is made: no element
may have more than ``MAX_SIZE`` SymPy nodes (a number counts one more per 64 bits of its
numerator and denominator), and the whole run may take ``MAX_SECONDS``; past either,
``ExactBudgetError`` is raised, and explain, check and render fall back to numbers with a
note. A budget, not a hang.

>>> exact_number(0.1)
1/10
>>> why_numeric({"x": 2, "w": [0.5, -1.25]}) is None
True
>>> why_numeric({"w": 0.1234567})
"'w' is fed 0.1234567 (7 significant digits)"
"""

import functools
import math
import time
from fractions import Fraction

import numpy as np
import sympy as sp

from ..errors import ClaimError, ExactBudgetError, FeedError
from ..graph.feeds import check_feeds
from ..interpret import Interpreter, Rules
from ..ops.elementwise import formula as scalar_formula
from ..ops.notation import emap
from ..ops.scalar import arg, sigmoid
from .reader import parse_number


#: The most significant digits a fed decimal may have for exact values by default.
EXACT_DIGITS = 6
#: The most SymPy nodes one element of an exact value may have (see the module docstring),
#: and how deeply it may nest (SymPy prints, compares and evaluates by recursion: a chain
#: of 300 sigmoids nested 300 deep cannot be printed).
MAX_SIZE = 2000
MAX_NESTING = 100
#: The most seconds one exact evaluation may take (checked after each node).
MAX_SECONDS = 10.0
#: The most SymPy nodes a result may have for ``tidy`` to try to shorten it.
TIDY_SIZE = 300


def exact_number(value):
    """A number as SymPy holds it exactly: a float as the decimal it prints as, a fraction
    or a SymPy value as it is, a text by the claims' reader (``"sqrt(2)/2"``: what it
    stands for; ClaimError quoting it when it is no number)."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return sp.Integer(int(value))
    value = float(value)
    if np.isnan(value):
        return sp.nan
    if np.isinf(value):
        return sp.oo if value > 0 else -sp.oo
    return sp.Rational(repr(value))


def exact_array(array):
    """Floats become an object array of exact SymPy numbers; integers stay integers."""
    array = np.asarray(array)
    if array.dtype.kind in "iub":
        return array
    if array.dtype.kind == "O" and all(_integral(v) for v in array.flat):
        return array.astype(np.int64)  # integer SymPy values fed to an integer input
    return emap(exact_number, array) if array.ndim else np.asarray(
        exact_number(array.item()), dtype=object)


def _integral(value):
    return isinstance(value, (int, np.integer)) or (
        isinstance(value, sp.Basic) and value.is_Integer)


def plain_feeds(at):
    """``at`` with its fractions, SymPy values and exact texts (``"sqrt(2)/2"``) as floats
    (integers stay integers), for the numeric side; other values are returned as they are."""
    plain = {}
    for key, value in (at or {}).items():
        if not _holds_objects(value):
            plain[key] = value
            continue
        a = _exact_objects(key, value)
        integral = all(_integral(v) for v in a.flat)
        plain[key] = a.astype(np.int64 if integral else float)
    return plain


def _exact_objects(key, value):
    """A feed holding exact values as an object array of them, its texts read (a FeedError
    naming the feed when one is no number)."""
    a = np.asarray(value, dtype=object)
    try:
        return emap(lambda v: exact_number(v) if isinstance(v, str) else v, a) if a.ndim \
            else np.asarray(exact_number(a.item()) if isinstance(a.item(), str) else a.item(),
                            dtype=object)
    except ClaimError as err:
        raise FeedError(f"feed {getattr(key, 'name', key)!r}: {err}") from None


def _holds_objects(value):
    if isinstance(value, (list, tuple)):
        return any(_holds_objects(v) for v in value)
    if isinstance(value, np.ndarray):  # an object array of floats stays refused as a feed
        return value.dtype.kind == "O" and any(map(_holds_objects, value.flat))
    return isinstance(value, (sp.Basic, Fraction, str))


def why_numeric(at):
    """None when every value of ``at`` is an integer, a decimal of at most ``EXACT_DIGITS``
    significant digits, a fraction or a SymPy value; else why not, as a short phrase."""
    for key, value in (at or {}).items():
        name = getattr(key, "name", key)
        if isinstance(value, (sp.Basic, Fraction, str)):
            continue
        a = np.asarray(value) if not _holds_objects(value) else np.asarray(value, object)
        if a.dtype.kind in "iub":
            continue
        for v in a.flat:
            digits = _digits(v)
            if digits > EXACT_DIGITS:
                return f"{name!r} is fed {_shown(v)} ({digits} significant digits)"
    return None


def numeric_note(why):
    """The one line saying that values are numbers because of the feed ``why`` names."""
    return (f"numeric values: {why}; exact ones need integers, decimals of at most "
            f"{EXACT_DIGITS} digits, fractions or SymPy values (exact=True, or --exact, "
            f"forces them)")


def _shown(value):
    return repr(float(value)) if isinstance(value, (float, np.floating)) else repr(value)


def _digits(value):
    """The significant digits of the decimal a number prints as (inf for nan and inf)."""
    if isinstance(value, (sp.Basic, Fraction, str, int, np.integer, bool, np.bool_)):
        return 0
    try:
        value = float(value)
    except (TypeError, ValueError):
        return float("inf")
    if not np.isfinite(value):
        return float("inf")
    mantissa = repr(value).split("e")[0].lstrip("-").replace(".", "")
    return len(mantissa.strip("0")) or 1


def expression_size(expr, cap=MAX_SIZE):
    """The nodes of ``expr``'s tree, a number one more per 64 bits of its numerator and
    denominator, counted up to ``cap + 1`` at most (so a huge tree costs no more).

    >>> expression_size(sp.sympify("exp(-1) - 1"))
    4
    """
    if not isinstance(expr, sp.Basic):
        return 1
    count = 0
    for node in sp.preorder_traversal(expr):
        count += 1
        if node.is_Rational:
            count += (abs(node.p).bit_length() + node.q.bit_length()) // 64
        if count > cap:
            break
    return count


def expression_depth(expr, cap=MAX_NESTING):
    """How deeply ``expr``'s tree nests (an atom: 0), found without recursion and counted
    up to ``cap + 1`` at most.

    >>> expression_depth(sp.sympify("exp(-1) - 1"))     # Add, exp, -1
    2
    """
    deepest, todo, seen = 0, [(expr, 0)], set()
    while todo and deepest <= cap:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        args = getattr(node, "args", ())
        if args and (node, depth) not in seen:
            seen.add((node, depth))
            todo += [(a, depth + 1) for a in args]
    return min(deepest, cap + 1)


class Exact(Rules):
    """Exact values: an op's ``exact`` rule, else its scalar formula element by element,
    else its ``reference`` over object arrays (NumPy's structural functions take them);
    each value made within the budget (``max_size``, ``seconds``: ExactBudgetError)."""

    def __init__(self, max_size=MAX_SIZE, seconds=MAX_SECONDS):
        self.max_size, self.seconds = max_size, seconds
        self.deadline = time.monotonic() + seconds

    def const(self, record):
        return exact_array(record.value)

    def rule(self, opdef):
        run = self._rule(opdef)

        def within_budget(record, shapes, args):
            value = run(record, shapes, args)
            self._check(record, value)
            return value
        return within_budget

    def _check(self, record, value):
        if time.monotonic() > self.deadline:
            raise ExactBudgetError(f"exact values took over {self.seconds:g} s (reached "
                                   f"{record.name!r}, {record.op})")
        array = np.asarray(value)
        if array.dtype.kind != "O":
            return
        for element in array.flat:
            if expression_size(element, self.max_size) > self.max_size:
                past = f"{self.max_size} SymPy nodes"
            elif expression_depth(element) > MAX_NESTING:
                past = f"{MAX_NESTING} levels of nesting"
            else:
                continue
            raise ExactBudgetError(f"the exact value of {record.name!r} ({record.op}) grew "
                                   f"past {past}")

    def _rule(self, opdef):
        if opdef.exact is not None:
            return lambda record, shapes, args: opdef.exact(record.attrs, *args)
        if opdef.scalar is not None:
            return lambda record, shapes, args: _elementwise(opdef, record.attrs, args)
        return lambda record, shapes, args: np.asarray(
            opdef.reference(record.attrs, *args), dtype=object)


def _elementwise(opdef, attrs, args):
    f = scalar_formula(opdef, attrs, len(args))
    symbols = [arg(i) for i in range(len(args))]
    return emap(lambda *xs: f.xreplace(dict(zip(symbols, map(sp.sympify, xs)))), *args)


def exact_values(nodes, at, max_size=MAX_SIZE, seconds=MAX_SECONDS):
    """The exact values of ``nodes`` (SymPy numbers, or ``sp.Array`` for tensors); raises
    ExactBudgetError past the budget (see the module docstring)."""
    graph = nodes[0].graph
    at = at or {}
    checked = check_feeds(graph, plain_feeds(at))  # shapes and names, on the numbers
    raw = {graph.node(getattr(k, "name", k)).id: v for k, v in at.items()}
    given = {v: exact_array(_exact_objects(v, raw[v]) if _holds_objects(raw[v]) else a)
             for v, a in checked.items()}
    return given_values(nodes, given, max_size, seconds)


def given_values(nodes, given, max_size=MAX_SIZE, seconds=MAX_SECONDS):
    """``exact_values`` with the leaves' values ``given`` by node id as they are (object
    arrays of SymPy values, symbols too: each element a formula in them), unchecked."""
    values = Interpreter(nodes[0].graph, Exact(max_size, seconds)).run(
        [n.id for n in nodes], given)
    return [_as_sympy(value) for value in values]


def _as_sympy(value):
    value = np.asarray(value)
    if value.ndim == 0:
        return tidy(sp.sympify(value.item()))
    return sp.Array(emap(lambda v: tidy(sp.sympify(v)), value).tolist())


@functools.lru_cache(maxsize=4096)
def tidy(expr):
    """``expr`` as the shortest (by ``count_ops``) of a few targeted rewrites: logs expanded,
    fractions cancelled, and sigmoid written with exp where that leaves no exp behind. Only
    numbers (no free symbols) of at most ``TIDY_SIZE`` nodes, their fractions small, are
    tried; a rewrite is kept only when it is shorter and equal to 30 digits
    (``expand_log(force=True)`` assumes positive factors). Never an unbounded ``simplify``.

    >>> tidy(sp.log(2 * sp.exp(-1)) + 1)
    log(2)
    >>> tidy(sp.log(1 - sigmoid(-1)) - sp.log(sigmoid(-1)))
    1
    >>> tidy(sigmoid(-1) * (1 - sigmoid(-1)))      # E/(1 + E)**2 brings in exp: kept
    (1 - sigmoid(-1))*sigmoid(-1)
    """
    if (not isinstance(expr, sp.Expr) or expr.is_Atom or expr.free_symbols
            or expression_size(expr, TIDY_SIZE) > TIDY_SIZE
            or not _small_fractions(expr, 10**4)):  # a random float's digits: no gain
        return expr
    best, cost = expr, sp.count_ops(expr)
    for candidate in _rewrites(expr):
        shorter = sp.count_ops(candidate)
        if shorter < cost and _same(candidate, expr):
            best, cost = candidate, shorter
    return best


def _rewrites(expr):
    """The candidates ``tidy`` measures; the sigmoid ones only where no exp is left.
    ``cancel`` only where that stays cheap (``cancellable``)."""
    cancel = sp.cancel if cancellable(expr) else sp.factor_terms
    yield sp.expand_log(expr, force=True)
    yield sp.factor_terms(expr)
    yield cancel(expr)
    yield sp.expand_log(cancel(expr), force=True)
    if expr.has(sigmoid):
        exps = _exps(expr)
        exp_form = sp.together(expr.rewrite(sp.exp), deep=True)
        cancel = sp.cancel if cancellable(exp_form) else sp.factor_terms
        for candidate in (sp.expand_log(exp_form, force=True), cancel(exp_form)):
            if _exps(candidate) <= exps:
                yield candidate


def cancellable(expr, most=24):
    """Whether ``cancel`` stays cheap: it reads exp(p/q) as exp(1/q)**p, a polynomial of
    degree |p| in exp(1/q) over a common q, so every fraction must be small, and so must
    the degrees the exps' arguments make (exp(1/10)*exp(3/100) is degree 13 in exp(1/100))."""
    if not _small_fractions(expr, 100):
        return False
    if any(e.args[0].has(sp.exp, sigmoid) for e in expr.atoms(sp.exp)):
        return False    # exp of an exp (a chain of sigmoids): no polynomial in one exp
    exps = [e for e in expr.atoms(sp.exp) if e.args[0].is_Rational]
    if len(exps) > 8:
        return False
    q = functools.reduce(math.lcm, (e.args[0].q for e in exps), 1)
    return all(abs(e.args[0].p) * (q // e.args[0].q) <= most for e in exps)


def _small_fractions(expr, most):
    return all(r.q <= most and abs(r.p) <= 10**9 for r in expr.atoms(sp.Rational))


def _exps(expr):
    return expr.atoms(sp.exp) | ({sp.E} if expr.has(sp.E) else set())


def _same(a, b):
    """a and b agree to 30 digits (both finite)."""
    x, y = sp.N(a, 30), sp.N(b, 30)
    if not (x.is_number and y.is_number) or x.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return False
    return bool(abs(x - y) <= sp.Float("1e-25") * (1 + abs(y)))
