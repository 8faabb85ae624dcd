"""The ops as functions: ``gc.sigmoid(z)``, ``gc.cross_entropy(logits, labels)``, ...

Each adds one node to the graph its node operands belong to; plain numbers become constants.
"""

from .errors import GraphError
from .graph import Node
from .ops.elementwise import define_from_expr


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
