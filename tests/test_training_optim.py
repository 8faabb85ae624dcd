"""Training tools: Adam, RMSprop and weight decay against NumPy loops of PyTorch's formulas,
learning-rate schedules, gradient clipping, validation, early stopping and tol."""

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import graphc as gc
from graphc.train.stopping import Stopping

STEPS = 4


def grads_at(p, k):
    """A gradient that depends on the parameter and the step, so state matters."""
    return {"w": np.sin(p["w"] + k) + 0.5 * p["w"]}


def run_optimizer(opt, p0):
    p, trace = {"w": p0.copy()}, []
    for k in range(STEPS):
        p = opt.step(p, grads_at(p, k))
        trace.append(p["w"])
    return np.array(trace)


P0 = np.array([1.0, -2.0, 0.5])


def test_adam_matches_pytorch_formulas():
    lr, (b1, b2), eps, wd = 0.05, (0.8, 0.95), 1e-8, 0.1
    got = run_optimizer(gc.optim.Adam(["w"], lr=lr, betas=(b1, b2), eps=eps,
                                      weight_decay=wd), P0)
    p, m, v, want = P0.copy(), 0.0, 0.0, []
    for t in range(1, STEPS + 1):
        g = grads_at({"w": p}, t - 1)["w"] + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        want.append(p)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_rmsprop_matches_pytorch_formulas():
    lr, alpha, eps, wd = 0.01, 0.9, 1e-8, 0.05
    got = run_optimizer(gc.optim.RMSprop(["w"], lr=lr, alpha=alpha, eps=eps,
                                         weight_decay=wd), P0)
    p, v, want = P0.copy(), 0.0, []
    for k in range(STEPS):
        g = grads_at({"w": p}, k)["w"] + wd * p
        v = alpha * v + (1 - alpha) * g ** 2
        p = p - lr * g / (np.sqrt(v) + eps)
        want.append(p)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sgd_weight_decay_and_momentum_match_pytorch_formulas():
    lr, mu, wd = 0.1, 0.9, 0.01
    got = run_optimizer(gc.optim.SGD(["w"], lr=lr, momentum=mu, weight_decay=wd), P0)
    p, buf, want = P0.copy(), None, []
    for k in range(STEPS):
        g = grads_at({"w": p}, k)["w"] + wd * p
        buf = g if buf is None else mu * buf + g
        p = p - lr * buf
        want.append(p)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_optimizers_keep_dtype_and_reject_bad_options():
    p = {"w": np.ones(2, dtype=np.float32)}
    for opt in (gc.optim.Adam(["w"]), gc.optim.RMSprop(["w"])):
        assert opt.step(p, {"w": np.ones(2)})["w"].dtype == np.float32
    with pytest.raises(ValueError, match=r"Adam: betas must be two numbers in \[0, 1\)"):
        gc.optim.Adam(["w"], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="RMSprop: weight_decay must be a finite number >= 0"):
        gc.optim.RMSprop(["w"], weight_decay=-1)
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0, got 'fast'"):
        gc.optim.SGD(["w"], lr="fast")
    with pytest.raises(gc.ShapeError, match="Adam: param 'w' has shape"):
        gc.optim.Adam(["w"]).step(p, {"w": np.ones(3)})
    assert "betas=(0.9, 0.999)" in repr(gc.optim.Adam(["w"]))


def test_schedules_values():
    o = gc.optim
    assert [o.StepLR(0.1, step_size=2, gamma=0.5)(e) for e in range(5)] == \
        [0.1, 0.1, 0.05, 0.05, 0.025]
    assert [o.ExponentialLR(1.0, gamma=0.5)(e) for e in range(3)] == [1.0, 0.5, 0.25]
    assert [o.InverseTimeLR(1.0)(e) for e in range(4)] == [1.0, 1 / 2, 1 / 3, 1 / 4]
    cos = o.CosineLR(1.0, epochs=4, min_lr=0.2)
    np.testing.assert_allclose([cos(e) for e in range(6)],
                               [0.2 + 0.8 * (1 + math.cos(math.pi * min(e, 4) / 4)) / 2
                                for e in range(6)])
    assert cos(4) == pytest.approx(0.2) and o.constant(0.3)(7) == 0.3
    with pytest.raises(ValueError, match="StepLR: step_size must be an int >= 1, got 0"):
        o.StepLR(0.1, step_size=0)
    with pytest.raises(ValueError, match="CosineLR: the epoch must be an int >= 0"):
        cos(-1)


def test_schedule_drives_the_optimizer_rate():
    opt = gc.optim.SGD(["w"], lr=gc.optim.StepLR(1.0, step_size=1, gamma=0.5))
    rates = []
    for epoch in range(3):
        opt.start_epoch(epoch)
        rates.append(opt.lr)
    assert rates == [1.0, 0.5, 0.25]


