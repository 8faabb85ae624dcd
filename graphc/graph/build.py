"""The ops as functions: ``gc.sigmoid(z)``, ``gc.cross_entropy(logits, labels)``, ...

Each adds one node to the graph its node operands belong to; plain numbers become constants.
"""

from ..errors import GraphError, ShapeError
from ..ops.elementwise import define_from_expr
from ..shapes import fmt
from .graph import Node


def _apply(op, *operands, **attrs):
    graph = next((o.graph for o in operands if isinstance(o, Node)), None)
    if graph is None:
        raise GraphError(f"{op} needs at least one graph node among its operands, got "
                         f"{operands!r}")
    return graph.apply(op, operands, attrs)


def add(a, b): return _apply("add", a, b)
def sub(a, b): return _apply("sub", a, b)
def mul(a, b): return _apply("mul", a, b)
def div(a, b): return _apply("div", a, b)
def pow(a, b): return _apply("pow", a, b)  # noqa: A001  (mirrors numpy's name)
def neg(a): return _apply("neg", a)
def exp(a): return _apply("exp", a)
def log(a): return _apply("log", a)
def abs(a): return _apply("abs", a)  # noqa: A001
def sigmoid(a): return _apply("sigmoid", a)
def tanh(a): return _apply("tanh", a)
def relu(a): return _apply("relu", a)


def matmul(a, b):
    """Vector . vector -> (), matrix @ vector, vector @ matrix, (batch) matrix @ matrix."""
    return _apply("matmul", a, b)


def transpose(x, axes=None):
    """Permute axes (reverse them by default); ``x.T`` is the same."""
    return _apply("transpose", x, axes=axes)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum of all elements, or along ``axis`` (an int or a tuple)."""
    return _apply("sum", x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean of all elements, or along ``axis``."""
    return _apply("mean", x, axis=axis, keepdims=keepdims)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``; stable (the row max is subtracted)."""
    return _apply("softmax", x, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) by log-sum-exp; stable for any logits."""
    return _apply("log_softmax", x, axis=axis)


def cross_entropy(logits, target):
    """Softmax cross-entropy, the mean over the batch.

    ``logits`` is (C,) or (N, C); ``target`` holds integer labels of shape (N,) or
    probability rows (such as one-hot) of shape (N, C).
    """
    return _apply("cross_entropy", logits, target)


def bce(p, y, broadcast=False):
    """Binary cross-entropy of probabilities ``p`` against ``y`` (mean).

    ``bce(sigmoid(z), y)`` is recognised and computed from ``z``; otherwise the logs are
    clamped at -100 as in PyTorch. Shapes must match unless ``broadcast=True``.
    """
    return _apply("bce", p, y, broadcast=broadcast)


def bce_with_logits(z, y, broadcast=False):
    """Binary cross-entropy of logits ``z`` (mean); stable for any ``z``."""
    return _apply("bce_with_logits", z, y, broadcast=broadcast)


def mse(pred, target, broadcast=False):
    """Mean of squared differences, as in PyTorch (the lectures' 1/2 is yours to write)."""
    return _apply("mse", pred, target, broadcast=broadcast)


