"""conv2d and pooling in the forms PyTorch takes beyond (N, C, H, W): unbatched (C, H, W),
one (H, W) image with a (kh, kw) kernel (the lecture's drawing), padding per side as
((top, bottom), (left, right)), dilation and groups. Each form against a plain loop one
output element at a time, by gradcheck, and compiled against the interpreter; one form
also to the second derivative. (The registry's TestSpec covers the (N, C, H, W) form.)"""

import numpy as np
import pytest

import graphc as gc

from graphs import oracle


def sides(padding):
    """((top, bottom), (left, right)) of an int, a pair or a pair of pairs."""
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def loop_conv(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """conv2d one output element at a time, on the (N, C, H, W) form of every operand."""
    lead = 4 - x.ndim
    x4, w4 = x.reshape((1,) * lead + x.shape), w.reshape((1,) * (4 - w.ndim) + w.shape)
    xp = np.pad(x4, ((0, 0), (0, 0)) + sides(padding))
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    f, cg, kh, kw = w4.shape
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x4.shape[0], f, oh, ow))
    for n, o, i, j in np.ndindex(*out.shape):
        c0 = o // (f // groups) * cg  # the first input channel of o's group
        window = xp[n, c0:c0 + cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                    j * sw:j * sw + dw * (kw - 1) + 1:dw]
        out[n, o, i, j] = np.sum(window * w4[o]) + (0 if b is None else np.ravel(b)[o])
    return out.reshape(out.shape[lead:])


