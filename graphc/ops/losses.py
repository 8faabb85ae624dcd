"""Losses: cross-entropy and the losses of the lectures, each a mean of shape ().

Every loss but cross_entropy is the mean of an element-wise formula over its prediction p
and target y, and is defined by that formula alone (``ELEMENT``, as the lectures write it):

  bce:              -y log p - (1 - y) log(1 - p)
  bce_with_logits:  -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))
  mse:              (p - y) ** 2
  mae:              |p - y|
  hinge:            max(1 - y s, 0)          (labels y in {-1, +1}: they get no gradient)
  squared_hinge:    max(1 - y s, 0) ** 2

Its gradient by each operand is ``sympy.diff`` of the formula, normalised once (cached),
times ct, over the count n, summed to the operand's shape, as for element-wise ops: bce's
reads ``ct*(p - y)/(n*p*(1 - p))``, which sigmoid's ``ct*out*(1 - out)`` cancels to
``p - y``. No rule looks at its operand's op. The formula also gives the notation and the
exact values, and the reference computes it in plain NumPy: bce's reference is not clamped.

Stability is ``passes.rewrite_stable``'s: bce of a sigmoid becomes bce_with_logits (its
NumPy form max(z, 0) - z y + log(1 + exp(-|z|)) never overflows), any other bce becomes
``bce_clamped``, registered here: the same formula with PyTorch's guards (``clamp_bce``:
logs clamped at -100, its gradient's p (1 - p) at 1e-12). cross_entropy is structural:

  cross_entropy:  dz = ct * (softmax(z) * sum(t) - t) / N       (t: one-hot or rows)
  nll:            dl = -ct * t / N      (cross_entropy from its log_softmax l: the form
                                         ``passes.share_softmax`` gives it)
"""

import dataclasses
import functools

import numpy as np
import sympy as sp

from ..errors import DomainError, ShapeError
from .. import shapes
from . import notation
from .nn import check_labels, exact_log_softmax, first_bad, np_log_softmax
from .registry import OpDef, TestSpec, register
from .scalar import maximum, sigmoid

CT, P, Y, N, R, L = sp.symbols("ct p y n r l", real=True)
LOG_FLOOR = -100  # PyTorch's clamp of log(p) in binary cross-entropy
EPS = sp.Float(1e-12)  # and of p (1 - p) in its gradient


def check_rows(target, where=""):
    """Probability targets: each row (the last axis) has entries in [0, 1] and sums to 1
    within 1e-4; DomainError naming the first bad row, after ``where`` (as
    ``check_labels``). A nan passes: its loss is nan, as IEEE has it."""
    target = np.asarray(target)
    sums = target.sum(axis=-1)
    if not target.size or (target.min() >= 0 and target.max() <= 1
                           and np.abs(sums - 1).max() <= 1e-4):
        return  # three reductions: cheaper than building the masks below
    outside = (target < 0) | (target > 1)
    bad = np.any(outside, axis=-1) | (np.abs(sums - 1) > 1e-4)
    if not np.any(bad):
        return
    at = np.unravel_index(int(np.argmax(bad)), np.shape(bad))
    row, out = target[at], outside[at]
    index = "" if not at else f" {int(at[0])}" if len(at) == 1 else f" {tuple(map(int, at))}"
    shown = ", ".join(str(v) for v in row[:8]) + (", ..." if row.size > 8 else "")
    why = f"{row[out][0]} is outside [0, 1]" if out.any() else \
        f"it sums to {float(row.sum()):.6g}"
    raise DomainError(f"{where}target row{index} [{shown}] is not a probability row "
                      f"(entries in [0, 1] summing to 1): {why} ({int(np.sum(bad))} bad rows)")


