"""Numbers issue 16 found wrong: bce of a shared sigmoid, guarded derivatives evaluated on
unsafe input, d(x ** y)/dy at x = 0, max pooling over padding, and custom ops whose
formula holds an undefined function (whose name must never run as code)."""

import os

import mpmath
import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.errors import GraphError

RAISE = dict(over="raise", divide="raise", invalid="raise")  # underflow to 0 is fine
T = sp.Symbol("t")


# ---- bce(sigmoid(z), y) where the sigmoid is shared or asked for ---------------------------

def _bce_graph(shared):
    g = gc.Graph("g")
    x, w, y = g.input("x", shape=()), g.param("w", shape=()), g.input("y", shape=())
    yhat = gc.sigmoid(w * x).named("yhat")
    loss = gc.bce(yhat, y)
    if shared:
        loss = (loss + yhat * 3).named("L")
    return loss, yhat, w


def _exact(z, y, shared):
    """(dL/dyhat, dL/dw) at x = 1, w = z, in 400 digits (1 - p is e**-800 at z = 800)."""
    with mpmath.workdps(400):
        e = mpmath.exp(mpmath.mpf(z))
        p, slope = e / (1 + e), e / (1 + e) ** 2  # sigmoid(z) and p (1 - p)
        dyhat = (p - y) / slope + (3 if shared else 0)
        return float(dyhat), float((p - y) + (3 * slope if shared else 0))


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("z", [37.0, 40.0, 800.0, -800.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_of_a_sigmoid_in_wrt_stays_finite_and_right(z, y, shared):
    loss, yhat, w = _bce_graph(shared)
    dyhat, dw = gc.grad(loss, [yhat, w])
    want_dyhat, want_dw = _exact(z, y, shared)
    feeds = {"x": 1.0, "w": z, "y": y}
    runs = [gc.compile([dyhat, dw], opt=opt) for opt in (0, 1, 2)]
    with np.errstate(**RAISE):
        results = [f(**feeds) for f in runs] + [gc.evaluate([dyhat, dw], at=feeds)]
    for got_dyhat, got_dw in results:
        # within rounding of p - y, which the slide's yhat - y computes (2**-53 near p = y)
        assert float(got_dw) == pytest.approx(float(want_dw), rel=1e-12, abs=2 ** -52)
        assert np.isfinite(got_dyhat)
        if abs(want_dyhat) < 1e300:
            assert float(got_dyhat) == pytest.approx(float(want_dyhat), rel=1e-12)
        else:  # past float64: the largest the clamp gives, with the sign
            assert abs(float(got_dyhat)) > 1e300
            assert np.sign(got_dyhat) == np.sign(float(want_dyhat))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_of_a_sigmoid_in_wrt_over_a_batch_in_each_float_dtype(dtype):
    g = gc.Graph("g")
    z, y = g.input("z", shape=(4,), dtype=dtype), g.input("y", shape=(4,), dtype=dtype)
    yhat = gc.sigmoid(z).named("yhat")
    dyhat, dz, dy = gc.grad((gc.bce(yhat, y) + gc.sum(yhat)).named("L"), [yhat, z, y])
    feeds = {"z": np.array([-800, -40, 40, 800], dtype), "y": np.array([0, 1, 0.5, 1], dtype)}
    want = ([1.25, -np.exp(40.0) / 4 + 1, np.exp(40.0) / 8 + 0.875, 0.75],
            [0.0, -0.25, 0.125, 0.0], [200.0, 10.0, -10.0, -200.0])
    with np.errstate(**RAISE):
        got = gc.compile([dyhat, dz, dy])(**feeds)
    for value, expected in zip(got, want):
        assert value.dtype == dtype
        np.testing.assert_allclose(value, expected, rtol=1e-6 if dtype == "float32" else 1e-12)


def test_bce_of_a_shared_sigmoid_explain_and_gradflow_show_no_nan():
    import visualize

    loss, yhat, w = _bce_graph(shared=True)
    at = {"x": 1.0, "w": 40.0, "y": 0.0}
    with np.errstate(**RAISE):
        trace = gc.explain(loss, at=at, wrt=[w, yhat], exact=False)
        text = str(trace)
        dot = visualize.draw(loss, view="gradflow", at=at).source
    assert "nan" not in text.lower() and "nan" not in dot.lower()


# ---- guarded derivatives make their input safe before the risky op -------------------------

GUARDED = {
    "numerics_xlogx": sp.Piecewise((T * sp.log(T), T > 0), (0, True)),
    "numerics_gsqrt": sp.Piecewise((sp.sqrt(T), T > 0), (0, True)),
    "numerics_shifted": sp.Piecewise((sp.log(T - 3), T >= 4), (sp.sqrt(T + 5), T > -5),
                                     (0, True)),
}
OPS = {name: gc.elementwise_op(name, expr, [T]) for name, expr in GUARDED.items()}


def _numpy_value(expr, t):
    return float(expr.subs(T, t)) if expr.subs(T, t).is_finite else np.nan


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_guarded_formulas_raise_nothing_on_input_at_and_beyond_the_guard(name):
    g = gc.Graph("g")
    x = g.input("x", shape=(7,))
    out = OPS[name](x).named("out")
    dx, = gc.grad(gc.sum(out), [x])
    d2x, = gc.grad(gc.sum(dx * dx), [x])
    xs = np.array([-7.0, -5.0, -1.0, 0.0, 0.5, 3.5, 4.0])
    expr = GUARDED[name]
    want = [[_numpy_value(e, t) for t in xs]
            for e in (expr, sp.diff(expr, T), sp.diff(sp.diff(expr, T) ** 2, T))]
    runs = [gc.compile([out, dx, d2x], opt=opt) for opt in (0, 1, 2)]
    with np.errstate(all="raise"):
        results = [f(x=xs) for f in runs] + [gc.evaluate([out, dx, d2x], at={"x": xs})]
    for result in results:
        for got, expected in zip(result, want):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_guarded_formula_source_computes_the_risky_branch_on_safe_input():
    g = gc.Graph("g")
    x = g.input("x", shape=(3,))
    source = gc.compile(OPS["numerics_xlogx"](x).named("out"), opt=0).source
    assert "np.log(np.where(np.greater(x, 0), x, 1))" in source


# ---- d(x ** y)/dy at x = 0 ---------------------------------------------------------------

def _pow_graph():
    g = gc.Graph("g")
    x, y = g.input("x", shape=(4,)), g.input("y", shape=(4,))
    out = (x ** y).named("p")
    return out, gc.grad(gc.sum(out), [x, y]), x, y


def test_pow_gradient_in_the_exponent_is_zero_at_a_zero_base():
    out, (dx, dy), *_ = _pow_graph()
    feeds = {"x": np.array([0.0, 0.0, 2.0, 0.5]), "y": np.array([2.0, 0.5, 3.0, 0.0])}
    want_dy = [0.0, 0.0, 8 * np.log(2.0), np.log(0.5)]
    runs = [gc.compile([out, dy], opt=opt) for opt in (0, 1, 2)]
    with np.errstate(all="raise"):
        results = [f(**feeds) for f in runs] + [gc.evaluate([out, dy], at=feeds)]
    for _, got in results:
        np.testing.assert_allclose(got, want_dy, rtol=1e-12)


def test_pow_gradient_in_the_exponent_exact_at_a_zero_base():
    _, (_, dy), *_ = _pow_graph()
    value = gc.evaluate(dy, at={"x": [0, 0, 2, 1], "y": [2, 1, 3, 5]}, exact=True)
    assert list(value) == [0, 0, 8 * sp.log(2), 0]


def test_pow_gradient_in_the_exponent_keeps_inf_for_a_negative_exponent():
    # PyTorch's rule: 0 at x = 0 only where y >= 0; x ** y is inf below, so is its slope
    _, (_, dy), *_ = _pow_graph()
    with np.errstate(divide="ignore", invalid="ignore"):
        got = gc.compile(dy)(x=np.zeros(4), y=np.array([-1.0, 0.0, 1.0, 2.0]))
    assert got[0] == -np.inf and list(got[1:]) == [0.0, 0.0, 0.0]


# ---- max pooling sends no gradient to padding ---------------------------------------------

def test_max_pool_gradient_goes_to_a_real_element_not_to_padding():
    g = gc.Graph("g")
    x = g.input("x", shape=(1, 1, 2, 2))
    pooled = gc.max_pool2d(x, 2, stride=1, padding=1).named("pooled")
    dx, = gc.grad(gc.sum(pooled), [x])
    feeds = {"x": np.full((1, 1, 2, 2), -np.inf)}
    # 9 windows; each sends its 1 to the first real element it holds (row-major)
    want = np.array([[[[4.0, 2.0], [2.0, 1.0]]]])
    for opt in (0, 1, 2):
        np.testing.assert_array_equal(gc.compile(dx, opt=opt)(**feeds), want)
    np.testing.assert_array_equal(gc.evaluate(dx, at=feeds), want)


def test_max_pool_with_padding_agrees_with_finite_differences():
    rng = np.random.default_rng(0)
    g = gc.Graph("g")
    x = g.input("x", shape=(1, 2, 5, 5))
    loss = gc.sum(gc.max_pool2d(x, 3, stride=2, padding=1) ** 2)
    dx, = gc.grad(loss, [x])
    xs = rng.permutation(np.linspace(-3, 3, 50)).reshape(1, 2, 5, 5)  # no ties
    f, grad = gc.compile(loss), gc.compile(dx)(x=xs)
    numeric = np.zeros_like(xs)
    for i in np.ndindex(xs.shape):
        e = np.zeros_like(xs)
        e[i] = 1e-6
        numeric[i] = (f(x=xs + e) - f(x=xs - e)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


# ---- custom ops: undefined functions are refused, and no name runs as code ----------------

def test_undefined_function_is_refused_at_registration():
    with pytest.raises(GraphError) as err:
        gc.elementwise_op("numerics_undefined", sp.Function("f")(T) + T)
    message = str(err.value)
    assert "'numerics_undefined'" in message and "f" in message and "undefined" in message


HOSTILE = "__import__('os').system('touch marker') or (lambda v: v)"


def test_a_function_name_never_runs_as_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expr = sp.Function(HOSTILE)(T) + T
    with pytest.raises(GraphError, match="numerics_hostile"):
        gc.elementwise_op("numerics_hostile", expr)
    g = gc.Graph("g")
    x = g.input("x", shape=(2,))
    from graphc.ops.scalar import arg
    attempts = [lambda: g.apply("elementwise", [x], {"expr": expr.subs(T, arg(0))})]
    for attempt in attempts:
        with pytest.raises(GraphError):
            node = attempt()
            gc.evaluate(node, at={"x": [1.0, 2.0]})
    from graphc.ops.elementwise import _reference_expr
    with pytest.raises(GraphError):
        _reference_expr({"expr": expr.subs(T, sp.Symbol("a0", real=True))}, np.ones(2))
    assert not os.path.exists(tmp_path / "marker")
