"""A softmax classifier on three blobs of 2-D points (seed 001, "Softmax": turning the
outputs f into probabilities over K classes).

    f = X @ W + b                      one score per class (K = 3), no hidden layer
    p = softmax(f),  p_k = exp(f_k) / sum_j exp(f_j)
    loss = cross_entropy(f, labels)    -log p_y, mean over the minibatch

The data, 300 points around three centres, is made in code with a fixed seed, and gc.train
runs minibatch stochastic gradient descent (batches of 32, shuffled each epoch with the
same seed), so every run gives the same numbers. A softmax classifier is linear: the
boundaries between its decision regions are straight lines. The example prints the train
accuracy, and writes to OUT_DIR the decision regions (blobs_regions.png), the loss curve
(blobs_loss.png) and the graph (blobs_forward.svg).

Run it:   python examples/softmax_blobs.py [OUT_DIR]     (OUT_DIR defaults to "out")
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc
from graphc.files import write_atomic

CLASSES = 3
CENTRES = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]])

g = gc.Graph("softmax classifier")
X = g.input("X", shape=("N", 2))
labels = g.input("labels", shape=("N",), dtype="int64")
W, b = g.param("W", shape=(2, CLASSES)), g.param("b", shape=(CLASSES,))
f = (X @ W + b).named("f")
p = gc.softmax(f).named("p")
loss = gc.cross_entropy(f, labels).named("loss")
acc = gc.accuracy(f, labels).named("accuracy")


def blobs(n_per_class=100, spread=0.8, seed=0):
    """``n_per_class`` points around each of the CENTRES (Gaussian, std ``spread``)."""
    rng = np.random.default_rng(seed)
    labels_ = np.repeat(np.arange(CLASSES), n_per_class)
    points = CENTRES[labels_] + rng.normal(scale=spread, size=(len(labels_), 2))
    return {"X": points, "labels": labels_}


def train(data, epochs=20, batch_size=32, lr=0.1, seed=0):
    """Minibatch SGD from g.initial_params(seed); returns the History."""
    return gc.train(loss, g.initial_params(seed=seed), data, epochs=epochs,
                    batch_size=batch_size, lr=lr, seed=seed, progress=False)


def main(out_dir="out"):
    out_dir = Path(out_dir)
    data = blobs()
    print(g.summary())
    history = train(data)
    (accuracy,) = gc.compile([acc], unused="ignore")(**data, **history.params)
    print(f"\n{len(data['labels'])} points in {CLASSES} blobs, {len(history.losses)} epochs "
          f"of minibatch SGD (batches of 32):")
    print(f"  loss: first epoch {history.losses[0]:.4f}, last epoch {history.losses[-1]:.4f}")
    print(f"  train accuracy: {float(accuracy):.3f}")
    print(f"  W = {np.round(history.params['W'], 3).tolist()}")
    print(f"  b = {np.round(history.params['b'], 3).tolist()}")
    print(f"\nThe loss curve is in {history.plot(out_dir / 'blobs_loss.png')}")
    print(f"The decision regions are in {plot_regions(data, history.params, out_dir)}")
    print(f"A diagram of the classifier is in {write_diagram(out_dir)}")


def plot_regions(data, params, out_dir, steps=200):
    """The class the trained classifier picks at each point of a grid, with the data on
    top; one call of the compiled scores for the whole grid."""
    from matplotlib.figure import Figure
    low, high = data["X"].min(axis=0) - 1, data["X"].max(axis=0) + 1
    xs, ys = np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps)
    x1, x2 = np.meshgrid(xs, ys)
    grid = np.column_stack([x1.ravel(), x2.ravel()])
    (scores,) = gc.compile([f], unused="ignore")(X=grid, **params)
    classes = scores.argmax(axis=1).reshape(steps, steps)
    light, dark = ["#c6dbef", "#fdd0a2", "#c7e9c0"], ["#08519c", "#a63603", "#006d2c"]
    fig = Figure(figsize=(5, 4.5))
    ax = fig.subplots()
    ax.contourf(xs, ys, classes, levels=np.arange(CLASSES + 1) - 0.5, colors=light)
    for k in range(CLASSES):
        points = data["X"][data["labels"] == k]
        ax.scatter(points[:, 0], points[:, 1], s=14, c=dark[k], edgecolors="white",
                   linewidths=0.4, label=f"class {k}")
    ax.set(xlabel="x1", ylabel="x2", title="Softmax classifier: decision regions")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = out_dir / "blobs_regions.png"
    return write_atomic(path, lambda f: fig.savefig(f, format="png"))


def write_diagram(out_dir):
    """The forward graph: a linear layer, softmax, cross-entropy."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    return visualize.export(visualize.draw(g), out_dir / "blobs_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