def _picked(log_p, target, check):
    """The log-probabilities each row's target takes (integer labels, checked by
    ``check``), or the rows' dot products with probability-row targets (``check_rows``)."""
    # labels have one axis fewer than the logits (exact values hold them as SymPy ints)
    if np.ndim(target) == np.ndim(log_p) - 1:
        check(target, np.shape(log_p)[-1])
        labels = np.asarray(target).astype(np.int64)  # SymPy ints in exact values
        return np.take_along_axis(log_p, labels[..., None], -1)[..., 0]
    numbers = _as_numbers(target)  # exact values are SymPy numbers, or symbols
    if numbers is not None:
        check_rows(numbers)
    return np.sum(target * log_p, axis=-1)


def _exact_cross_entropy(attrs, logits, target):
    return _exact_nll(attrs, exact_log_softmax({"axis": -1}, logits), target)


def _exact_nll(attrs, log_p, target):
    return -notation.exact_mean(_picked(log_p, target, check_labels))


def _infer_rows(op, what):
    """The shape rule of a loss over rows of ``what`` (C,) or (N, C) and a target of
    integer labels (C,) or () or of probability rows of the same shape: shape ()."""
    def infer(attrs, args):
        rows, target = args
        shapes.require_float(rows, op)
        where = f"{op} of {what} {shapes.describe(rows)}"
        if len(rows.shape) not in (1, 2):
            raise ShapeError(f"{where}: {what} must be (C,) or (N, C)")
        if target.dtype in shapes.INTS:
            if tuple(target.shape) != tuple(rows.shape[:-1]):
                raise ShapeError(f"{where}: integer labels {shapes.describe(target)} must "
                                 f"have shape {shapes.fmt(rows.shape[:-1])}")
        elif tuple(target.shape) != tuple(rows.shape):
            raise ShapeError(f"{where}: target {shapes.describe(target)} ({target.dtype}) "
                             f"must be integer labels of shape {shapes.fmt(rows.shape[:-1])} "
                             f"or probability rows (such as one-hot) of shape "
                             f"{shapes.fmt(rows.shape)}")
        return (), rows.dtype
    return infer


def _per_row(b, rows, ct):
    """(the symbols' bindings, the factor per row): ct, over the batch N for (N, C) rows."""
    if len(rows.shape) == 2:  # the mean over the batch
        return {CT: ct, N: b.op("count", rows, axes=(0,))}, CT / N
    return {CT: ct}, CT


def _vjp_cross_entropy(b, node, ct, needs):
    logits, target = node.operands
    scale, per = _per_row(b, logits, ct)
    grads = [None, None]
    if needs[0]:
        probs = b.op("softmax", logits, axis=-1)
        if target.dtype in shapes.INTS:
            grads[0] = b.ew(per * (P - Y), {**scale, P: probs,
                                            Y: b.op("one_hot", target, logits)})
        else:
            rows = b.op("sum", target, axis=-1, keepdims=True)
            grads[0] = b.ew(per * (P * R - Y), {**scale, P: probs, R: rows, Y: target})
    if needs[1]:
        grads[1] = b.ew(-per * L, {**scale, L: b.op("log_softmax", logits, axis=-1)})
    return grads


def _vjp_nll(b, node, ct, needs):
    log_p, target = node.operands
    scale, per = _per_row(b, log_p, ct)
    grads = [None, None]
    if needs[0]:
        y = b.op("one_hot", target, log_p) if target.dtype in shapes.INTS else target
        grads[0] = b.ew(-per * Y, {**scale, Y: y})
    if needs[1]:
        grads[1] = b.ew(-per * L, {**scale, L: log_p})
    return grads


def _reference_nll(attrs, log_p, target):
    return -np.mean(_picked(log_p, target, check_labels))


def _np_nll(log_p, target, where=""):
    """Mean negative log-likelihood of log-probability rows (the last axis) at integer
    labels, or against probability rows: cross_entropy from its log_softmax."""
    if np.issubdtype(np.asarray(target).dtype, np.integer):
        classes = np.shape(log_p)[-1]
        check_labels(target, classes, where)
        rows = np.reshape(log_p, (-1, classes))
        return -rows[np.arange(rows.shape[0]), np.ravel(target)].mean()
    check_rows(target, where)
    return -np.mean(np.sum(target * log_p, axis=-1))