def elementwise_op(name, expr, args=None, doc=None):
    """Define an element-wise op from a SymPy expression alone; returns the function that
    applies it. Its derivative (by ``sympy.diff``), its generated code and its formula
    come with it. ``args`` orders the expression's symbols (by name when not given).

    >>> t = sp.Symbol("t")                                          # doctest: +SKIP
    >>> softplus = gc.elementwise_op("softplus", sp.log(1 + sp.exp(t)))  # doctest: +SKIP
    >>> y = softplus(z)                                             # doctest: +SKIP
    """
    opdef = define_from_expr(name, expr, args, doc)

    def apply(*operands):
        return _apply(name, *operands)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = opdef.doc
    return apply


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch) of x (N, C, H, W) with weights
    w (F, C / groups, kh, kw), plus an optional bias b (F,): (N, F, H', W'); an unbatched
    x (C, H, W) gives (F, H', W'), and one image x (H, W) with a kernel w (kh, kw) (and a
    bias of shape ()) gives (H', W'), the lectures' drawing. H' = floor((H + p - dilation
    (kh - 1) - 1) / stride) + 1 for p the padding of both sides together. ``stride`` and
    ``dilation`` are an int or a pair (rows, columns); ``padding`` (zeros) an int, a pair
    (rows, columns) on each side, or ((top, bottom), (left, right)); ``groups`` splits the
    channels (C and F divisible by it; groups=C is a depthwise convolution).

    >>> y = gc.conv2d(x, w, b, stride=2, padding=1)                 # doctest: +SKIP
    >>> y = gc.conv2d(x, w, padding=((0, 1), (0, 1)), dilation=2)   # doctest: +SKIP
    """
    operands = (x, w) if b is None else (x, w, b)
    return _apply("conv2d", *operands, stride=stride, padding=padding, dilation=dilation,
                  groups=groups)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """The max of each window of x (N, C, H, W), (C, H, W) or (H, W), as in PyTorch: the
    stride defaults to the kernel size, padding (-inf; an int, a pair or ((top, bottom),
    (left, right))) is at most half the kernel a side, ``dilation`` spreads the window. The
    gradient goes to the first maximum of each window.

    >>> p = gc.max_pool2d(gc.relu(y), 2)                            # doctest: +SKIP
    """
    return _apply("max_pool2d", x, kernel_size=kernel_size, stride=stride, padding=padding,
                  dilation=dilation)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """The mean of each window of x (N, C, H, W), (C, H, W) or (H, W), as in PyTorch: the
    stride defaults to the kernel size; padded zeros count in the mean
    (count_include_pad=True); no dilation (PyTorch's avg_pool2d has none).

    >>> p = gc.avg_pool2d(y, 2)                                     # doctest: +SKIP
    """
    return _apply("avg_pool2d", x, kernel_size=kernel_size, stride=stride, padding=padding)


# ---- layers: shapes, activations, losses and measures (issue 6) ---------------------------

def reshape(x, shape):
    """The same elements in another shape; one dimension may be -1 (inferred). Named
    dimensions keep their place: X (N, 28, 28) -> ``gc.reshape(X, ("N", -1))`` is (N, 784).
    """
    return _apply("reshape", x, shape=shape)


def flatten(x, start=1):
    """Axes from ``start`` on joined into one; by default the batch axis stays:
    (N, C, H, W) -> (N, C*H*W).

    >>> h = gc.flatten(gc.max_pool2d(y, 2))                         # doctest: +SKIP
    """
    rank = len(x.shape) if isinstance(x, Node) else 0
    if not isinstance(start, int) or not -rank <= start < rank:
        name = x.name if isinstance(x, Node) else x
        raise ShapeError(f"flatten of {name!r} of rank {rank}: start {start!r} is out of "
                         f"range")
    start %= rank
    named = [d for d in x.shape[start:] if isinstance(d, str)]
    if named and rank - start > 1:
        raise ShapeError(f"flatten of {x.name!r} {fmt(x.shape)}: axes {start} on hold the named "
                         f"dimension {named[0]}, which cannot be merged; start after it")
    return reshape(x, tuple(x.shape[:start]) + (-1,))


def concat(xs, axis=0):
    """The nodes of ``xs`` joined along ``axis``; they agree on every other axis.

    >>> both = gc.concat([h1, h2], axis=1)                          # doctest: +SKIP
    """
    return _apply("concat", *xs, axis=axis)


def step(a):
    """The perceptron's step: 1 if a > 0 else 0. Its derivative is 0 everywhere, so
    ``gc.grad`` through it raises DifferentiationError; use gc.optim.perceptron_update."""
    return _apply("step", a)


def leaky_relu(a, slope=0.01):
    """a if a > 0 else slope * a; its derivative at 0 is the slope, as in PyTorch."""
    return _apply("leaky_relu", a, slope=slope)


def mae(pred, target, broadcast=False):
    """Mean of absolute differences (L1); shapes must match unless ``broadcast=True``."""
    return _apply("mae", pred, target, broadcast=broadcast)


def hinge(scores, y, broadcast=False):
    """Mean of max(0, 1 - y * scores) for labels y in {-1, +1} (other labels are an error
    when the graph runs); no gradient flows to the labels."""
    return _apply("hinge", scores, y, broadcast=broadcast)


def squared_hinge(scores, y, broadcast=False):
    """Mean of max(0, 1 - y * scores) ** 2 for labels y in {-1, +1}."""
    return _apply("squared_hinge", scores, y, broadcast=broadcast)


def argmax(x, axis=-1):
    """The index of the largest element along ``axis`` (first of ties), int64; no gradient."""
    return _apply("argmax", x, axis=axis)


def accuracy(scores, labels):
    """The fraction of rows of ``scores`` whose argmax is the label (integer labels, or rows
    such as one-hot); a float of shape (), not differentiable.

    >>> acc = gc.accuracy(logits, labels)                           # doctest: +SKIP
    """
    return _apply("accuracy", scores, labels)


# ---- shape ops: stack, squeeze, pad, tile, repeat, embedding (issue 14) -----------------

def stack(xs, axis=0):
    """The nodes of ``xs``, all of one shape, joined along a new axis: three (3,) vectors
    stacked are (3, 3). ``gc.stack([x0, x1], axis=1)``."""
    if isinstance(xs, Node):  # iterating a node would index it until out of range
        raise GraphError(f"stack takes a list of nodes, gc.stack([a, b]), got the node "
                         f"{xs.name!r} itself")
    return _apply("stack", *xs, axis=axis)


def squeeze(x, axis=None):
    """``x`` without its size-1 axes: all of them, or those of ``axis`` (each must be 1)."""
    return _apply("squeeze", x, axis=axis)


def expand_dims(x, axis):
    """``x`` with a new size-1 axis at ``axis`` (an int or a tuple): (3,) at 0 is (1, 3)."""
    return _apply("expand_dims", x, axis=axis)


def pad(x, pad_width, value=0.0):
    """``x`` with the constant ``value`` on each side, ``pad_width`` as NumPy takes it: an
    int n (n on every side), a pair (before, after), or one pair per axis, so an odd total
    can be written: ``gc.pad(img, ((0, 1), (1, 2)))``. The gradient is the slice of ct
    where x was put."""
    return _apply("pad", x, pad_width=pad_width, value=value)


def tile(x, reps):
    """``x`` copied ``reps`` times along each axis, as ``np.tile``; the gradient sums the
    copies back."""
    return _apply("tile", x, reps=reps)


def repeat(x, repeats, axis=None):
    """Each element of ``x`` repeated ``repeats`` (an int) times along ``axis``, as
    ``np.repeat`` (of x flattened when axis is None); the gradient sums the copies back."""
    return _apply("repeat", x, repeats=repeats, axis=axis)


def embedding(table, ids):
    """The rows of ``table`` (V, D) at the integer ``ids`` (int64, any shape):
    (*ids.shape, D). The gradient adds ct's rows into the table's rows, a repeated id
    summing them; an id outside [0, V) is a DomainError when the graph runs.

    >>> vectors = gc.embedding(E, tokens)                           # doctest: +SKIP
    """
    return _apply("embedding", table, ids)


# ---- reductions: max, min, var, std, logsumexp, prod (issue 14) ---------------------------
# max and min below shadow the builtins in this module (as sum and abs do): write
# builtins.max in a function here that needs Python's.

def max(x, axis=None, keepdims=False):  # noqa: A001  (mirrors numpy's name)
    """The largest element, or along ``axis`` (an int or a tuple). Ties share the gradient
    evenly (each of k equal maxima gets ct / k), as PyTorch's ``amax``."""
    return _apply("max", x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """The smallest element, or along ``axis``; ties share the gradient evenly."""
    return _apply("min", x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False, ddof=0):
    """The variance, divided by n - ddof: ddof=0 as NumPy; PyTorch's ``torch.var`` is
    unbiased by default, which is ``ddof=1``."""
    return _apply("var", x, axis=axis, keepdims=keepdims, ddof=ddof)


def std(x, axis=None, keepdims=False, ddof=0):
    """The standard deviation, sqrt(var(x, axis, keepdims, ddof)); ddof=0 as NumPy,
    ``ddof=1`` as PyTorch's default."""
    return _apply("std", x, axis=axis, keepdims=keepdims, ddof=ddof)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))), stable (the max subtracted): values of 1000 stay finite. Its
    gradient is softmax(x) * ct."""
    return _apply("logsumexp", x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    """The product of the elements, or along ``axis``; the gradient at each element is the
    product of the others, right where an element is 0."""
    return _apply("prod", x, axis=axis, keepdims=keepdims)


# ---- layers: layer norm, batch norm, dropout, attention (issue 14) ------------------------

from .norms import (BatchNorm, attention, batch_norm, causal_mask, dropout,  # noqa: E402
                    layer_norm)


# ---- element-wise ops (issue 14) ------------------------------------------------------------

def sqrt(a):
    """The square root; sqrt'(a) = 1 / (2 sqrt(a)). ``gc.formula`` keeps sqrt(2) exact."""
    return _apply("sqrt", a)


