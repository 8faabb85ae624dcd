"""Layers' ops (issue 6): reshape, flatten, concat, indexing, step, leaky_relu, the hinge
losses and mae, argmax and accuracy; values against NumPy, gradients against finite
differences, generated code against the interpreter, and the errors of BAD_INPUTS.md."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.symbolic import exact_values

from graphs import oracle

RNG = np.random.default_rng(6)


def weighted(node, seed=0):
    """A scalar depending on every element of ``node`` with distinct weights (the same
    along named dimensions)."""
    last = max((i for i, d in enumerate(node.shape) if isinstance(d, str)), default=-1)
    w = np.random.default_rng(seed).uniform(0.5, 1.5, size=node.shape[last + 1:])
    return gc.sum(node * w)


def agree(nodes, at):
    """The generated code gives the interpreter's values, dtypes and shapes."""
    compiled = gc.compile(nodes, unused="ignore")(**at)
    for c, r in zip(compiled, oracle(nodes, at=at), strict=True):
        assert isinstance(c, np.ndarray) and c.dtype == r.dtype and c.shape == r.shape
        np.testing.assert_allclose(c, r, rtol=1e-12, atol=1e-12)
    return compiled


# ---- reshape and flatten --------------------------------------------------------------------

@pytest.mark.parametrize("shape,target,expected", [
    ((3, 4), (2, -1), (2, 6)),
    ((3, 4), -1, (12,)),
    ((2, 3, 4), (4, 3, 2), (4, 3, 2)),
    ((6,), (1, 6, 1), (1, 6, 1)),
])
def test_reshape_gives_numpys_values_and_its_gradient(shape, target, expected):
    g = gc.Graph()
    x = g.input("x", shape=shape)
    y = gc.reshape(x, target)
    assert y.shape == expected
    at = {"x": RNG.normal(size=shape)}
    np.testing.assert_array_equal(gc.evaluate(y, at=at), at["x"].reshape(expected))
    loss = weighted(y)
    assert gc.gradcheck(loss, [x], at=at)
    agree([y, loss] + gc.grad(loss, [x]), at)


def test_named_dimensions_pass_through_a_reshape_when_they_keep_their_place():
    g = gc.Graph()
    x = g.input("x", shape=("N", 3, 4))
    flat = gc.reshape(x, ("N", -1)).named("flat")
    back = gc.reshape(flat, (-1, 2, 6))       # -1 stands for N, in N's place
    assert flat.shape == ("N", 12) and back.shape == ("N", 2, 6)
    loss = weighted(back)
    (dx,) = gc.grad(loss, [x])
    assert dx.shape == ("N", 3, 4)
    f = gc.compile([flat, back, dx])
    assert "np.reshape(x, np.shape(x)[:1] + (12,))" in f.source
    for n in (1, 5):
        at = {"x": RNG.normal(size=(n, 3, 4))}
        assert agree([flat, back, dx], at)[0].shape == (n, 12)
        assert gc.gradcheck(loss, [x], at=at)


@pytest.mark.parametrize("target,message", [
    ((12, "N"), r"reshape of 'x' \(N, 3, 4\) to \(12, N\): a named dimension such as N must "
                r"keep its place"),
    ((3, "N", 4), "must keep its place"),
    ((-1,), r"the 12 elements of \(3, 4\) do not fit \(\) after the \(N,\) kept in place "
            r"\(a named dimension such as N is never merged with others\)"),
    (("N", 5, -1), r"12 elements of \(3, 4\) do not fit \(5, -1\)"),
    (("N", -1, -1), "at most one dimension may be -1"),
    (("N", -2), "must be an int >= 0, -1"),
    ("N x", "must be an int >= 0, -1"),
])
def test_a_reshape_that_cannot_be_done_names_the_shapes(target, message):
    g = gc.Graph()
    x = g.input("x", shape=("N", 3, 4))
    with pytest.raises(gc.ShapeError, match=message):
        gc.reshape(x, target)


