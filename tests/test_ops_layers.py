"""Layer norm, batch norm, dropout and attention against NumPy's formulas (issue 14).

The layers are built from registry ops, so their gradients are those ops'; these tests
check the numbers each layer computes (compiled and interpreted), the running statistics,
the dropout mask's determinism, the causal mask and the formulas' notation.
"""

import numpy as np
import pytest

import graphc as gc

RNG = np.random.default_rng(14)
X = RNG.normal(size=(6, 4))
IMAGES = RNG.normal(size=(3, 2, 4, 5))


def _np_norm(x, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _both(nodes, feeds):
    """The nodes' values by generated code and by the reference interpreter (they agree)."""
    compiled = gc.compile(nodes, unused="ignore")(**feeds)
    compiled = compiled if isinstance(compiled, tuple) else (compiled,)
    interpreted = [gc.evaluate(n, at=feeds) for n in nodes]
    for c, i in zip(compiled, interpreted):
        np.testing.assert_allclose(c, i, rtol=1e-12, atol=1e-12)
    return compiled


def _weighted(y):
    """A scalar of every element of y with distinct weights (a normalised output's sum of
    squares is nearly constant, so its gradient is nearly 0: a poor check)."""
    weights = np.random.default_rng(1).uniform(0.5, 1.5, size=y.shape)
    return gc.sum(y * y.graph.literal(weights))


def test_layer_norm_is_pytorchs_formula():
    g = gc.Graph("ln")
    x, gamma, beta = g.input("x", (6, 4)), g.param("gamma", (4,)), g.param("beta", (4,))
    y = gc.layer_norm(x, gamma, beta).named("y")
    feeds = {"x": X, "gamma": np.arange(1.0, 5.0), "beta": np.full(4, 0.5)}
    (got,) = _both([y], feeds)
    np.testing.assert_allclose(got, _np_norm(X, -1) * feeds["gamma"] + 0.5, rtol=1e-12)
    assert gc.gradcheck(_weighted(y), [x, gamma, beta], at=feeds)


def test_layer_norm_over_several_axes_without_affine():
    g = gc.Graph("ln2")
    x = g.input("x", (3, 2, 4, 5))
    (got,) = _both([gc.layer_norm(x, axis=(-2, -1), eps=1e-3)], {"x": IMAGES})
    np.testing.assert_allclose(got, _np_norm(IMAGES, (2, 3), eps=1e-3), rtol=1e-12)


def _np_batch_norm(x, axes):
    n = np.prod([x.shape[a] for a in axes])
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    return mean, var * n / (n - 1)


@pytest.mark.parametrize("data", [X, IMAGES], ids=["NC", "NCHW"])
def test_batch_norm_training_updates_the_running_statistics(data):
    g = gc.Graph("bn")
    c = data.shape[1]
    x, gamma, beta = g.input("x", data.shape), g.param("gamma", (c,)), g.param("beta", (c,))
    rm, rv = g.input("rm", (c,)), g.input("rv", (c,))
    out = gc.batch_norm(x, gamma, beta, rm, rv, momentum=0.2)
    feeds = {"x": data, "gamma": np.linspace(0.5, 2, c), "beta": np.linspace(-1, 1, c),
             "rm": np.full(c, 0.3), "rv": np.full(c, 2.0)}
    y, new_mean, new_var = _both(list(out), feeds)
    axes = (0,) + tuple(range(2, data.ndim))
    shape = (1, c) + (1,) * (data.ndim - 2)
    expected = (_np_norm(data, axes) * feeds["gamma"].reshape(shape)
                + feeds["beta"].reshape(shape))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    mean, unbiased = _np_batch_norm(data, axes)
    np.testing.assert_allclose(new_mean, 0.8 * 0.3 + 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(new_var, 0.8 * 2.0 + 0.2 * unbiased, rtol=1e-12)
    assert gc.gradcheck(_weighted(out.y), [x, gamma, beta], at=feeds)


def test_batch_norm_starts_from_pytorchs_zero_and_one_with_a_named_batch():
    g = gc.Graph("bn0")
    x = g.input("x", ("N", 4))
    out = gc.batch_norm(x)
    _, new_mean, new_var = _both(list(out), {"x": X})
    mean, unbiased = _np_batch_norm(X, (0,))
    np.testing.assert_allclose(new_mean, 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(new_var, 0.9 + 0.1 * unbiased, rtol=1e-12)


def test_batch_norm_inference_uses_the_running_statistics():
    g = gc.Graph("bn_eval")
    x, gamma, beta = g.input("x", (3, 2, 4, 5)), g.param("gamma", (2,)), g.param("beta", (2,))
    rm, rv = g.input("rm", (2,)), g.input("rv", (2,))
    out = gc.batch_norm(x, gamma, beta, rm, rv, train=False, eps=1e-3)
    assert out.running_mean is rm and out.running_var is rv
    feeds = {"x": IMAGES, "gamma": np.array([1.0, 2.0]), "beta": np.array([0.0, -1.0]),
             "rm": np.array([0.5, -0.5]), "rv": np.array([4.0, 0.25])}
    (y,) = _both([out.y], feeds)
    r = lambda v: v.reshape(1, 2, 1, 1)  # noqa: E731
    expected = (IMAGES - r(feeds["rm"])) / np.sqrt(r(feeds["rv"]) + 1e-3) * r(feeds["gamma"]) \
        + r(feeds["beta"])
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_batch_norm_bad_options_are_named():
    g = gc.Graph("bn_bad")
    x = g.input("x", (6, 4))
    with pytest.raises(gc.GraphError, match=r"batch_norm of 'x'.*running_mean and running_var"):
        gc.batch_norm(x, train=False)
    with pytest.raises(gc.GraphError, match=r"momentum must be a number in \[0, 1\], got 2"):
        gc.batch_norm(x, momentum=2)
    with pytest.raises(gc.ShapeError, match=r"gamma must be a node of shape \(4,\)"):
        gc.batch_norm(x, g.param("gamma", (3,)))
    with pytest.raises(gc.GraphError, match=r"layer_norm of 'x': eps must be .* got -1"):
        gc.layer_norm(x, eps=-1)
    with pytest.raises(gc.ShapeError, match=r"layer_norm of 'x': beta must be None or a "
                                            r"node of shape \(4,\)"):
        gc.layer_norm(x, beta=g.param("beta", (6,)))
    with pytest.raises(gc.ShapeError, match=r"gamma and beta need the normalised axes to "
                                            r"be the last ones .* got axis 0 of 'x' \(6, 4\)"):
        gc.layer_norm(x, g.param("gamma6", (6,)), axis=0)


@pytest.fixture(scope="module")
def dropped():
    g = gc.Graph("dropout")
    x, seed = g.input("x", (200, 50)), g.input("seed", dtype="int64")
    y = gc.dropout(x, 0.3, seed).named("y")
    return x, seed, y, gc.compile(y)


def test_dropout_is_deterministic_in_its_seed(dropped):
    x, seed, y, f = dropped
    ones = np.ones((200, 50))
    first, again, other = f(x=ones, seed=7), f(x=ones, seed=7), f(x=ones, seed=8)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, gc.evaluate(y, at={"x": ones, "seed": 7}))
    assert not np.array_equal(first, other)
    keep = np.random.default_rng(7).random((200, 50)) >= 0.3
    np.testing.assert_allclose(first, np.where(keep, 1 / 0.7, 0.0), rtol=1e-15)
    assert abs(first.mean() - 1.0) < 0.05  # inverted dropout keeps the mean (10,000 draws)


def test_dropout_gradient_uses_the_same_mask(dropped):
    x, seed, y, _ = dropped
    feeds = {"x": RNG.normal(size=(200, 50)), "seed": 3}
    (dx,) = gc.grad(gc.sum(y), [x])
    keep = np.random.default_rng(3).random((200, 50)) >= 0.3
    np.testing.assert_allclose(gc.evaluate(dx, at=feeds), keep / 0.7, rtol=1e-15)
    small = gc.Graph("small")
    xs, s = small.input("x", (3, 4)), small.input("seed", dtype="int64")
    loss = gc.sum(gc.dropout(xs, 0.5, s) ** 2)
    assert gc.gradcheck(loss, [xs], at={"x": X[:3], "seed": 11})


def test_dropout_off_is_the_identity_and_bad_p_is_named():
    g = gc.Graph("dropout_bad")
    x, seed = g.input("x", (3,)), g.input("seed", dtype="int64")
    assert gc.dropout(x, 0.5, seed, train=False) is x
    with pytest.raises(gc.GraphError, match=r"dropout of 'x': p .* in \[0, 1\), got 1"):
        gc.dropout(x, 1, seed)
    with pytest.raises(gc.DTypeError, match=r"seed 'x' must be an integer"):
        gc.dropout(x, 0.5, x)


def _np_attention(q, k, v, mask=0.0):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]) + mask
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) @ v