def test_clip_grad_norm_is_global():
    grads = {"a": np.array([3.0]), "b": np.array([0.0, 4.0])}
    clipped, norm = gc.optim.clip_grad_norm(grads, 1.0)
    assert norm == 5.0
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in clipped.values()))
    assert total == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(clipped["a"] / clipped["b"][1], 3 / 4)  # direction kept
    same, _ = gc.optim.clip_grad_norm(grads, 10.0)
    assert same["a"] is grads["a"]
    with pytest.raises(ValueError, match="clip_norm must be a finite number > 0"):
        gc.optim.clip_grad_norm(grads, 0)


# ---- gc.train ----------------------------------------------------------------------------


def line():
    g = gc.Graph("line")
    x, y, w = g.input("x", shape=("N",)), g.input("y", shape=("N",)), g.param("w")
    return gc.mse(w * x, y).named("loss"), g


DATA = {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([2.0, 4.0, 6.0])}


def test_train_with_schedule_and_clip_norm():
    loss, g = line()
    sched = gc.optim.ExponentialLR(0.05, gamma=0.5)
    h = gc.train(loss, g.initial_params(), DATA, epochs=3, lr=sched, clip_norm=1.0,
                 progress=False)
    assert h.lrs == [0.05, 0.025, 0.0125]
    # w from 0: dL/dw = mean(2 (w x - y) x) = -56/3 each time (w barely moves): clipped to -1
    w = 0.0
    for lr in h.lrs:
        g_w = float(np.mean(2 * (w * DATA["x"] - DATA["y"]) * DATA["x"]))
        w -= lr * max(-1.0, min(1.0, g_w))
    assert float(h.params["w"]) == pytest.approx(w)
    assert h.stopped == "ran all 3 epochs" and h.epochs == 3


def test_train_weight_decay_is_sgds():
    loss, g = line()
    h = gc.train(loss, g.initial_params(), DATA, epochs=3, lr=0.01, weight_decay=0.5,
                 progress=False)
    opt, p = gc.optim.SGD(["w"], lr=0.01, weight_decay=0.5), {"w": np.float64(0.0)}
    for _ in range(3):
        p = opt.step(p, {"w": np.mean(2 * (p["w"] * DATA["x"] - DATA["y"]) * DATA["x"])})
    assert float(h.params["w"]) == pytest.approx(float(p["w"]))


def test_train_with_adam_matches_the_optimizer_alone():
    loss, g = line()
    h = gc.train(loss, g.initial_params(), DATA, epochs=5,
                 optimizer=gc.optim.Adam(["w"], lr=0.1), progress=False)
    opt, p = gc.optim.Adam(["w"], lr=0.1), {"w": np.float64(0.0)}
    for _ in range(5):
        p = opt.step(p, {"w": np.mean(2 * (p["w"] * DATA["x"] - DATA["y"]) * DATA["x"])})
    assert float(h.params["w"]) == pytest.approx(float(p["w"]))


def classifier(d=2):
    g = gc.Graph("clf")
    X = g.input("X", shape=("N", d))
    labels = g.input("labels", shape=("N",), dtype="int64")
    W, b = g.param("W", shape=(d, 2)), g.param("b", shape=(2,))
    return gc.cross_entropy(X @ W + b, labels).named("loss"), g