def square(a):
    """a ** 2."""
    return _apply("square", a)


def sign(a):
    """-1, 0 or 1. Its derivative is 0 everywhere (sign'(0) = 0, as in PyTorch), so
    ``gc.grad`` through it alone raises DifferentiationError, as through step."""
    return _apply("sign", a)


def maximum(a, b):
    """The larger of a and b, element by element (broadcast); at a tie each side gets half
    the gradient, as in PyTorch.

    >>> h = gc.maximum(z, 0.1 * z)                                  # doctest: +SKIP
    """
    return _apply("maximum", a, b)


def minimum(a, b):
    """The smaller of a and b, element by element (broadcast); ties share the gradient."""
    return _apply("minimum", a, b)


def where(cond, a, b):
    """a where ``cond`` is nonzero, else b (broadcast, as np.where); the gradient goes to a
    where cond holds, to b elsewhere, and none to cond.

    >>> y = gc.where(mask, x, 0.0)                                  # doctest: +SKIP
    """
    return _apply("where", cond, a, b)


def clip(x, lo=None, hi=None):
    """x limited to [lo, hi], numbers (either may be None); the gradient is 1 for
    lo <= x <= hi, the ends included (as PyTorch's clamp), 0 outside.

    >>> y = gc.clip(x, 0.0, 6.0)                                    # doctest: +SKIP
    """
    return _apply("clip", x, lo=lo, hi=hi)


def gelu(a):
    """a * Phi(a) = a (1 + erf(a / sqrt(2))) / 2, the exact form (PyTorch's default)."""
    return _apply("gelu", a)


def silu(a):
    """a * sigmoid(a) (swish); silu' = sigmoid(a) (1 + a (1 - sigmoid(a)))."""
    return _apply("silu", a)
