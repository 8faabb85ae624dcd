"""Every op, from the registry's table: a test spec, gradients against finite
differences at random points, and reference values checked by hand."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.ops import all_ops
from graphc.ops.scalar import arg, relu, sigmoid, step

from graphs import oracle
from opspecs import build, differentiable, scalar_of

OPS = all_ops()
GRAD_OPS = [op for op in OPS if op.test is not None and op.test.grad]


@pytest.mark.parametrize("opdef", OPS, ids=lambda op: op.name)
def test_every_op_has_a_test_spec_and_a_doc(opdef):
    assert opdef.test is not None, f"op {opdef.name!r} has no test spec"
    assert opdef.doc
    assert opdef.family in ("elementwise", "linalg", "reduce", "shape", "nn", "losses",
                            "conv", "pool")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("opdef", GRAD_OPS, ids=lambda op: op.name)
def test_gradient_matches_finite_differences(opdef, seed):
    g, out, operands, feeds = build(opdef, seed)
    wrt = differentiable(opdef, operands)
    assert wrt, f"{opdef.name}: a gradient spec with nothing to differentiate"
    report = gc.gradcheck(scalar_of(out, seed), wrt, at=feeds, tol=opdef.test.tol)
    assert report, str(report)


@pytest.mark.parametrize("opdef", OPS, ids=lambda op: op.name)
def test_reference_output_has_the_inferred_shape_and_dtype(opdef):
    g, out, operands, feeds = build(opdef)
    value = oracle(out, at=feeds)
    assert value.shape == out.shape
    assert value.dtype == np.dtype(out.dtype)


def test_gradcheck_reports_a_wrong_gradient(monkeypatch):
    import dataclasses
    from graphc.ops import registry
    wrong = dataclasses.replace(registry.get("tanh"), vjp=lambda b, node, ct, needs: [ct])
    monkeypatch.setitem(registry._REGISTRY, "tanh", wrong)
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    report = gc.gradcheck(gc.sum(gc.tanh(x)), [x], at={"x": [0.5, 1.0, -2.0]})
    assert not report
    assert report.worst["x"] > 0.1
    assert "FAIL" in str(report)


def test_non_gradient_ops_compute_the_right_values():
    g = gc.Graph()
    x = g.input("x", shape=(3, 4))
    labels = g.input("labels", shape=(3,), dtype="int64")
    logits = g.input("logits", shape=(3, 4))
    at = {"x": np.ones((3, 4)), "labels": [2, 0, 3], "logits": np.zeros((3, 4))}
    count, zeros, hot = gc.evaluate([g.apply("count", [x], {"axes": (0,)}),
                                     g.apply("zeros_like", [x]),
                                     g.apply("one_hot", [labels, logits])], at=at)
    assert count == 3.0
    np.testing.assert_array_equal(zeros, np.zeros((3, 4)))
    np.testing.assert_array_equal(hot, np.eye(4)[[2, 0, 3]])


def test_matmul_in_every_supported_arrangement():
    rng = np.random.default_rng(0)
    cases = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
             ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (1, 4, 5))]
    for sa, sb in cases:
        g = gc.Graph()
        a, b = g.input("a", shape=sa), g.input("b", shape=sb)
        at = {"a": rng.normal(size=sa), "b": rng.normal(size=sb)}
        out = a @ b
        np.testing.assert_allclose(gc.evaluate(out, at=at), at["a"] @ at["b"])
        report = gc.gradcheck(scalar_of(out), [a, b], at=at)
        assert report, f"{sa} @ {sb}\n{report}"


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), ((0, 2), True),
                                           (-1, True)])
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reductions_along_axes(op, axis, keepdims):
    g = gc.Graph()
    x = g.input("x", shape=(2, 3, 4))
    value = np.random.default_rng(1).normal(size=(2, 3, 4))
    out = getattr(gc, op)(x, axis=axis, keepdims=keepdims)
    expected = getattr(np, op)(value, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(gc.evaluate(out, at={"x": value}), expected)
    assert gc.gradcheck(scalar_of(out), [x], at={"x": value})


def test_softmax_and_log_softmax_along_the_first_axis():
    g = gc.Graph()
    x = g.input("x", shape=(3, 4))
    value = np.random.default_rng(2).normal(size=(3, 4))
    s, ls = gc.softmax(x, axis=0), gc.log_softmax(x, axis=0)
    sv, lsv = gc.evaluate([s, ls], at={"x": value})
    np.testing.assert_allclose(sv.sum(axis=0), 1.0)
    np.testing.assert_allclose(lsv, np.log(sv))
    assert gc.gradcheck(scalar_of(s), [x], at={"x": value})
    assert gc.gradcheck(scalar_of(ls), [x], at={"x": value})


def test_cross_entropy_quiz_of_the_lecture():
    """003's quiz: p = [0.02, 0.90, 0.05, 0.01, 0.02], true class 3 of 1..5: -log(0.05)."""
    g = gc.Graph()
    logits = g.input("logits", shape=(5,))
    label = g.input("label", dtype="int64")
    loss = gc.cross_entropy(logits, label)
    p = np.array([0.02, 0.90, 0.05, 0.01, 0.02])
    value = gc.evaluate(loss, at={"logits": np.log(p), "label": 2})
    assert value == pytest.approx(-np.log(0.05), abs=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3,)])
