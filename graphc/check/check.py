"""gc.check: a student's claims about a graph, proved or refuted, step by step.

>>> report = check(loss, {"d loss/d z": "yhat - y", "d loss/d w1": "sigmoid(-1) - 1"},
...                at={"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1})  # doctest: +SKIP
>>> bool(report)                                                     # doctest: +SKIP
True

Each claim is compared with what graphc derives: at the point ``at`` when one is given (the
claim may use node names, such as ``yhat``, for their values there), else as formulas in the
graph's leaves. The difference is first evaluated as a number, to 30 digits in bounded
work (``graphc.check.numeric``); where it is within the tolerance, or has no value, SymPy
tries to prove it zero, if it is small enough to prove cheaply (``_provable``), and the
report says which it did. Claims are
ordered as the slides go, forward values first, then gradients from the loss backwards, so
the first wrong one is the step where a derivation went wrong; a wrong gradient claim at a
point also names the slip of hand backprop that explains it (``graphc.check.slips``).
"""

import random
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import text
from ..autodiff import grad
from ..errors import ClaimError, DomainError, ExactBudgetError
from ..graph import walk
from ..graph.feeds import bind_shape
from ..interpret import reference
from ..shapes import FLOATS
from ..symbolic import exact_values, formula, plain_feeds, symbol, why_numeric
from ..symbolic.exact import (cancellable, expression_depth, expression_size, given_values,
                              numeric_note)
from ..symbolic.tensors import MAX_ELEMENTS, component, shape_of
from .claims import parse_claim, parse_expression, parse_key
from .numeric import DIGITS, TooLarge, symbols_of, value
from .slips import diagnose


#: The most elements an input or parameter may have for claims without a point to be
#: compared component by component; and the seconds those components' formulas may take.
COMPONENTS = 64
COMPONENT_SECONDS = 5.0
#: The most SymPy nodes a claim's difference may have for ``simplify`` to be tried on it,
#: the largest number in it and the largest exponent (``_provable``).
PROVE_SIZE = 400
PROVE_NUMBER = 10**4
PROVE_POWER = 64
#: The deepest value a report prints (SymPy's printer recurses once a level), and the
#: deepest graph whose claims are compared as formulas without a point.
SHOW_DEPTH = 100
FORMULA_DEPTH = 100


@dataclass(frozen=True)
class ClaimResult:
    """One claim: what it is about, its text and value, what graphc derived, the verdict;
    ``slip``: for a wrong gradient at a point, the slip of hand backprop that explains it
    ("your d loss/d w1 equals ..."; ``graphc.check.slips``), else ""."""

    key: str
    text: str
    claimed: object
    derived: object
    holds: bool
    how: str
    slip: str = ""


class CheckReport:
    """Truthy when every claim holds; prints as a table; ``first_wrong`` is the earliest
    wrong step in backprop order (None when all hold)."""

    def __init__(self, results, note=""):
        self.results = list(results)
        self.note = note  # why values are numbers, where exact ones were not used

    def __bool__(self):
        return all(r.holds for r in self.results)

    @property
    def first_wrong(self):
        return next((r for r in self.results if not r.holds), None)

    def rows(self):
        return [[r.key, r.text, _show(r.claimed), _show(r.derived),
                 ("holds, " if r.holds else "WRONG, ") + r.how] for r in self.results]

    def __str__(self):
        lines = ([self.note] if self.note else []) + text.table([HEADER] + self.rows(),
                                                                rule=True)
        return "\n".join(lines + self._conclusion())

    __repr__ = __str__

    def _repr_html_(self):
        """The table in a notebook, each verdict cell green (holds) or red (WRONG)."""
        notes = [self.note] + [line.strip() for line in self._conclusion()]
        return text.html_table(HEADER, self.rows(), notes=notes, classes=_verdict_classes)

    def _conclusion(self):
        wrong = self.first_wrong
        if wrong is None:
            return ["all claims hold"]
        lines = [f"first wrong step: {wrong.key} (claimed {wrong.text}, derived "
                 f"{_show(wrong.derived)})"]
        return lines + ([f"  why: {wrong.slip}"] if wrong.slip else [])


HEADER = ("claim", "claimed", "its value", "derived", "verdict")