def _np_cross_entropy(logits, target, where=""):
    """Mean softmax cross-entropy against integer labels or probability rows."""
    return _np_nll(np_log_softmax(logits, -1), target, where)


register(OpDef(
    name="cross_entropy", family="losses", arity=2,
    rules=("d cross_entropy({0}, {1})/d{0} = (softmax({0}) - one_hot({1})) / N",
           "d cross_entropy({0}, {1})/d{1} = -log_softmax({0}) / N"),
    infer=_infer_rows("cross_entropy", "logits"),
    notation=lambda attrs, shapes_, z, t: notation.CrossEntropy(z, t),
    exact=_exact_cross_entropy,
    numpy="_np_cross_entropy({0}, {1}, {node})",
    helpers=(_np_cross_entropy, _np_nll, np_log_softmax, check_labels, check_rows,
             first_bad),
    reference=lambda attrs, logits, target: _reference_nll(
        attrs, np_log_softmax(logits, -1), target),
    vjp=_vjp_cross_entropy,
    test=TestSpec(inputs=(("float", (4, 3), -2.0, 2.0), ("labels", (4,), 3))),
    doc="softmax cross-entropy of logits (C,) or (N, C) against integer labels or "
        "probability rows; the mean over the batch"))

_NLL = notation.named("nll", 2, notation.scalar)

register(OpDef(
    name="nll", family="losses", arity=2,
    rules=("d nll({0}, {1})/d{0} = -one_hot({1}) / N", "d nll({0}, {1})/d{1} = -{0} / N"),
    infer=_infer_rows("nll", "log-probabilities"),
    notation=lambda attrs, shapes_, log_p, t: _NLL(log_p, t),
    exact=_exact_nll, numpy="_np_nll({0}, {1}, {node})",
    helpers=(_np_nll, check_labels, check_rows, first_bad),
    reference=_reference_nll, vjp=_vjp_nll,
    test=TestSpec(inputs=(("float", (4, 3), -3.0, -0.1), ("labels", (4,), 3))),
    doc="the mean negative log-likelihood of log-probability rows (C,) or (N, C) at integer "
        "labels, or against probability rows: cross_entropy(z, t) is nll(log_softmax(z), "
        "t), as passes.share_softmax computes it"))


# ---- the mean losses, each defined by its formula per element -----------------------------

#: Each loss per element, over P (prediction) and Y (target), as the lectures write it.
ELEMENT = {
    "bce": -Y * sp.log(P) - (1 - Y) * sp.log(1 - P),
    "bce_with_logits": -Y * sp.log(sigmoid(P)) - (1 - Y) * sp.log(1 - sigmoid(P)),
    "mse": (P - Y) ** 2,
    "mae": sp.Abs(P - Y),
    "hinge": maximum(1 - Y * P, 0),
    "squared_hinge": maximum(1 - Y * P, 0) ** 2,
}


def clamp_bce(expr, p):
    """``expr`` with binary cross-entropy's guards on the probability ``p`` (a symbol), as
    PyTorch computes bce: log(p) and log(1 - p) clamped at -100, and 1/(p (1 - p)) (in its
    gradient) computed as 1/max(p (1 - p), 1e-12). The forms of a sigmoid's p need none."""
    expr = expr.xreplace({sp.log(p): maximum(sp.log(p), LOG_FLOOR),
                          sp.log(1 - p): maximum(sp.log(1 - p), LOG_FLOOR)})
    pair = {1 / p, 1 / (1 - p)}
    return expr.replace(
        lambda e: e.is_Mul and pair <= set(e.args),
        lambda e: e.func(*[a for a in e.args if a not in pair]) / maximum(p * (1 - p), EPS))


