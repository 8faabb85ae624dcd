"""Universal approximation (seed 004): one hidden layer fitting sin on [-pi, pi] with 1, 4
and 16 units.

Seed 004: "neural networks with at least one hidden layer are universal function
approximators" and "by increasing the number of hidden neurons we can improve the
approximation". Each network here is

    H = tanh(X @ W1 + b1)        one hidden layer of K units (gc.nn.mlp(g, X, [K, 1]))
    yhat = H @ W2 + b2           one output
    loss = mse(yhat, Y)          Y = sin(X) at 64 points evenly spaced over [-pi, pi]

trained with gc.train: full-batch gradient descent with momentum (3000 epochs, lr 0.05,
momentum 0.9) from g.initial_params(seed=0), so every run prints the same numbers. One
tanh unit can only make one S-shaped step (here it leaves a mean squared error of
0.07); four units follow the curve, sixteen closer still. (The theorem promises that some
width is good enough, not that gradient descent finds it; seed 004 says so too.)

Run it:  python examples/universal_approximation.py [OUT_DIR]   (the plot needs matplotlib)
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc
from graphc.files import write_atomic

WIDTHS = (1, 4, 16)
EPOCHS, LR, MOMENTUM, SEED = 3000, 0.05, 0.9, 0

#: 64 points of sin over [-pi, pi], as (N, 1) columns.
DATA = {"X": np.linspace(-np.pi, np.pi, 64).reshape(-1, 1)}
DATA["Y"] = np.sin(DATA["X"])


def network(units):
    """The graph with ``units`` hidden tanh units, its prediction and its loss."""
    graph = gc.Graph(f"1-hidden-layer net, {units} units")
    X = graph.input("X", shape=("N", 1))
    Y = graph.input("Y", shape=("N", 1))
    yhat = gc.nn.mlp(graph, X, [units, 1], act="tanh").named("yhat")
    return graph, yhat, gc.mse(yhat, Y).named("loss")


g, yhat, loss = network(WIDTHS[-1])   # the widest, for graphc compile/render


def fit(units):
    """Train the network of ``units`` units; returns ``(history, predictions)``."""
    graph, out, objective = network(units)
    history = gc.train(objective, graph.initial_params(seed=SEED), DATA, epochs=EPOCHS,
                       lr=LR, momentum=MOMENTUM, seed=SEED, progress=False)
    (predictions,) = gc.compile([out], unused="ignore")(X=DATA["X"], **history.params)
    return history, predictions


def main(out_dir="out"):
    print(f"graphc: fitting sin on [-pi, pi] (64 points) with one hidden tanh layer\n\n"
          f"{g.summary()}\n")
    fits = {units: fit(units) for units in WIDTHS}
    print(f"{'units':>5}  {'params':>6}  {'final loss (mse)':>16}  {'max |error|':>11}")
    for units, (history, predictions) in fits.items():
        params = sum(np.size(v) for v in history.params.values())
        worst = float(np.max(np.abs(predictions - DATA["Y"])))
        print(f"{units:>5}  {params:>6}  {history.losses[-1]:>16.6f}  {worst:>11.4f}")
    print(f"\n{EPOCHS} epochs each, lr {LR}, momentum {MOMENTUM}: the loss falls as the "
          f"hidden layer widens")
    print(plot(fits, Path(out_dir)))


def plot(fits, out_dir):
    """sin and each network's fit as universal_approximation.png; a message saying so
    when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return "matplotlib is not installed (pip install graphc[plot]): no plot written"
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.plot(DATA["X"], DATA["Y"], "k.", label="sin(x)")
    for units, (_, predictions) in fits.items():
        ax.plot(DATA["X"], predictions, label=f"{units} unit{'s' if units > 1 else ''}")
    ax.set(xlabel="x", ylabel="y", title="one hidden layer, wider and wider")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = write_atomic(out_dir / "universal_approximation.png",
                        lambda f: fig.savefig(f, format="png", metadata={"Software": None}))
    return f"The fits are in {path}"


if __name__ == "__main__":
    main(*sys.argv[1:])
