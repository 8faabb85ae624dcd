"""Regularisation on a small overfitting problem: 12 noisy samples of sin(2x), a
1-64-64-1 tanh MLP, and a validation set of 200 points from the same curve.

Four runs from the same start, each printed as its final training and validation loss:
plain gradient descent (the training loss keeps falling, the validation loss turns back
up), early stopping (patience on the validation loss; the best epoch's params kept), L2
weight decay (weight_decay=, PyTorch's g += wd * p), and dropout (a fresh mask every step:
the seed input is fed a new value each step, so this run writes its own loop around the
compiled loss and gradients; it is validated on the same network with train=False).

What it shows (the numbers the test checks): the plain run's validation loss is lowest at
epoch 780 (0.2011) and ends at 0.2562; early stopping ends at epoch 72 with 0.2243 (best
0.2020 at 52); weight decay ends at its best, 0.2015; dropout keeps the training loss high
(0.2261) but on 12 samples its validation loss is noisy and ends above the plain run's
(0.3828): here the penalty and early stopping help, dropout does not.

Run it:   python examples/regularisation.py [OUT_DIR]   (OUT_DIR: the plot, if matplotlib)
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

EPOCHS, LR, MOMENTUM = 1000, 0.05, 0.9
SIZES = (1, 64, 64, 1)


def build(p=0.0, train=True):
    """The MLP's loss graph; with ``p`` > 0 a dropout after each hidden layer, its mask
    drawn from the int64 input ``seed``."""
    g = gc.Graph("regularisation" if p else "regularisation, no dropout")
    h, y = g.input("x", shape=("N", 1)), g.input("y", shape=("N", 1))
    seed = g.input("seed", dtype="int64") if p else None
    last = len(SIZES) - 2
    for i, (fan_in, fan_out) in enumerate(zip(SIZES, SIZES[1:])):
        W = g.param(f"W{i + 1}", shape=(fan_in, fan_out))
        h = h @ W + g.param(f"b{i + 1}", shape=(fan_out,))
        if i < last:
            h = gc.tanh(h)
            if p:
                h = gc.dropout(h, p, seed, train=train)
    return g, gc.mse(h, y).named("loss")


def samples(n, rng, noise=0.4):
    x = rng.uniform(-2, 2, size=(n, 1))
    return {"x": x, "y": np.sin(2 * x) + noise * rng.normal(size=(n, 1))}


g, loss = build(p=0.2)  # the graph `graphc compile examples/regularisation.py` compiles
rng = np.random.default_rng(0)
TRAIN, VALID = samples(12, rng), samples(200, rng)


def train_dropout(start, p=0.2):
    """SGD with momentum on the dropout graph, a new seed each step (gc.train feeds data
    whole, so its seed would give one mask for the whole run)."""
    _, dropped = build(p)
    names = list(start)
    step = gc.compile([dropped] + gc.grad(dropped, [dropped.graph.node(n) for n in names]))
    _, plain = build()
    evaluate = gc.compile([plain])
    opt, params = gc.optim.SGD(names, lr=LR, momentum=MOMENTUM), dict(start)
    losses, validation = [], []
    for epoch in range(EPOCHS):
        _, *grads = step(**TRAIN, seed=epoch, **params)
        params = opt.step(params, grads)
        losses.append(float(evaluate(**TRAIN, **params)[0]))
        validation.append(float(evaluate(**VALID, **params)[0]))
    return gc.History(losses, params, validation_losses=validation)


def runs():
    """The four Histories, by name."""
    _, plain = build()
    start = plain.graph.initial_params(seed=1)
    common = {"epochs": EPOCHS, "lr": LR, "momentum": MOMENTUM, "validation": VALID,
              "progress": False}
    return {
        "plain": gc.train(plain, start, TRAIN, **common),
        "early stopping": gc.train(plain, start, TRAIN, patience=20, **common),
        "weight decay 0.01": gc.train(plain, start, TRAIN, weight_decay=0.01, **common),
        "dropout 0.2": train_dropout(start),
    }


def main(out_dir=None):
    histories = runs()
    rows = [("run", "epochs", "train loss", "valid loss", "best valid (epoch)")]
    for name, h in histories.items():
        best = int(np.argmin(h.validation_losses))
        rows.append((name, str(h.epochs), f"{h.losses[-1]:.4f}",
                     f"{h.validation_losses[-1]:.4f}",
                     f"{h.validation_losses[best]:.4f} ({best + 1})"))
    print("\n".join(gc.text.table(rows, align="lrrrr", rule=True)))
    early = histories["early stopping"]
    print(early.stopped)
    print(f"early stopping keeps the params of epoch {early.best_epoch} "
          f"(h.best_params); h.params are those of epoch {early.epochs}")
    if out_dir is not None:
        try:
            path = histories["plain"].plot(Path(out_dir) / "regularisation_plain.png")
            print(f"the plain run's curves are in {path}")
        except gc.GraphcError as error:
            print(error)
    return histories


if __name__ == "__main__":
    main(*sys.argv[1:])