def logit_quotient(expr, p, z, tiny):
    """``expr`` (bce's gradient (p - y)/(p (1 - p)) at p = sigmoid(z)) with every quotient
    by p or 1 - p taken from the logit: -y/p + (1 - y)/(1 - p) as -y/max(sigmoid(z), tiny)
    + (1 - y)/max(sigmoid(-z), tiny), exact in both tails (1 - p rounds to 0 from z = 37
    on, p from z = -745) and finite for any z (``tiny``: the dtype's smallest normal); its
    logs (d/dy) as log(sigmoid(z)) and log(sigmoid(z)) - z, so d/dy is -z."""
    def divides(e):
        return e.is_Pow and e.exp.is_negative and e.base in (p, 1 - p, p - 1)

    logs = {sp.log(p): sp.log(sigmoid(z)), sp.log(1 - p): sp.log(sigmoid(z)) - z}
    expr = expr.xreplace(logs)  # d/dy: log(1 - p) - log(p) is -z
    if not expr.has(p) or not any(divides(e) for e in sp.preorder_traversal(expr)):
        return expr

    def stable(e):
        base = e.base
        if base == p:
            return maximum(sigmoid(z), tiny) ** e.exp
        if base in (1 - p, p - 1):
            sign = 1 if base == 1 - p else -1
            return (sign * maximum(sigmoid(-z), tiny)) ** e.exp
        return e
    return sp.apart(expr, p).replace(divides, stable)


def _log_of_one_minus_sigmoid(e):
    return isinstance(e, sp.log) and isinstance(1 - e.args[0], sigmoid)


def normalise(d):
    """A derivative in the form that reads like the slide and cancels against the chain's
    next factor: one fraction with its numerator expanded, so bce's -y/p + (1 - y)/(1 - p)
    is (p - y)/(p (1 - p)); log(1 - sigmoid(z)) is log(sigmoid(z)) - z (so bce_with_logits'
    d/dy is -z, finite for any z)."""
    d = d.replace(_log_of_one_minus_sigmoid,
                  lambda e: sp.log(1 - e.args[0]) - (1 - e.args[0]).args[0])
    numerator, denominator = sp.fraction(sp.together(d))
    return sp.factor_terms(sp.expand(numerator)) / denominator


@functools.lru_cache(maxsize=64)
def derivative(name, slot):
    """d (loss ``name`` per element) / d (its operand ``slot``), over P and Y: sympy.diff
    of its formula, normalised once; the clamped bce's is bce's with its guards."""
    formula, guard = _DEFINED[name]
    d = normalise(sp.diff(formula, (P, Y)[slot]))
    return guard(d, P) if guard else d


def _loss_vjp(b, node, ct, needs):
    """d mean(f(p, y)) / d p = ct * df/dp / n, summed to p's shape (and so for y)."""
    p, y = node.operands
    n = b.op("count", p, y)
    grads = []
    for slot, (x, need) in enumerate(zip((p, y), needs)):
        d = derivative(node.op, slot) if need else sp.S.Zero
        if d == 0:
            grads.append(None)
            continue
        grads.append(b.sum_to(b.ew(CT * d / N, {CT: ct, P: p, Y: y, N: n}), x))
    return grads


def _prepare_loss(attrs, args):
    return {"broadcast": bool(attrs.get("broadcast", False))}


def _infer_loss(op):
    def infer(attrs, args):
        for a in args:
            shapes.require_float(a, op)
        if not attrs["broadcast"] and tuple(args[0].shape) != tuple(args[1].shape):
            joined = shapes.broadcast(args, op)
            raise ShapeError(
                f"{op}: {shapes.describe(args[0])} and {shapes.describe(args[1])} have "
                f"different shapes and would broadcast to {shapes.fmt(joined)}; make them "
                f"equal, or pass broadcast=True if that is meant")
        shapes.broadcast(args, op)
        return (), shapes.promote(args, op)
    return infer


def _notation_loss(element, operand_shapes, p, y):
    """The loss of one element; for tensors, the mean of it."""
    e = element.xreplace({P: p, Y: y})
    return e if all(s == () for s in operand_shapes) else notation.reduce("mean", e)


def _exact_loss(element, p, y):
    return notation.exact_mean(notation.emap(lambda a, b: element.xreplace({P: a, Y: b}),
                                             p, y))


