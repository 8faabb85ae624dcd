"""Parameters: their starting values (initializers by name, or a value given by the user)
and how many there are (``graph.summary()``).

``g.param(name, shape, init=...)`` takes an array of the parameter's shape or one of the
names of ``INITIALIZERS``; ``None`` means "zeros" for biases (0-D and 1-D parameters) and
"xavier" for weights (2-D and more). ``g.initial_params(seed)`` draws them all.

Fans follow the layout graphc's examples use, ``X @ W`` (rows of a weight are its inputs):
a 2-D weight of shape ``(fan_in, fan_out)``; a convolution weight ``(F, C, kh, kw)`` has
``fan_in = C*kh*kw`` and ``fan_out = F*kh*kw``; a 1-D weight vector ``(n,)`` (``w @ x``)
has ``fan_in = n`` and ``fan_out = 1``; a scalar has both 1.

This module never imports graph.py: the graph hands it plain data, or itself to read.

>>> initial_values([("W", (2, 3), "float64", "ones")], seed=0)["W"].shape
(2, 3)
"""

from dataclasses import dataclass

import numpy as np

from .. import text
from ..errors import DTypeError, GraphError, ShapeError
from ..shapes import fmt


def fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape``: ``fans((784, 256)) == (784, 256)``."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], 1
    receptive = int(np.prod(shape[2:], dtype=np.int64))
    if len(shape) == 2:
        return shape[0], shape[1]
    return shape[1] * receptive, shape[0] * receptive


def zeros(shape, rng):
    """All zeros (the default for biases)."""
    return np.zeros(shape)


def ones(shape, rng):
    """All ones."""
    return np.ones(shape)


def xavier(shape, rng):
    """Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); the default for
    weights. Its variance is 2 / (fan_in + fan_out)."""
    fan_in, fan_out = fans(shape)
    limit = np.sqrt(6.0 / max(fan_in + fan_out, 1))
    return rng.uniform(-limit, limit, size=shape)


def he(shape, rng):
    """Kaiming normal: N(0, 2 / fan_in), for weights followed by a ReLU."""
    fan_in, _ = fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), size=shape)


#: name -> function(shape, rng) returning a float64 array of that shape.
INITIALIZERS = {"zeros": zeros, "ones": ones, "xavier": xavier, "he": he}


def default_init(shape):
    """The initializer used when none is given: "zeros" for biases, "xavier" for weights."""
    return "zeros" if len(shape) <= 1 else "xavier"


def check_init(name, shape, dtype, init):
    """Check a parameter's ``init`` when it is declared; returns an initializer name or a
    read-only array of the parameter's dtype.

    >>> check_init("b", (2,), "float64", None)
    'zeros'
    """
    if init is None:
        return default_init(shape)
    if isinstance(init, str):
        if init not in INITIALIZERS:
            raise GraphError(f"param {name!r}: unknown initializer {init!r}; use a value or "
                             f"one of {', '.join(repr(k) for k in INITIALIZERS)}")
        return init
    value = np.array(init)
    if value.dtype.kind not in "iuf":
        raise DTypeError(f"param {name!r}: init {init!r} is not a number or numeric array")
    if value.shape != tuple(shape):
        raise ShapeError(f"param {name!r} has shape {fmt(tuple(shape))} but its init value "
                         f"has shape {fmt(value.shape)}")
    value = value.astype(dtype)
    value.setflags(write=False)
    return value


def initial_values(specs, seed=0):
    """Starting values of parameters, from ``(name, shape, dtype, init)`` tuples, in order.

    One ``numpy.random.default_rng(seed)`` draws them one after another, so the same specs
    and seed give the same values. Named dimensions are an error: a parameter's value
    needs a concrete shape.

    >>> initial_values([("b", (3,), "float64", None)])["b"]
    array([0., 0., 0.])
    """
    rng = np.random.default_rng(seed)
    values = {}
    for name, shape, dtype, init in specs:
        named = [d for d in shape if isinstance(d, str)]
        if named:
            raise ShapeError(f"param {name!r} has shape {fmt(tuple(shape))} with named "
                             f"dimension(s) {', '.join(named)}: parameters need concrete "
                             f"shapes to get values")
        init = default_init(shape) if init is None else init
        if isinstance(init, str):
            values[name] = INITIALIZERS[init](tuple(shape), rng).astype(dtype)
        else:
            values[name] = np.array(init, dtype=dtype)
    return values


# ---- parameter counts: graph.summary() ----------------------------------------------------

HEADER = ("name", "role", "op", "shape", "params")


@dataclass(frozen=True)
class Summary:
    """The rows of a graph's summary; ``total`` counts every parameter element (weights and
    biases both). ``str()`` gives the table."""

    graph: str
    rows: tuple  # (name, role, op, shape, count or None) per node, in creation order
    total: int

    def __str__(self):
        return "\n".join([self._title(),
                          *text.table([HEADER] + self._cells(), align="llllr", indent="  "),
                          self._total()])

    __repr__ = __str__

    def _repr_html_(self):
        """The table in a notebook, the counts right-aligned."""
        return text.html_table(HEADER, self._cells(), align="llllr", caption=self._title(),
                               notes=[self._total()])

    def _title(self):
        return f"Graph {self.graph!r}: {self.total:,} parameters"

    def _total(self):
        return f"total parameters: {self.total:,} (weights and biases)"

    def _cells(self):
        return [[n, r, o, fmt(s), "" if c is None else f"{c:,}"] for n, r, o, s, c in self.rows]


def count(name, shape):
    """The number of elements of a param of ``shape``; named dimensions are an error."""
    named = [d for d in shape if isinstance(d, str)]
    if named:
        raise ShapeError(f"param {name!r} has shape {fmt(shape)} with named dimension(s) "
                         f"{', '.join(named)}: parameters need concrete shapes to be counted")
    total = 1
    for d in shape:
        total *= d
    return total


def summarize(graph, grads=False):
    """The Summary of ``graph``: forward nodes only, unless ``grads`` adds gradient nodes.

    >>> summarize(g).total                                      # doctest: +SKIP
    529411
    """
    rows = []
    for node in graph:
        if node.role == "grad" and not grads:
            continue
        n = count(node.name, node.shape) if node.role == "param" else None
        rows.append((node.name, node.role, node.op, node.shape, n))
    total = sum(r[-1] for r in rows if r[-1] is not None)
    return Summary(graph.name, tuple(rows), total)