def _verdict_classes(row):
    """The class of each cell of a report row: its verdict cell's "holds" or "wrong"."""
    return ["", "", "", "", "holds" if row[-1].startswith("holds") else "wrong"]


def _show(value):
    """A value as the report prints it; one nested past ``SHOW_DEPTH`` (a formula of a long
    chain) by its depth, which SymPy's printer, recursing once a level, cannot print."""
    if isinstance(value, sp.Basic) and expression_depth(value, SHOW_DEPTH) > SHOW_DEPTH:
        return f"(a formula nested over {SHOW_DEPTH} deep: see gc.formula)"
    return str(value)


def check(loss, claims, at=None, tol=1e-9, exact=None):
    """Check ``claims`` about the graph of ``loss`` and return a CheckReport.

    ``claims`` maps left sides to right sides (``{"d loss/d w1": "sigmoid(-1) - 1"}``), or
    is a list of lines (``["d loss/d w1 = sigmoid(-1) - 1"]``). The graph is not changed.
    ``exact`` (with ``at``): compare exact values (default: when every fed value is exact,
    ``graphc.symbolic.exact.why_numeric``), else numbers to ``tol``; exact values past
    their budget fall back to numbers, the report's note saying so. Without ``at``, claims
    on a graph of small tensors are compared component by component (each component a
    formula in the leaves' components), else as formulas in matrix notation.
    """
    work = loss.graph.copy()
    items = _items(claims)
    if at is None and _componentwise(work):
        try:
            return _check(work, _setup(work, items, None, True), None, tol, True, True)
        except ClaimError:
            raise       # the claim itself is bad, however it is compared
        except (ExactBudgetError, DomainError, TypeError, ValueError):
            pass        # an op without a formula over symbols: matrix notation instead
    note = ""
    if at is not None and exact is None:
        why = why_numeric(at)
        exact, note = why is None, "" if why is None else numeric_note(why)
    setup = _setup(work, items, at)     # parsed, and gradients taken, once for both tries
    try:
        return _check(work, setup, at, tol, exact is not False, note=note)
    except ExactBudgetError as err:
        note = f"numeric values: {err} (the budget of exact values)"
        return _check(work, setup, at, tol, False, note=note)


class _Setup(NamedTuple):
    """What a way of comparing reads: the stand-in of each name, the parsed claims, the
    node each is about, and the order they are reported in (``_step``)."""

    names: dict
    parsed: list
    targets: list
    steps: list


def _setup(work, items, at, components=False):
    dims = _dims(work, at)
    names = {n.name: _stand_in(n.record, at is not None or components, dims) for n in work}
    parsed = [_parse(item, names) for item in items]
    targets = _targets(work, [key for key, _, _ in parsed])
    order = {v: i for i, v in enumerate(walk.order(work))}
    steps = sorted(range(len(parsed)), key=lambda i: _step(parsed[i][0], work, order))
    return _Setup(names, parsed, targets, steps)


def _check(work, setup, at, tol, exact, components=False, note=""):
    """The report of one way of comparing: at the point ``at`` (``exact`` values or
    numbers), or without one, by ``components`` or by formulas."""
    names, parsed = setup.names, setup.parsed
    given = _components(work, names) if components else None
    derived, claimed = _values(work, names, parsed, setup.targets, at, exact, given)
    proving = at is None or exact
    return CheckReport((_named_slip(_verdict(parsed[i], claimed[i], derived[i], at, tol,
                                             proving), parsed[i][0], claimed[i], work, at, names)
                        for i in setup.steps), note)


def _componentwise(work):
    """Whether claims without a point are compared component by component: some input or
    parameter is a tensor, and every one is a float of a static shape of at most
    ``COMPONENTS`` elements (integer labels need values: those keep matrix notation)."""
    fed = [n.record for n in work if n.role in ("input", "param")]
    shapes = [tuple(r.shape or ()) for r in fed]
    return (any(shapes) and all(r.dtype in FLOATS for r in fed)
            and all(isinstance(d, int) for s in shapes for d in s)
            and all(int(np.prod(s)) <= COMPONENTS for s in shapes))


