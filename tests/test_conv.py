"""conv2d, max_pool2d and avg_pool2d: shapes by the lecture's formula, values against slow
loops, gradients by finite differences (first and second), first-maximum ties, shape
errors with their numbers, and generated code against the interpreter."""

import numpy as np
import pytest

import graphc as gc

from graphs import oracle


def lecture_size(n, k, p, s):
    """The lecture's output size floor((n - k + p + s) / s), p the padding of both sides."""
    return (n - k + p + s) // s


def padded(x, padding, fill=0.0):
    (ph, pw) = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def slow_conv2d(x, w, b, stride, padding):
    """conv2d one output element at a time."""
    xp, (sh, sw) = padded(x, padding), stride
    n, _, h, wd = xp.shape
    f, _, kh, kw = w.shape
    out = np.zeros((n, f, (h - kh) // sh + 1, (wd - kw) // sw + 1))
    for idx in np.ndindex(*out.shape):
        s, o, i, j = idx
        out[idx] = np.sum(xp[s, :, i * sh:i * sh + kh, j * sw:j * sw + kw] * w[o]) + b[o]
    return out


def slow_pool(x, reduce, kernel, stride, padding, fill):
    """A pooling one output element at a time."""
    xp, (kh, kw), (sh, sw) = padded(x, padding, fill), kernel, stride
    n, c, h, wd = xp.shape
    out = np.zeros((n, c, (h - kh) // sh + 1, (wd - kw) // sw + 1))
    for idx in np.ndindex(*out.shape):
        s, ch, i, j = idx
        out[idx] = reduce(xp[s, ch, i * sh:i * sh + kh, j * sw:j * sw + kw])
    return out


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_graph(x_shape, w_shape, bias=True, **attrs):
    g = gc.Graph("conv")
    x, w = g.input("x", shape=x_shape), g.param("w", shape=w_shape)
    b = g.param("b", shape=(w_shape[0],)) if bias else None
    return g, x, w, b, gc.conv2d(x, w, b, **attrs).named("y")


def weighted_sum(y, seed=0):
    """A scalar depending on every element of ``y`` with distinct weights (shared over N)."""
    shape = y.shape[1:] if isinstance(y.shape[0], str) else y.shape
    weights = np.random.default_rng(seed + 100).uniform(0.5, 1.5, size=shape)
    return gc.sum(y * weights)


# ---- shapes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,k,pad,s", [(5, 3, 0, 1), (5, 3, 1, 1), (5, 3, 1, 2), (7, 3, 0, 2),
                                       (6, 2, 0, 2), (28, 5, 2, 1), (32, 3, 1, 3), (4, 4, 0, 1),
                                       (3, 5, 1, 1)])
def test_conv_and_pool_shapes_follow_the_lectures_formula(n, k, pad, s):
    size = lecture_size(n, k, 2 * pad, s)
    *_, y = conv_graph(("N", 3, n, n + 1), (4, 3, k, k), stride=s, padding=pad)
    assert y.shape == ("N", 4, size, lecture_size(n + 1, k, 2 * pad, s))
    if 2 * pad <= k:
        x = gc.Graph().input("x", shape=(2, 3, n, n))
        assert gc.max_pool2d(x, k, s, pad).shape == (2, 3, size, size)
        assert gc.avg_pool2d(x, k, s, pad).shape == (2, 3, size, size)


def test_pair_strides_and_paddings_apply_per_axis():
    *_, y = conv_graph((2, 3, 9, 8), (4, 3, 3, 2), stride=(2, 3), padding=(1, 2))
    assert y.shape == (2, 4, lecture_size(9, 3, 2, 2), lecture_size(8, 2, 4, 3))
    x = gc.Graph().input("x", shape=(1, 2, 9, 8))
    assert gc.max_pool2d(x, (3, 2)).shape == (1, 2, 3, 4)  # the stride is the kernel size


# ---- values ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (1, 1), (2, 1), (1, (1, 2)),
                                            ((2, 1), (0, 1))])
