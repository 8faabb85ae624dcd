"""AND, OR and NOT as perceptrons, and why XOR is out of a perceptron's reach (seeds 000, 001).

A perceptron computes yhat = step(w . x + b), with step(z) = 1 if z > 0 else 0. With the
slides' weights (seed 001) it is a logic gate:

    AND: w = (1, 1), b = -1.5     truth table 0 0 0 1
    OR:  w = (1, 1), b = -0.5     truth table 0 1 1 1
    NOT: w = -1,     b = 0.5      truth table 1 0

Each gate is a graphc graph over a batch of N inputs, yhat = step(X @ w + b), and its truth
table is one call of the code gc.compile generates for it.

XOR (0 1 1 0) is not linearly separable, so the perceptron rule never stops making
mistakes: training from w = 0 over the four points (extended vectors (x1, x2, 1), updated
by gc.optim.perceptron_update, predictions by a compiled yhat = step(w . x)) is stopped
after 100 epochs without converging.

Run it:  python examples/logic_gates.py [OUT_DIR]
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

INPUTS = {2: [[0, 0], [0, 1], [1, 0], [1, 1]], 1: [[0], [1]]}   # the truth tables' rows
GATES = {  # name: (number of inputs, w, b), as on the slides
    "AND": (2, [1, 1], -1.5),
    "OR": (2, [1, 1], -0.5),
    "NOT": (1, [-1], 0.5),
}
XOR_LABELS = [0, 1, 1, 0]   # for the rows (0, 0), (0, 1), (1, 0), (1, 1)


def gate_graph(name, n_inputs):
    """A perceptron with ``n_inputs`` inputs over a batch: yhat = step(X @ w + b)."""
    graph = gc.Graph(f"{name} perceptron")
    X = graph.input("X", shape=("N", n_inputs))   # one row of the truth table a row
    w = graph.param("w", shape=(n_inputs,))
    b = graph.param("b")
    z = ((X @ w).named("Xw") + b).named("z")
    return graph, gc.step(z).named("yhat")


g, yhat = gate_graph("AND", 2)   # the AND perceptron, drawn by main()
at = {"X": INPUTS[2], "w": GATES["AND"][1], "b": GATES["AND"][2]}


def truth_table(name):
    """The outputs of gate ``name`` for its rows of INPUTS, by compiled graphc code."""
    n_inputs, w, b = GATES[name]
    _, out = gate_graph(name, n_inputs)
    (outputs,) = gc.compile([out])(X=INPUTS[n_inputs], w=w, b=b)
    return [int(v) for v in outputs]


def train_xor(max_epochs=100):
    """The perceptron rule on XOR from w = 0. Returns ``(w, epochs, converged, mistakes)``:
    the weights (w1, w2, b), the epochs run, and the mistakes in the last epoch."""
    graph = gc.Graph("XOR perceptron")
    x, w = graph.input("x", shape=(3,)), graph.param("w", shape=(3,))
    predict = gc.compile([gc.step(w @ x).named("yhat")])
    points = [row + [1] for row in INPUTS[2]]   # extended vectors (x1, x2, 1)
    w_now = np.zeros(3)
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for point, label in zip(points, XOR_LABELS):
            (prediction,) = predict(x=point, w=w_now)
            w_now, updated = gc.optim.perceptron_update(w_now, point, label)
            assert updated == (prediction != label)  # the rule predicts as the graph does
            mistakes += updated
        if mistakes == 0:
            return w_now, epoch, True, 0
    return w_now, max_epochs, False, mistakes


def main(out_dir="out"):
    print(f"graphc: logic gates as perceptrons, yhat = step(X @ w + b)\n\n{g}\n")
    for name, (n_inputs, w, b) in GATES.items():
        outputs = truth_table(name)
        weights = f"({w[0]}, {w[1]})" if n_inputs == 2 else f"{w[0]}"
        print(f"{name}: w = {weights}, b = {b}")
        for row, out in zip(INPUTS[n_inputs], outputs):
            print(f"  {' '.join(map(str, row))} -> {out}")
        print(f"  truth table: {''.join(map(str, outputs))}")
    print(f"\nXOR: the perceptron rule from w = 0 on the rows 00, 01, 10, 11 -> "
          f"{''.join(map(str, XOR_LABELS))}")
    w, epochs, converged, mistakes = train_xor()
    if converged:
        print(f"  converged after {epochs} epochs")
    else:
        print(f"  did not converge after {epochs} epochs: {mistakes} mistakes in the last "
              f"epoch, w = ({', '.join(f'{v:g}' for v in w)})")
        print("  (no line separates XOR's 1s from its 0s, so some point is always wrong)")
    print(f"\nA diagram of the AND perceptron is in {write_diagram(out_dir)}")


def write_diagram(out_dir):
    """The AND perceptron's forward graph, with its truth table as the values."""
    import visualize  # only here: loading this file for graphc needs no Graphviz
    return visualize.export(visualize.draw(g, view="forward", at=at),
                            Path(out_dir) / "and_perceptron_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
