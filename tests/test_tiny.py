"""opt=2's path for tiny static shapes (graphc/compile/tiny.py): compute on Python floats,
against opt=1 and the reference interpreter; NumPy's own results where math raises or an
output is not finite; the path taken only where every shape is static and small."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc as gc
from graphc.compile import lower, tiny
from graphc.ops import all_ops

from graphs import compute_of, oracle, scalar_neuron, vector_neuron
from opspecs import build, differentiable, scalar_of
from test_codegen import agrees_with_the_oracle, random_graph, same


def lecture_neuron():
    """x (1, 2) @ w (2, 1) + b, sigmoid, BCE, batch 1: the loss and its three gradients."""
    g = gc.Graph("lecture neuron")
    x, y = g.input("x", shape=(1, 2)), g.input("y", shape=(1, 1))
    w, b = g.param("w", shape=(2, 1)), g.param("b", shape=(1,))
    z = (x @ w + b).named("z")
    loss = gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss")
    return [loss] + gc.grad(loss, [w, b]), {"x": [[0.5, -1.5]], "y": [[1.0]],
                                              "w": [[0.3], [-0.8]], "b": [0.1]}


def micrograd():
    """micrograd's README expression, every value a scalar, and its gradients by a and b."""
    g = gc.Graph("micrograd")
    a, b = g.input("a"), g.input("b")
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + gc.relu(b + a)
    d = d + 3 * d + gc.relu(b - a)
    e = c - d
    f = e ** 2
    h = f / 2.0
    h = h + 10.0 / f
    out = gc.tanh(h * 0.01).named("out")
    return [out] + gc.grad(out, [a, b]), {"a": -4.0, "b": 2.0}


def floats_path(f):
    """True when f's compute is the float one (it falls back to compute_numpy)."""
    return "def compute_numpy(" in f.source


def check_levels(nodes, feeds):
    """opt=2 against opt=1 and the oracle (rtol 1e-12), checked and unchecked; returns f."""
    f2, f1 = gc.compile(nodes, opt=2), gc.compile(nodes, opt=1)
    expected = oracle(nodes, at=feeds)
    same(f2(**feeds), expected)
    same(f2(**feeds), f1(**feeds))
    fast = f2.unchecked(*f2.check(**feeds))
    for got, want in zip(fast, f1.unchecked(*f1.check(**feeds)), strict=True):
        assert type(got) is type(want) and got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    return f2


@pytest.mark.parametrize("case", [lecture_neuron, micrograd], ids=lambda c: c.__name__)
def test_the_neuron_and_a_scalar_graph_compute_on_floats_as_numpy_does(case):
    nodes, feeds = case()
    f = check_levels(nodes, feeds)
    assert floats_path(f)
    body = compute_of(f.source)
    body = body[:body.index("def compute_numpy(")]
    steps = body[body.index("try:"):body.index("if math.isfinite")]
    assert "np." not in steps and "math." in steps  # floats and math only, up to the outputs
    assert "import math" in f.source
    assert all(len(line) <= 100 for line in f.source.splitlines())
    assert gc.compile(case()[0], opt=2).source == f.source  # same graph, same bytes


def test_the_neuron_reads_as_its_steps():
    nodes, feeds = lecture_neuron()
    source = gc.compile(nodes, opt=2).source
    assert "[[x_0_0, x_0_1]] = x.tolist()  # x as floats" in source
    assert "z_0_0 = b_0 + matmul_0_0  # add" in source
    assert "dloss_dw_1_0 = dloss_dz_0_0 * x_0_1" in source
    assert "return (np.float64(loss), dloss_dw, dloss_db)" in source


@pytest.mark.parametrize("scalar", [True, False])
def test_the_slides_neurons_take_the_path(scalar):
    if scalar:
        n = scalar_neuron()
        loss, params = n.loss, [n.w1, n.w2]
        feeds = {"x1": 1.0, "x2": -2.0, "y": 1.0, "w1": 0.5, "w2": 0.25}
    else:
        g, x, w, y, z, yhat, loss = vector_neuron()
        params, feeds = [w], {"x": [1.0, -1.0], "w": [1.0, 2.0], "y": 1.0}
    f = check_levels([loss] + gc.grad(loss, params), feeds)
    assert floats_path(f)


@settings(max_examples=40, deadline=None)
@given(random_graph(), st.integers(0, 2 ** 16))
def test_random_graphs_at_opt_2_agree_with_the_interpreter(case, seed):
    f, feeds = agrees_with_the_oracle(case, seed, opt=2, debug=True)
    for checked, fast in zip(f(**feeds), f.unchecked(*f.check(**feeds)), strict=True):
        np.testing.assert_array_equal(checked, fast)


@pytest.mark.parametrize("opdef", [op for op in all_ops() if op.test is not None],
                         ids=lambda op: op.name)
def test_every_op_at_opt_2_agrees_with_the_interpreter(opdef):
    g, out, operands, feeds = build(opdef, 3)
    nodes = [out]
    if opdef.test.grad:
        loss = scalar_of(out, 3)
        nodes += [loss] + gc.grad(loss, differentiable(opdef, operands))
    same(gc.compile(nodes, opt=2)(**feeds), oracle(nodes, at=feeds))