def test_conv2d_agrees_with_a_slow_loop(stride, padding):
    rng = np.random.default_rng(0)
    g, x, w, b, y = conv_graph((2, 3, 6, 5), (4, 3, 3, 2), stride=stride, padding=padding)
    at = {"x": rng.normal(size=(2, 3, 6, 5)), "w": rng.normal(size=(4, 3, 3, 2)),
          "b": rng.normal(size=4)}
    expected = slow_conv2d(at["x"], at["w"], at["b"], pair(stride), pair(padding))
    np.testing.assert_allclose(gc.evaluate(y, at=at), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gc.compile([y])(**at)[0], expected, rtol=1e-12, atol=1e-12)


def test_conv2d_without_bias():
    rng = np.random.default_rng(1)
    g, x, w, _, y = conv_graph((1, 2, 4, 4), (3, 2, 2, 2), bias=False)
    at = {"x": rng.normal(size=(1, 2, 4, 4)), "w": rng.normal(size=(3, 2, 2, 2))}
    expected = slow_conv2d(at["x"], at["w"], np.zeros(3), (1, 1), (0, 0))
    np.testing.assert_allclose(gc.evaluate(y, at=at), expected, rtol=1e-12)


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 1, 1), (3, 2, 1),
                                                   ((2, 3), (1, 2), (1, 1))])
@pytest.mark.parametrize("op,reduce,fill", [("max_pool2d", np.max, -np.inf),
                                            ("avg_pool2d", np.mean, 0.0)])
def test_pooling_agrees_with_a_slow_loop(op, reduce, fill, kernel, stride, padding):
    g = gc.Graph()
    x = g.input("x", shape=(2, 3, 6, 7))
    y = getattr(gc, op)(x, kernel, stride, padding)
    at = {"x": np.random.default_rng(2).normal(size=(2, 3, 6, 7))}
    s = pair(kernel) if stride is None else pair(stride)
    expected = slow_pool(at["x"], reduce, pair(kernel), s, pair(padding), fill)
    np.testing.assert_allclose(gc.evaluate(y, at=at), expected, rtol=1e-12)
    np.testing.assert_allclose(gc.compile([y])(**at)[0], expected, rtol=1e-12)


def test_exact_values_of_a_convolution():
    g, x, w, b, y = conv_graph((1, 1, 2, 2), (1, 1, 2, 2))
    at = {"x": [[[[1, 2], [3, 4]]]], "w": [[[[0.5, 0], [0, 0.25]]]], "b": [0.1]}
    (dw,) = gc.grad(gc.sum(gc.max_pool2d(y, 1)), [w])
    value, grad = gc.evaluate([y, dw], at=at, exact=True)
    assert str(value) == "[[[[8/5]]]]" and str(grad) == "[[[[1, 2], [3, 4]]]]"


# ---- gradients ---------------------------------------------------------------------------------

@pytest.mark.parametrize("stride,padding", [(2, 1), (1, (1, 2)), (2, 0)])
def test_conv2d_gradcheck_wrt_x_w_and_b(stride, padding):
    rng = np.random.default_rng(3)
    g, x, w, b, y = conv_graph(("N", 3, 5, 6), (4, 3, 3, 3), stride=stride, padding=padding)
    at = {"x": rng.normal(size=(2, 3, 5, 6)), "w": rng.normal(size=(4, 3, 3, 3)),
          "b": rng.normal(size=4)}
    report = gc.gradcheck(weighted_sum(y), [x, w, b], at=at)
    assert report, str(report)


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), (3, 1, 1)])
def test_pooling_gradcheck(op, kernel, stride, padding):
    g = gc.Graph()
    x = g.input("x", shape=(2, 2, 5, 6))
    at = {"x": np.random.default_rng(4).uniform(-2, 2, size=(2, 2, 5, 6))}  # no ties
    report = gc.gradcheck(weighted_sum(getattr(gc, op)(x, kernel, stride, padding)), [x],
                          at=at)
    assert report, str(report)


