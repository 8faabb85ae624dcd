"""The nine workloads of issue 11, each as a graphc graph, deterministic feeds, a
hand-written NumPy forward+backward (handwritten.py) and one model written against a
small table of ops that each peer framework fills in (peers.py).

A workload's outputs are always the loss, then the gradient of every param, in the order
of ``Workload.params``.
"""

from dataclasses import dataclass

import numpy as np

import graphc as gc
import handwritten


@dataclass(frozen=True)
class Workload:
    """One row of the issue's table: ``layers`` are (fan_in, fan_out) sizes of the dense
    layers, ``act`` the activation of the hidden layers ("tanh", "relu"), ``head`` the
    loss ("bce": bce(sigmoid(z), y), "ce": cross_entropy(z, labels), "mse": mse(h, Y))."""

    name: str
    label: str
    dtype: str
    batch: int
    layers: tuple
    act: str
    head: str
    conv: bool = False  # conv 8 x 3x3 pad 1, relu, 2x2 max-pool in front of the layers
    big: bool = False   # BLAS-bound and slow: --quick times it once
    last_act: bool = False  # the activation after the last layer too (the deep chain)
    static: bool = False    # the batch as a number, not the named dimension N (the neuron)

    @property
    def params(self):
        conv = ("wc", "bc") if self.conv else ()
        dense = tuple(f"{k}{i}" for i in range(1, len(self.layers) + 1) for k in "Wb")
        return conv + dense

    @property
    def target(self):
        return "labels" if self.head == "ce" else "y"

    @property
    def inputs(self):
        return ("X", self.target)


CONV_OUT = 8 * 14 * 14  # 8 filters on 28x28, pooled 2x2

WORKLOADS = (
    Workload("neuron", "lecture neuron, x (1, 2) @ w (2, 1) + b, sigmoid, BCE, static batch 1",
             "float64", 1, ((2, 1),), "tanh", "bce", static=True),
    Workload("mlp_small_f64", "MLP 2-64-64-1 tanh + BCE, batch 32, f64",
             "float64", 32, ((2, 64), (64, 64), (64, 1)), "tanh", "bce"),
    Workload("mlp_small_f32", "same, f32",
             "float32", 32, ((2, 64), (64, 64), (64, 1)), "tanh", "bce"),
    Workload("mnist_f64", "MLP 784-256-256-10 ReLU + softmax CE, batch 128, f64",
             "float64", 128, ((784, 256), (256, 256), (256, 10)), "relu", "ce"),
    Workload("mnist_f32", "same, f32",
             "float32", 128, ((784, 256), (256, 256), (256, 10)), "relu", "ce"),
    Workload("wide_f64", "MLP 1024-2048-2048-10 ReLU + softmax CE, batch 512, f64",
             "float64", 512, ((1024, 2048), (2048, 2048), (2048, 10)), "relu", "ce",
             big=True),
    Workload("wide_f32", "same, f32",
             "float32", 512, ((1024, 2048), (2048, 2048), (2048, 10)), "relu", "ce",
             big=True),
    Workload("deep_tanh", "50 layers 64 wide tanh + MSE, batch 64, f64",
             "float64", 64, ((64, 64),) * 50, "tanh", "mse", last_act=True),
    Workload("conv", "conv 8 x 3x3 pad 1 on 16x1x28x28, ReLU, 2x2 max-pool, linear, CE, f64",
             "float64", 16, ((CONV_OUT, 10),), "relu", "ce", conv=True),
)

BY_NAME = {w.name: w for w in WORKLOADS}
ACTS = {"tanh": gc.tanh, "relu": gc.relu}


# ---- graphc ------------------------------------------------------------------------------

def build(w):
    """(loss node, param nodes) of workload ``w``, built with graphc's public API."""
    g = gc.Graph(w.name)
    dt = w.dtype
    n = w.batch if w.static else "N"
    if w.conv:
        X = g.input("X", shape=("N", 1, 28, 28), dtype=dt)
        wc = g.param("wc", shape=(8, 1, 3, 3), dtype=dt)
        bc = g.param("bc", shape=(8,), dtype=dt)
        conv = gc.conv2d(X, wc, bc, padding=1).named("zc")
        h = gc.flatten(gc.max_pool2d(gc.relu(conv).named("hc"), 2).named("pool"))
        params = [wc, bc]
    else:
        h = X = g.input("X", shape=(n, w.layers[0][0]), dtype=dt)
        params = []
    for i, (fan_in, fan_out) in enumerate(w.layers, 1):
        W = g.param(f"W{i}", shape=(fan_in, fan_out), dtype=dt)
        b = g.param(f"b{i}", shape=(fan_out,), dtype=dt)
        params += [W, b]
        h = (h @ W + b).named(f"z{i}")
        if i < len(w.layers) or w.last_act:
            h = ACTS[w.act](h).named(f"h{i}")
    out = w.layers[-1][1]
    if w.head == "ce":
        loss = gc.cross_entropy(h, g.input("labels", shape=(n,), dtype="int64"))
    elif w.head == "bce":
        loss = gc.bce(gc.sigmoid(h), g.input("y", shape=(n, out), dtype=dt))
    else:
        loss = gc.mse(h, g.input("y", shape=(n, out), dtype=dt))
    return loss.named("loss"), params


def feeds(w, seed=0):
    """Deterministic inputs and params of ``w`` (He- or Xavier-scaled weights, small
    biases), as arrays of the workload's dtype; labels int64."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(w.dtype)
    shape = (w.batch, 1, 28, 28) if w.conv else (w.batch, w.layers[0][0])
    out = {"X": rng.normal(size=shape)}
    if w.conv:
        out["wc"] = rng.normal(scale=np.sqrt(2 / 9), size=(8, 1, 3, 3))
        out["bc"] = rng.normal(scale=0.1, size=8)
    gain = 2.0 if w.act == "relu" else 1.0
    for i, (fan_in, fan_out) in enumerate(w.layers, 1):
        out[f"W{i}"] = rng.normal(scale=np.sqrt(gain / fan_in), size=(fan_in, fan_out))
        out[f"b{i}"] = rng.normal(scale=0.1, size=fan_out)
    out = {k: v.astype(dt) for k, v in out.items()}
    classes = w.layers[-1][1]
    if w.head == "ce":
        out["labels"] = rng.integers(0, classes, size=w.batch)
    elif w.head == "bce":
        out["y"] = rng.integers(0, 2, size=(w.batch, classes)).astype(dt)
    else:
        out["y"] = rng.uniform(-0.5, 0.5, size=(w.batch, classes)).astype(dt)
    return out


def hand(w):
    """The hand-written forward+backward of ``w``: a function of the feeds dict."""
    return handwritten.make(w)


# ---- the model once, for every peer -------------------------------------------------------

def model(w, ops, p, d):
    """The loss of ``w`` written against ``ops`` (a peer's table of ops, see peers.py),
    params ``p`` and inputs ``d`` as the peer's arrays (dicts keyed by name)."""
    h = d["X"]
    if w.conv:
        h = ops.flatten(ops.maxpool2(ops.relu(ops.conv3x3(h, p["wc"], p["bc"]))))
    act = getattr(ops, w.act)
    for i in range(1, len(w.layers) + 1):
        h = h @ p[f"W{i}"] + p[f"b{i}"]
        if i < len(w.layers) or w.last_act:
            h = act(h)
    return getattr(ops, w.head)(h, d[w.target])
