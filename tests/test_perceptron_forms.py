"""The perceptron rule's sign form (seed 004) beside its step form (seeds 000, 003), and
the pocket variant, against updates computed by hand from the slides' worked example."""

import numpy as np
import pytest

import graphc as gc
from graphc.train.perceptron import errors as count_errors, predict

POINTS = [(0, 1, 1), (1, 0, 1), (2, 1, 1), (1, 2, 1)]   # seeds 000/003: x1, x2 class 0
STEP_LABELS, SIGN_LABELS = [0, 0, 1, 1], [-1, -1, 1, 1]


def test_sign_form_makes_the_slides_first_update():
    # w . x1 = 1 > 0: predicted +1, label -1, so w <- w - x1 = (1, 1, -2) (by hand)
    w, updated = gc.optim.perceptron_update([1, 2, -1], [0, 1, 1], -1, form="sign")
    assert updated and w.tolist() == [1, 1, -2]
    # w . x3 = 1 with w = (1, 1, -2): +1, correct, no update
    w, updated = gc.optim.perceptron_update([1, 1, -2], [2, 1, 1], 1, form="sign")
    assert not updated and w.tolist() == [1, 1, -2]


def test_sign_form_adds_lr_y_x_on_a_missed_positive():
    # w . x = -1: predicted -1, label +1, so w <- w + 0.5 * x = (1.5, 1, -1.5)
    w, updated = gc.optim.perceptron_update([1, 1, -2], [1, 0, 1], 1, lr=0.5, form="sign")
    assert updated and w.tolist() == [1.5, 1, -1.5]


def test_sign_form_counts_the_boundary_as_a_mistake():
    w, updated = gc.optim.perceptron_update([0, 0, 0], [1, 1, 1], -1, form="sign")
    assert updated and w.tolist() == [-1, -1, -1]
    assert predict([0, 0, 0], [1, 1, 1], form="sign") == 0


def test_both_forms_make_the_same_updates_with_lr_1():
    w_step = w_sign = np.array([1.0, 2.0, -1.0])
    for _ in range(3):
        for x, y01, ypm in zip(POINTS, STEP_LABELS, SIGN_LABELS):
            w_step, up_step = gc.optim.perceptron_update(w_step, x, y01)
            w_sign, up_sign = gc.optim.perceptron_update(w_sign, x, ypm, form="sign")
            assert up_step == up_sign and w_step.tolist() == w_sign.tolist()
    assert w_sign.tolist() == [1, 1, -2]


def test_pocket_converges_on_separable_data_and_keeps_the_best_on_xor():
    w, errors, epochs = gc.optim.pocket([1, 2, -1], POINTS, SIGN_LABELS, form="sign")
    assert (w.tolist(), errors, epochs) == ([1, 1, -2], 0, 2)
    xor = [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)]
    w, errors, epochs = gc.optim.pocket([0, 0, 0], xor, [-1, 1, 1, -1], epochs=20,
                                        form="sign")
    assert epochs == 20 and errors == 2   # no line gets all four; the pocket keeps 2
    assert count_errors(w, xor, [-1, 1, 1, -1], form="sign") == errors


def test_pocket_keeps_better_weights_than_the_last_ones():
    # AND with one flipped label: no line separates it, the rule keeps moving
    points = [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (1, 1, 1)]
    labels = [-1, -1, -1, 1, -1]
    best, fewest, _ = gc.optim.pocket([0, 0, 0], points, labels, epochs=30, form="sign")
    w = np.zeros(3)
    for _ in range(30):
        for x, y in zip(points, labels):
            w, _ = gc.optim.perceptron_update(w, x, y, form="sign")
    last = count_errors(w, points, labels, form="sign")
    assert fewest == 1 and fewest <= last


@pytest.mark.parametrize("call, words", [
    (lambda: gc.optim.perceptron_update([1, 2, -1], [0, 1, 1], 0, form="sign"),
     ["form='sign'", "-1 or 1", "got 0"]),
    (lambda: gc.optim.perceptron_update([1, 2, -1], [0, 1, 1], -1),
     ["form='step'", "0 or 1", "got -1"]),
    (lambda: gc.optim.perceptron_update([1, 2, -1], [0, 1, 1], 1, form="tanh"),
     ["form must be one of", "'step'", "'sign'", "got 'tanh'"]),
    (lambda: gc.optim.pocket([0, 0], POINTS, SIGN_LABELS, form="sign"),
     ["pocket", "(2,)", "(3,)"]),
    (lambda: gc.optim.pocket([0, 0, 0], POINTS, [1, -1], form="sign"),
     ["pocket", "4 points and 2 labels"]),
    (lambda: gc.optim.pocket([0, 0, 0], POINTS, SIGN_LABELS, epochs=0, form="sign"),
     ["pocket", "epochs", "got 0"]),
    (lambda: gc.optim.pocket([0, 0, 0], POINTS, STEP_LABELS, form="sign"),
     ["pocket", "-1 or 1", "got 0"]),
])
def test_bad_inputs_are_named(call, words):
    with pytest.raises(gc.GraphcError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_the_readmes_perceptron_block_prints_what_it_shows(capsys):
    from cmdline import ROOT
    readme = (ROOT / "README.md").read_text()
    block = next(b.split("```")[0] for b in readme.split("```python")[1:]
                 if "gc.optim.pocket(" in b.split("```")[0])
    exec(compile(block, "README.md", "exec"), {})
    comments = [line.split("# ")[1] for line in block.splitlines() if line.startswith("print(")]
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["[ 1.  1. -2.] True", "[ 1.  1. -2.] 0 2"]
    assert all(comment.startswith(line) for line, comment in zip(printed, comments, strict=True))