def loop_pool(x, reduce, kernel, stride=None, padding=0, dilation=1, fill=-np.inf):
    """A pooling one output element at a time, over the last two axes of x."""
    xp = np.pad(x, ((0, 0),) * (x.ndim - 2) + sides(padding), constant_values=fill)
    (kh, kw), (dh, dw) = pair(kernel), pair(dilation)
    (sh, sw) = pair(kernel if stride is None else stride)
    oh = (xp.shape[-2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[-1] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for idx in np.ndindex(*out.shape):
        *lead, i, j = idx
        out[idx] = reduce(xp[tuple(lead)][i * sh:i * sh + dh * (kh - 1) + 1:dh,
                                         j * sw:j * sw + dw * (kw - 1) + 1:dw])
    return out


def weighted_sum(y, seed=0):
    """A scalar depending on every element of ``y`` with distinct weights."""
    weights = np.random.default_rng(seed + 100).uniform(0.5, 1.5, size=y.shape)
    return gc.sum(y * weights)


# x shape, w shape, bias shape (None: none), attrs: one row a form
FORMS = {
    "unbatched": ((3, 6, 5), (4, 3, 3, 2), (4,), {"stride": (2, 1), "padding": 1}),
    "single image": ((5, 6), (3, 2), (), {}),
    "single image padded": ((4, 4), (2, 2), None, {"padding": ((0, 1), (1, 0))}),
    "asymmetric padding": ((2, 2, 5, 5), (3, 2, 2, 3), (3,), {"padding": ((1, 0), (0, 2)),
                                                               "stride": 2}),
    "dilation": ((2, 2, 7, 6), (3, 2, 3, 2), (3,), {"dilation": (2, 3), "padding": 1}),
    "groups": ((2, 4, 5, 5), (6, 2, 3, 3), (6,), {"groups": 2, "padding": 1}),
    "depthwise": ((3, 5, 5), (3, 1, 2, 2), None, {"groups": 3, "dilation": 2}),
}


def form_graph(name):
    x_shape, w_shape, b_shape, attrs = FORMS[name]
    g = gc.Graph(name.replace(" ", "_"))
    x, w = g.input("x", shape=x_shape), g.param("w", shape=w_shape)
    b = None if b_shape is None else g.param("b", shape=b_shape)
    rng = np.random.default_rng(len(name))
    at = {"x": rng.normal(size=x_shape), "w": rng.normal(size=w_shape)}
    if b is not None:
        at["b"] = rng.normal(size=b_shape)
    y = gc.conv2d(x, w, b, **attrs).named("y")
    return y, [n for n in (x, w, b) if n is not None], at


# ---- the lecture's numbers and its output size -------------------------------------------------

def test_the_lectures_cross_correlation_of_one_image_with_one_kernel():
    """The 2-D cross-correlation drawing of the course the slides adapt (d2l.ai, "Dive into
    Deep Learning", 6.2: X = 0..8 as 3 x 3, K = [[0, 1], [2, 3]]; the seeds keep only the
    shape formula, the drawing's numbers did not survive the text extraction): exact."""
    g = gc.Graph()
    x, k = g.input("X", shape=(3, 3)), g.param("K", shape=(2, 2))
    y = gc.conv2d(x, k)
    assert y.shape == (2, 2)
    at = {"X": np.arange(9).reshape(3, 3), "K": [[0, 1], [2, 3]]}
    assert str(gc.evaluate(y, at=at, exact=True)) == "[[19, 25], [37, 43]]"
    np.testing.assert_array_equal(gc.compile([y])(X=np.arange(9.0).reshape(3, 3),
                                                  K=np.array([[0.0, 1], [2, 3]]))[0],
                                  [[19, 25], [37, 43]])
    (dk,) = gc.grad(gc.sum(y), [k])  # each kernel entry meets a 2 x 2 block of X
    assert str(gc.evaluate(dk, at=at, exact=True)) == "[[8, 12], [20, 24]]"


@pytest.mark.parametrize("n,k,top,bottom,s,d", [(5, 3, 0, 1, 1, 1), (6, 2, 1, 0, 2, 1),
                                                (7, 3, 1, 2, 2, 2), (8, 3, 0, 0, 1, 3),
                                                (5, 2, 0, 1, 3, 2)])
def test_output_size_is_the_lectures_formula_with_dilation(n, k, top, bottom, s, d):
    """floor((n + p - d (k - 1) - 1) / s) + 1, p = top + bottom (odd totals allowed); for
    d = 1 the lecture's floor((n - k + p + s) / s)."""
    p = top + bottom
    size = (n + p - d * (k - 1) - 1) // s + 1
    if d == 1:
        assert size == (n - k + p + s) // s
    x = gc.Graph().input("x", shape=(2, n, n))
    w = x.graph.param("w", shape=(4, 2, k, k))
    y = gc.conv2d(x, w, stride=s, padding=((top, bottom), (top, bottom)), dilation=d)
    assert y.shape == (4, size, size)
    if max(top, bottom) * 2 <= k:
        pooled = gc.max_pool2d(x, k, s, ((top, bottom), (top, bottom)), dilation=d)
        assert pooled.shape == (2, size, size)


def test_padding_equal_on_both_sides_is_kept_as_a_pair():
    x = gc.Graph().input("x", shape=(6, 6))
    w = x.graph.param("w", shape=(3, 3))
    assert gc.conv2d(x, w, padding=((1, 1), (2, 2))).attrs["padding"] == (1, 2)
    assert gc.conv2d(x, w, padding=((0, 1), (2, 2))).attrs["padding"] == ((0, 1), (2, 2))
    assert "dilation" not in gc.conv2d(x, w, dilation=1).attrs


# ---- each form: values, gradients, compiled code ------------------------------------------------

@pytest.mark.parametrize("name", FORMS)
def test_each_form_agrees_with_a_plain_loop(name):
    y, operands, at = form_graph(name)
    attrs = FORMS[name][3]
    expected = loop_conv(at["x"], at["w"], at.get("b"), **attrs)
    assert y.shape == expected.shape
    np.testing.assert_allclose(gc.evaluate(y, at=at), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gc.compile([y])(**at)[0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", FORMS)
def test_each_form_gradchecks_and_compiles_as_interpreted(name):
    y, operands, at = form_graph(name)
    loss = weighted_sum(gc.tanh(y))
    report = gc.gradcheck(loss, operands, at=at)
    assert report, str(report)
    nodes = [loss] + gc.grad(loss, operands)
    for opt in (0, 2):
        for got, want in zip(gc.compile(nodes, opt=opt)(**at), oracle(nodes, at=at),
                             strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_second_derivatives_of_a_grouped_dilated_asymmetrically_padded_conv():
    rng = np.random.default_rng(7)
    g = gc.Graph()
    x, w = g.input("x", shape=(4, 6, 5)), g.param("w", shape=(2, 2, 2, 3))
    y = gc.conv2d(x, w, padding=((0, 1), (2, 1)), dilation=(2, 1), groups=2, stride=(1, 2))
    dx, dw = gc.grad(weighted_sum(gc.tanh(y)), [x, w])
    second = gc.sum(dx * dx) + gc.sum(dw * gc.tanh(dw))
    at = {"x": rng.normal(size=(4, 6, 5)), "w": rng.normal(size=(2, 2, 2, 3))}
    report = gc.gradcheck(second, [x, w], at=at)
    assert report, str(report)
    nodes = [second] + gc.grad(second, [x, w])
    for got, want in zip(gc.compile(nodes)(**at), oracle(nodes, at=at), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# ---- pooling in the same forms -----------------------------------------------------------------

POOLS = [  # x shape, kernel, stride, padding, dilation (max only)
    ((3, 6, 7), 2, None, 0, 1),
    ((6, 7), 3, 2, 1, 1),
    ((2, 5, 6), 2, 1, ((0, 1), (1, 0)), 1),
    ((2, 2, 7, 7), 2, 1, ((1, 0), (0, 1)), 2),
    ((7, 6), (3, 2), (2, 1), 1, (2, 3)),
]


@pytest.mark.parametrize("op,x_shape,kernel,stride,padding,dilation", [
    (op,) + case for op in ("max_pool2d", "avg_pool2d") for case in POOLS
    if op == "max_pool2d" or case[-1] == 1])  # avg_pool2d has no dilation, as in PyTorch
def test_pooling_forms_agree_with_a_loop_gradcheck_and_compile(op, x_shape, kernel, stride,
                                                               padding, dilation):
    x = gc.Graph().input("x", shape=x_shape)
    extra = {"dilation": dilation} if op == "max_pool2d" else {}
    y = getattr(gc, op)(x, kernel, stride, padding, **extra)
    at = {"x": np.random.default_rng(4).uniform(-2, 2, size=x_shape)}  # no ties
    reduce, fill = (np.max, -np.inf) if op == "max_pool2d" else (np.mean, 0.0)
    expected = loop_pool(at["x"], reduce, kernel, stride, padding, dilation, fill)
    np.testing.assert_allclose(gc.evaluate(y, at=at), expected, rtol=1e-12)
    loss = weighted_sum(y)
    report = gc.gradcheck(loss, [x], at=at)
    assert report, str(report)
    nodes = [loss] + gc.grad(loss, [x])
    for got, want in zip(gc.compile(nodes)(**at), oracle(nodes, at=at), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_dilated_max_pools_tie_goes_to_the_first_maximum_of_its_window():
    x = gc.Graph().input("x", shape=(3, 3))
    (dx,) = gc.grad(gc.sum(gc.max_pool2d(x, 2, 1, dilation=2)), [x])  # one window: corners
    value = np.array([[1.0, 0, 1], [0, 9, 0], [1, 0, 1]])
    for got in (oracle(dx, at={"x": value}), gc.compile([dx])(x=value)[0]):
        np.testing.assert_array_equal(got, [[1, 0, 0], [0, 0, 0], [0, 0, 0]])


def test_avg_pool2d_takes_no_dilation_as_in_pytorch():
    x = gc.Graph().input("x", shape=(4, 4))
    with pytest.raises(TypeError, match="dilation"):
        gc.avg_pool2d(x, 2, dilation=2)


# ---- shape errors name the node, the op and the shapes -----------------------------------------

@pytest.mark.parametrize("x_shape,w_shape,attrs,message", [
    ((4, 5, 5), (6, 3, 3, 3), {"groups": 2}, r"conv2d of 'x' \(4, 5, 5\) and 'w' "
                                             r"\(6, 3, 3, 3\).*channel counts differ: the "
                                             r"input has 4 channels \(C / groups = 2"),
    ((3, 5, 5), (6, 1, 3, 3), {"groups": 2}, r"groups=2 must divide both the input's 3 "
                                             r"channels and the weights' 6 filters"),
    ((5, 5), (3, 3), {"groups": 2}, r"groups needs channels; a single \(H, W\) image"),
    ((2, 5, 5), (1, 2, 3, 3), {"groups": 0}, r"groups must be a positive int, got 0"),
    ((5, 5), (3, 3), {"dilation": 3}, r"kernel \(3, 3\) dilated by \(3, 3\) to \(7, 7\) is "
                                      r"larger than the padded input \(5, 5\)"),
    ((5, 5), (3, 3), {"dilation": 0}, r"dilation \(0, 0\) must be positive"),
    ((2, 2), (3, 3), {"padding": ((0, 1), (0, 0))}, r"kernel \(3, 3\) is larger than the "
                                                    r"padded input \(3, 2\) \(input \(2, 2\) "
                                                    r"plus padding \(\(0, 1\), \(0, 0\)\)"),
    ((5, 5), (3, 3), {"padding": ((0, -1), (0, 0))}, r"padding \(\(0, -1\), \(0, 0\)\) must "
                                                     r"be non-negative"),
    ((5, 5), (3, 3), {"padding": ((0, 1, 2), (0, 0))}, r"padding must be an int, a pair"),
    ((5, 5), (3,), {}, r"weights 'w' \(3,\) must have rank 2, not 1"),
])
def test_shape_errors_of_the_new_forms(x_shape, w_shape, attrs, message):
    g = gc.Graph()
    x, w = g.input("x", shape=x_shape), g.param("w", shape=w_shape)
    with pytest.raises(gc.ShapeError, match=message):
        gc.conv2d(x, w, **attrs)


def test_the_single_image_forms_bias_is_a_scalar():
    g = gc.Graph()
    x, w = g.input("x", shape=(4, 4)), g.param("w", shape=(2, 2))
    with pytest.raises(gc.ShapeError, match=r"bias 'b' \(1,\) must have shape \(\)"):
        gc.conv2d(x, w, g.param("b", shape=(1,)))


def test_pooling_padding_per_side_is_at_most_half_the_kernel():
    x = gc.Graph().input("x", shape=(6, 6))
    with pytest.raises(gc.ShapeError, match=r"max_pool2d of 'x' \(6, 6\).*padding "
                                            r"\(\(0, 2\), \(0, 0\)\) must be at most half"):
        gc.max_pool2d(x, 3, padding=((0, 2), (0, 0)))
