"""Layers built from the registry's ops: layer norm, batch norm, dropout, attention.

Each is a plain function that adds ordinary nodes (mean, sub, pow, div, matmul, softmax,
...), so its formula, gradient, second derivative and generated code come from those ops;
only dropout is an op of its own (graphc/ops/dropout.py), because its mask is drawn at run
time. Square roots are written ``** 0.5`` and variances as means of squares, the textbook
formulas, so nothing here depends on a dedicated sqrt or var op.
"""

from collections import namedtuple

import numpy as np

from .. import shapes
from ..errors import GraphError, ShapeError
from .graph import Node

#: What batch_norm returns: the output and the running statistics after this batch.
BatchNorm = namedtuple("BatchNorm", "y running_mean running_var")

#: The additive mask's "minus infinity": exp(-1e9 - max) is 0 in float32 and float64, and a
#: fully masked row stays finite (with -inf its softmax would be 0/0, nan, and so would every
#: gradient through it).
MASKED = -1e9


def _op(op, *operands, **attrs):
    return operands[0].graph.apply(op, operands, attrs)


def _require_node(x, layer, what="x"):
    if not isinstance(x, Node):
        raise GraphError(f"{layer}: {what} must be a graph node, got {x!r}")
    shapes.require_float(x.record.arg, layer)


def _check_number(value, layer, option, low, high, low_open=False):
    """``option`` of ``layer`` must be a number in [low, high] ((low, high] if low_open)."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer,
                                                            np.floating))
    if ok and np.isfinite(value) and value <= high \
            and (low < value if low_open else low <= value):
        return float(value)
    bracket = "(" if low_open else "["
    raise GraphError(f"{layer}: {option} must be a number in {bracket}{low}, {high}], "
                     f"got {value!r}")


def layer_norm(x, gamma=None, beta=None, axis=-1, eps=1e-5):
    """Normalise x over ``axis`` (the last by default; an int or a tuple of trailing axes),
    then scale by ``gamma`` and shift by ``beta`` (each of the normalised axes' shape, or
    None). PyTorch's formula: the biased variance (the mean of squares), eps inside the
    square root: ``(x - mean) / (var + eps) ** 0.5 * gamma + beta``.

    >>> y = gc.layer_norm(h, g.param("gamma", (4,)), g.param("beta", (4,)))  # doctest: +SKIP
    """
    _require_node(x, "layer_norm")
    where = f"layer_norm of {x.name!r}"
    eps = _check_number(eps, where, "eps", 0, np.inf, low_open=True)
    axes = shapes.normalize_axes(axis, len(x.shape), "layer_norm", x.record.arg)
    normalised = tuple(x.shape[a] for a in axes)
    trailing = tuple(sorted(axes)) == tuple(range(len(x.shape) - len(axes), len(x.shape)))
    if not trailing and (gamma is not None or beta is not None):
        raise ShapeError(f"{where}: gamma and beta need the normalised axes to be the last "
                         f"ones (as in PyTorch), got axis {axis!r} of {_described(x)}")
    for what, v in (("gamma", gamma), ("beta", beta)):
        _check_affine(v, what, normalised, where)
    mean = _op("mean", x, axis=axes, keepdims=True)
    centred = x - mean
    var = _op("mean", centred ** 2, axis=axes, keepdims=True)
    y = centred / (var + eps) ** 0.5
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta


def _described(x):
    return shapes.describe(x.record.arg)


def _check_affine(v, what, normalised, where):
    """gamma and beta of layer_norm: None, or a node of the normalised axes' shape."""
    if v is None or (isinstance(v, Node) and tuple(v.shape) == normalised):
        return
    got = shapes.describe(v.record.arg) if isinstance(v, Node) else repr(v)
    raise ShapeError(f"{where}: {what} must be None or a node of shape "
                     f"{shapes.fmt(normalised)} (the normalised axes), got {got}")


def _channels(x, where):
    """The axes batch norm averages over: the batch axis and any spatial axes."""
    if len(x.shape) not in (2, 3, 4):
        raise ShapeError(f"{where}: x {shapes.describe(x.record.arg)} must be (N, C), "
                         f"(N, C, L) or (N, C, H, W)")
    return (0,) + tuple(range(2, len(x.shape)))


def _per_channel(v, x, what, where):
    """A (C,) statistic or parameter shaped to broadcast against x (C, 1, 1 for NCHW)."""
    if not isinstance(v, Node) or tuple(v.shape) != (x.shape[1],):
        got = shapes.describe(v.record.arg) if isinstance(v, Node) else repr(v)
        raise ShapeError(f"{where}: {what} must be a node of shape ({x.shape[1]},) (one "
                         f"per channel), got {got}")
    if len(x.shape) == 2:
        return v
    return _op("reshape", v, shape=(x.shape[1],) + (1,) * (len(x.shape) - 2))


