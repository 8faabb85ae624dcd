"""Dropout (inverted, as in PyTorch), with its random mask drawn from a seed operand.

``dropout(x, seed)`` keeps each element of x with probability 1 - p and scales the kept ones
by 1 / (1 - p), so the mean is preserved. The mask is ``np.random.default_rng(seed)
.random(x.shape) >= p``: the seed is an int64 scalar operand (an input node), not hidden
state, so the same feeds give the same output, and generated code imports only numpy.

Gradient rule:
  dropout(x, seed):  dx = dropout(ct, seed)   (the same mask; no gradient to the seed)
For a fixed seed the op is linear in x, so its gradient and second derivative are exact.
"""

import numpy as np
import sympy as sp

from ..errors import DTypeError, GraphError, ShapeError
from .. import shapes
from .registry import OpDef, TestSpec, register
from .shape import notation_of


def _prepare(attrs, args):
    p = attrs.get("p", 0.5)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0 <= p < 1:
        raise GraphError(f"dropout of {args[0].name!r}: p (the probability of dropping an "
                         f"element) must be a number in [0, 1), got {p!r}")
    stream = attrs.get("stream", 0)
    if isinstance(stream, bool) or not isinstance(stream, (int, np.integer)) or stream < 0:
        raise GraphError(f"dropout of {args[0].name!r}: stream must be an int >= 0, got "
                         f"{stream!r}")
    return {"p": float(p), "stream": int(stream)}


def _infer(attrs, args):
    x, seed = args
    shapes.require_float(x, "dropout")
    if seed.dtype not in shapes.INTS:
        raise DTypeError(f"dropout of {x.name!r}: the seed {seed.name!r} must be an integer "
                         f"(int64) node, got {seed.dtype}")
    if tuple(seed.shape) != ():
        raise ShapeError(f"dropout of {x.name!r}: the seed {shapes.describe(seed)} must be "
                         f"a scalar, shape ()")
    return tuple(x.shape), x.dtype


def _entropy(seed, stream):
    """What the mask's generator is seeded with: the seed itself for the first dropout fed
    by a seed node, ``[seed, stream]`` for the next ones (another mask from the same seed)."""
    return int(seed) if stream == 0 else [int(seed), stream]


def _reference(attrs, x, seed):
    x = np.asarray(x)
    keep = np.random.default_rng(_entropy(seed, attrs["stream"])).random(x.shape) >= attrs["p"]
    return np.where(keep, x / (1 - attrs["p"]), 0).astype(x.dtype)


# What generated modules call; written apart from the reference so that the reference
# interpreter stays an independent oracle for the generated code.

def _np_dropout(x, seed, p, stream=0):
    """x with each element dropped (0) with probability p, the others scaled by 1/(1-p);
    the mask from default_rng(seed), or default_rng([seed, stream]) for stream > 0."""
    x = np.asarray(x)
    entropy = int(seed) if stream == 0 else [int(seed), stream]
    mask = np.random.default_rng(entropy).random(x.shape) >= p
    return x * (mask / (1 - p)).astype(x.dtype)


def _exact(attrs, x, seed):
    x = np.asarray(x, dtype=object)
    keep = np.random.default_rng(_entropy(seed, attrs["stream"])).random(x.shape) >= attrs["p"]
    scale = 1 / (1 - sp.Rational(repr(attrs["p"])))  # 0.1 is 1/10, so values stay exact
    return np.where(keep, x * scale, sp.Integer(0)).astype(object)


def _notation(attrs, x, seed):
    """``dropout(x, seed, p=0.25)``: p is part of what the node computes (the seed, an
    int64 input or constant, is written as its name or value)."""
    stream = f", stream={attrs['stream']}" if attrs["stream"] else ""
    return notation_of("dropout", f"{seed}, p={attrs['p']:g}{stream}")(x)


register(OpDef(
    name="dropout", family="nn", arity=2, attrs=("p", "stream"), defaults={"p": 0.5, "stream": 0},
    nondiff=(1,),
    prepare=_prepare, infer=_infer, reference=_reference, exact=_exact,
    notation=lambda attrs, shapes_, x, seed: _notation(attrs, x, seed),
    numpy=lambda attrs, shapes_: ("_np_dropout({0}, {1}, {p}, stream={stream})"
                                  if attrs["stream"] else "_np_dropout({0}, {1}, {p})"),
    helpers=(_np_dropout,),
    rules=("d dropout({0}, {1})/d{0} = dropout(ct, {1})",),
    vjp=lambda b, node, ct, needs: [
        b.op("dropout", ct, node.operands[1], p=node.attrs["p"],
             stream=node.attrs["stream"]), None],
    test=TestSpec(inputs=(("float", (3, 4), -2.0, 2.0), ("labels", (), 1000)),
                  attrs={"p": 0.25}),
    doc="inverted dropout (as PyTorch): each element of x is dropped with probability p, "
        "the kept ones scaled by 1/(1-p); the mask is "
        "np.random.default_rng(seed).random(x.shape) >= p, from the int64 scalar operand "
        "seed, so the same feeds give the same output; a further dropout fed by the same "
        "seed node draws another mask, from default_rng([seed, stream])"))