def test_flatten_keeps_the_batch_axis():
    g = gc.Graph()
    x = g.input("x", shape=("N", 2, 3, 4))
    h = gc.flatten(x)
    assert h.shape == ("N", 24)
    assert gc.flatten(x, start=2).shape == ("N", 2, 12)
    assert gc.flatten(g.input("img", shape=(2, 3, 4)), start=0).shape == (24,)
    at = {"x": RNG.normal(size=(3, 2, 3, 4))}
    np.testing.assert_array_equal(agree([h], at)[0], at["x"].reshape(3, 24))
    with pytest.raises(gc.ShapeError, match=r"flatten of 'x' of rank 4: start 4 is out"):
        gc.flatten(x, start=4)
    with pytest.raises(gc.ShapeError, match=r"flatten of 'x' \(N, 2, 3, 4\): axes 0 on "
                                            r"hold the named dimension N"):
        gc.flatten(x, start=0)


# ---- concat ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes_,axis", [
    (((2, 3), (4, 3)), 0),
    (((3, 1), (3, 2), (3, 4)), -1),
    (((2, 3),), 1),
    (((2, 1, 3), (2, 2, 3)), 1),
])
def test_concat_gives_numpys_values_and_its_gradient(shapes_, axis):
    g = gc.Graph()
    xs = [g.input(f"x{i}", shape=s) for i, s in enumerate(shapes_)]
    y = gc.concat(xs, axis=axis)
    at = {x.name: RNG.normal(size=x.shape) for x in xs}
    expected = np.concatenate([at[x.name] for x in xs], axis=axis)
    assert y.shape == expected.shape
    np.testing.assert_array_equal(gc.evaluate(y, at=at), expected)
    loss = weighted(y)
    assert gc.gradcheck(loss, xs, at=at)
    agree([y, loss] + gc.grad(loss, xs), at)


def test_concat_keeps_named_dimensions_on_other_axes():
    g = gc.Graph()
    a, b = g.input("a", shape=("N", 2)), g.input("b", shape=("N", 3))
    both = gc.concat([a, b, a], axis=1)
    assert both.shape == ("N", 7)
    assert str(gc.formula(both)) == "concat((a, b, a), axis=1)"
    (da, db) = gc.grad(weighted(both), [a, b])
    at = {"a": np.ones((4, 2)), "b": np.ones((4, 3))}
    agree([both, da, db], at)
    with pytest.raises(gc.ShapeError, match="cannot join along the named dimension N"):
        gc.concat([a, a], axis=0)
    with pytest.raises(gc.ShapeError, match=r"'a' \(N, 2\), 'b' \(N, 3\) along axis 0: the "
                                            r"shapes must agree on every other axis"):
        gc.concat([a, b])
    with pytest.raises(gc.ShapeError, match="axis 2 is out of range"):
        gc.concat([a, b], axis=2)


# ---- indexing -------------------------------------------------------------------------------

INDEXES = [
    np.s_[1],
    np.s_[-1],
    np.s_[1:3],
    np.s_[::-2],
    np.s_[:, 2],
    np.s_[..., 1],
    np.s_[0, ..., None],
    np.s_[None, :, 1:4:2],
    np.s_[1, 2, 3],
    np.s_[2:0:-1, ..., ::3],
    np.s_[...],
]


@pytest.mark.parametrize("index", INDEXES, ids=str)
def test_indexing_gives_numpys_values_and_its_gradient(index):
    g = gc.Graph()
    x = g.input("x", shape=(3, 4, 5))
    y = x[index]
    at = {"x": RNG.normal(size=(3, 4, 5))}
    expected = at["x"][index]
    assert y.shape == np.shape(expected)
    np.testing.assert_array_equal(gc.evaluate(y, at=at), expected)
    loss = weighted(y) if y.shape else y * 2.0
    assert gc.gradcheck(loss, [x], at=at)
    (dx,) = gc.grad(loss, [x])
    values = agree([y, loss, dx], at)
    untouched = np.ones((3, 4, 5), dtype=bool)
    untouched[index] = False
    assert np.all(values[2][untouched] == 0)  # the gradient is scattered into zeros


