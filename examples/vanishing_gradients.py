"""Vanishing gradients: a 10-layer sigmoid chain against tanh and ReLU (seed 003).

Seed 003 explains why deep sigmoid networks train slowly: backprop multiplies, layer by
layer, by the sigmoid's derivative sigma(z) (1 - sigma(z)), which is at most 1/4, so the
gradient reaching the first layers shrinks geometrically. tanh's derivative is 1 at 0 and
ReLU's is 1 wherever a unit is on, so with the usual initialisation their gradients keep
their size.

Three networks of the same shape, 10 dense layers of 16 units, each followed by its
activation, then a mean squared error against a target:

    h0 = x (32, 16);  h_k = act(h_{k-1} @ W_k + b_k), k = 1..10;  loss = mse(h10, y)

Weights: Xavier for sigmoid and tanh, He for ReLU (each activation with the initialisation
made for it); zero biases; the same seeds for x, y and the weights (seed 0). The example
prints the gradient's size ||dL/dW_k|| (Frobenius norm) per layer for each activation, and
the ratio of the first layer's to the last's. For sigmoid the first layer's gradient is
orders of magnitude (about 10^-6) below the last's; for tanh and ReLU it is of the same
order. It draws the sigmoid chain's gradient flow (``view="gradflow"``, one box per layer)
into OUT_DIR/vanishing_sigmoid_gradflow.svg: the edges fade toward the input.

Run it:   python examples/vanishing_gradients.py [OUT_DIR]     (OUT_DIR defaults to "out")
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

LAYERS, WIDTH, BATCH, SEED = 10, 16, 32, 0
INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}


def chain(act):
    """The 10-layer chain with activation ``act``: (its loss, its weights W1..W10)."""
    g = gc.Graph(f"{act} chain")
    h = g.input("x", shape=(BATCH, WIDTH))
    y = g.input("y", shape=(BATCH, WIDTH))
    weights = []
    for k in range(1, LAYERS + 1):
        with g.scope(f"layer{k}"):
            w = g.param(f"W{k}", shape=(WIDTH, WIDTH), init=INIT[act])
            b = g.param(f"b{k}", shape=(WIDTH,))
            h = getattr(gc, act)((h @ w + b).named(f"z{k}")).named(f"h{k}")
        weights.append(w)
    return gc.mse(h, y).named("loss"), weights


def feeds(loss):
    """The inputs x, y (standard normal, seed 0) and the chain's initial weights (seed 0)."""
    rng = np.random.default_rng(SEED)
    data = {"x": rng.normal(size=(BATCH, WIDTH)), "y": rng.normal(size=(BATCH, WIDTH))}
    return {**data, **loss.graph.initial_params(seed=SEED)}


def gradient_norms(loss, weights):
    """||dL/dW_k|| for k = 1..10, by the generated code at ``feeds(loss)``."""
    grads = gc.grad(loss, weights)
    values = gc.compile(grads)(**feeds(loss))
    return [float(np.linalg.norm(v)) for v in values]


CHAINS = {act: chain(act) for act in INIT}
loss, W = CHAINS["sigmoid"]          # the sigmoid chain is the one `graphc compile` builds
AT = feeds(loss)


def main(out_dir="out"):
    norms = {act: gradient_norms(*CHAINS[act]) for act in INIT}
    print(f"||dL/dW_k|| per layer, {LAYERS} dense layers of {WIDTH} units, batch {BATCH}:")
    print("  layer " + "".join(f"{act:>12s}" for act in INIT))
    for k in range(LAYERS):
        print(f"  {k + 1:5d} " + "".join(f"{norms[act][k]:12.3e}" for act in INIT))
    print("\nfirst layer / last layer:")
    for act in INIT:
        print(f"  {act:8s} {norms[act][0] / norms[act][-1]:.3e}")
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    diagram = visualize.draw(loss, view="gradflow", at=AT, collapse=True)
    path = visualize.export(diagram, Path(out_dir) / "vanishing_sigmoid_gradflow.svg")
    print(f"\nThe sigmoid chain's gradient flow, fading toward the input, is in {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
