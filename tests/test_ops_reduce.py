"""max, min, var, std, logsumexp and prod: values against NumPy over axes and keepdims,
gradients at ties (shared evenly) and at zeros (the product of the others), logsumexp of
1000 finite in the interpreter and in generated code, formulas, exact values, bad input."""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import graphc as gc

X = np.array([[[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]],
              [[2.0, 2.0, -0.5], [-3.0, 1.5, 4.0]]])  # (2, 2, 3)

NUMPY = {"max": np.max, "min": np.min, "var": np.var, "std": np.std, "prod": np.prod,
         "logsumexp": lambda x, axis=None, keepdims=False: np.log(
             np.sum(np.exp(x), axis=axis, keepdims=keepdims))}
AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


def graph_of(shape, name="x"):
    g = gc.Graph("reductions")
    return g, g.input(name, shape=shape)


@pytest.mark.parametrize("op", sorted(NUMPY))
def test_values_and_shapes_match_numpy_over_axes_and_keepdims(op):
    g, x = graph_of(X.shape)
    outputs, expected = [], []
    for axis in AXES:
        for keepdims in (False, True):
            outputs.append(getattr(gc, op)(x, axis=axis, keepdims=keepdims))
            expected.append(NUMPY[op](X, axis=axis, keepdims=keepdims))
    compiled = gc.compile(outputs)(x=X)
    for out, want, got in zip(outputs, expected, compiled):
        assert out.shape == np.shape(want)
        np.testing.assert_allclose(gc.evaluate(out, at={"x": X}), want, rtol=1e-12)
        np.testing.assert_allclose(got, want, rtol=1e-12)


def gradient(op, value, **kwargs):
    """d sum(w * op(x))/dx, interpreted and compiled, with weights w = 1, 2, 3, ..."""
    g, x = graph_of(np.shape(value))
    y = getattr(gc, op)(x, **kwargs)
    weights = np.arange(1.0, 1.0 + int(np.prod(y.shape))).reshape(y.shape)
    (d,) = gc.grad(gc.sum(y * weights) if y.shape else y, [x])
    return gc.evaluate(d, at={"x": value}), gc.compile([d])(x=value)[0]


@pytest.mark.parametrize("op, want", [
    ("max", [[0, 0.5, 0.5, 0], [0, 0, 0, 2], [0.75, 0.75, 0.75, 0.75]]),
    ("min", [[1, 0, 0, 0], [1, 1, 0, 0], [0.75, 0.75, 0.75, 0.75]])])
def test_ties_share_the_gradient_evenly_as_amax_does(op, want):
    ties = np.array([[-1.0, 2.0, 2.0, 0.0], [0.0, 0.0, 1.0, 3.0], [5.0, 5.0, 5.0, 5.0]])
    interpreted, compiled = gradient(op, ties, axis=1)  # row i weighs i + 1
    np.testing.assert_allclose(interpreted, want)
    np.testing.assert_allclose(compiled, want)


def test_max_of_everything_splits_among_all_its_ties():
    value = np.array([[1.0, 4.0], [4.0, 4.0]])
    interpreted, compiled = gradient("max", value)
    np.testing.assert_allclose(interpreted, [[0, 1 / 3], [1 / 3, 1 / 3]])
    np.testing.assert_allclose(compiled, interpreted)


def test_prod_gradient_is_the_product_of_the_others_even_at_zeros():
    value = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    interpreted, compiled = gradient("prod", value, axis=1)
    want = [[0.0, 24.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [24.0, 12.0, 8.0, 6.0]]
    want = np.array(want) * np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(interpreted, want)
    np.testing.assert_allclose(compiled, want)
    assert np.all(np.isfinite(compiled))


def test_prod_over_two_axes_with_a_zero():
    value = np.array([[[2.0, 0.0], [3.0, 1.0]], [[1.0, 2.0], [0.5, 4.0]]])
    interpreted, _ = gradient("prod", value, axis=(1, 2))
    np.testing.assert_allclose(interpreted[0], [[0, 6.0], [0, 0]])
    np.testing.assert_allclose(interpreted[1], 2 * 4.0 / value[1])


def test_logsumexp_of_1000_stays_finite_in_the_interpreter_and_the_generated_code():
    big = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.0]])
    g, x = graph_of(big.shape)
    y = gc.logsumexp(x, axis=1)
    (d,) = gc.grad(gc.sum(y), [x])
    shift = np.log(2 + np.exp(-1.0))
    want = [1000 + shift, -1000 + shift]
    soft = np.exp(big - np.array(want)[:, None])
    for value, grad in (gc.evaluate([y, d], at={"x": big}),
                        gc.compile([y, d], opt=2)(x=big)):
        np.testing.assert_allclose(value, want, rtol=1e-12)
        np.testing.assert_allclose(grad, soft, rtol=1e-12)
    source = gc.compile([y, d]).source
    assert "_np_logsumexp" in source and ".max(" in source


def test_logsumexp_of_minus_infinity_is_minus_infinity_not_nan():
    g, x = graph_of((2,))
    with np.errstate(divide="ignore"):  # log(0), as NumPy warns
        value = gc.compile([gc.logsumexp(x)])(x=np.array([-np.inf, -np.inf]))[0]
    assert value == -np.inf


def test_ddof_1_is_pytorchs_unbiased_default_and_gradients_match_differences():
    g, x = graph_of((2, 3))
    value = X[0]
    for op in ("var", "std"):
        y = getattr(gc, op)(x, axis=1, ddof=1)
        np.testing.assert_allclose(gc.evaluate(y, at={"x": value}),
                                   getattr(np, op)(value, axis=1, ddof=1))
        assert gc.gradcheck(gc.sum(y * [1.0, 2.0]), [x], at={"x": value})