def batch_norm(x, gamma=None, beta=None, running_mean=None, running_var=None, train=True,
               momentum=0.1, eps=1e-5):
    """Normalise x (N, C), (N, C, L) or (N, C, H, W) per channel, over the batch axis (and
    the spatial ones), then scale by ``gamma`` and shift by ``beta`` (each (C,), or None).

    Returns ``BatchNorm(y, running_mean, running_var)``, three nodes, in both modes: the
    running statistics are outputs, not hidden state. With ``train=True`` x is normalised
    by the batch's mean and biased variance, and the running statistics are updated as in
    PyTorch: ``(1 - momentum) * running + momentum * batch``, with the batch's UNBIASED
    variance (n / (n - 1) times the biased one); running statistics not given start from
    PyTorch's 0 and 1. With ``train=False`` x is normalised by ``running_mean`` and
    ``running_var`` (both required), which come back unchanged.

    >>> y, mean, var = gc.batch_norm(h, gamma, beta, rm, rv)          # doctest: +SKIP
    """
    _require_node(x, "batch_norm")
    where = f"batch_norm of {x.name!r}"
    axes = _channels(x, where)
    eps = _check_number(eps, where, "eps", 0, np.inf, low_open=True)
    momentum = _check_number(momentum, where, "momentum", 0, 1)
    if not isinstance(train, bool):
        raise GraphError(f"{where}: train must be True or False, got {train!r}")
    if train:
        return _batch_norm_train(x, gamma, beta, running_mean, running_var, axes,
                                 momentum, eps)
    if running_mean is None or running_var is None:
        raise GraphError(f"{where}: train=False normalises by the running statistics, so "
                         f"running_mean and running_var are required")
    mean = _per_channel(running_mean, x, "running_mean", where)
    var = _per_channel(running_var, x, "running_var", where)
    y = _scale_shift((x - mean) / (var + eps) ** 0.5, x, gamma, beta, where)
    return BatchNorm(y, running_mean, running_var)


def _scale_shift(y, x, gamma, beta, where):
    if gamma is not None:
        y = y * _per_channel(gamma, x, "gamma", where)
    if beta is not None:
        y = y + _per_channel(beta, x, "beta", where)
    return y


def _batch_norm_train(x, gamma, beta, running_mean, running_var, axes, momentum, eps):
    where = f"batch_norm of {x.name!r}"
    mean = _op("mean", x, axis=axes, keepdims=True)
    centred = x - mean
    var = _op("mean", centred ** 2, axis=axes, keepdims=True)
    y = _scale_shift(centred / (var + eps) ** 0.5, x, gamma, beta, where)
    channels = (x.shape[1],)
    n = [x.shape[a] for a in axes]
    if all(isinstance(d, int) for d in n):
        count = float(np.prod(n))
        if count < 2:
            raise ShapeError(f"{where}: the unbiased variance of the running statistics "
                             f"needs more than one value per channel, got {count:g}")
    else:  # a named batch size: the count is read from the shape at run time
        count = _op("count", x, axes=axes)
    unbiased = _op("reshape", var, shape=channels) * (count / (count - 1))
    batch_mean = _op("reshape", mean, shape=channels)
    old_mean = 0.0 if running_mean is None else _checked(running_mean, x, "running_mean")
    old_var = 1.0 if running_var is None else _checked(running_var, x, "running_var")
    new_mean = (1 - momentum) * old_mean + momentum * batch_mean
    new_var = (1 - momentum) * old_var + momentum * unbiased
    return BatchNorm(y, new_mean, new_var)


def _checked(v, x, what):
    _per_channel(v, x, what, f"batch_norm of {x.name!r}")  # raises on a bad shape
    return v


def dropout(x, p, seed, train=True):
    """Inverted dropout, as in PyTorch: each element of x is set to 0 with probability
    ``p`` and the others are scaled by 1 / (1 - p), so the mean is kept. ``seed`` is an
    int64 scalar node (an input): the mask is ``np.random.default_rng(seed).random(x.shape)
    >= p``, so the same feeds give the same output; each further dropout fed by the same
    seed node draws another mask (``default_rng([seed, k])`` for the k-th), so two dropout
    layers on one seed do not drop the same units. With ``train=False`` dropout is the
    identity: x itself is returned (no node is added).

    >>> h = gc.dropout(h, 0.5, g.input("seed", dtype="int64"))        # doctest: +SKIP
    """
    if not isinstance(train, bool):
        raise GraphError(f"dropout of {getattr(x, 'name', x)!r}: train must be True or "
                         f"False, got {train!r}")
    if not train:
        return x
    if not isinstance(x, Node):
        raise GraphError(f"dropout: x must be a graph node, got {x!r}")
    return _op("dropout", x, seed, p=p, stream=_streams(x.graph, seed))