def test_cross_entropy_with_probability_rows(shape):
    rng = np.random.default_rng(3)
    g = gc.Graph()
    z, t = g.input("z", shape=shape), g.input("t", shape=shape)
    rows = rng.uniform(0.1, 1.0, size=shape)
    at = {"z": rng.normal(size=shape), "t": rows / rows.sum(axis=-1, keepdims=True)}
    loss = gc.cross_entropy(z, t)
    log_p = at["z"] - np.log(np.exp(at["z"]).sum(axis=-1, keepdims=True))
    expected = -np.mean(np.sum(at["t"] * log_p, axis=-1))
    assert gc.evaluate(loss, at=at) == pytest.approx(expected, rel=1e-12)
    assert gc.gradcheck(loss, [z, t], at=at)


def test_cross_entropy_matches_one_hot_rows():
    g = gc.Graph()
    z = g.input("z", shape=(3, 4))
    labels = g.input("labels", shape=(3,), dtype="int64")
    rows = g.input("rows", shape=(3, 4))
    at = {"z": np.random.default_rng(4).normal(size=(3, 4)), "labels": [1, 0, 3],
          "rows": np.eye(4)[[1, 0, 3]]}
    a, b = gc.cross_entropy(z, labels), gc.cross_entropy(z, rows)
    (da,), (db,) = gc.grad(a, [z]), gc.grad(b, [z])
    va, vb, vda, vdb = gc.evaluate([a, b, da, db], at=at)
    assert va == pytest.approx(vb, rel=1e-12)
    np.testing.assert_allclose(vda, vdb, rtol=1e-12)


def test_losses_are_means_as_in_pytorch():
    g = gc.Graph()
    p, y = g.input("p", shape=(4,)), g.input("y", shape=(4,))
    at = {"p": [0.1, 0.4, 0.7, 0.9], "y": [0.0, 1.0, 1.0, 0.0]}
    pv, yv = np.array(at["p"]), np.array(at["y"])
    bce, mse = gc.evaluate([gc.bce(p, y), gc.mse(p, y)], at=at)
    assert bce == pytest.approx(-np.mean(yv * np.log(pv) + (1 - yv) * np.log(1 - pv)))
    assert mse == pytest.approx(np.mean((pv - yv) ** 2))


def test_bce_of_a_probability_clamps_its_log_at_minus_100():
    g = gc.Graph()
    p, y = g.input("p", shape=(2,)), g.input("y", shape=(2,))
    loss = gc.bce(p, y)
    (dp,) = gc.grad(loss, [p])
    value, grad = gc.evaluate([loss, dp], at={"p": [0.0, 1.0], "y": [1.0, 1.0]})
    assert value == pytest.approx(50.0)
    assert np.all(np.isfinite(grad))


def test_losses_broadcast_only_when_asked():
    g = gc.Graph()
    p, y = g.input("p", shape=(3, 1)), g.input("y", shape=(3,))
    loss = gc.mse(p, y, broadcast=True)
    at = {"p": [[1.0], [2.0], [3.0]], "y": [0.0, 1.0, 2.0]}
    expected = np.mean((np.array(at["p"]) - np.array(at["y"])) ** 2)
    assert gc.evaluate(loss, at=at) == pytest.approx(expected)
    assert gc.gradcheck(loss, [p, y], at=at)
    with pytest.raises(gc.ShapeError, match=r"would broadcast to \(3, 3\)"):
        gc.mse(p, y)


def test_elementwise_derivatives_come_from_sympy_in_lecture_form():
    from graphc.ops.elementwise import OUT, derivative
    assert derivative("sigmoid", (), 1, 0) == OUT * (1 - OUT)
    assert derivative("tanh", (), 1, 0) == 1 - OUT ** 2
    assert derivative("relu", (), 1, 0) == step(arg(0))
    assert derivative("exp", (), 1, 0) == OUT
    assert sp.diff(relu(arg(0)), arg(0)).subs(arg(0), 0) == 0
    assert sp.diff(sp.Abs(arg(0)), arg(0)).subs(arg(0), 0) == 0
    assert sp.diff(sigmoid(arg(0)), arg(0)).subs(arg(0), 0) == sp.Rational(1, 4)


def test_registering_an_op_twice_fails():
    from graphc.ops import registry
    with pytest.raises(gc.GraphError, match="already registered"):
        registry.register(registry.get("add"))