def test_indexing_reads_as_python_in_code_and_formulas():
    g = gc.Graph()
    x = g.input("x", shape=("N", 4))
    col = x[:, 1:3].named("col")
    loss = gc.sum(col * col).named("loss")
    (dx,) = gc.grad(loss, [x])
    f = gc.compile([col, dx])
    assert "col = x[:, 1:3]  # getitem" in f.source
    assert "_np_index_put(" in f.source and "np.s_[:, 1:3]" in f.source
    assert str(gc.formula(col)) == "x[:, 1:3]"
    assert "index_put" in str(gc.formula(dx))
    at = {"x": np.arange(8.0).reshape(2, 4)}
    np.testing.assert_array_equal(agree([col, dx], at)[1], [[0, 2, 4, 0], [0, 10, 12, 0]])
    assert x[0].shape == (4,) and x[::-1].shape == ("N", 4) and x[..., None].shape == ("N", 4, 1)


def test_second_derivatives_through_indexing():
    g = gc.Graph()
    x = g.input("x", shape=(4,))
    loss = gc.sum(x[1:] ** 3).named("loss")
    (dx,) = gc.grad(loss, [x])
    (ddx,) = gc.grad(gc.sum(dx).named("total"), [x])
    at = {"x": np.array([1.0, 2.0, -1.0, 0.5])}
    np.testing.assert_allclose(gc.evaluate(ddx, at=at), [0.0, 12.0, -6.0, 3.0])
    agree([dx, ddx], at)


@pytest.mark.parametrize("index,error,message", [
    ([0, 1], gc.GraphError, r"indexing 'x' \(N, 4\) with \[0, 1\]: .*fancy or boolean"),
    (np.array([True, False]), gc.GraphError, "fancy or boolean indexing"),
    (True, gc.GraphError, "fancy or boolean indexing"),
    ((0, [1]), gc.GraphError, "fancy or boolean indexing"),
    (np.s_[:, 4], gc.ShapeError, r"\[:, 4\] of 'x' \(N, 4\): index 4 is out of range for "
                                 r"axis 1 of size 4"),
    (np.s_[0, 0, 0], gc.ShapeError, r"too many indices \(3\) for rank 2"),
    (np.s_[1:], gc.ShapeError, "axis 0 has the named size N, so only all of it"),
    (np.s_[:, ::0], gc.ShapeError, "slice step cannot be zero"),
    (np.s_[..., 0, ...], gc.ShapeError, "only have one ellipsis"),
])
def test_bad_indexes_are_errors_naming_the_node(index, error, message):
    g = gc.Graph()
    x = g.input("x", shape=("N", 4))
    with pytest.raises(error, match=message):
        x[index]


def test_a_node_is_not_iterable():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(x)


# ---- step and leaky_relu --------------------------------------------------------------------

def test_step_is_the_perceptrons_activation():
    g = gc.Graph()
    x = g.input("x", shape=(4,))
    fired = gc.step(x).named("fired")
    at = {"x": [-1.0, 0.0, 0.5, 2.0]}
    np.testing.assert_array_equal(agree([fired], at)[0], [0.0, 0.0, 1.0, 1.0])
    assert str(gc.formula(fired)) == "step(x)"


def test_a_gradient_through_a_step_says_so():
    g = gc.Graph("perceptron")
    x, w, y = g.input("x", shape=(3,)), g.param("w", shape=(3,)), g.input("y")
    h = gc.step(w @ x).named("h")
    loss = gc.mse(h, y).named("loss")
    for unused in ("zero", "error"):
        with pytest.raises(gc.DifferentiationError,
                           match=r"'loss' with respect to 'w' passes through step node 'h', "
                                 r"whose derivative is 0 everywhere.*perceptron_update"):
            gc.grad(loss, [w], unused=unused)
    # a node not on any path still gets zeros; one the gradient reaches otherwise is fine
    other = g.param("other", shape=(2,))
    (d_other,) = gc.grad(loss, [other])
    assert gc.evaluate(d_other, at={"other": [1.0, 2.0]}).tolist() == [0.0, 0.0]
    (dh,) = gc.grad(loss, [h])
    assert float(gc.evaluate(dh, at={"x": [1, 1, 1], "w": [1, 1, 1], "y": 0})) == 2.0
    decayed = (loss + 0.5 * gc.sum(w * w)).named("decayed")
    (dw,) = gc.grad(decayed, [w])
    np.testing.assert_allclose(gc.evaluate(dw, at={"x": [1, 1, 1], "w": [1, 2, 3], "y": 0}),
                               [1.0, 2.0, 3.0])