def test_formulas_name_each_reduction_and_keep_ddof():
    g, x = graph_of(("N", 3))
    assert str(gc.formula(gc.max(x, axis=0))) == "max(x, axis=0)"
    assert str(gc.formula(gc.logsumexp(x, axis=1, keepdims=True))) == \
        "logsumexp(x, axis=1, keepdims=True)"
    assert str(gc.formula(gc.var(x, ddof=1))) == "var(x, ddof=1)"
    latex = gc.latex(gc.std(x, axis=1, ddof=1))
    assert r"\operatorname{std}_{1}" in latex and r"\mathrm{ddof}=1" in latex
    assert str(gc.formula(gc.prod(x))) == "prod(x)"
    (d,) = gc.grad(gc.max(x) + 1 / gc.std(x), [x])  # a reduction in a power, an op's name
    latex = gc.latex(d)
    assert r"\left(\operatorname{std}\left(x\right)\right)^{-3}" in latex
    assert r"\operatorname{tie\_share}\left(x, \operatorname{max}\left(x\right)\right)" in latex


def test_exact_values_are_exact():
    g, x = graph_of((2, 2))
    at = {"x": [[1, 2], [2, 0]]}
    assert gc.evaluate(gc.var(x), at=at, exact=True) == sp.Rational(11, 16)
    assert gc.evaluate(gc.std(x, ddof=1), at=at, exact=True) == sp.sqrt(sp.Rational(11, 12))
    assert gc.evaluate(gc.logsumexp(x[0]), at=at, exact=True) == sp.log(sp.E + sp.E ** 2)
    (d,) = gc.grad(gc.max(x), [x])
    assert gc.evaluate(d, at=at, exact=True).tolist() == [[0, sp.Rational(1, 2)],
                                                          [sp.Rational(1, 2), 0]]
    (d,) = gc.grad(gc.prod(x[0]), [x])
    assert gc.evaluate(d, at=at, exact=True).tolist() == [[2, 1], [0, 0]]


@pytest.mark.parametrize("call, words", [
    (lambda x: gc.max(x, axis=2), ["max", "axis 2", "out of range", "'x'"]),
    (lambda x: gc.prod(x, axis=(0, 0)), ["prod", "repeats", "'x'"]),
    (lambda x: gc.var(x, ddof=-1), ["var", "ddof", "-1", "non-negative"]),
    (lambda x: gc.std(x, axis=1, ddof=3), ["std", "ddof=3", "degrees of freedom"]),
    (lambda x: gc.var(x, ddof=1.5), ["var", "ddof", "1.5"])])
def test_bad_axes_and_ddof_are_refused_naming_the_node_and_what_was_given(call, words):
    g, x = graph_of((2, 3))
    with pytest.raises(gc.ShapeError) as caught:
        call(x)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_integers_keep_their_dtype_in_max_min_prod_and_become_floats_in_var_std_logsumexp():
    g = gc.Graph()
    labels = g.input("labels", shape=(4,), dtype="int64")
    at = {"labels": np.array([3, 1, 3, 2])}
    for op, dtype, want in (("max", "int64", 3), ("min", "int64", 1), ("prod", "int64", 18),
                            ("var", "float64", 0.6875), ("std", "float64", 0.6875 ** 0.5),
                            ("logsumexp", "float64", np.log(np.exp([3, 1, 3, 2]).sum()))):
        y = getattr(gc, op)(labels)
        assert y.dtype == dtype, op
        (value,) = gc.compile([y])(**at)
        assert value.dtype == dtype and np.isclose(value, want), op
        assert np.isclose(gc.evaluate(y, at=at), want), op


def test_prods_second_derivative_is_right_at_a_zero_and_its_third_is_refused():
    g, x = graph_of((3,))
    (d,) = gc.grad(gc.prod(x), [x])
    (h,) = gc.grad(gc.sum(d), [x])  # d/dx_k of sum_i prod_{j != i} x_j
    at = {"x": [2.0, 0.0, 3.0]}
    np.testing.assert_allclose(gc.evaluate(h, at=at), [3.0, 5.0, 2.0])
    np.testing.assert_allclose(gc.compile([h])(**at)[0], [3.0, 5.0, 2.0])
    with pytest.raises(gc.DifferentiationError, match="prod_pairs"):
        gc.grad(gc.sum(h), [x])


def test_the_readmes_ties_block_prints_what_it_shows(capsys):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = next(b.split("```")[0] for b in readme.split("```python")[1:]
                 if "gc.max(x)" in b)
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    shown = [line.split("#")[1].strip() for line in block.splitlines() if "print(" in line]
    assert printed[:2] == shown[:2]
    assert printed[2].startswith(shown[2].rstrip("."))


def test_axes_take_numpys_integers_and_refuse_anything_else_by_name():
    g = gc.Graph("axes")
    x = g.input("x", shape=(2, 3))
    assert gc.max(x, axis=np.int64(1)).shape == (2,)
    assert gc.sum(x, axis=(np.int32(0),)).shape == (3,)
    for bad in (1.5, (0, None), "a", True):
        with pytest.raises(gc.ShapeError, match=r"max: axis .* of 'x' \(2, 3\) must be an "
                                                r"int \(or a tuple of ints"):
            gc.max(x, axis=bad)
