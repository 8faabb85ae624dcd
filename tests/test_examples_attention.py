"""examples/attention.py: causal self-attention, its numbers, formula and gradient check."""

import sys
import xml.dom.minidom

import numpy as np

import graphc as gc
from cmdline import run
from graphs import load


def _np_attention(at):
    x = at["x"]
    q, k, v = x @ at["Wq"], x @ at["Wk"], x @ at["Wv"]
    scores = q @ k.T / np.sqrt(3) + np.triu(np.full((4, 4), -1e9), k=1)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    a = e / e.sum(axis=1, keepdims=True)
    return a, a @ v


def test_attention_example_matches_numpy_and_keeps_sqrt_d_symbolic():
    attention = load("attention")
    a, y, loss = gc.compile([attention.A, attention.Y, attention.loss])(**attention.AT)
    want_a, want_y = _np_attention(attention.AT)
    np.testing.assert_allclose(a, want_a, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(y, want_y, rtol=1e-12)
    assert np.all(np.triu(a, k=1) == 0) and a[0, 0] == 1  # causal: no step sees the future
    want_loss = np.mean((want_y - attention.AT["target"]) ** 2)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
    assert str(gc.formula(attention.Y)) == "softmax(M + (Q @ K.T)/sqrt(d)) @ V"
    assert r"\frac{Q K^{\top}}{\sqrt{d}}" in gc.latex(attention.Y)
    report = gc.gradcheck(attention.loss, attention.PARAMS + [attention.x], at=attention.AT)
    assert report, str(report)


def test_attention_example_runs_checks_and_draws(tmp_path):
    out_dir = tmp_path / "out"
    result = run([sys.executable, "examples/attention.py", str(out_dir)])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Y = softmax(M + (Q @ K.T)/sqrt(d)) @ V, where d = 3" in out
    assert "gradcheck (central differences, float64, tolerance 1e-06): PASS" in out
    for name in ("Wq", "Wk", "Wv", "x"):
        assert f"\n  {name} " in out
    diagram = out_dir / "attention_forward.svg"
    assert f"The forward graph is in {diagram}" in out
    assert xml.dom.minidom.parse(str(diagram)).documentElement.tagName == "svg"