@pytest.mark.parametrize("stride", [2, 1])
def test_max_pooling_sends_a_tied_gradient_to_the_first_maximum(stride):
    g = gc.Graph()
    x = g.input("x", shape=(1, 1, 3, 3))
    (dx,) = gc.grad(gc.sum(gc.max_pool2d(x, 2, stride)), [x])
    value = np.array([[[[0.0, 5.0, 5.0], [5.0, 5.0, 1.0], [2.0, 2.0, 2.0]]]])
    # stride 2: one window (rows, columns 0-1), maxima at (0, 1), (1, 0), (1, 1): the first
    # stride 1: four windows, whose first maxima are (0, 1), (0, 1), (1, 0), (1, 1)
    expected = {2: [[0, 1, 0], [0, 0, 0], [0, 0, 0]], 1: [[0, 2, 0], [1, 1, 0], [0, 0, 0]]}
    for got in (oracle(dx, at={"x": value}), gc.compile([dx])(x=value)[0]):
        np.testing.assert_array_equal(got[0, 0], expected[stride])


def test_max_pooling_of_equal_values_picks_each_windows_first_element():
    g = gc.Graph()
    x = g.input("x", shape=(1, 1, 4, 4))
    (dx,) = gc.grad(gc.sum(gc.max_pool2d(x, 2)), [x])
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(gc.evaluate(dx, at={"x": np.ones((1, 1, 4, 4))})[0, 0],
                                  expected)


def test_a_small_cnn_gradchecks_end_to_end():
    rng = np.random.default_rng(5)
    g = gc.Graph("cnn")
    x = g.input("x", shape=("N", 2, 7, 7))
    w1, b1 = g.param("w1", shape=(3, 2, 3, 3)), g.param("b1", shape=(3,))
    w2 = g.param("w2", shape=(2, 3, 2, 2))
    h = gc.max_pool2d(gc.relu(gc.conv2d(x, w1, b1, padding=1)), 2, padding=1)
    out = gc.avg_pool2d(gc.tanh(gc.conv2d(h, w2, stride=2)), 1)
    loss = gc.mean(out * out).named("loss")
    at = {"x": rng.normal(size=(3, 2, 7, 7)), "w1": rng.normal(size=(3, 2, 3, 3)),
          "b1": rng.normal(size=3), "w2": rng.normal(size=(2, 3, 2, 2))}
    assert gc.gradcheck(loss, [x, w1, b1, w2], at=at)
    nodes = [loss] + gc.grad(loss, [x, w1, b1, w2])
    for got, want in zip(gc.compile(nodes)(**at), oracle(nodes, at=at)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_second_derivatives_through_conv_and_pooling(pool):
    rng = np.random.default_rng(6)
    g, x, w, b, y = conv_graph((2, 2, 6, 6), (3, 2, 3, 3), stride=2, padding=1)
    loss = weighted_sum(gc.tanh(getattr(gc, pool)(y, 2, 1)))
    dx, dw = gc.grad(loss, [x, w])
    second = gc.sum(dx * dx) + gc.sum(dw * gc.tanh(dw))
    at = {"x": rng.normal(size=(2, 2, 6, 6)), "w": rng.normal(size=(3, 2, 3, 3)),
          "b": rng.normal(size=3)}
    report = gc.gradcheck(second, [x, w, b], at=at)
    assert report, str(report)
    nodes = [second] + gc.grad(second, [x, w, b])
    for got, want in zip(gc.compile(nodes)(**at), oracle(nodes, at=at)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_named_batch_dimension_runs_at_any_batch_size():
    *_, y = conv_graph(("N", 1, 4, 4), (2, 1, 3, 3), padding=1)
    f = gc.compile([gc.max_pool2d(y, 2)])
    for n in (1, 5):
        feeds = {"x": np.ones((n, 1, 4, 4)), "w": np.ones((2, 1, 3, 3)), "b": np.zeros(2)}
        assert f(**feeds)[0].shape == (n, 2, 2, 2)


# ---- bad inputs --------------------------------------------------------------------------------

@pytest.mark.parametrize("x_shape,w_shape,attrs,message", [
    ((2, 3, 5, 5), (4, 2, 3, 3), {}, r"'x' \(2, 3, 5, 5\) and 'w' \(4, 2, 3, 3\).*"
                                     r"channel counts differ: the input has 3 channels, "
                                     r"the weights 2"),
    ((2, 3, 5, 5), (4, 3, 7, 7), {"padding": 0}, r"kernel \(7, 7\) is larger than the "
                                                 r"padded input \(5, 5\)"),
    ((2, 3, 5, 5), (4, 3, 8, 3), {"padding": 1}, r"kernel \(8, 3\) is larger than the "
                                                 r"padded input \(7, 7\)"),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"stride": 0}, r"'x' \(2, 3, 5, 5\).*stride \(0, 0\) "
                                                r"must be positive"),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"stride": (1, -2)}, r"stride \(1, -2\) must be positive"),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": -1}, r"padding \(-1, -1\) must be "
                                                  r"non-negative"),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"padding": 1.5}, r"padding must be an int, a pair of ints "
                                                   r"\(rows, columns\) or a pair of pairs"),
    ((1, 2, 3, 5, 5), (4, 3, 3, 3), {}, r"input 'x' \(1, 2, 3, 5, 5\) must be \(N, C, H, W\), "
                                        r"\(C, H, W\) or \(H, W\), so of rank 4, 3 or 2, not 5"),
    ((3, 5, 5), (3, 3), {}, r"weights 'w' \(3, 3\) must have rank 4, not 2: "
                            r"\(F, C / groups, kh, kw\) for an input of rank 3"),
    ((5, 5), (1, 1, 3, 3), {}, r"weights 'w' \(1, 1, 3, 3\) must have rank 2, not 4: "
                               r"\(kh, kw\) for an input of rank 2"),
    ((2, 3, 5, 5), (3, 3, 3), {}, r"weights 'w' \(3, 3, 3\) must have rank 4, not 3"),
    ((2, "C", 5, 5), (4, 3, 3, 3), {}, r"input 'x' \(2, C, 5, 5\) must have int dimensions"),
])
def test_conv2d_shape_errors_name_the_operands_and_numbers(x_shape, w_shape, attrs, message):
    g = gc.Graph()
    x, w = g.input("x", shape=x_shape), g.param("w", shape=w_shape)
    with pytest.raises(gc.ShapeError, match=r"conv2d of .*" + message):
        gc.conv2d(x, w, **attrs)