def test_attention_with_a_causal_mask():
    g = gc.Graph("attention")
    q, k, v = g.input("Q", (4, 3)), g.input("K", (5, 3)), g.input("V", (5, 2))
    y = gc.attention(q, k, v).named("y")
    feeds = {"Q": RNG.normal(size=(4, 3)), "K": RNG.normal(size=(5, 3)),
             "V": RNG.normal(size=(5, 2))}
    (got,) = _both([y], feeds)
    np.testing.assert_allclose(got, _np_attention(feeds["Q"], feeds["K"], feeds["V"]),
                               rtol=1e-12)
    assert gc.formula(y) == gc.formula(gc.softmax(q @ k.T / g.node("d") ** 0.5) @ v)
    assert "sqrt(d)" in str(gc.formula(y))
    mask = gc.causal_mask(4)
    assert mask[0, 1] == -1e9 and mask[1, 0] == 0 and np.all(np.diag(mask) == 0)
    masked = gc.attention(q, q, q, mask=mask)
    x = feeds["Q"]
    (got,) = _both([masked], {"Q": x})
    np.testing.assert_allclose(got, _np_attention(x, x, x, mask), rtol=1e-12)
    np.testing.assert_allclose(got[0], x[0], rtol=1e-12)  # step 0 sees only itself
    assert str(gc.formula(masked)) == "softmax(M + (Q @ Q.T)/sqrt(d)) @ Q"


