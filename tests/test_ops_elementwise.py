"""The element-wise ops of issue 14 (sqrt, square, sign, maximum, minimum, where, clip,
gelu, silu): values, the kinks and ties, formulas and exact values, and the messages.
The registry's tables (test_ops, test_codegen, test_tiny, test_second_order) check their
gradients, code and second derivatives; this file checks what those cannot see."""

import math

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.ops.scalar import np_erf


def _graph(*shapes):
    g = gc.Graph()
    return [g.input(n, shape=s) for n, s in zip("xyz", shapes)]


def _grads(loss, wrt, at, opt=1):
    """The gradients by the interpreter and by compiled code, which must agree."""
    grads = gc.grad(loss, wrt)
    interpreted = gc.evaluate(grads, at=at)
    compiled = gc.compile(grads, opt=opt, unused="ignore")(**at)
    for a, b in zip(interpreted, compiled):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    return interpreted


def test_values_match_numpy():
    x, y = _graph((5,), (5,))
    at = {"x": np.array([0.25, 1.0, -2.0, 0.0, 3.5]), "y": np.array([1.0, 1.0, 0.5, 0.0, -1])}
    got = gc.evaluate([gc.sqrt(gc.abs(x)), gc.square(x), gc.sign(x), gc.maximum(x, y),
                       gc.minimum(x, y), gc.clip(x, -1, 1), gc.silu(x)], at=at)
    v, w = at["x"], at["y"]
    want = [np.sqrt(np.abs(v)), v ** 2, np.sign(v), np.maximum(v, w), np.minimum(v, w),
            np.clip(v, -1, 1), v / (1 + np.exp(-v))]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-15)


def test_gelu_is_the_exact_erf_form():
    (x,) = _graph((7,))
    v = np.array([-6.0, -2.5, -1.0, 0.0, 0.5, 2.5, 9.0])
    want = [t * (1 + math.erf(t / math.sqrt(2))) / 2 for t in v]
    # 1 + erf(a / sqrt(2)) cancels for a << 0, as in PyTorch's exact form: absolute error
    np.testing.assert_allclose(gc.evaluate(gc.gelu(x), at={"x": v}), want, rtol=1e-14,
                               atol=1e-15)


def test_np_erf_agrees_with_math_erf_everywhere():
    xs = np.concatenate([np.linspace(-8, 8, 20001), np.geomspace(1e-300, 2.0, 200),
                         [np.inf, -np.inf, 0.0, -0.0]])
    want = np.array([math.erf(t) for t in xs])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no branch overflows
        got = np_erf(xs)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    assert np.isnan(np_erf(np.nan))
    assert np_erf(np.float32(0.5)).dtype == np.float32


