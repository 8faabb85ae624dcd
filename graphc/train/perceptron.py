"""The perceptron rule in the lectures' two forms, and the pocket variant.

Seeds 000 and 003 write the perceptron as ``yhat = step(w . x)`` with labels 0 and 1; seed
004 writes it as ``f(x) = sign(w . x + b)`` with labels -1 and +1 ("if the output should
have been -1 but was 1, decrease the weights"). Both work on extended vectors: the weight
vector ends in the bias and every input ends in the constant 1.

>>> import graphc as gc
>>> gc.optim.perceptron_update([1, 2, -1], [0, 1, 1], -1, form="sign")
(array([ 1.,  1., -2.]), True)
"""

import numpy as np

from ..errors import DomainError, ShapeError

#: form: (the labels it takes, what its prediction is)
FORMS = {"step": ((0, 1), "step(w . x): 1 if w . x > 0 else 0"),
         "sign": ((-1, 1), "sign(w . x): +1, -1, or 0 on the boundary (always a mistake)")}


def perceptron_update(w, x, y, lr=1, form="step"):
    """One step of the perceptron rule on one example. Returns ``(new_w, updated)``.

    ``form="step"`` (seeds 000 and 003): labels 0 or 1, ``yhat = step(w . x)``, and on a
    mistake ``w <- w + lr * (y - yhat) * x``.
    ``form="sign"`` (seed 004): labels -1 or +1, ``yhat = sign(w . x)``, and on a mistake
    ``w <- w + lr * y * x``. ``sign(0) = 0`` is never a label, so a point on the boundary
    (``w = 0`` at the start) counts as a mistake: a mistake is ``y * (w . x) <= 0``.
    With ``lr=1`` both forms add or subtract ``x``, so from the same start on the same
    points (labels 0 -> -1) they make the same updates.

    >>> perceptron_update([1, 2, -1], [0, 1, 1], 0)     # the slides' first update
    (array([ 1.,  1., -2.]), True)
    """
    w, x = _vectors(w, x, "perceptron_update")
    yhat = predict(w, x, form)
    if yhat == _label(y, form, "perceptron_update"):
        return w.copy(), False
    step = y if form == "sign" else y - yhat
    return w + lr * step * x, True


def predict(w, x, form="step"):
    """The perceptron's output for the extended input ``x``: ``step(w . x)`` (0 or 1) or
    ``sign(w . x)`` (-1, 0 or 1), as ``form`` says.

    >>> predict([1, 1, -2], [2, 1, 1], form="sign")
    1
    """
    labels = _form(form, "predict")
    z = float(np.dot(np.asarray(w, dtype=np.float64), np.asarray(x, dtype=np.float64)))
    if labels == (0, 1):
        return 1 if z > 0 else 0
    return int(np.sign(z))


def errors(w, points, labels, form="step"):
    """How many of ``points`` (extended vectors) the weights ``w`` get wrong.

    >>> errors([1, 1, -2], [[0, 1, 1], [2, 1, 1]], [-1, 1], form="sign")
    0
    """
    return sum(predict(w, x, form) != y for x, y in zip(points, labels, strict=True))


def pocket(w0, points, labels, epochs=10, lr=1, form="step"):
    """The pocket algorithm: the perceptron rule over ``points`` in order for ``epochs``
    epochs (stopping early after an epoch without a mistake), keeping "in the pocket" the
    weights with the fewest training errors seen so far, the first such on a tie. On data
    no line separates (XOR) the plain rule ends wherever its last update left it; the
    pocket's weights are the best it passed through.

    Returns ``(best_w, best_errors, epochs_run)``.

    >>> pocket([0, 0, 0], [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], [0, 1, 1, 0])
    (array([0., 0., 0.]), 2, 10)
    """
    w, points, labels = _training_set(w0, points, labels, epochs, form)
    best, fewest = w.copy(), errors(w, points, labels, form)
    for epoch in range(1, epochs + 1):
        updated = False
        for x, y in zip(points, labels, strict=True):
            w, changed = perceptron_update(w, x, y, lr=lr, form=form)
            if changed:
                updated, count = True, errors(w, points, labels, form)
                if count < fewest:
                    best, fewest = w.copy(), count
        if not updated:
            return best, fewest, epoch
    return best, fewest, epochs


def _training_set(w0, points, labels, epochs, form):
    """pocket's arguments checked: ``(w, points, labels)``, each error naming what was
    given."""
    _form(form, "pocket")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise DomainError(f"pocket: epochs must be a positive int, got {epochs!r}")
    points, labels = list(points), list(labels)
    if len(points) != len(labels) or not points:
        raise ShapeError(f"pocket: points and labels must pair up, one label a point, got "
                         f"{len(points)} points and {len(labels)} labels")
    w = _vectors(w0, w0, "pocket")[0]
    points = [_vectors(w, p, "pocket")[1] for p in points]
    return w, points, [_label(y, form, "pocket") for y in labels]


def _vectors(w, x, where):
    """``w`` as floats and ``x`` as an array, both 1-D vectors of one length."""
    w, x = np.asarray(w), np.asarray(x)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    if w.shape != x.shape or w.ndim != 1:
        raise ShapeError(f"{where}: w {w.shape} and x {x.shape} must be vectors of one "
                         f"length (extended: the bias in w, a constant 1 in x)")
    return w, x


def _form(form, where):
    """The labels of ``form``, or a DomainError listing the forms."""
    if form not in FORMS:
        raise DomainError(f"{where}: form must be one of {', '.join(map(repr, FORMS))} "
                          f"({'; '.join(f'{k}: {v[1]}' for k, v in FORMS.items())}), "
                          f"got {form!r}")
    return FORMS[form][0]


def _label(y, form, where):
    labels = _form(form, where)
    if isinstance(y, bool) or y not in labels:
        raise DomainError(f"{where}: with form={form!r} the label y must be "
                          f"{labels[0]} or {labels[1]}, got {y!r}")
    return y
