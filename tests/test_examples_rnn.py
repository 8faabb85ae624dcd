"""The sequence-model examples: the unrolled RNN and the LSTM cell (seed 002)."""

import sys
import xml.dom.minidom

import numpy as np

import graphc as gc
from cmdline import run
from graphs import load


def _parses_as_svg(path):
    root = xml.dom.minidom.parse(str(path)).documentElement
    return root.tagName == "svg"


def test_rnn_example_runs_checks_learns_and_draws(tmp_path):
    out_dir = tmp_path / "out"
    result = run([sys.executable, "examples/rnn_sequence.py", str(out_dir)])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "gradcheck (central differences, float64, tolerance 1e-06): PASS" in out
    for name in ("W", "U", "V"):
        assert f"\n  {name}     " in out
    assert "accuracy on the pattern: 100%" in out
    assert "predictions 1 0 2 0 1" in out
    diagram = out_dir / "rnn_sequence_gradflow.svg"
    assert f"is in {diagram}" in out
    assert _parses_as_svg(diagram)


def test_lstm_example_runs_checks_and_draws_one_box_per_gate(tmp_path):
    out_dir = tmp_path / "out"
    result = run([sys.executable, "examples/lstm_cell.py", str(out_dir)])
    assert result.returncode == 0, result.stderr
    assert "gradcheck (central differences, float64, tolerance 1e-06): PASS" in result.stdout
    diagram = out_dir / "lstm_cell_forward.svg"
    assert f"is in {diagram}" in result.stdout
    assert _parses_as_svg(diagram)
    text = diagram.read_text()
    for scope in ("input gate", "forget gate", "output gate", "candidate", "cell state"):
        assert scope in text


def test_rnn_shared_weight_gradient_is_the_sum_of_the_steps():
    rnn = load("rnn_sequence")
    assert rnn.T >= 4
    loss_grads = gc.grad(rnn.loss, rnn.PARAMS)
    for param, total in zip(rnn.PARAMS, loss_grads):
        shares = [gc.grad(step_loss, [param])[0] for step_loss in rnn.step_losses]
        values = gc.evaluate([total] + shares, at=rnn.AT)
        np.testing.assert_allclose(values[0], sum(values[1:]), rtol=0, atol=1e-12)
        assert np.abs(values[0]).max() > 0
    # W meets s(0) = 0 at step 1, so step 1's share of dL/dW is exactly zero; the later
    # steps backpropagate through time into W and do contribute.
    shares = rnn.step_gradients("W")
    assert np.all(shares[0] == 0) and all(np.abs(s).max() > 1e-3 for s in shares[1:])


def test_rnn_gradcheck_to_1e_6():
    rnn = load("rnn_sequence")
    report = gc.gradcheck(rnn.loss, rnn.PARAMS, at=rnn.AT)
    assert report, str(report)
    assert max(report.worst.values()) < 1e-6


def test_rnn_is_the_slides_recurrence():
    """The graph computes a(t) = b + W s(t-1) + U x(t), ..., L = sum_t CE, as NumPy does."""
    rnn = load("rnn_sequence")
    p, data = rnn.INITIAL, rnn.DATA
    s, total = np.zeros(rnn.H), 0.0
    for t in range(rnn.T):
        s = np.tanh(p["b"] + p["W"] @ s + p["U"] @ data["x"][t])
        o = p["c"] + p["V"] @ s
        total -= np.log(np.exp(o)[data["y"][t]] / np.exp(o).sum())
    assert abs(float(gc.evaluate(rnn.loss, at=rnn.AT)) - total) < 1e-12


def test_rnn_training_learns_the_pattern():
    rnn = load("rnn_sequence")
    history = rnn.train()
    assert history.losses[-1] < 0.05 < 1.0 < history.losses[0]
    predicted = rnn.predict(history.params).argmax(axis=1)
    np.testing.assert_array_equal(predicted, rnn.DATA["y"])


def test_lstm_gradcheck_and_the_cell_state_path():
    lstm = load("lstm_cell")
    report = gc.gradcheck(lstm.loss, lstm.PARAMS + [lstm.x, lstm.h, lstm.c], at=lstm.AT)
    assert report, str(report)
    assert max(report.worst.values()) < 1e-6
    # dloss/dc = dloss/dc' * f: the old cell state reaches the loss only through f * c.
    dc, dc_new = gc.grad(lstm.loss, [lstm.c, lstm.c_new])
    vdc, vdc_new, vf = gc.evaluate([dc, dc_new, lstm.f_gate], at=lstm.AT)
    np.testing.assert_allclose(vdc, vdc_new * vf, rtol=1e-12, atol=1e-15)


def test_lstm_is_the_standard_cell():
    lstm = load("lstm_cell")
    p = lstm.AT
    hx = np.concatenate([p["h"], p["x"]])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    i, f, o = (sig(p[f"W_{k}"] @ hx + p[f"b_{k}"]) for k in "ifo")
    cand = np.tanh(p["W_g"] @ hx + p["b_g"])
    c_new = f * p["c"] + i * cand
    h_new = o * np.tanh(c_new)
    values = gc.evaluate([lstm.c_new, lstm.h_new, lstm.loss], at=p)
    np.testing.assert_allclose(values[0], c_new, rtol=1e-12)
    np.testing.assert_allclose(values[1], h_new, rtol=1e-12)
    assert abs(values[2] - np.mean((h_new - p["target"]) ** 2)) < 1e-12
