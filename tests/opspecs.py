"""Build a small graph around one op from its TestSpec, with random feeds."""

import numpy as np

import graphc as gc


def draw(entry, rng):
    """A random value for one TestSpec input entry."""
    kind, shape = entry[0], entry[1]
    if kind == "labels":
        return rng.integers(0, entry[2], size=shape)
    lo, hi = entry[2], entry[3]
    value = rng.uniform(lo, hi, size=shape)
    if kind == "nonzero":
        value = value * rng.choice([-1.0, 1.0], size=shape)
    return value


def build(opdef, seed=0, dtype="float64"):
    """(graph, output, operands, feeds) for ``opdef`` at a random point, floats in ``dtype``."""
    rng = np.random.default_rng(seed)
    g = gc.Graph(f"test {opdef.name}")
    operands, feeds = [], {}
    for i, entry in enumerate(opdef.test.inputs):
        kind = "int64" if entry[0] == "labels" else dtype
        node = g.input(f"in{i}", shape=entry[1], dtype=kind)
        operands.append(node)
        feeds[node.name] = draw(entry, rng).astype(kind)
    out = g.apply(opdef.name, operands, dict(opdef.test.attrs), name="out")
    return g, out, operands, feeds


def scalar_of(out, seed=0):
    """A scalar that depends on every element of ``out`` with distinct weights."""
    if out.shape == ():
        return out
    weights = np.random.default_rng(seed + 100).uniform(0.5, 1.5, size=out.shape)
    return gc.sum(out * weights)


def differentiable(opdef, operands):
    """The operands a gradient flows to."""
    return [o for slot, o in enumerate(operands)
            if o.dtype.startswith("float") and slot not in opdef.nondiff]