def test_maximum_and_minimum_ties_share_the_gradient_evenly():
    x, y = _graph((3,), (3,))
    at = {"x": np.array([1.0, 2.0, 5.0]), "y": np.array([1.0, 3.0, 4.0])}
    dx, dy = _grads(gc.sum(gc.maximum(x, y)), [x, y], at)
    np.testing.assert_array_equal(dx, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(dy, [0.5, 1.0, 0.0])
    dx, dy = _grads(gc.sum(gc.minimum(x, y)), [x, y], at, opt=0)
    np.testing.assert_array_equal(dx, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(dy, [0.5, 0.0, 1.0])


def test_maximum_broadcasts_and_sums_the_gradient_of_the_smaller_operand():
    x, b = _graph((2, 3), ())
    at = {"x": np.array([[0.0, 1.0, 2.0], [3.0, -1.0, 1.0]]), "y": 1.0}
    dx, db = _grads(gc.sum(gc.maximum(x, b)), [x, b], at)
    np.testing.assert_array_equal(dx, [[0, 0.5, 1], [1, 0, 0.5]])
    assert db == 3.0  # two ties (1/2 each) and two elements below


def test_clip_passes_the_gradient_at_its_ends_as_pytorch():
    (x,) = _graph((5,))
    at = {"x": np.array([-2.0, -1.0, 0.0, 1.0, 2.0])}
    (dx,) = _grads(gc.sum(gc.clip(x, -1, 1)), [x], at)
    np.testing.assert_array_equal(dx, [0, 1, 1, 1, 0])
    (dx,) = _grads(gc.sum(gc.clip(x, None, 0.0)), [x], at, opt=2)
    np.testing.assert_array_equal(dx, [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(gc.evaluate(gc.clip(x, lo=0), at=at), [0, 0, 0, 1, 2])


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give lo, hi or both"),
    ({"lo": 2, "hi": 1}, "lo 2.0 is above hi 1.0"),
    ({"lo": "0"}, "lo must be a finite number or None, got '0'"),
    ({"hi": np.inf}, "hi must be a finite number or None, got inf"),
])
def test_clip_refuses_bad_limits_naming_the_node(kwargs, message):
    (x,) = _graph((2,))
    with pytest.raises(gc.GraphError, match="clip of 'x': " + message):
        gc.clip(x, **kwargs)


def test_where_sends_the_gradient_to_the_chosen_side_only():
    g = gc.Graph()
    c = g.input("c", shape=(4,), dtype="int64")
    a, b = g.input("a", shape=(4,)), g.input("b", shape=())
    at = {"c": [1, 0, 2, 0], "a": np.array([1.0, 2, 3, 4]), "b": 10.0}
    out = gc.where(c, a, b)
    np.testing.assert_array_equal(gc.evaluate(out, at=at), [1, 10, 3, 10])
    da, db = _grads(gc.sum(out * out), [a, b], at)
    np.testing.assert_array_equal(da, [2, 0, 6, 0])
    assert db == 40.0


def test_where_keeps_float32_branches_float32_under_a_float64_condition():
    g = gc.Graph()
    c = g.input("c", shape=(3,))
    a = g.input("a", shape=(3,), dtype="float32")
    out = gc.where(c, a, 0.0)
    assert out.dtype == "float32"
    value = gc.compile(out)(c=np.array([0.0, 1, -1]), a=np.ones(3, np.float32))
    assert value.dtype == np.float32
    np.testing.assert_array_equal(value, [0, 1, 1])


def test_sign_has_gradient_zero_and_grad_through_it_says_so():
    (x,) = _graph((3,))
    s = gc.sign(x).named("s")
    with pytest.raises(gc.DifferentiationError,
                       match=r"passes through sign node 's', whose derivative is 0 everywhere"):
        gc.grad(gc.sum(s), [x])
    (dx,) = _grads(gc.sum(s * x), [x], {"x": np.array([-2.0, 0.0, 3.0])})  # |x|: sign(x)
    np.testing.assert_array_equal(dx, [-1, 0, 1])


def test_sqrt_square_and_gelu_at_exact_points():
    (x,) = _graph(())
    assert str(gc.formula(gc.sqrt(x))) == "sqrt(x)"
    assert gc.evaluate(gc.sqrt(x), at={"x": 2}, exact=True) == sp.sqrt(2)
    (dx,) = gc.grad(gc.sqrt(x), [x])
    assert gc.evaluate(dx, at={"x": 2}, exact=True) == sp.sqrt(2) / 4
    assert gc.evaluate(gc.square(x), at={"x": "sqrt(3)"}, exact=True) == 3
    (dg,) = gc.grad(gc.gelu(x), [x])
    want = sp.Rational(1, 2) + sp.erf(sp.sqrt(2) / 2) / 2 + 1 / sp.sqrt(2 * sp.pi) * sp.exp(
        -sp.Rational(1, 2))
    assert sp.simplify(gc.evaluate(dg, at={"x": 1}, exact=True) - want) == 0


def test_formulas_read_as_written():
    x, y = _graph((3,), (3,))
    cases = {gc.square(x): "x**2", gc.sign(x): "sign(x)", gc.maximum(x, y): "Max(x, y)",
             gc.minimum(x, y): "Min(x, y)", gc.clip(x, -1, None): "clip(x, -1, None)",
             gc.clip(x, 0.5, 2): "clip(x, 1/2, 2)", gc.silu(x): "x*sigmoid(x)",
             gc.where(x, x, y): "where(x, x, y)"}
    for node, text in cases.items():
        assert str(gc.formula(node)) == text
    assert "erf(sqrt(2)*x/2)" in str(gc.formula(gc.gelu(x)))


def test_generated_code_imports_only_numpy_and_ships_erf():
    (x,) = _graph((3,))
    (dx,) = gc.grad(gc.sum(gc.gelu(x)), [x])
    source = gc.compile([gc.gelu(x), dx]).source
    assert "def np_erf(" in source
    imports = [line for line in source.splitlines() if line.lstrip().startswith(
        ("import ", "from "))]
    assert "import numpy as np" in imports
    assert not [line for line in imports if "math" in line or "scipy" in line]
    assert "np.sqrt(2)" not in source  # a float64 scalar would widen float32


def test_ties_and_ends_are_exact_too():
    x, y = _graph((), ())
    at = {"x": 1, "y": 1}
    assert gc.evaluate(gc.grad(gc.maximum(x, y), [x, y]), at=at, exact=True) == [
        sp.Rational(1, 2), sp.Rational(1, 2)]
    assert gc.evaluate(gc.grad(gc.clip(x, -1, 1), [x]), at=at, exact=True) == [1]
    assert gc.evaluate(gc.clip(x, 0.5, None), at={"x": "sqrt(2)"}, exact=True) == sp.sqrt(2)