_DEFINED = {}  # name -> (formula per element, guard applied to its value and derivatives)


def define_loss(name, reference, numpy, test, doc, guard=None, helpers=(), infer=None,
                check=None, nondiff=()):
    """Register the mean loss ``name`` from its formula per element, ``ELEMENT[name]``
    (bce's for ``bce_clamped``), with its ``guard`` (expr, p) -> expr if any; ``check``
    validates the target's values for the exact form (the hinge labels)."""
    formula = ELEMENT[name.removesuffix("_clamped")]
    _DEFINED[name] = (formula, guard)
    value = guard(formula, P) if guard else formula

    def exact(attrs, p, y):
        if check is not None:
            check(y)
        return _exact_loss(value, p, y)
    return register(OpDef(
        name=name, family="losses", arity=2, attrs=("broadcast",), prepare=_prepare_loss,
        infer=infer or _infer_loss(name), nondiff=nondiff, reference=reference,
        scalar=lambda p, y: value.xreplace({P: p, Y: y}),
        notation=lambda attrs, shapes_, p, y: _notation_loss(value, shapes_, p, y),
        exact=exact, numpy=numpy, helpers=helpers, vjp=_loss_vjp, test=test, doc=doc))


def check_unit(target, where=""):
    """Binary targets must lie in [0, 1]; DomainError naming the first bad one and its
    index, after ``where`` (as ``check_labels``). A nan passes: its loss is nan."""
    target = np.asarray(target)
    if not target.size or (target.min() >= 0 and target.max() <= 1):
        return  # two reductions: cheaper than building the mask below
    bad = (target < 0) | (target > 1)
    if np.any(bad):
        first, at = first_bad(target, bad)
        raise DomainError(f"{where}target {first}{at} is outside [0, 1] "
                          f"({int(np.sum(bad))} bad targets)")


def _check_unit_exact(y):
    """``check_unit`` of exact targets (SymPy numbers); symbolic targets pass unchecked."""
    numbers = _as_numbers(y)
    if numbers is not None:
        check_unit(numbers)


def _as_numbers(values):
    """Exact values as a float array, or None where they hold symbols (a formula, not a
    point: no value to check)."""
    try:
        return np.asarray(values, dtype=float)
    except TypeError:
        return None


def _reference_bce(attrs, p, y):
    check_unit(y)
    return np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))


def _reference_bce_clamped(attrs, p, y):
    check_unit(y)
    log_p = np.log(np.maximum(p, np.exp(LOG_FLOOR)))        # = max(log p, -100)
    log_q = np.log(np.maximum(1 - p, np.exp(LOG_FLOOR)))
    return np.mean(-y * log_p - (1 - y) * log_q)


def _reference_bce_with_logits(attrs, z, y):
    """bce_with_logits' formula, in the form that is finite for any z."""
    check_unit(y)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def _np_bce(p, y, where=""):
    """Binary cross-entropy of probabilities (mean), each log clamped at -100 as PyTorch
    does; the floor is a Python float, so float32 stays float32. Targets in [0, 1]."""
    check_unit(y, where)
    floor = 3.720075976020836e-44  # exp(-100): log(max(p, floor)) = max(log(p), -100)
    return -np.mean(y * np.log(np.maximum(p, floor))
                    + (1 - y) * np.log(np.maximum(1 - p, floor)))


def _np_bce_with_logits(z, y, where=""):
    """Binary cross-entropy of logits (mean) as max(z, 0) - z y + log(1 + exp(-|z|)):
    exp never overflows. Targets in [0, 1]."""
    check_unit(y, where)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


_PROBABILITIES = TestSpec(inputs=(("float", (4,), 0.1, 0.9), ("float", (4,), 0.0, 1.0)))
_PAIRS = TestSpec(inputs=(("float", (4,), -2.0, 2.0), ("float", (4,), -2.0, 2.0)))