def test_the_structural_ops_take_the_path():
    g = gc.Graph()
    x, w = g.input("x", shape=(2, 3)), g.param("w", shape=(3,))
    h = gc.reshape(gc.transpose(x), (2, 3)) * w + gc.reshape(x @ w, (2, 1)) * w[1:2]
    m = gc.concat([gc.sum(h, axis=0), gc.mean(h, axis=1)], axis=0)
    loss = (gc.mse(m, m * 0.5) + gc.mae(h, x)
            + gc.bce(gc.sigmoid(gc.sum(m)) * 0.5 + 0.25, g.input("y")))
    feeds = {"x": np.linspace(-1, 1, 6).reshape(2, 3), "w": [0.5, -1.0, 2.0], "y": 1.0}
    f = check_levels([loss] + gc.grad(loss, [x, w]), feeds)
    assert floats_path(f)


# ---- where floats and NumPy part: NumPy's results, exactly --------------------------------------

def numpy_of(f, feeds):
    return f._module.compute_numpy(*f.check(**feeds))


@pytest.mark.parametrize("logit", [1000.0, -1000.0])
def test_a_huge_logit_gives_numpys_numbers(logit):
    nodes, feeds = lecture_neuron()
    feeds = {**feeds, "b": [logit]}
    f = gc.compile(nodes, opt=2)
    got, numpy = f.unchecked(*f.check(**feeds)), numpy_of(f, feeds)
    assert all(np.isfinite(v).all() for v in got)
    for a, b in zip(got, numpy, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    if logit < 0:  # math.exp(1000) raises OverflowError: the NumPy code computed it
        for a, b in zip(got, numpy, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("build_out,value,expected", [
    (lambda x: gc.log(x), 0.0, -np.inf),           # math.log(0) raises ValueError
    (lambda x: gc.log(x), -1.0, np.nan),           # and so does math.log(-1)
    (lambda x: 1.0 / x, 0.0, np.inf),              # ZeroDivisionError
    (lambda x: gc.exp(x), 1000.0, np.inf),         # OverflowError
    (lambda x: x * x, 1e200, np.inf),              # floats overflow silently: not finite
    (lambda x: x ** 0.5, -4.0, np.nan),            # math.pow raises, ** would be complex
])
def test_math_errors_and_non_finite_outputs_give_numpys_result_and_warning(
        build_out, value, expected):
    g = gc.Graph()
    x = g.input("x", shape=(2,))
    f = gc.compile([build_out(x).named("out")], opt=2)
    assert floats_path(f)
    feeds = {"x": [value, 1.0]}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        (got,) = f.unchecked(*f.check(**feeds))
    with warnings.catch_warnings(record=True) as numpys:
        warnings.simplefilter("always")
        (want,) = numpy_of(f, feeds)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[0], expected)
    assert [str(w.message) for w in seen] == [str(w.message) for w in numpys]
    assert seen and all(issubclass(w.category, RuntimeWarning) for w in seen)


@pytest.mark.parametrize("build_out,value", [
    (lambda x: x * 0.0, np.inf),
    (lambda x: x - gc.sum(x) + gc.sum(x), np.inf),  # SymPy cancels what inf would not
    (lambda x: gc.step(x), np.nan),
    (lambda x: gc.relu(x) * 2.0, np.nan),
])
def test_a_feed_that_is_not_finite_gets_numpys_result(build_out, value):
    g = gc.Graph()
    x = g.input("x", shape=(2,))
    f = gc.compile([build_out(x).named("out")], opt=2)
    assert floats_path(f)
    feeds = {"x": [value, 1.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (got,) = f.unchecked(*f.check(**feeds))
        (want,) = numpy_of(f, feeds)
    np.testing.assert_array_equal(got, want)


# ---- where the path is not taken: the NumPy code, as at opt=1 ----------------------------------

def _large():
    g = gc.Graph()
    x, w = g.input("x", shape=(4, 5)), g.param("w", shape=(5,))
    return g, gc.sum(gc.tanh(x * w)), w


def _named():
    g = gc.Graph()
    x, w = g.input("x", shape=("N", 2)), g.param("w", shape=(2,))
    return g, gc.sum(gc.tanh(x * w)), w


def _float32():
    g = gc.Graph()
    x, w = g.input("x", shape=(2,), dtype="float32"), g.param("w", shape=(2,), dtype="float32")
    return g, gc.sum(gc.tanh(x * w)), w


def _softmax():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    return g, gc.sum(gc.softmax(x) * gc.exp(x)), x


@pytest.mark.parametrize("case", [_large, _named, _float32, _softmax],
                         ids=["large", "named dim", "float32", "an op with no float form"])
def test_the_path_is_not_taken_beyond_tiny_static_float64(case):
    g, loss, w = case()
    nodes = [loss] + gc.grad(loss, [w])
    f2, f1 = gc.compile(nodes, opt=2), gc.compile(nodes, opt=1)
    assert not floats_path(f2) and "import math" not in f2.source
    assert not tiny.applies(lower(g, nodes))
    feeds = {leaf.name: np.linspace(-1, 1, 4 if "N" in leaf.shape else
                                    int(np.prod(leaf.shape))).reshape(
        [4 // 2 if d == "N" else d for d in leaf.shape]) for leaf in g.inputs + g.params}
    same(f2(**feeds), f1(**feeds))