def blobs(n, seed, d=2, shift=1.5):
    """Two classes apart along the first axis only; the other d-1 axes are noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, d))
    X[:, 0] += np.where(labels == 1, shift, -shift)
    return {"X": X, "labels": labels}


VALID_10 = blobs(200, 2, d=10, shift=0.7)


@pytest.fixture(scope="module")
def early():
    """Training that overfits a tiny set, stopped early on a validation set."""
    loss, g = classifier(d=10)  # 12 samples, 10 noise-laden features: it overfits
    return gc.train(loss, g.initial_params(seed=0), blobs(12, 1, d=10, shift=0.7),
                    epochs=200, lr=0.5, validation=VALID_10,
                    patience=3, progress=False)


def test_validation_loss_and_accuracy_per_epoch():
    loss, g = classifier()
    val = blobs(50, 2)
    h = gc.train(loss, g.initial_params(seed=0), blobs(40, 1), epochs=4, lr=0.5,
                 validation=val, progress=False)
    assert len(h.validation_losses) == len(h.validation_accuracies) == 4
    logits = val["X"] @ h.params["W"] + h.params["b"]
    assert h.validation_accuracies[-1] == np.mean(logits.argmax(1) == val["labels"])
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    want = -np.mean(logp[np.arange(50), val["labels"]])
    assert h.validation_losses[-1] == pytest.approx(want)
    assert h.validation_accuracies[-1] > 0.9


def test_validation_accuracy_is_none_without_a_classification_loss():
    loss, g = line()
    h = gc.train(loss, g.initial_params(), DATA, epochs=2, lr=0.01, validation=DATA,
                 progress=False)
    assert h.validation_accuracies == [None, None] and len(h.validation_losses) == 2


def test_early_stopping_says_why_and_keeps_the_best(early):
    h = early
    assert h.epochs < 200 and len(h.validation_losses) == h.epochs
    best = int(np.argmin(h.validation_losses)) + 1
    assert h.best_epoch == best and h.epochs == best + 3
    assert all(v >= h.validation_losses[best - 1] for v in h.validation_losses[best:])
    assert h.stopped.startswith("early stopping: the validation loss did not improve")
    assert h.stopped.endswith(f"(best at epoch {best}), after epoch {h.epochs}")
    X, labels = VALID_10["X"], VALID_10["labels"]
    logits = X @ h.best_params["W"] + h.best_params["b"]
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    assert -np.mean(logp[np.arange(len(labels)), labels]) == \
        pytest.approx(h.validation_losses[best - 1])
    assert not np.array_equal(h.best_params["W"], h.params["W"])


def test_tol_stops_when_the_training_loss_settles():
    loss, g = line()
    h = gc.train(loss, g.initial_params(), DATA, epochs=500, lr=0.02, tol=1e-6,
                 progress=False)
    assert h.epochs < 500 and h.stopped.startswith("tol: the training loss changed by")
    assert abs(h.losses[-1] - h.losses[-2]) < 1e-6 <= abs(h.losses[-2] - h.losses[-3])


def test_train_rejects_bad_stopping_options():
    loss, g = line()
    params = g.initial_params()
    with pytest.raises(gc.SettingError, match="patience=2 counts epochs .* give validation="):
        gc.train(loss, params, DATA, patience=2, progress=False)
    with pytest.raises(ValueError, match="patience must be an int >= 1 or None, got 0"):
        gc.train(loss, params, DATA, patience=0, validation=DATA, progress=False)
    with pytest.raises(ValueError, match="train: clip_norm must be a finite number > 0 or None, got 'big'"):
        gc.train(loss, params, DATA, clip_norm="big", progress=False)
    with pytest.raises(ValueError, match="Adam: clip_norm must be a finite number > 0 or None"):
        gc.optim.Adam(["w"], clip_norm=-1)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        gc.train(loss, params, DATA, tol=-1, progress=False)
    with pytest.raises(ValueError, match="with optimizer= give weight_decay to the optim"):
        gc.train(loss, params, DATA, weight_decay=0.1, optimizer=gc.optim.Adam(["w"]))
    with pytest.raises(gc.FeedError, match="validation= takes a dict"):
        gc.train(loss, params, DATA, validation=[1, 2], progress=False)
    with pytest.raises(gc.FeedError, match="train: validation data: missing feed for 'y'"):
        gc.train(loss, params, DATA, validation={"x": DATA["x"]}, progress=False)


def test_bad_optimizer_and_schedule_settings_are_setting_errors_naming_the_option():
    o = gc.optim
    cases = [(lambda: o.Adam(["w"], betas="ab"), "Adam: betas must be two numbers .* got 'ab'"),
             (lambda: o.Adam(["w"], eps=-1), "Adam: eps must be a finite number > 0, got -1"),
             (lambda: o.RMSprop(["w"], eps=0), "RMSprop: eps must be a finite number > 0, got 0"),
             (lambda: o.RMSprop(["w"], alpha="q"), r"RMSprop: alpha must be in \[0, 1\)"),
             (lambda: o.CosineLR(0.1, 5, min_lr="a"), "CosineLR: min_lr must be a number"),
             (lambda: o.CosineLR(0.1, 5)("x"), "CosineLR: the epoch must be an int >= 0")]
    for make, message in cases:
        with pytest.raises(gc.SettingError, match=message) as caught:
            make()
        assert isinstance(caught.value, ValueError)


def test_a_validation_label_out_of_range_is_reported_as_validation_data():
    loss, g = classifier()
    val = blobs(10, 2)
    val["labels"] = val["labels"] + 5
    with pytest.raises(gc.DomainError, match="train: validation data: "):
        gc.train(loss, g.initial_params(), blobs(10, 1), epochs=2, validation=val,
                 progress=False)


def test_tol_decides_what_resets_patience_but_best_is_the_lowest_loss():
    """As Lightning's min_delta: 0.895 and 0.894 are lower, but not by tol below 0.9."""
    stop = Stopping(patience=3, tol=0.01, validated=True)
    losses = [1.0, 1.0]  # the training loss does not move: tol must not stop on it
    reasons = [stop.update(e, losses, v) for e, v in enumerate([1.0, 0.9, 0.895, 0.894], 1)]
    assert reasons == [None, None, None, None] and stop.best_epoch == 4
    assert stop.update(5, losses, 0.95) == ("early stopping: the validation loss did not "
                                            "improve by more than 0.01 for 3 epochs (best "
                                            "at epoch 4)")
    slow = Stopping(patience=3, tol=0.01, validated=True)
    for e, v in enumerate([1.0, 0.995, 0.992, 0.989, 0.986, 0.983], 1):  # adds up
        assert slow.update(e, losses, v) is None