define_loss(
    "bce", _reference_bce, "-np.mean({1} * np.log({0}) + (1 - {1}) * np.log(1 - {0}))",
    _PROBABILITIES, "binary cross-entropy of probabilities p against targets y (mean); "
    "gc.compile and gc.evaluate compute bce(sigmoid(z), y) from z, and clamp other logs",
    check=_check_unit_exact)
define_loss(
    "bce_clamped", _reference_bce_clamped, "_np_bce({0}, {1}, {node})", _PROBABILITIES,
    "bce with its logs clamped at -100 and its gradient's p (1 - p) at 1e-12, as in "
    "PyTorch: what rewrite_stable makes of a bce of a probability", guard=clamp_bce,
    helpers=(_np_bce, check_unit, first_bad), check=_check_unit_exact)
define_loss(
    "bce_with_logits", _reference_bce_with_logits, "_np_bce_with_logits({0}, {1}, {node})",
    TestSpec(inputs=(("float", (4,), -3.0, 3.0), ("float", (4,), 0.0, 1.0))),
    "binary cross-entropy of logits z against targets y (mean), stable for any z",
    helpers=(_np_bce_with_logits, check_unit, first_bad), check=_check_unit_exact)
define_loss(
    "mse", lambda attrs, p, t: np.mean((p - t) ** 2), "np.mean(({0} - {1}) ** 2)", _PAIRS,
    "mean of squared differences (as PyTorch; write the lectures' 1/2 yourself)")
define_loss(
    "mae", lambda attrs, p, t: np.mean(np.abs(p - t)), "np.mean(np.abs({0} - {1}))", _PAIRS,
    "mean of absolute differences (L1); its derivative at 0 is 0")  # sign(0) = 0


# ---- hinge losses: scores s against labels y in {-1, +1} ---------------------------------

def check_signs(labels, where=""):
    """Hinge labels must be -1 or +1; DomainError naming the first bad one and its index,
    after ``where`` (as ``check_labels``)."""
    labels = np.asarray(labels)
    bad = np.asarray((labels != 1) & (labels != -1), dtype=bool)
    if np.any(bad):
        first, at = first_bad(labels, bad)
        raise DomainError(f"{where}label {first} is not -1 or +1{at} ({int(np.sum(bad))} bad "
                          f"labels); hinge losses want labels in {{-1, +1}} (a 0/1 label y "
                          f"is 2y - 1)")


def _np_hinge(s, y, where=""):
    """Mean of max(0, 1 - y s), labels y in {-1, +1}."""
    check_signs(y, where)
    return np.mean(np.maximum(1 - y * s, 0))


def _np_squared_hinge(s, y, where=""):
    """Mean of max(0, 1 - y s) ** 2, labels y in {-1, +1}."""
    check_signs(y, where)
    return np.mean(np.maximum(1 - y * s, 0) ** 2)


def _reference_margin(square):
    def reference(attrs, s, y):
        check_signs(y)
        margin = np.maximum(1 - y * s, 0)
        return np.mean(margin ** 2 if square else margin)
    return reference


def _infer_margin(op):
    """As the other losses, but the labels may be integers (they take the scores' dtype)."""
    check = _infer_loss(op)

    def infer(attrs, args):
        s, y = args
        if y.dtype in shapes.INTS:
            y = dataclasses.replace(y, dtype=shapes.float_of(s.dtype))
        return check(attrs, [s, y])
    return infer


_SIGNS = TestSpec(inputs=(("float", (4,), -2.0, 2.0), ("nonzero", (4,), 1.0, 1.0)))

for _name, _helper, _doc in (
        ("hinge", _np_hinge,
         "mean of max(0, 1 - y s) for labels y in {-1, +1} (the SVM's loss)"),
        ("squared_hinge", _np_squared_hinge,
         "mean of max(0, 1 - y s) ** 2 for labels y in {-1, +1}")):
    define_loss(_name, _reference_margin(_name == "squared_hinge"),
                f"{_helper.__name__}({{0}}, {{1}}, {{node}})", _SIGNS, _doc,
                helpers=(_helper, check_signs, first_bad), infer=_infer_margin(_name),
                check=check_signs, nondiff=(1,))