def _components(work, names):
    """Each input's and parameter's stand-in (its components' symbols) by id."""
    return {n.id: np.asarray(np.array(names[n.name].tolist(), dtype=object)
                             if isinstance(names[n.name], sp.NDimArray) else names[n.name],
                             dtype=object)
            for n in work if n.role in ("input", "param")}


def _named_slip(result, key, claimed, work, at, names):
    """``result`` with the slip that explains it, for a wrong gradient claim; without a
    point, at a fixed sample point of the leaves (``_sample``)."""
    if result.holds or key.kind != "grad":
        return result
    if at is None:
        at, meaning = _sample(work, names)
        claimed = claimed if at is None else sp.sympify(claimed).xreplace(meaning) \
            if not isinstance(claimed, sp.NDimArray) else claimed.xreplace(meaning)
        if at is None:
            return result
    try:
        numbers = np.array([float(sp.N(c)) for c in _flat(claimed)])
    except (TypeError, ValueError):
        return result       # a claim left with symbols in it names no slip
    slip = diagnose(work, work.node(key.of).id, work.node(key.wrt).id,
                    numbers.reshape(shape_of(claimed)), plain_feeds(at), key.index, str(key))
    return replace(result, slip=slip)


def _sample(work, names):
    """A point of the inputs and parameters (fixed pseudo-random decimals) and what each
    stand-in symbol means there; (None, None) where one is an integer or of a shape not
    known."""
    rng, at, meaning = random.Random(1), {}, {}
    for n in work:
        if n.role not in ("input", "param"):
            continue
        shape = tuple(n.shape or ())
        if n.dtype not in FLOATS or not all(isinstance(d, int) for d in shape):
            return None, None
        low, high = (1, 99) if _is_unit_target(n) else (-150, 150)
        values = np.array([sp.Rational(rng.randint(low, high), 100)
                           for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape)
        at[n.name] = values
        stand_in = names[n.name]
        symbols = sp.flatten(stand_in) if isinstance(stand_in, sp.NDimArray) else [stand_in]
        meaning.update(zip(symbols, values.ravel() if shape else [values.item()]))
    return at, meaning


#: Losses whose target (operand 1) must lie in [0, 1]: their sample targets are drawn there.
UNIT_TARGETS = ("bce", "bce_clamped", "bce_with_logits")


def _is_unit_target(node):
    return any(u.op in UNIT_TARGETS and u.operands[1] == node for u in node.users)


def _dims(work, at):
    """The sizes the point gives the graph's named dimensions (``N`` of ``shape=("N", 2)``),
    bound as the feed check binds them."""
    dims = {}
    for key, value in (at or {}).items():
        name = getattr(key, "name", key)
        if name in work:
            bind_shape(name, tuple(work.node(name).shape or ()),
                       np.asarray(value, dtype=object), dims)
    return {d: size for d, (size, _, _) in dims.items()}


def _stand_in(record, at_a_point, dims=None):
    """What a name means while a claim is read: its symbol, or at a point (where tensors are
    arrays of numbers) the array of its components' symbols, so ``w[0]`` and ``x @ w`` work;
    named dimensions take their sizes from ``dims``."""
    shape = tuple((dims or {}).get(d, d) for d in record.shape or ())
    if (not at_a_point or not shape or not all(isinstance(d, int) for d in shape)
            or int(np.prod(shape)) > MAX_ELEMENTS):
        return symbol(record)
    return sp.Array(np.array([sp.Symbol(f"{record.name}[{', '.join(map(str, i))}]", real=True)
                              for i in np.ndindex(*shape)], dtype=object).reshape(shape).tolist())


def _meaning(names, nodes, values):
    """Each stand-in symbol of ``nodes`` (see _stand_in) -> its value (or its component)."""
    meaning = {}
    for node, value in zip(nodes, values):
        stand_in = names[node.name]
        if isinstance(stand_in, sp.NDimArray):
            meaning.update(zip(sp.flatten(stand_in), sp.flatten(value)))
        else:
            meaning[stand_in] = value
    return meaning


def _items(claims):
    if hasattr(claims, "items"):
        return [(str(k), str(v)) for k, v in claims.items()]
    return [str(line) for line in claims]


def _parse(item, names):
    """(Key, SymPy expression, the claim's right-hand text)."""
    if isinstance(item, tuple):
        left, right = item
        return parse_key(left, names), parse_expression(right, names), right.strip()
    key, expr, right = parse_claim(item, names)
    return key, expr, right


def _targets(work, keys):
    """The node each claim is about: a node's value, or the gradient of one node."""
    wanted = {}
    for key in keys:
        if key.kind == "grad":
            wanted.setdefault(key.of, []).append(key.wrt)
    grads = {}
    for of, wrts in wanted.items():
        unique = list(dict.fromkeys(wrts))
        nodes = grad(work.node(of), [work.node(w) for w in unique])
        grads.update({(of, w): n for w, n in zip(unique, nodes)})
    return [work.node(k.of) if k.kind == "value" else grads[(k.of, k.wrt)] for k in keys]


def _step(key, work, order):
    """Forward values in graph order first, then gradients from the loss backwards, those of
    inputs and parameters last, in the order they were declared."""
    if key.kind == "value":
        return (0, order[work.node(key.of).id])
    wrt = work.node(key.wrt)
    leaf = wrt.role in ("input", "param")
    return (1, leaf, order[wrt.id] if leaf else -order[wrt.id])


def _values(work, names, parsed, targets, at, exact, given=None):
    """What graphc derives for each claim, and what each claim says, both as SymPy (at a
    point: exact values, or floats where ``exact`` is false; else formulas, by components
    when the leaves' components are ``given``)."""
    referenced = {str(s).split("[")[0] for _, expr, _ in parsed for s in expr.free_symbols}
    nodes = [work.node(name) for name in sorted(referenced)]
    if at is not None and not exact:
        values = [_as_floats(v) for v in reference(targets + nodes, plain_feeds(at), float64=True)]
    elif at is not None:
        values = exact_values(targets + nodes, at)
    elif given is not None:
        values = given_values(targets + nodes, given, seconds=COMPONENT_SECONDS)
    else:
        _shallow_enough(work, targets + nodes)
        values = [formula(n, keep=()) for n in targets + nodes]
    meaning = _meaning(names, nodes, values[len(targets):])
    claimed = [expr.xreplace(meaning) for _, expr, _ in parsed]
    derived = [_part(v, key.index) for (key, _, _), v in zip(parsed, values)]
    return derived, claimed


def _shallow_enough(work, nodes):
    """ClaimError where a node's formula would nest past ``FORMULA_DEPTH`` ops (a long
    chain): SymPy builds, compares and prints such formulas by recursion, in time that
    grows faster than the chain; at a point they are numbers."""
    ids = [n.id for n in nodes]
    depth = {}
    for v in walk.order(work, walk.upstream(work, ids)):
        depth[v] = 1 + max((depth[u] for u in work.operands(v)), default=-1)
    deepest = max(ids, key=depth.get)
    if depth[deepest] > FORMULA_DEPTH:
        raise ClaimError(f"claims without a point: {work.record(deepest).name!r} is "
                         f"{depth[deepest]} ops deep, past the {FORMULA_DEPTH} that claims "
                         f"are compared as formulas to; give a point (at=..., or graphc "
                         f"check --at x=...)")


def _part(value, index):
    """The claimed component of a derived value (the whole value when ``index`` is None)."""
    if index is None:
        return value
    if not isinstance(value, sp.NDimArray):
        raise ClaimError("a component such as w[0] needs a point: pass at= (or --at)")
    return component(value, index)     # the index was checked against the shape on reading


def _as_floats(value):
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return sp.Float(float(value))
    return sp.Array(value.tolist()).applyfunc(sp.Float)


def _verdict(parsed, claimed, derived, at, tol, proving=True):
    key, _, text = parsed
    shown = f"{key} ({key.reading})" if key.reading else str(key)
    if (len(shape_of(derived)) == 2 and shape_of(claimed) != shape_of(derived)
            and shape_of(claimed) == shape_of(derived)[::-1]):   # named, not refused
        return ClaimResult(shown, text, claimed, derived, False,
                           f"shape {shape_of(claimed)}, the transpose of {shape_of(derived)}")
    if shape_of(derived) != shape_of(claimed):
        has = f"has shape {shape_of(claimed)}" if shape_of(claimed) else "is a scalar"
        raise ClaimError(f"claim {key}: {text!r} {has}, but {key} has shape "
                         f"{shape_of(derived)}" + ("" if shape_of(claimed) else
                                                    "; claim a scalar node instead"))
    try:
        holds, how = _compare(derived, claimed, at, tol, proving)
    except TooLarge as err:
        raise ClaimError(f"claim {key}: {text!r} is too large to evaluate: its difference "
                         f"from {key} has no value at {DIGITS} digits ({err})") from None
    return ClaimResult(shown, text, claimed, derived, holds, how)


def _compare(derived, claimed, at, tol, proving=True):
    """(holds, how): numbers first, at bounded precision (``_numerically_zero``); a proof
    only where they agree, or cannot tell, and the difference is cheap to prove
    (``_provable``)."""
    diffs = [sp.sympify(d - c) for d, c in zip(_flat(derived), _flat(claimed))]
    close = [_numerically_zero(diff, tol, at is None) for diff in diffs]
    if proving and all(c is not False and _proved_zero(d) for d, c in zip(diffs, close)):
        return True, "proved symbolically"
    if all(close):  # a calculator's decimal holds to tol
        return True, f"numerically, to {tol:g}"
    off = [-d for d in diffs if proving and _proved_nonzero(d)]
    if off:  # numbers SymPy compares exactly (9/5 against 8/5): no tolerance needed
        by = f": off by {off[0]}" if len(diffs) == 1 and off[0].is_Rational else ""
        return False, "proved wrong" + by
    return False, f"differs (checked numerically, to {tol:g})"


def _flat(value):
    return list(sp.flatten(value)) if isinstance(value, sp.NDimArray) else [value]


def _provable(diff):
    """Whether SymPy may try to prove ``diff`` zero at a bounded cost: a small tree
    (``PROVE_SIZE``), no number past ``PROVE_NUMBER`` in size (``tanh(10**10)``: SymPy
    would compute it to ten billion digits) and no power past ``PROVE_POWER``
    (``(z + 1)**1000``: expanding it builds a polynomial of degree 1000)."""
    if expression_size(diff, PROVE_SIZE) > PROVE_SIZE:
        return False
    for node in sp.preorder_traversal(diff):
        if node.is_Rational and abs(node) > PROVE_NUMBER:
            return False
        if node.is_Pow and node.exp.is_Number and abs(node.exp) > PROVE_POWER:
            return False
    return True


def _proved_zero(diff):
    """SymPy shows ``diff`` is 0: by cheap rewrites first, ``simplify`` only on a small tree
    (a difference of large formulas is left to the numeric comparison)."""
    try:
        if diff == 0:
            return True
        if not _provable(diff):
            return False
        diff = diff.rewrite(sp.exp)
        if not _provable(diff):
            return False
        if sp.expand(diff) == 0 or (cancellable(diff) and sp.cancel(sp.together(diff)) == 0):
            return True
        return sp.simplify(diff) == 0
    except (TypeError, ValueError, NotImplementedError, OverflowError, RecursionError):
        return False


def _proved_nonzero(diff):
    """diff is a small number without floats that SymPy evaluates to a nonzero number with
    every digit it gives known (``strict``; it says so where it cannot tell, as for
    ``tanh(10**10) - 1``)."""
    try:
        return (_provable(diff) and diff.is_number and not diff.has(sp.Float)
                and sp.N(diff, 15, strict=True) != 0)
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return False    # PrecisionExhausted is an ArithmeticError


def _numerically_zero(diff, tol, random_points):
    """|diff| <= tol at the point (exact values) or at a few random points of its symbols,
    each in bounded work (``graphc.check.numeric``: TooLarge where no precision reaches a
    value); None where a value is not a number (a division by zero)."""
    symbols = symbols_of(diff)
    rng = random.Random(0)
    points = [{s: sp.Rational(rng.randint(-300, 300), 100) for s in symbols}
              for _ in range(5 if random_points and symbols else 1)]
    try:
        values = [value(diff, p) for p in points]
    except (TypeError, ValueError):
        return None
    if any(v.has(sp.Function) or not v.is_number for v in values):
        return None  # a tensor function (concat, a slice) left unevaluated: not a number
    try:
        return all(bool(abs(v) <= tol) for v in values)
    except (TypeError, ValueError):
        return None