def test_batched_attention_and_bad_shapes():
    g = gc.Graph("batched")
    q = g.input("Q", (2, 4, 3))
    data = RNG.normal(size=(2, 4, 3))
    (got,) = _both([gc.attention(q, q, q, mask=gc.causal_mask(4))], {"Q": data})
    np.testing.assert_allclose(got, _np_attention(data, data, data, gc.causal_mask(4)),
                               rtol=1e-12)
    with pytest.raises(gc.ShapeError, match=r"q and k must agree on d"):
        gc.attention(g.input("A", (4, 3)), g.input("B", (4, 2)), g.input("C", (4, 2)))
    with pytest.raises(gc.ShapeError, match=r"the mask array \(2, 2\) must broadcast "
                                            r"against the scores .* \(2, 4, 4\)"):
        gc.attention(q, q, q, mask=np.zeros((2, 2)))


def test_second_derivatives_of_the_layers():
    """A gradcheck of sum(v * dL/dx) checks the Hessian-vector product H v against central
    differences of the gradient: the layers' second derivatives are their ops'."""
    g = gc.Graph("second")
    x, gamma = g.input("x", (6, 4)), g.param("gamma", (4,))
    q = g.input("q", (6, 4))
    for name, y in (("layer_norm", gc.layer_norm(x, gamma)),
                    ("batch_norm", gc.batch_norm(x, gamma).y),
                    ("attention", gc.attention(x, q, q, mask=gc.causal_mask(6)))):
        (dx,) = gc.grad(_weighted(y), [x])
        v = g.literal(np.random.default_rng(2).uniform(-1, 1, size=(6, 4)))
        report = gc.gradcheck(gc.sum(dx * v), [x], at={"x": X, "gamma": np.arange(1.0, 5.0),
                                                        "q": X[::-1].copy()})
        assert report, f"{name}: {report}"


def test_float32_graphs_stay_float32():
    g = gc.Graph("f32")
    x, seed = g.input("x", (4, 3), dtype="float32"), g.input("seed", dtype="int64")
    ys = [gc.layer_norm(x), *gc.batch_norm(x), gc.dropout(x, 0.2, seed),
          gc.attention(x, x, x, mask=gc.causal_mask(4))]
    assert [y.dtype for y in ys] == ["float32"] * 6
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert all(v.dtype == np.float32 for v in gc.compile(ys)(x=data, seed=1))


def test_dropouts_formula_names_its_seed_and_p():
    g = gc.Graph("dropout formula")
    x, seed = g.input("x", shape=(3,)), g.input("seed", dtype="int64")
    assert str(gc.formula(gc.dropout(x, 0.25, seed))) == "dropout(x, seed, p=0.25)"
    assert "p=0.25" in gc.latex(gc.dropout(x, 0.25, seed))


def test_two_dropouts_on_one_seed_draw_two_masks_the_first_default_rngs_own():
    g = gc.Graph("two dropouts")
    x, seed = g.input("x", shape=(64,)), g.input("seed", dtype="int64")
    first, second = gc.dropout(x, 0.5, seed), gc.dropout(2 * x, 0.5, seed)
    at = {"x": np.ones(64), "seed": 7}
    a, b = gc.evaluate([first, second], at=at)
    assert np.array_equal(a != 0, np.random.default_rng(7).random(64) >= 0.5)
    assert np.array_equal(b != 0, np.random.default_rng([7, 1]).random(64) >= 0.5)
    assert not np.array_equal(a != 0, b != 0)
    compiled = gc.compile([first, second])(**at)
    assert all(np.array_equal(c, r) for c, r in zip(compiled, (a, b)))
    assert str(gc.formula(second)) == "dropout(2*x, seed, p=0.5, stream=1)"
