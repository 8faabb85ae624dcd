"""The printer as a reader meets it: names, rule comments, inlined views, 100 columns, and
the numbers that reading must not cost (finite where the maths is)."""

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.compile.formula import FormulaPrinter, common, print_expr
from graphc.compile.printer import generate
from graphc.compile.program import lower
from graphc.ops.scalar import arg, sigmoid, step
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


# ---- common subexpressions: a costly piece a formula repeats is computed once ----------------

@pytest.fixture
def user_ops(monkeypatch):
    """Element-wise ops as a user registers them (gc.elementwise_op), in a registry of this
    test's own: softplus, swish, one with two sigmoids, one with exp(tanh(t))."""
    from graphc.ops import registry
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    t = sp.Symbol("t")
    return SimpleNamespace(
        softplus=gc.elementwise_op("softplus", sp.log(1 + sp.exp(t))),
        swish=gc.elementwise_op("swish", t * sigmoid(t)),
        two=gc.elementwise_op("two", t * sigmoid(t) + sigmoid(2 * t)),
        tanhexp=gc.elementwise_op("tanhexp", t * sp.exp(sp.tanh(t))))


def numeric_gradient(f, at, name, eps=1e-6):
    """Central differences of the compiled scalar ``f``'s first output in feed ``name``."""
    x, grad = np.asarray(at[name], dtype=float), np.zeros(np.shape(at[name]))
    for i in np.ndindex(x.shape):
        step_ = np.zeros_like(x)
        step_[i] = eps
        up, down = f(**{**at, name: x + step_})[0], f(**{**at, name: x - step_})[0]
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("opt", [0, 1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_swishs_gradient_computes_its_sigmoid_once(user_ops, opt, dtype):
    g = gc.Graph()
    z = g.input("z", shape=("N", 3), dtype=dtype)
    loss = gc.sum(user_ops.swish(z)).named("loss")
    (dz,) = gc.grad(loss, [z])
    f = gc.compile([dz], opt=opt)
    body = compute_of(f.source)
    grad = [line for line in body.splitlines() if "swish = " not in line]  # opt=0 keeps it
    assert "".join(grad).count("np_sigmoid(") == 1
    assert ("    sigmoid_z = np_sigmoid(z)  # common to dloss_dz\n"
            "    # swish'(z) = z*(1 - sigmoid(z))*sigmoid(z) + sigmoid(z)\n"
            "    dloss_dz = dloss_dswish * (z * sigmoid_z * (1 - sigmoid_z) + sigmoid_z)\n"
            ) in body
    at = {"z": np.linspace(-3, 3, 12).reshape(4, 3).astype(dtype)}
    (got,) = f(**at)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, oracle(dz, at), rtol=1e-12 if dtype == "float64" else 1e-5)
    if dtype == "float64":
        numeric = numeric_gradient(gc.compile([loss], opt=opt), at, "z")
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


def test_softpluss_exp_is_computed_twice_one_exp_costs_less_than_an_array(user_ops):
    g = gc.Graph()
    z = g.input("z", shape=("N", 3))
    loss = gc.sum(user_ops.softplus(z)).named("loss")
    (dz,) = gc.grad(loss, [z])
    f = gc.compile([dz])
    assert "dloss_dz = dloss_dsoftplus * np.exp(z) / (np.exp(z) + 1)" in f.source
    at = {"z": np.linspace(-3, 3, 12).reshape(4, 3)}
    np.testing.assert_allclose(f(**at)[0], oracle(dz, at), rtol=1e-12)
    np.testing.assert_allclose(f(**at)[0], numeric_gradient(gc.compile([loss]), at, "z"),
                               rtol=1e-6, atol=1e-8)


def test_two_pieces_have_two_names_and_are_freed_after_their_line(user_ops):
    g = gc.Graph()
    x, w = g.input("x", shape=("N", 3)), g.param("w", shape=(3,))
    h = user_ops.two(x * w).named("h")
    loss = gc.sum(user_ops.tanhexp(h)).named("loss")
    nodes = [loss] + gc.grad(loss, [x, w])
    body = compute_of(gc.compile(nodes).source)
    assert "\n    exp = " not in body  # exp(tanh(h)) twice saves two passes: not worth it
    assert ("    sigmoid_mul = np_sigmoid(mul)  # common to dloss_dmul\n"
            "    sigmoid = np_sigmoid(2 * mul)  # common to dloss_dmul\n") in body
    assert "del mul, dloss_dh, sigmoid_mul, sigmoid\n" in body
    at = {"x": np.linspace(-2, 2, 12).reshape(4, 3), "w": [0.5, -1.0, 2.0]}
    for opt in gc.passes.LEVELS:
        for got, expected in zip(gc.compile(nodes, opt=opt)(**at), oracle(nodes, at),
                                 strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_fused_formula_repeating_a_costly_piece_computes_it_once():
    a, b = arg(0), arg(1)
    norm = sp.sqrt(sigmoid(a) + b ** 2)
    g = gc.Graph()
    u, v = g.input("u", shape=(4,)), g.input("v", shape=(2, 4))
    node = g.apply("elementwise", [u, v], {"expr": a / norm + b * norm}, name="out")
    f = gc.compile([node])
    body = compute_of(f.source)
    assert "    sqrt = np.sqrt(v ** 2 + np_sigmoid(u))  # common to out\n" in body
    assert "    out = u / sqrt + v * sqrt\n" in body and body.count("np_sigmoid(") == 1
    at = {"u": [0.5, 1.5, -2.0, 3.0], "v": np.linspace(-2, 2, 8).reshape(2, 4)}
    np.testing.assert_allclose(f(**at)[0], oracle(node, at), rtol=1e-15)


def test_shared_pieces_are_named_apart_and_the_same_bytes_every_compile(user_ops):
    def source():
        g = gc.Graph()
        z = g.input("z", shape=("N", 3))
        sigmoid_z = gc.tanh(z).named("sigmoid_z")  # a name a shared piece would take
        loss = gc.sum(user_ops.swish(sigmoid_z) + user_ops.swish(z)).named("loss")
        return gc.compile(gc.grad(loss, [z])).source

    first = source()
    assert first == source()
    assert "sigmoid_sigmoid_z = np_sigmoid(sigmoid_z)" in first
    assert "sigmoid_z_1 = np_sigmoid(z)" in first


def test_what_is_shared_saves_more_than_the_array_it_keeps():
    a, b = arg(0), arg(1)
    cheap = [a * b / (a * b + 1) + step(a) * (1 - step(a)) - a / (1 - a),  # no cost at all
             sp.exp(a) / (sp.exp(a) + 1), sp.tanh(a) ** 2 + sp.tanh(a),  # one pass saved
             sp.exp(a) * b + sp.exp(a) * a + sp.exp(a) / (b + 1)]  # two passes saved
    for expr in cheap:
        assert common(expr, 2) == ((), expr)
    assert common(sigmoid(a) * b + sigmoid(a) * a, 2) == (  # about 16 passes saved
        (sigmoid(a),), a * arg(2) + b * arg(2))
    pieces, reduced = common(a / (sigmoid(a) + 1) + b / (sigmoid(a) + 1), 2)
    assert pieces == (sigmoid(a) + 1,) and reduced == a / arg(2) + b / arg(2)  # a division
    # step(sigmoid(a)) is 1 (a sigmoid is positive): a step of sigmoid(a) - b stays a step
    pieces, reduced = common(step(sigmoid(a) - b) * sigmoid(a) + step(sigmoid(a) - b), 2)
    assert pieces == (sigmoid(a),) and reduced == step(arg(2) - b) * arg(2) + step(arg(2) - b)


def test_a_number_whose_method_a_template_calls_is_written_as_an_array():
    g = gc.Graph("g")  # no pass runs here: fold_constants would have computed the sum
    c = g.const("c", 2.0)
    x = g.input("x", shape=(3,))
    program = lower(g, [(gc.sum(c) * x).named("y")])
    source = generate(program)
    assert "np.asarray(2.0).sum(axis=(), keepdims=False)" in source
    namespace = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    np.testing.assert_array_equal(namespace["run"](x=[1.0, 2.0, 3.0])[0], [2.0, 4.0, 6.0])
