"""Exact results: gradients through softmax and log_softmax from an indexed output, results
simplified where SymPy can do better, and claims between numbers proved, not sampled."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc

AT = {"f": [1, 2, 0]}


def logits():
    g = gc.Graph()
    return g.input("f", shape=(3,))


def softmax_of(f):
    e = [sp.exp(sp.Integer(v)) for v in f]
    return [v / sum(e) for v in e]


def close(exact, numbers):
    values = np.array(exact.tolist() if isinstance(exact, sp.Array) else exact, dtype=float)
    np.testing.assert_allclose(values, numbers, rtol=1e-12, atol=1e-14)


def test_softmax_jacobian_row_is_exact():
    f = logits()
    (row,) = gc.grad(gc.softmax(f)[0], [f])
    exact = gc.evaluate(row, at=AT, exact=True)
    p = softmax_of(AT["f"])
    for j, value in enumerate(exact):  # d p0/d f_j = p0 (delta_0j - p_j)
        assert sp.simplify(value - p[0] * (int(j == 0) - p[j])) == 0
    close(exact, gc.evaluate(row, at=AT))


def test_cross_entropy_written_literally_is_exact():
    f = logits()
    loss = -gc.log(gc.softmax(f)[2])
    (grad,) = gc.grad(loss, [f])
    exact = gc.evaluate(grad, at=AT, exact=True)
    p = softmax_of(AT["f"])
    for j, value in enumerate(exact):  # d(-log p_y)/d f_j = p_j - [j == y]
        assert sp.simplify(value - (p[j] - int(j == 2))) == 0
    close(exact, gc.evaluate(grad, at=AT))
    assert sp.simplify(gc.evaluate(loss, at=AT, exact=True) - sp.log(sum(
        sp.exp(sp.Integer(v)) for v in AT["f"]))) == 0


def test_log_softmax_from_an_indexed_output_is_exact():
    f = logits()
    (grad,) = gc.grad(-gc.log_softmax(f)[1], [f])
    exact = gc.evaluate(grad, at=AT, exact=True)
    p = softmax_of(AT["f"])
    for j, value in enumerate(exact):
        assert sp.simplify(value - (p[j] - int(j == 1))) == 0
    close(exact, gc.evaluate(grad, at=AT))


def test_explain_traces_a_softmax_row_and_the_literal_cross_entropy():
    f = logits()
    for out in (gc.softmax(f)[0], -gc.log(gc.softmax(f)[2])):
        text = str(gc.explain(out, at=AT))
        assert "Backward" in text and "upstream" in text


def neuron_loss():
    """The lecture's neuron: bce of sigmoid(w x) against y."""
    g = gc.Graph()
    x, w, y = g.input("x"), g.param("w"), g.input("y")
    yhat = gc.sigmoid(w * x)
    return (-(y * gc.log(yhat) + (1 - y) * gc.log(1 - yhat))).named("loss"), y


def test_exact_results_are_simplified_where_sympy_does_better():
    loss, y = neuron_loss()
    at = {"x": 1, "w": -1, "y": 1}
    (dy,) = gc.grad(loss, [y])  # log(1 - sigmoid(-1)) - log(sigmoid(-1)) is 1
    assert gc.evaluate(dy, at=at, exact=True) == 1
    g = gc.Graph()
    a = g.input("a")
    out = gc.log(2 * gc.exp(-a)) + a  # log(2 exp(-1)) + 1 is log(2)
    assert gc.evaluate(out, at={"a": 1}, exact=True) == sp.log(2)


def test_simplified_results_equal_the_numbers_and_keep_the_lectures_sigmoid():
    loss, y = neuron_loss()
    graph = loss.graph
    wrt = [graph.node(n) for n in ("w", "x", "y")]
    at = {"x": 1, "w": -1, "y": 1}
    grads = gc.grad(loss, wrt)
    for exact, number in zip(gc.evaluate(grads, at=at, exact=True), gc.evaluate(grads, at=at)):
        close(exact, number)
    (dw,) = gc.grad(loss, [graph.node("w")])
    assert str(gc.evaluate(dw, at=at, exact=True)) == "-1 + sigmoid(-1)"
    text = str(gc.explain(loss, at=at))
    assert "-1/sigmoid(-1)" in text and "(1 - sigmoid(-1))*sigmoid(-1)" in text


def test_tidy_leaves_random_float_digits_alone():
    from graphc.symbolic.exact import tidy
    big = sp.Rational(30367388388509588144225410324141571, 5 * 10**34)
    expr = gc.ops.scalar.sigmoid(big) * sp.tanh(big)
    assert tidy(expr) is expr


def test_a_wrong_claim_between_numbers_is_proved_wrong():
    g = gc.Graph()
    x, w = g.input("x"), g.param("w")
    z = (w * x).named("z")
    yhat = gc.sigmoid(z).named("yhat")
    report = gc.check(yhat, {"z": "8/5", "yhat": "sigmoid(8/5)", "d yhat/d z": "yhat"},
                      at={"x": 2, "w": 0.9})
    assert not report
    hows = {r.key: r.how for r in report.results}
    assert hows["z"] == "proved wrong: off by -1/5"
    assert hows["yhat"] == hows["d yhat/d z"] == "proved wrong"
    assert "checked numerically" not in str(report)
    numeric = gc.check(z, {"z": "8/5"}, at={"x": 2, "w": 0.9123456})  # floats: a tolerance
    assert "checked numerically" in numeric.results[0].how
    assert gc.check(z, {"z": "9/5"}, at={"x": 2, "w": 0.9}).results[0].how == \
        "proved symbolically"


BATCH_GRADIENT = """
import graphc as gc
g = gc.Graph("s")
X = g.input("X", shape=(3, 2)); labels = g.input("labels", shape=(3,), dtype="int64")
W, b = g.param("W", shape=(2, 3)), g.param("b", shape=(3,))
loss = gc.cross_entropy(X @ W + b, labels)
(db,) = gc.grad(loss, [b])
at = {"X": [[1, 0.5], [0.2, 1], [1, 1]], "labels": [0, 1, 2],
      "W": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "b": [0.1, 0, 0]}
print(gc.evaluate(db, at, exact=True)[0])
"""


def test_tidying_a_batch_gradient_over_decimals_stays_cheap():
    """cancel once read exp(1/10)*exp(3/100) as a polynomial in exp(1/100) and ran for
    minutes on this gradient; the subprocess's timeout is a hang guard, not a timing."""
    import sys

    from cmdline import run
    result = run([sys.executable, "-c", BATCH_GRADIENT], timeout=120)
    assert result.returncode == 0, result.stderr
    value = sp.sympify(result.stdout.strip())
    p = np.exp([0.6, 0.7, 0.9]) / np.exp([0.6, 0.7, 0.9]).sum()
    q = np.exp([0.4, 0.45, 0.6]) / np.exp([0.4, 0.45, 0.6]).sum()
    r = np.exp([0.52, 0.54, 0.66]) / np.exp([0.52, 0.54, 0.66]).sum()
    assert float(value) == pytest.approx((p[0] + q[0] + r[0] - 1) / 3, rel=1e-12)
