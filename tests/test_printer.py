"""The printer as a reader meets it: names, rule comments, inlined views, 100 columns, and
the numbers that reading must not cost (finite where the maths is)."""

import numpy as np
import pytest

import graphc as gc
from graphc.compile.formula import FormulaPrinter, print_expr
from graphc.ops.scalar import arg, sigmoid
from graphs import compute_of, oracle, vector_neuron


@pytest.mark.parametrize("opt", [0, 1])
def test_a_saturated_sigmoid_gives_finite_gradients_at_every_level(opt):
    g, x, w, y, z, yhat, loss = vector_neuron()
    (dw,) = gc.grad(loss, [w])
    at = {"x": [40.0, 0.0], "w": [1.0, 0.0], "y": 1.0}
    with np.errstate(all="raise"):
        _, dw_v = gc.compile([loss, dw], opt=opt)(**at)
    np.testing.assert_allclose(dw_v, [0.0, 0.0], atol=1e-15)
    assert gc.gradcheck(loss, [w], at=at)


def test_a_power_s_gradient_is_finite_at_zero():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    total = gc.sum(x ** 2 + x ** 3).named("total")
    (dx,) = gc.grad(total, [x])
    at = {"x": [0.0, 1.0, 2.0]}
    expected = [0.0, 5.0, 16.0]
    np.testing.assert_allclose(oracle(dx, at), expected)
    np.testing.assert_allclose(gc.compile(dx)(**at), expected)
    assert "/ x" not in compute_of(gc.compile(dx).source)


def test_a_loss_rule_divides_by_the_count_it_averages_over():
    g = gc.Graph()
    q, t = g.input("q", shape=("N", 3)), g.input("t", shape=("N", 3))
    loss = gc.mse(q, t).named("loss")
    f = gc.compile(gc.grad(loss, [q]))
    assert "/(3*N)" in compute_of(f.source) and "q.size" in compute_of(f.source)


def test_a_module_defines_only_the_helpers_it_calls():
    g = gc.Graph()
    X, labels = g.input("X", shape=("N", 3)), g.input("labels", shape=("N",), dtype="int64")
    loss = gc.cross_entropy(X, labels).named("loss")
    source = gc.compile(gc.grad(loss, [X])).source
    assert "X.shape[0]" in source and "_np_count" not in source


def test_long_names_stay_within_100_columns():
    g = gc.Graph()
    names = [f"a_rather_long_input_name_for_a_lecture_number_{i}" for i in range(6)]
    xs = [g.input(n, shape=(2,)) for n in names]
    terms = [gc.tanh(x).named(f"tanh_of_{n}") for x, n in zip(xs, names)]
    loss = gc.sum(sum(terms[1:], terms[0]) * terms[0]).named("loss")
    f = gc.compile([loss] + gc.grad(loss, xs))
    assert max(len(line) for line in f.source.splitlines()) <= 100
    at = {n: [0.5, -1.0] for n in names}
    for got, want in zip(f(**at), oracle([loss] + [g[f"dloss_d{n}"] for n in names], at)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_unnamed_nodes_are_named_by_op_counters_not_ids():
    g = gc.Graph()
    x, w = g.input("x", shape=(2, 2)), g.param("w", shape=(2, 2))
    loss = gc.sum((x @ w) @ w).named("loss")
    compute = compute_of(gc.compile([loss] + gc.grad(loss, [w])).source)
    assert "matmul = x @ w" in compute and "matmul_1" in compute
    assert not [n.name for n in g if not n.record.named and n.name in compute]


def test_a_negative_product_over_a_sum_keeps_its_brackets():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    y = g.apply("elementwise", [x], {"expr": -2 * arg(0) / (arg(0) ** 2 + 1)}).named("y")
    f = gc.compile(y)
    assert "-2 * x / (x ** 2 + 1)" in compute_of(f.source)
    at = {"x": [0.5, -1.0, 2.0]}
    np.testing.assert_allclose(f(**at), oracle(y, at))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relus_gradient_is_a_mask_in_the_tensors_dtype(dtype):
    g = gc.Graph()
    z = g.input("z", shape=(4,), dtype=dtype)
    loss = gc.sum(gc.relu(z) * gc.relu(z)).named("loss")
    (dz,) = gc.grad(loss, [z])
    f = gc.compile(dz)
    assert "(z > 0)" in compute_of(f.source) and "heaviside" not in compute_of(f.source)
    at = {"z": np.array([-1.0, 0.0, 0.5, 2.0], dtype=dtype)}
    value = f(**at)
    assert value.dtype == dtype
    np.testing.assert_array_equal(value, [0.0, 0.0, 1.0, 4.0])


def test_a_name_in_a_rule_comment_cannot_break_out_of_the_comment():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    hidden = gc.tanh(x).named("h\nimport os  # ")
    loss = gc.sum(hidden * hidden).named("loss")
    f = gc.compile(gc.grad(loss, [x]))
    assert "\nimport os" not in f.source
    at = {"x": [0.5, -1.0, 2.0]}
    np.testing.assert_allclose(f(**at), oracle(gc.grad(loss, [x]), at))


@pytest.mark.parametrize("texts", [["x", "W.T"], ["np.float32(0.5)", "h[0]"], ["-x", "y"],
                                   ["(-1.5)", "dloss_dh"]])
def test_a_formula_printed_once_reads_as_printed_over_each_operands_text(texts):
    a, b = arg(0), arg(1)
    exprs = [a - b, -a * b / (a ** 2 + 1), sigmoid(a) * (1 - b), b + a * b, a ** -2]
    for expr in exprs:
        printer = FormulaPrinter(dict(zip((a, b), texts)))
        direct = printer.doprint(expr), sorted(int(s.name[1:]) for s in printer.used)
        assert print_expr(expr, texts)[:2] == direct
