"""Losses: cross-entropy and the losses of the lectures, each a mean of shape ().

All are numerically stable for logits of any size: cross_entropy uses log-sum-exp,
bce_with_logits uses max(z, 0) - z y + log(1 + exp(-|z|)). A bce of a probability that did
not come from a sigmoid clamps its logs at -100, as PyTorch does.

Gradient rules:
  cross_entropy:  dz = ct * (softmax(z) * sum(t) - t) / N       (t: one-hot or rows)
  bce:            dp = ct * (p - y) / (p (1 - p)) / n           (sigmoid(z) - y through z)
  bce_with_logits dz = ct * (sigmoid(z) - y) / n
  mse:            dp = ct * 2 (p - t) / n
  mae:            dp = ct * sign(p - t) / n
  hinge:          ds = -ct * y * step(1 - y s) / n          (labels y in {-1, +1}: none)
  squared_hinge:  ds = -ct * 2 y max(1 - y s, 0) / n
"""

import dataclasses

import numpy as np
import sympy as sp

from ..errors import DomainError, ShapeError
from .. import shapes
from . import notation
from .nn import check_labels, exact_log_softmax, np_log_softmax
from .registry import OpDef, TestSpec, register
from .scalar import maximum, sigmoid, step

CT, P, Y, N, R, L = sp.symbols("ct p y n r l", real=True)
LOG_FLOOR = -100  # PyTorch's clamp of log(p) in binary cross-entropy


def _exact_cross_entropy(attrs, logits, target):
    log_p = exact_log_softmax({"axis": -1}, logits)
    if np.asarray(target).dtype.kind in "iu":
        check_labels(target, np.shape(logits)[-1])
        picked = np.take_along_axis(log_p, np.asarray(target)[..., None], -1)[..., 0]
        return -notation.exact_mean(picked)
    return -notation.exact_mean(np.sum(target * log_p, axis=-1))


def _infer_cross_entropy(attrs, args):
    logits, target = args
    shapes.require_float(logits, "cross_entropy")
    where = f"cross_entropy of logits {shapes.describe(logits)}"
    if len(logits.shape) not in (1, 2):
        raise ShapeError(f"{where}: logits must be (C,) or (N, C)")
    if target.dtype in shapes.INTS:
        if tuple(target.shape) != tuple(logits.shape[:-1]):
            raise ShapeError(f"{where}: integer labels {shapes.describe(target)} must have "
                             f"shape {shapes.fmt(logits.shape[:-1])}")
    elif tuple(target.shape) != tuple(logits.shape):
        raise ShapeError(f"{where}: target {shapes.describe(target)} ({target.dtype}) must "
                         f"be integer labels of shape {shapes.fmt(logits.shape[:-1])} or "
                         f"probability rows (such as one-hot) of shape "
                         f"{shapes.fmt(logits.shape)}")
    return (), logits.dtype


def _vjp_cross_entropy(b, node, ct, needs):
    logits, target = node.operands
    scale, per = {CT: ct}, CT
    if len(logits.shape) == 2:  # the mean over the batch
        scale, per = {CT: ct, N: b.op("count", logits, axes=(0,))}, CT / N
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


def _np_cross_entropy(logits, target):
    """Mean softmax cross-entropy against integer labels or probability rows."""
    log_p = np_log_softmax(logits, -1)
    if np.issubdtype(np.asarray(target).dtype, np.integer):
        check_labels(target, np.shape(logits)[-1])
        picked = np.take_along_axis(log_p, np.asarray(target)[..., None], -1)[..., 0]
        return -np.mean(picked)
    return -np.mean(np.sum(target * log_p, axis=-1))


register(OpDef(
    name="cross_entropy", family="losses", arity=2, infer=_infer_cross_entropy,
    notation=lambda attrs, shapes_, z, t: notation.CrossEntropy(z, t),
    exact=_exact_cross_entropy,
    numpy="_np_cross_entropy({0}, {1})",
    helpers=(_np_cross_entropy, np_log_softmax, check_labels),
    reference=lambda attrs, logits, target: _np_cross_entropy(logits, target),
    vjp=_vjp_cross_entropy,
    test=TestSpec(inputs=(("float", (4, 3), -2.0, 2.0), ("labels", (4,), 3))),
    doc="softmax cross-entropy of logits (C,) or (N, C) against integer labels or "
        "probability rows; the mean over the batch"))


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


