"""A 2-layer MLP learns XOR, which no single perceptron can (seed 001, "The limited power
of a single neuron" and "Demo: Learning XOR using neural net").

    the four points:  (0, 0) -> 0,  (0, 1) -> 1,  (1, 0) -> 1,  (1, 1) -> 0
    H = tanh(X @ W1 + b1)          a hidden layer of 4 units
    logits = H @ W2 + b2           one score per class (0 and 1)
    loss = cross_entropy(logits, labels)     softmax cross-entropy, mean over the 4 points

One line cannot separate the 1s from the 0s, but the hidden layer bends the plane so that
the output layer can. gc.train runs full-batch gradient descent with momentum from
g.initial_params(seed=0), so every run gives the same numbers. The example prints the
accuracy and the final loss, and writes to OUT_DIR the decision regions
(xor_regions.png), the loss curve (xor_loss.png) and the graph with each node's value at
the four points after training (xor_forward.svg).

Run it:   python examples/xor_mlp.py [OUT_DIR]     (OUT_DIR defaults to "out")
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc
from graphc.files import write_atomic

HIDDEN = 4

g = gc.Graph("xor mlp")
X = g.input("X", shape=("N", 2))
labels = g.input("labels", shape=("N",), dtype="int64")
with g.scope("hidden"):
    W1, b1 = g.param("W1", shape=(2, HIDDEN)), g.param("b1", shape=(HIDDEN,))
    H = gc.tanh(X @ W1 + b1).named("H")
with g.scope("output"):
    W2, b2 = g.param("W2", shape=(HIDDEN, 2)), g.param("b2", shape=(2,))
    logits = (H @ W2 + b2).named("logits")
loss = gc.cross_entropy(logits, labels).named("loss")
acc = gc.accuracy(logits, labels).named("accuracy")

#: The XOR truth table of the slide.
DATA = {"X": np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
        "labels": np.array([0, 1, 1, 0])}


def train(epochs=300, lr=0.5, momentum=0.9, seed=0):
    """Full-batch gradient descent (4 points, so one step an epoch); returns the History."""
    return gc.train(loss, g.initial_params(seed=seed), DATA, epochs=epochs, lr=lr,
                    momentum=momentum, seed=seed, progress=False)


def main(out_dir="out"):
    out_dir = Path(out_dir)
    print(g.summary())
    history = train()
    predict = gc.compile([logits, acc], unused="ignore")
    scores, accuracy = predict(**DATA, **history.params)
    print(f"\nAfter {len(history.losses)} epochs of gradient descent:")
    for (x1, x2), label, row in zip(DATA["X"], DATA["labels"], scores):
        print(f"  XOR({x1:.0f}, {x2:.0f}) = {label}   predicted {row.argmax()}"
              f"   logits ({row[0]:+.3f}, {row[1]:+.3f})")
    print(f"accuracy: {float(accuracy):.0%}")
    print(f"final loss: {history.losses[-1]:.6f}   (first epoch {history.losses[0]:.6f})")
    print(f"\nThe loss curve is in {history.plot(out_dir / 'xor_loss.png')}")
    print(f"The decision regions are in {plot_regions(history.params, out_dir)}")
    print(f"The graph, with its values at the four points, is in "
          f"{write_diagram(history.params, out_dir)}")


def plot_regions(params, out_dir, steps=200):
    """The class the trained MLP picks at each point of a grid over [-0.5, 1.5]^2, with
    the four XOR points on top; one call of the compiled logits for the whole grid."""
    from matplotlib.figure import Figure
    xs = np.linspace(-0.5, 1.5, steps)
    x1, x2 = np.meshgrid(xs, xs)
    grid = np.column_stack([x1.ravel(), x2.ravel()])
    (scores,) = gc.compile([logits], unused="ignore")(X=grid, **params)
    classes = scores.argmax(axis=1).reshape(steps, steps)
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    ax.contourf(xs, xs, classes, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
    for label, marker, colour in ((0, "o", "#08519c"), (1, "s", "#a63603")):
        points = DATA["X"][DATA["labels"] == label]
        ax.scatter(points[:, 0], points[:, 1], marker=marker, s=90, c=colour,
                   edgecolors="black", label=f"XOR = {label}")
    ax.set(xlabel="x1", ylabel="x2", title="XOR: decision regions of the 2-layer MLP")
    ax.legend(loc="lower left")
    fig.tight_layout()
    path = out_dir / "xor_regions.png"
    return write_atomic(path, lambda f: fig.savefig(f, format="png"))


def write_diagram(params, out_dir):
    """The forward graph with each node's value at the four points, after training."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    diagram = visualize.draw([loss, acc], at={**DATA, **params})
    return visualize.export(diagram, out_dir / "xor_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