def test_plot_has_train_and_validation_lines(early):
    pytest.importorskip("matplotlib")
    fig = early.figure()
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["training", "validation"]
    np.testing.assert_allclose(lines[1].get_ydata(), early.validation_losses)
    assert fig.axes[0].get_legend() is not None


def test_the_readmes_training_blocks_print_what_they_show(capsys):
    """The two README blocks of "## Training", run as a user pastes them (no plot)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Training"):readme.index("## Examples")]
    first, second = (b.split("```")[0] for b in section.split("```python")[1:3])
    code = first.replace('h.plot("out/loss.png")', "") + second
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == ("early stopping: the validation loss did not improve by more than "
                       "0.0001 for 3 epochs (best at epoch 10), after epoch 13")
    loss, acc, best = out[-1].split()
    assert loss.startswith("1.151") and (acc, best) == ("0.3", "10")


@pytest.mark.parametrize("make, message", [
    (lambda: gc.optim.SGD(["w"], lr="0.1"), "SGD: lr must be a finite number >= 0, got '0.1'"),
    (lambda: gc.optim.StepLR("0.1", 2), "StepLR: lr must be a finite number > 0, got '0.1'"),
    (lambda: gc.optim.Adam(["w"], lr=True), "Adam: lr must be a finite number >= 0, got True"),
    (lambda: gc.optim.SGD(["w"], lr=float("nan")), "SGD: lr must be a finite number >= 0, got nan"),
    (lambda: gc.optim.SGD(["w"], momentum="0.9"), r"SGD: momentum must be in \[0, 1\)"),
    (lambda: gc.optim.clip_grad_norm({}, "1"), "clip_norm must be a finite number > 0, got '1'"),
    (lambda: gc.optim.StepLR(0.1, 2.0), "StepLR: step_size must be an int >= 1, got 2.0"),
    (lambda: gc.optim.SGD(["w"], lr=float("inf")), "SGD: lr must be a finite number >= 0"),
    (lambda: gc.optim.constant(10 ** 400), "constant: lr must be a finite number > 0"),
])
def test_text_bools_and_nan_are_refused_alike_by_optimizers_and_schedules(make, message):
    with pytest.raises(gc.SettingError, match=message):
        make()


def test_numpy_numbers_are_numbers_to_optimizers_and_schedules():
    assert gc.optim.SGD(["w"], lr=np.float32(0.5)).lr == 0.5
    assert gc.optim.StepLR(np.float64(0.1), np.int64(2))(2) == pytest.approx(0.01)
    assert gc.optim.SGD(["w"], lr=Decimal("0.25")).lr == 0.25
    assert gc.optim.Adam(["w"], lr=Fraction(1, 4)).lr == 0.25


@pytest.mark.parametrize("option, value, message", [
    ("batch_size", "4", "train: batch_size must be an int >= 1 or None, got '4'"),
    ("clip_norm", 0, "train: clip_norm must be a finite number > 0 or None, got 0"),
    ("tol", "0", "train: tol must be a finite number >= 0 or None, got '0'"),
])
def test_train_refuses_bad_options_before_the_first_step(option, value, message):
    loss, g = line()
    params = g.initial_params(0)
    with pytest.raises(gc.SettingError, match=message):
        gc.train(loss, params, DATA, progress=False, **{option: value})


def test_train_clip_norm_is_the_built_in_optimizers_clip_norm():
    loss, g = line()
    params = g.initial_params(0)
    clipped = gc.train(loss, params, DATA, epochs=3, clip_norm=0.01, progress=False)
    by_hand = gc.train(loss, params, DATA, epochs=3, progress=False,
                       optimizer=gc.optim.SGD(list(params), lr=0.1, clip_norm=0.01))
    for name in params:
        np.testing.assert_array_equal(clipped.params[name], by_hand.params[name])
