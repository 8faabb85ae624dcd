"""How many learnable parameters does the MLP have? The quiz of seed 001 (the MLP lecture).

    A 3-layer perceptron: 2 input features, hidden layers h1 (1024 units) and h2 (512
    units) with sigmoids, and a softmax output over 3 classes. Every layer has a weight
    matrix and a bias vector, so the answer is

        1024 * 2 + 1024  +  512 * 1024 + 512  +  512 * 3 + 3  =  529,411

graphc counts them with ``g.summary()``: one row per node, weights and biases both counted.
Each layer is built inside ``with g.scope(...)``, so the collapsed diagram draws one box
per layer.

Run it:   python examples/param_count.py [OUT_DIR]     (OUT_DIR defaults to "out")
"""

import sys
from pathlib import Path

import graphc as gc

g = gc.Graph("mlp 2-1024-512-3")
X = g.input("X", shape=("N", 2))
labels = g.input("labels", shape=("N",), dtype="int64")
with g.scope("h1"):
    W1, b1 = g.param("W1", shape=(2, 1024)), g.param("b1", shape=(1024,))
    h1 = gc.sigmoid(X @ W1 + b1).named("h1")
with g.scope("h2"):
    W2, b2 = g.param("W2", shape=(1024, 512)), g.param("b2", shape=(512,))
    h2 = gc.sigmoid(h1 @ W2 + b2).named("h2")
with g.scope("output"):
    W3, b3 = g.param("W3", shape=(512, 3)), g.param("b3", shape=(3,))
    logits = (h2 @ W3 + b3).named("logits")
    probs = gc.softmax(logits).named("p")
loss = gc.cross_entropy(logits, labels).named("loss")

#: The slide's sum, layer by layer: (weights, biases).
BY_HAND = [(2 * 1024, 1024), (1024 * 512, 512), (512 * 3, 3)]


def main(out_dir="out"):
    summary = g.summary()
    print(summary)
    print()
    print("By hand, as on the slide (weights + biases per layer):")
    for layer, (weights, biases) in enumerate(BY_HAND, start=1):
        print(f"  layer {layer}: {weights:>7,} + {biases:>5,} = {weights + biases:>7,}")
    by_hand = sum(w + b for w, b in BY_HAND)
    print(f"  total:   {by_hand:,}")
    if summary.total != by_hand:
        sys.exit(f"graph.summary() counts {summary.total:,}, the slide {by_hand:,}")
    print(f"\ngraph.summary() and the slide agree: {summary.total:,} learnable parameters.")
    print(f"A diagram of the MLP, one box per layer, is in {write_diagram(out_dir)}")


def write_diagram(out_dir):
    """The forward graph collapsed to one box per scope (layer)."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    diagram = visualize.draw(g, collapse=True)
    return visualize.export(diagram, Path(out_dir) / "param_count_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