def test_a_bias_of_the_wrong_shape_is_an_error():
    g = gc.Graph()
    x, w = g.input("x", shape=(2, 3, 5, 5)), g.param("w", shape=(4, 3, 3, 3))
    with pytest.raises(gc.ShapeError, match=r"bias 'b' \(3,\) must have shape \(4,\)"):
        gc.conv2d(x, w, g.param("b", shape=(3,)))


@pytest.mark.parametrize("args,message", [
    ((7,), r"kernel \(7, 7\) is larger than the padded input \(5, 6\)"),
    ((3, 0), r"stride \(0, 0\) must be positive"),
    ((3, 1, -1), r"padding \(-1, -1\) must be non-negative"),
    ((2, 1, 2), r"padding \(2, 2\) must be at most half the kernel size \(2, 2\)"),
    ((0,), r"kernel_size \(0, 0\) must be positive"),
])
@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pooling_shape_errors(op, args, message):
    x = gc.Graph().input("x", shape=(2, 3, 5, 6))
    with pytest.raises(gc.ShapeError, match=op + r" of 'x' \(2, 3, 5, 6\).*" + message):
        getattr(gc, op)(x, *args)


def test_pooling_needs_an_input_of_rank_4_3_or_2():
    x = gc.Graph().input("x", shape=(6,))
    with pytest.raises(gc.ShapeError, match=r"input 'x' \(6,\) must have rank 4 or 3 or 2, "
                                            r"not 1"):
        gc.max_pool2d(x, 2)


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pooling_whose_windows_tile_the_image_agrees_with_the_oracle(op):
    """Stride = kernel, no padding, sides divisible: generated code pools by reshape."""
    g = gc.Graph()
    x = g.input("x", shape=(2, 3, 4, 6))
    loss = weighted_sum(getattr(gc, op)(x, 2))
    (dx,) = gc.grad(loss, [x])
    f = gc.compile([loss, dx])
    rng = np.random.default_rng(5)
    value = rng.integers(-2, 3, size=(2, 3, 4, 6)).astype(float)  # ties: the first wins
    for got, want in zip(f(x=value), oracle([loss, dx], at={"x": value}), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


# ---- the kernels generated modules carry, against the references, on random cases --------------

def random_case(seed):
    """A random (x shape, kernel, stride, padding, dtype): C > 1, strides 1-3, kernels
    wider than strides and narrower, padding up to half the kernel, float32 and float64;
    every fourth case has windows that tile the image (stride = kernel, no padding)."""
    rng = np.random.default_rng(seed)
    kernel = tuple(int(k) for k in rng.integers(1, 5, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    sides = tuple(int(k + rng.integers(0, 6)) for k in kernel)
    if seed % 4 == 3:
        stride, padding, sides = kernel, (0, 0), tuple(k * int(rng.integers(1, 4))
                                                       for k in kernel)
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) + sides
    return rng, shape, kernel, stride, padding, np.float32 if seed % 3 == 0 else np.float64


def assert_same(got, want, dtype):
    assert got.dtype == dtype and got.shape == np.shape(want)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, np.asarray(want, dtype=float), rtol=tol, atol=tol)


@pytest.mark.parametrize("seed", range(12))
def test_conv_kernels_agree_with_the_references(seed):
    from graphc.ops import conv
    rng, shape, kernel, stride, padding, dtype = random_case(seed)
    attrs = {"stride": stride, "padding": padding}
    f = int(rng.integers(1, 5))
    x = rng.normal(size=shape).astype(dtype)[:, :, ::-1]  # a view with a negative stride
    w, b = (rng.normal(size=s).astype(dtype) for s in ((f, shape[1]) + kernel, (f,)))
    y = conv._np_conv2d(x, w, b, **attrs)
    assert_same(y, conv._ref_conv2d(attrs, x, w, b), dtype)
    assert_same(conv._np_conv2d(x, w, **attrs), conv._ref_conv2d(attrs, x, w), dtype)
    ct = rng.normal(size=y.shape).astype(dtype)
    assert_same(conv._np_conv2d_input_grad(ct, w, x.shape, **attrs),
                conv._ref_conv2d_input_grad(attrs, ct, w, x), dtype)
    assert_same(conv._np_conv2d_weight_grad(x, ct, w.shape, **attrs),
                conv._ref_conv2d_weight_grad(attrs, x, ct, w), dtype)


@pytest.mark.parametrize("seed", range(12))
def test_pool_kernels_agree_with_the_references_with_ties(seed):
    from graphc.ops import pool
    rng, shape, kernel, stride, padding, dtype = random_case(seed)
    attrs = {"kernel_size": kernel, "stride": stride, "padding": padding}
    x = rng.integers(-2, 3, size=shape).astype(dtype)  # small integers: many ties
    y = pool._np_max_pool2d(x, **attrs)
    assert_same(y, pool._ref_max_pool2d(attrs, x), dtype)
    ct, u = rng.normal(size=y.shape).astype(dtype), rng.normal(size=shape).astype(dtype)
    assert_same(pool._np_max_pool2d_grad(x, ct, **attrs),
                pool._ref_max_pool2d_grad(attrs, x, ct), dtype)
    assert_same(pool._np_max_pool2d_select(x, u, **attrs),
                pool._ref_max_pool2d_select(attrs, x, u), dtype)
    assert_same(pool._np_avg_pool2d(x, **attrs), pool._ref_avg_pool2d(attrs, x), dtype)
    assert_same(pool._np_avg_pool2d_grad(ct, shape, **attrs),
                pool._ref_avg_pool2d_grad(attrs, ct, x), dtype)


@pytest.mark.parametrize("stride", [2, 1])
def test_an_infinite_cotangent_reaches_only_the_first_maximum(stride):
    """The mask of first maxima must not be multiplied into an inf: 0 * inf is nan."""
    from graphc.ops import pool
    attrs = {"kernel_size": (2, 2), "stride": (stride, stride), "padding": (0, 0)}
    x = np.zeros((1, 1, 4, 4))  # all tied: each window's first element gets it
    ct = np.full(np.shape(pool._np_max_pool2d(x, **attrs)), np.inf)
    got = pool._np_max_pool2d_grad(x, ct, **attrs)
    np.testing.assert_array_equal(got, pool._ref_max_pool2d_grad(attrs, x, ct))
    assert not np.isnan(got).any() and np.isinf(got[0, 0, 0, 0])
