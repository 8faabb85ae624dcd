"""XOR built from the AND, OR and NOT perceptrons of seed 001: XOR(a, b) = AND(OR(a, b),
NOT(AND(a, b))).

One perceptron cannot compute XOR (examples/logic_gates.py: the perceptron rule never
converges on it), but three layers of the slides' gates can. Each gate is
yhat = step(w . x + b), step(z) = 1 if z > 0 else 0, with the weights of seed 001:

    AND: w = (1, 1), b = -1.5      OR: w = (1, 1), b = -0.5      NOT: w = -1, b = 0.5

    layer 1:  h_or = OR(a, b),  h_and = AND(a, b)      (both read the inputs a, b)
    layer 2:  h_nand = NOT(h_and)
    layer 3:  xor = AND(h_or, h_nand)                  (the two hidden units stacked)

The whole circuit is one graphc graph over a batch of the four rows of the truth table, and
the table is one call of the code gc.compile generates for it. No weight is learned: the
slides give them all. Seed 001 says "if one can represent AND, OR, NOT, one can represent
any logic circuit (including XOR)" and writes XOR(x1, x2) = (x1 AND NOT x2) OR (NOT x1 AND
x2); the circuit here is an equal one with four gates instead of five (both give 0110).

Run it:  python examples/xor_from_gates.py [OUT_DIR]     (the diagram goes to OUT_DIR)
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

GATES = {"AND": ([1, 1], -1.5), "OR": ([1, 1], -0.5), "NOT": (-1, 0.5)}   # seed 001
ROWS = [[0, 0], [0, 1], [1, 0], [1, 1]]


def gate(g, x, name, layer, n_inputs):
    """``step(x @ w + b)`` (or ``step(x * w + b)`` for NOT's single input) with params
    ``w_{name}{layer}``, ``b_{name}{layer}``, in scope ``{name}{layer}``."""
    tag = f"{name}{layer}"
    with g.scope(tag):
        w = g.param(f"w_{tag}", shape=(n_inputs,) if n_inputs > 1 else ())
        b = g.param(f"b_{tag}")
        z = ((x @ w) if n_inputs > 1 else (x * w)) + b
        return gc.step(z.named(f"z_{tag}")).named(f"h_{tag}")


g = gc.Graph("XOR from gates")
X = g.input("X", shape=("N", 2))                         # the rows (a, b)
h_or = gate(g, X, "OR", 1, 2)
h_and = gate(g, X, "AND", 1, 2)
h_nand = gate(g, h_and, "NOT", 2, 1)
hidden = gc.stack([h_or, h_nand], axis=1).named("H")     # (N, 2): OR(a, b), NOT(AND(a, b))
xor = gate(g, hidden, "AND", 3, 2).named("xor")

#: Every gate's weights, as the slides give them, and the truth table's rows.
at = {"X": ROWS, **{f"{p}_{name}{layer}": GATES[name][p == "b"]
                    for name, layer in [("OR", 1), ("AND", 1), ("NOT", 2), ("AND", 3)]
                    for p in ("w", "b")}}


def truth_table():
    """The rows ``(a, b, OR, AND, NOT AND, XOR)`` by the compiled circuit."""
    outputs = gc.compile([h_or, h_and, h_nand, xor])(**at)
    return [tuple(int(v) for v in (*row, *column))
            for row, column in zip(ROWS, np.stack(outputs, axis=1))]


def main(out_dir="out"):
    print(f"graphc: XOR(a, b) = AND(OR(a, b), NOT(AND(a, b))), each gate a perceptron\n\n"
          f"{g}\n")
    for name, (w, b) in GATES.items():
        print(f"{name}: w = {tuple(w) if isinstance(w, list) else w}, b = {b}")
    print(f"\n{'a':>1} {'b':>1}  {'OR':>2} {'AND':>3} {'NOT AND':>7}  {'XOR':>3}")
    table = truth_table()
    for a, b, o, n, nand, x in table:
        print(f"{a:>1} {b:>1}  {o:>2} {n:>3} {nand:>7}  {x:>3}")
    print(f"\nXOR truth table: {''.join(str(row[-1]) for row in table)}")
    print(f"A diagram of the circuit is in {write_diagram(out_dir)}")


def write_diagram(out_dir):
    """The circuit's forward graph with its values at the four rows."""
    import visualize  # only here: loading this file for graphc needs no Graphviz
    return visualize.export(visualize.draw(g, view="forward", at=at),
                            Path(out_dir) / "xor_from_gates_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