def test_leaky_relu_has_the_slope_below_zero_and_pytorchs_derivative_at_zero():
    g = gc.Graph()
    x = g.input("x", shape=(4,))
    y = gc.leaky_relu(x, slope=0.1).named("y")
    default = gc.leaky_relu(x)
    assert default.attrs == {"slope": 0.01}
    (dx,) = gc.grad(gc.sum(y), [x])
    at = {"x": [-2.0, 0.0, 0.5, 3.0]}
    value, dvalue, low = agree([y, dx, default], at)
    np.testing.assert_allclose(value, [-0.2, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(dvalue, [0.1, 0.1, 1.0, 1.0])  # at 0: the slope (PyTorch)
    np.testing.assert_allclose(low, [-0.02, 0.0, 0.5, 3.0])
    assert gc.gradcheck(gc.sum(y * y), [x], at={"x": [-2.0, -0.3, 0.5, 3.0]})
    assert gc.latex(y) == r"\operatorname{LeakyReLU}\left(x, \frac{1}{10}\right)"
    assert exact_values([gc.sum(y)], {"x": [-2.0, 0.0, 0.5, 3.0]}) == [sp.Rational(33, 10)]
    x32 = g.input("x32", shape=(2,), dtype="float32")
    (y32,) = gc.compile([gc.leaky_relu(x32)], unused="ignore")(x32=np.float32([-1.0, 1.0]))
    assert y32.dtype == np.float32
    with pytest.raises(gc.GraphError, match="slope must be a finite number"):
        gc.leaky_relu(x, slope="big")


# ---- losses -----------------------------------------------------------------------------------

def test_mae_and_the_hinge_losses_against_numpy():
    g = gc.Graph()
    s, y = g.input("s", shape=(5,)), g.input("y", shape=(5,))
    at = {"s": np.array([0.5, -1.0, 2.0, 0.0, -0.2]), "y": np.array([1.0, -1, -1, 1, 1])}
    losses = [gc.mae(s, y), gc.hinge(s, y), gc.squared_hinge(s, y)]
    margin = np.maximum(0, 1 - at["y"] * at["s"])
    expected = [np.mean(np.abs(at["s"] - at["y"])), np.mean(margin), np.mean(margin ** 2)]
    np.testing.assert_allclose(agree(losses, at), expected)
    grads = [gc.grad(loss, [s])[0] for loss in losses]
    d_mae, d_hinge, d_sq = agree(grads, at)
    np.testing.assert_allclose(d_mae, np.sign(at["s"] - at["y"]) / 5)
    np.testing.assert_allclose(d_hinge, [-0.2, 0.0, 0.2, -0.2, -0.2])  # 0 at the kink
    np.testing.assert_allclose(d_sq, -2 * at["y"] * margin / 5)
    assert [str(gc.formula(loss)) for loss in losses] == [
        "mean(Abs(s - y))", "mean(maximum(-s*y + 1, 0))", "mean(maximum(-s*y + 1, 0)**2)"]
    assert exact_values(losses, at) == [sp.Rational(57, 50), sp.Rational(57, 50),
                                       sp.Rational(1169, 500)]


@pytest.mark.parametrize("op", ["mae", "hinge", "squared_hinge"])
def test_the_new_losses_pass_gradcheck(op):
    g = gc.Graph()
    s, y = g.input("s", shape=(3, 4)), g.input("y", shape=(3, 4))
    at = {"s": RNG.uniform(-2, 2, size=(3, 4)), "y": RNG.choice([-1.0, 1.0], size=(3, 4))}
    loss = getattr(gc, op)(s, y)
    wrt = [s, y] if op == "mae" else [s]
    assert gc.gradcheck(loss, wrt, at=at)


def test_hinge_takes_integer_labels_and_rejects_labels_that_are_not_signs():
    g = gc.Graph()
    s = g.input("s", shape=(3,), dtype="float32")
    y = g.input("y", shape=(3,), dtype="int64")
    loss = gc.hinge(s, y).named("loss")
    assert loss.dtype == "float32"
    (ds,) = gc.grad(loss, [s])
    at = {"s": np.float32([0.5, -2.0, 1.5]), "y": [1, -1, -1]}
    value, _ = gc.compile([loss, ds])(**at)
    assert value.dtype == np.float32 and value == pytest.approx((0.5 + 0 + 2.5) / 3)
    bad = {"s": at["s"], "y": [1, 0, -1]}
    with pytest.raises(gc.DomainError, match=r"node 'loss' .*label 0 is not -1 or \+1"):
        gc.evaluate(loss, at=bad)
    with pytest.raises(gc.DomainError,
                       match=r"label 0 is not -1 or \+1 at index 1 \(1 bad labels\)"):
        gc.compile([loss])(**bad)
    with pytest.raises(gc.DomainError, match="label 0 is not -1"):
        exact_values([loss], bad)


def test_the_new_losses_want_equal_shapes():
    g = gc.Graph()
    s, y = g.input("s", shape=(3, 1)), g.input("y", shape=(3,))
    for op in ("mae", "hinge", "squared_hinge"):
        with pytest.raises(gc.ShapeError, match=rf"{op}: 's' \(3, 1\) and 'y' \(3,\) have "
                                                r"different shapes.*\(3, 3\)"):
            getattr(gc, op)(s, y)
        assert getattr(gc, op)(s, y, broadcast=True).shape == ()
    with pytest.raises(gc.DTypeError, match="needs a float"):
        gc.hinge(g.input("i", shape=(3,), dtype="int64"), y)


# ---- argmax and accuracy ----------------------------------------------------------------------

def test_argmax_and_accuracy_compile_and_carry_no_gradient():
    g = gc.Graph()
    scores = g.input("scores", shape=("N", 3))
    labels = g.input("labels", shape=("N",), dtype="int64")
    rows = g.input("rows", shape=("N", 3))
    pred, first = gc.argmax(scores).named("pred"), gc.argmax(scores, axis=0)
    acc, acc_rows = gc.accuracy(scores, labels).named("acc"), gc.accuracy(scores, rows)
    assert (pred.shape, pred.dtype, first.shape) == (("N",), "int64", (3,))
    assert (acc.shape, acc.dtype) == ((), "float64")
    at = {"scores": [[1.0, 2, 0], [3, 1, 1], [0, 0, 5], [1, 1, 0]], "labels": [1, 0, 0, 1],
          "rows": np.eye(3)[[1, 0, 0, 1]]}
    values = agree([pred, first, acc, acc_rows], at)
    assert values[0].tolist() == [1, 0, 2, 0] and values[1].tolist() == [1, 0, 2]
    assert values[2] == values[3] == 0.5
    assert exact_values([acc], at) == [sp.Rational(1, 2)]
    assert str(gc.formula(pred)) == "argmax(scores, axis=1)"
    (ds,) = gc.grad(acc, [scores])
    assert not gc.evaluate(ds, at=at).any()
    with pytest.raises(gc.DomainError, match=r"class label 3 is out of range \[0, 3\)"):
        gc.compile([acc], unused="ignore")(**{**at, "labels": [1, 0, 3, 1]})


def test_argmax_and_accuracy_shape_errors():
    g = gc.Graph()
    scores = g.input("scores", shape=(4, 3))
    with pytest.raises(gc.ShapeError, match=r"argmax of 's' \(\): needs at least one axis"):
        gc.argmax(g.input("s"))
    with pytest.raises(gc.ShapeError, match="axis 2 is out of range"):
        gc.argmax(scores, axis=2)
    with pytest.raises(gc.ShapeError, match=r"accuracy of scores 'scores' \(4, 3\): labels "
                                            r"'labels' \(3,\) \(int64\) must be integer labels "
                                            r"of shape \(4,\)"):
        gc.accuracy(scores, g.input("labels", shape=(3,), dtype="int64"))