def _streams(graph, seed):
    """How many dropouts the user's graph already feeds from ``seed``: the next one draws
    mask number that many (two dropout layers on one seed must not drop the same units)."""
    if not isinstance(seed, Node):
        return 0
    return sum(1 for n in graph if n.op == "dropout" and n.record.role != "grad"
               and n.operands[1] == seed)


def causal_mask(T, dtype="float64"):
    """The additive causal mask of T steps, a (T, T) NumPy array: 0 where step i may look at
    step j (j <= i), -1e9 above the diagonal (not -inf: see ``MASKED``). Pass it to
    ``attention`` (it becomes the constant M) or make it a constant yourself.

    >>> gc.causal_mask(3)                                             # doctest: +SKIP
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise GraphError(f"causal_mask: T (the number of steps) must be a positive int, "
                         f"got {T!r}")
    return np.triu(np.full((T, T), MASKED, dtype=dtype), k=1)


def _constant(g, name, value, dtype):
    """The constant ``name`` of ``g`` (else ``name2``, ``name3``, ... if that is taken by
    another value), reused when it holds the same value: two attention layers of one size
    share one d."""
    for k in range(1, len(g) + 2):
        label = name if k == 1 else f"{name}{k}"
        if label not in g:
            return g.const(label, value, dtype=dtype)
        node = g.node(label)
        if node.record.role == "const" and np.array_equal(node.record.value, value):
            return node
    raise AssertionError("unreachable: some name is free")


def attention(q, k, v, mask=None):
    """Scaled dot-product attention, ``softmax(q @ k.T / sqrt(d) + mask) @ v``, for q (T, d),
    k (S, d), v (S, dv), or each with a leading batch axis. ``d`` is a constant named d, so
    formulas keep sqrt(d) symbolic; ``mask`` (added to the scores, 0 to keep, -1e9 to mask:
    see ``causal_mask``) is a node or an array, which becomes the constant M.

    >>> y = gc.attention(q, k, v, mask=gc.causal_mask(4))             # doctest: +SKIP
    """
    for what, node in (("q", q), ("k", k), ("v", v)):
        _require_node(node, "attention", what)
    _check_attention_shapes(q, k, v)
    g, d = q.graph, q.shape[-1]
    kT = k.T if len(k.shape) == 2 else _op("transpose", k, axes=(0, 2, 1))
    scores = q @ kT / _constant(g, "d", float(d), q.dtype) ** 0.5
    if mask is not None:
        if isinstance(mask, Node):
            _check_mask(mask.shape, shapes.describe(mask.record.arg), scores)
        else:  # checked before it becomes a constant, so a bad one leaves no node behind
            mask = np.asarray(mask)
            _check_mask(mask.shape, f"array {shapes.fmt(mask.shape)}", scores)
            mask = _constant(g, "M", mask, q.dtype)
        scores = scores + mask
    return _op("softmax", scores, axis=-1) @ v


def _check_attention_shapes(q, k, v):
    described = ", ".join(f"{n} {shapes.describe(a.record.arg)}" for n, a in
                          (("q", q), ("k", k), ("v", v)))
    ranks = {len(q.shape), len(k.shape), len(v.shape)}
    if ranks not in ({2}, {3}):
        raise ShapeError(f"attention of {described}: q, k and v must all be (T, d), (S, d), "
                         f"(S, dv) or all have a leading batch axis")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"attention of {described}: q and k must agree on d (their last "
                         f"axis), k and v on S (their second last)")
    if not isinstance(q.shape[-1], int):
        raise ShapeError(f"attention of {described}: d (the last axis of q) must be a number, "
                         f"so that sqrt(d) is known")


def _check_mask(shape, described, scores):
    """The mask is added to the scores (T, S): it must not make them bigger."""
    grown = len(shape) > len(scores.shape) or any(
        m not in (1, s) for m, s in zip(tuple(shape)[::-1], scores.shape[::-1]))
    if grown:
        raise ShapeError(f"attention: the mask {described} must "
                         f"broadcast against the scores q @ k.T, of shape "
                         f"{shapes.fmt(scores.shape)} (T, S)")
