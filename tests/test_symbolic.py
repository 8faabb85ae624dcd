"""Formulas, LaTeX and exact values: the lectures' hand derivations, reproduced exactly."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.ops import registry
from graphc.ops.scalar import sigmoid

import graphs
from graphs import load

x1, x2, w1, w2, y = sp.symbols("x1 x2 w1 w2 y", real=True)
S = sigmoid(-1)
AT = {"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}


def scalar_neuron():
    n = graphs.scalar_neuron()
    return n.g, n.z, n.yhat, n.loss, (n.w1, n.w2)


def test_the_neurons_gradient_is_the_slides_yhat_minus_y_times_x1():
    g, z, yhat, loss, (W1, W2) = scalar_neuron()
    dyhat, dz, dw1, dw2 = gc.grad(loss, [yhat, z, W1, W2])
    zf = w1 * x1 + w2 * x2
    assert gc.formula(dw1) == x1 * (sigmoid(zf) - y)
    assert gc.formula(dw2) == x2 * (sigmoid(zf) - y)
    assert gc.formula(dz) == sigmoid(zf) - y
    assert gc.formula(yhat) == sigmoid(zf)
    assert gc.formula(loss) == -y * sp.log(sigmoid(zf)) - (1 - y) * sp.log(1 - sigmoid(zf))
    assert sp.simplify(gc.formula(dyhat) - (sigmoid(zf) - y)
                       / (sigmoid(zf) * (1 - sigmoid(zf)))) == 0


def test_the_neurons_exact_values_at_the_slides_point():
    g, z, yhat, loss, (W1, W2) = scalar_neuron()
    dyhat, dz, dw1, dw2 = gc.grad(loss, [yhat, z, W1, W2])
    values = gc.evaluate([z, yhat, loss, dyhat, dz, dw1, dw2], at=AT, exact=True)
    assert values[:3] == [-1, S, -sp.log(S)]
    assert sp.simplify(values[3] - (S - 1) / (S * (1 - S))) == 0
    assert values[4:] == [S - 1, S - 1, 1 - S]


def test_exact_values_of_the_vector_neuron_are_arrays():
    g = gc.Graph()
    x, w, t = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    loss = gc.bce(gc.sigmoid((w @ x).named("z")), t).named("loss")
    (dw,) = gc.grad(loss, [w])
    value, grad = gc.evaluate([loss, dw], at={"x": [1, -1], "w": [1, 2], "y": 1}, exact=True)
    assert value == -sp.log(S)
    assert grad == sp.Array([S - 1, 1 - S])
    assert str(gc.formula(dw)) == "x*(-y + sigmoid(w @ x))"


def test_relu_square_loss_quiz_exactly():
    g = gc.Graph()
    x, w, t = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    loss = gc.mse(gc.relu((w @ x).named("z")), t).named("loss")
    (dw,) = gc.grad(loss, [w])
    value, grad = gc.evaluate([loss, dw], at={"x": [1, -1], "w": [2, -1], "y": 1}, exact=True)
    assert value == 4 and grad == sp.Array([4, -4])


def test_one_dimensional_example_and_one_sgd_step_exactly():
    """004: L = 1/2 (x w - y)^2 at x = 2, w = 1, y = 1; dL/dw = 2; w - 0.1 * 2 = 4/5."""
    g = gc.Graph()
    x, w, t = g.input("x"), g.param("w"), g.input("y")
    loss = (0.5 * (x * w - t) ** 2).named("L")
    (dw,) = gc.grad(loss, [w])
    sx, sw, sy = sp.symbols("x w y", real=True)
    assert gc.formula(dw) == sx * (sw * sx - sy)
    grad = gc.evaluate(dw, at={"x": 2, "w": 1, "y": 1}, exact=True)
    assert grad == 2 and 1 - sp.Rational("0.1") * grad == sp.Rational(4, 5)


def test_cross_entropy_quiz_exactly():
    g = gc.Graph()
    logits, label = g.input("logits", shape=(5,)), g.input("label", dtype="int64")
    loss = gc.cross_entropy(logits, label)
    p = [0.02, 0.90, 0.05, 0.01, 0.02]  # as logits log(p): softmax gives p back
    value = gc.evaluate(loss, at={"logits": [0, 0, 0, 0, 0], "label": 2}, exact=True)
    assert value == sp.log(5)
    numeric = gc.evaluate(loss, at={"logits": np.log(p), "label": 2})
    assert numeric == pytest.approx(-np.log(0.05), abs=1e-12)


def test_fan_out_gradient_is_a_sum():
    g = gc.Graph()
    a = g.input("a")
    f = (a * a + gc.sigmoid(a)).named("f")
    (da,) = gc.grad(f, [a])
    sa = sp.Symbol("a", real=True)
    assert sp.simplify(gc.formula(da) - (2 * sa + sigmoid(sa) * (1 - sigmoid(sa)))) == 0
    tenth = sp.Rational(1, 10)
    assert gc.evaluate(da, at={"a": 0.1}, exact=True) == \
        2 * tenth + sigmoid(tenth) * (1 - sigmoid(tenth))


def test_mlp_gradients_in_matrix_notation():
    mlp = load("mlp")
    dW1, db1, dW2, db2 = (str(gc.formula(d)) for d in mlp.GRADS)
    delta = "(-onehot(labels) + softmax(logits))/N"
    assert dW2 == f"H.T @ ({delta})"
    assert db2 == f"sum({delta}, axis=0)"
    assert dW1 == f"X.T @ ((({delta}) @ W2.T)*step(b1 + X @ W1))"
    assert db1 == f"sum((({delta}) @ W2.T)*step(b1 + X @ W1), axis=0)"
    latex = gc.latex(mlp.GRADS[2])
    assert r"H^{\top}" in latex and r"\operatorname{softmax}" in latex


def test_wide_mlp_formulas_never_see_tensor_elements():
    g = gc.Graph("wide")
    X, labels = g.input("X", shape=("N", 1024)), g.input("labels", shape=("N",), dtype="int64")
    W1, W2 = g.param("W1", shape=(1024, 1024)), g.param("W2", shape=(1024, 10))
    H = gc.relu(X @ W1).named("H")
    loss = gc.cross_entropy(H @ W2, labels).named("loss")
    grads = gc.grad(loss, [W1, W2])
    text = [str(gc.formula(d)) for d in grads]  # benchmarks/bench_formulas.py times this
    assert all(len(t) < 200 for t in text), text


def test_latex_and_jupyter_display_write_sigma():
    g, z, yhat, loss, (W1, W2) = scalar_neuron()
    (dw1,) = gc.grad(loss, [W1])
    assert gc.latex(dw1) == r"x_{1} \left(- y + \sigma\left(w_{1} x_{1} + w_{2} x_{2}\right)\right)"
    assert gc.formula(dw1)._repr_latex_().startswith("$")
    assert r"\operatorname{ReLU}" in gc.latex(gc.relu(W1))


def test_exact_takes_floats_as_the_decimals_they_print_as():
    g = gc.Graph()
    a = g.input("a")
    assert gc.evaluate(a * 3, at={"a": 0.1}, exact=True) == sp.Rational(3, 10)
    assert gc.evaluate(gc.relu(a) + gc.abs(a), at={"a": -0.5}, exact=True) == sp.Rational(1, 2)


def test_formula_can_expand_named_tensors():
    mlp = load("mlp")
    expanded = gc.formula(mlp.GRADS[2], keep=())
    names = {str(s) for s in expanded.free_symbols}
    assert names == {"X", "W1", "b1", "W2", "b2", "labels", "N"}
    assert "relu(" in str(expanded)


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_a_users_elementwise_op_from_a_sympy_expression(scratch_registry):
    t = sp.Symbol("t")
    softplus = gc.elementwise_op("softplus", sp.log(1 + sp.exp(t)))
    g = gc.Graph()
    z = g.input("z", shape=(3,))
    out = gc.sum(softplus(z)).named("out")
    (dz,) = gc.grad(out, [z])
    sz = sp.Symbol("z", real=True)
    assert sp.simplify(gc.formula(dz) - sp.exp(sz) / (1 + sp.exp(sz))) == 0
    at = {"z": [-1.0, 0.0, 2.0]}
    expected = 1 / (1 + np.exp(-np.array(at["z"])))
    np.testing.assert_allclose(gc.evaluate(dz, at=at), expected, rtol=1e-12)
    np.testing.assert_allclose(gc.compile([dz])(**at)[0], expected, rtol=1e-12)
    assert gc.gradcheck(out, [z], at=at)
    assert gc.evaluate(softplus(g.input("u")), at={"u": 0}, exact=True) == sp.log(2)


def test_a_users_op_with_stray_symbols_or_a_bad_name_is_refused(scratch_registry):
    t, s = sp.symbols("t s")
    with pytest.raises(gc.GraphError, match="uses s; its arguments are t"):
        gc.elementwise_op("bad", t + s, args=[t])
    with pytest.raises(gc.GraphError, match="plain identifier"):
        gc.elementwise_op("x\nimport os", t)
    gc.elementwise_op("twice", t)
    with pytest.raises(gc.GraphError, match="already registered"):
        gc.elementwise_op("twice", t)


def test_generated_code_uses_the_numerically_sound_simplified_form():
    """sigmoid followed by bce backpropagates as yhat - y, never dividing by yhat(1-yhat)."""
    g, z, yhat, loss, (W1, W2) = scalar_neuron()
    dz, dw1 = gc.grad(loss, [z, W1])
    source = gc.compile([dz, dw1]).source
    assert "dloss_dz = yhat - y" in source  # the count of one element folded away
    assert "(1 - yhat)" not in source
    at = {**AT, "w1": 1000.0}  # sigmoid(z) rounds to 1: the quotient would be 0/0
    value = gc.compile([dz])(**at)[0]
    assert value == 0.0