def _loss_vjp(b, node, ct, needs, rules):
    """Gradients of a mean loss from per-element formulas over ct, p, y and n."""
    p, y = node.operands
    n = b.op("count", p, y)
    grads = []
    for x, need, rule in zip((p, y), needs, rules):
        if not need:
            grads.append(None)
            continue
        grads.append(b.sum_to(b.ew(rule(p) * CT / N, {CT: ct, P: p, Y: y, N: n}), x))
    return grads


def _clamped_log(x):
    return maximum(sp.log(x), LOG_FLOOR)


def _bce_dp(p_node):
    if p_node.op == "sigmoid":  # unclamped, so that sigmoid's p (1 - p) cancels to p - y
        return (P - Y) / (P * (1 - P))
    return (P - Y) / maximum(P * (1 - P), sp.Float(1e-12))


def _reference_bce(attrs, p, y):
    log_p = np.log(np.maximum(p, np.exp(LOG_FLOOR)))        # = max(log p, -100)
    log_q = np.log(np.maximum(1 - p, np.exp(LOG_FLOOR)))
    return -np.mean(y * log_p + (1 - y) * log_q)


def _reference_bce_with_logits(attrs, z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def _np_bce(p, y):
    """Binary cross-entropy of probabilities (mean), each log clamped at -100 as PyTorch
    does; the floor is a Python float, so float32 stays float32."""
    floor = 3.720075976020836e-44  # exp(-100): log(max(p, floor)) = max(log(p), -100)
    return -np.mean(y * np.log(np.maximum(p, floor))
                    + (1 - y) * np.log(np.maximum(1 - p, floor)))


# name, reference, gradient rules (d/dp, d/dy), test, doc, NumPy template and helpers
_LOSSES = (
    ("bce", _reference_bce,
     (_bce_dp, lambda p: _clamped_log(1 - P) - _clamped_log(P)),
     TestSpec(inputs=(("float", (4,), 0.1, 0.9), ("float", (4,), 0.0, 1.0))),
     "binary cross-entropy of probabilities p against targets y (mean); "
     "bce(sigmoid(z), y) is computed from z", "_np_bce({0}, {1})", (_np_bce,)),
    ("bce_with_logits", _reference_bce_with_logits,
     (lambda p: sigmoid(P) - Y, lambda p: -P),
     TestSpec(inputs=(("float", (4,), -3.0, 3.0), ("float", (4,), 0.0, 1.0))),
     "binary cross-entropy of logits z against targets y (mean), stable for any z",
     # max(z, 0) - z y + log(1 + exp(-|z|)): exp never overflows
     "np.mean(np.maximum({0}, 0) - {0} * {1} + np.log1p(np.exp(-np.abs({0}))))", ()),
    ("mse", lambda attrs, p, t: np.mean((p - t) ** 2),
     (lambda p: 2 * (P - Y), lambda p: 2 * (Y - P)),
     TestSpec(inputs=(("float", (4,), -2.0, 2.0), ("float", (4,), -2.0, 2.0))),
     "mean of squared differences (as PyTorch; write the lectures' 1/2 yourself)",
     "np.mean(({0} - {1}) ** 2)", ()),
    ("mae", lambda attrs, p, t: np.mean(np.abs(p - t)),
     (lambda p: sp.sign(P - Y), lambda p: -sp.sign(P - Y)),  # sign(0) = 0, as abs'(0)
     TestSpec(inputs=(("float", (4,), -2.0, 2.0), ("float", (4,), -2.0, 2.0))),
     "mean of absolute differences (L1); its derivative at 0 is 0",
     "np.mean(np.abs({0} - {1}))", ()),
)

#: Each loss per element, over P (prediction) and Y (target), as the lectures write it.
_ELEMENT = {
    "bce": -Y * sp.log(P) - (1 - Y) * sp.log(1 - P),
    "bce_with_logits": -Y * sp.log(sigmoid(P)) - (1 - Y) * sp.log(1 - sigmoid(P)),
    "mse": (P - Y) ** 2,
    "mae": sp.Abs(P - Y),
    "hinge": maximum(1 - Y * P, 0),
    "squared_hinge": maximum(1 - Y * P, 0) ** 2,
}


def _notation_loss(element, operand_shapes, p, y):
    """The loss of one element; for tensors, the mean of it."""
    e = element.xreplace({P: p, Y: y})
    return e if all(s == () for s in operand_shapes) else notation.reduce("mean", e)


def _exact_loss(element, p, y):
    return notation.exact_mean(notation.emap(lambda a, b: element.xreplace({P: a, Y: b}),
                                             p, y))


for _name, _ref, _rules, _test, _doc, _numpy, _helpers in _LOSSES:
    register(OpDef(
        name=_name, family="losses", arity=2, attrs=("broadcast",), prepare=_prepare_loss,
        notation=lambda attrs, shapes_, p, y, e=_ELEMENT[_name]: _notation_loss(e, shapes_,
                                                                                 p, y),
        exact=lambda attrs, p, y, e=_ELEMENT[_name]: _exact_loss(e, p, y),
        numpy=_numpy, helpers=_helpers,
        infer=_infer_loss(_name), reference=_ref,
        vjp=lambda b, node, ct, needs, rules=_rules: _loss_vjp(b, node, ct, needs, rules),
        test=_test, doc=_doc))


# ---- hinge losses: scores s against labels y in {-1, +1} ---------------------------------

def check_signs(labels):
    """Hinge labels must be -1 or +1; DomainError naming the first bad one."""
    labels = np.asarray(labels)
    bad = np.asarray((labels != 1) & (labels != -1), dtype=bool)
    if np.any(bad):
        first = labels[bad].flat[0]
        raise DomainError(f"label {first} is not -1 or +1 ({int(np.sum(bad))} bad labels); "
                          f"hinge losses want labels in {{-1, +1}} (a 0/1 label y is 2y - 1)")


def _np_hinge(s, y):
    """Mean of max(0, 1 - y s), labels y in {-1, +1}."""
    check_signs(y)
    return np.mean(np.maximum(1 - y * s, 0))


def _np_squared_hinge(s, y):
    """Mean of max(0, 1 - y s) ** 2, labels y in {-1, +1}."""
    check_signs(y)
    return np.mean(np.maximum(1 - y * s, 0) ** 2)


def _reference_margin(square):
    def reference(attrs, s, y):
        check_signs(y)
        margin = np.maximum(0.0, 1.0 - np.multiply(y, s))
        return np.mean(margin * margin if square else margin)
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


def _exact_margin(element, s, y):
    check_signs(y)
    return _exact_loss(element, s, y)


_SIGNS = TestSpec(inputs=(("float", (4,), -2.0, 2.0), ("nonzero", (4,), 1.0, 1.0)))

# name, gradient of the mean by the scores (the labels get none), helper, doc
for _name, _ds, _helper, _doc in (
        ("hinge", -Y * step(1 - Y * P), _np_hinge,
         "mean of max(0, 1 - y s) for labels y in {-1, +1} (the SVM's loss)"),
        ("squared_hinge", -2 * Y * maximum(1 - Y * P, 0), _np_squared_hinge,
         "mean of max(0, 1 - y s) ** 2 for labels y in {-1, +1}")):
    register(OpDef(
        name=_name, family="losses", arity=2, attrs=("broadcast",), prepare=_prepare_loss,
        nondiff=(1,), infer=_infer_margin(_name),
        reference=_reference_margin(_name == "squared_hinge"),
        notation=lambda attrs, shapes_, s, y, e=_ELEMENT[_name]: _notation_loss(e, shapes_,
                                                                                 s, y),
        exact=lambda attrs, s, y, e=_ELEMENT[_name]: _exact_margin(e, s, y),
        numpy=f"{_helper.__name__}({{0}}, {{1}})", helpers=(_helper, check_signs),
        vjp=lambda b, node, ct, needs, d=_ds: _loss_vjp(b, node, ct, needs,
                                                        (lambda p: d, None)),
        test=_SIGNS, doc=_doc))
