"""The perceptron training example of the lecture (seeds 000 and 003), epoch by epoch.

The perceptron is a graphc graph, yhat = step(w . x), on extended vectors: the weight
vector ends in the bias and every input ends in the constant 1. Its predictions come from
the code gc.compile generates for it; the updates are the perceptron rule,
gc.optim.perceptron_update: on a mistake, w <- w + x for a missed 1, w <- w - x for a false 1.

    start:   w = (1, 2), b = -1, extended w = (1, 2, -1)
    points:  x1 = (0, 1, 1), x2 = (1, 0, 1)  class 0
             x3 = (2, 1, 1), x4 = (1, 2, 1)  class 1
    epoch 1: x1: w . x1 = 1, yhat = 1, wrong: w <- w - x1 = (1, 1, -2); x2, x3, x4 correct
    epoch 2: w . x = -1, -1, 1, 1: all correct, no update, so training stops (converged)

How the points and labels were derived (the slides' text was extracted from a figure):
the four points are the slides' extended vectors x1..x4, that is (0, 1), (1, 0), (2, 1)
and (1, 2) with a 1 appended. The labels are only in the figure: x1, x2 are class 0 and
x3, x4 class 1. The text agrees: x1 with w . x1 = 1 is a "wrong prediction" and is
subtracted (a false 1, so y1 = 0), and with w = (1, 1, -2) the slides call w . x = -1 for
x2 and w . x = 1 for x3, x4 correct. step(z) is 1 only for z > 0, as on the slides. Seed
000's epoch 1 lists x1, x2 and x3 only; seed 003 adds x4 (w . x4 = 1, correct), as here.

Run it:                  python examples/perceptron_trace.py [OUT_DIR]
Draw the perceptron:     graphc render examples/perceptron_trace.py --view forward -o p.svg
"""

import sys
from collections import namedtuple
from pathlib import Path

import graphc as gc

g = gc.Graph("perceptron")
x = g.input("x", shape=(3,))          # an extended input (x1, x2, 1)
w = g.param("w", shape=(3,))          # the extended weights (w1, w2, b)
z = (w @ x).named("z")
yhat = gc.step(z).named("yhat")       # 1 if w . x > 0, else 0

W0 = (1, 2, -1)                                           # w = (1, 2), b = -1
POINTS = [(0, 1, 1), (1, 0, 1), (2, 1, 1), (1, 2, 1)]     # x1, x2, x3, x4
LABELS = [0, 0, 1, 1]                                     # x1, x2 class 0; x3, x4 class 1
at = {"x": POINTS[0], "w": W0}        # the slides' first step, for graphc render

Row = namedtuple("Row", "epoch point x y z yhat updated w")


def trace(w0=W0, points=POINTS, labels=LABELS, max_epochs=10):
    """Train from ``w0`` and return ``(rows, converged)``: one Row a point and epoch, with
    w . x and yhat by the compiled graph, and the weights after the point."""
    predict = gc.compile([z, yhat])
    w_now, rows = tuple(float(v) for v in w0), []
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for i, (point, label) in enumerate(zip(points, labels), start=1):
            z_value, prediction = predict(x=point, w=w_now)
            new_w, updated = gc.optim.perceptron_update(w_now, point, label)
            assert updated == (prediction != label)  # the rule predicts as the graph does
            w_now = tuple(float(v) for v in new_w)
            rows.append(Row(epoch, f"x{i}", point, label, float(z_value), int(prediction),
                            updated, w_now))
            mistakes += updated
        if mistakes == 0:  # an epoch without a mistake: nothing can change any more
            return rows, True
    return rows, False


def vector(values):
    """(1, 1, -2): a vector as the slides write it."""
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


HEADER = f"{'epoch':>5}  {'point':<5}  {'x':<9}  {'y':>1}  {'w.x':>3}  {'yhat':>4}  " \
         f"{'update?':<7}  w after"


def format_row(row):
    """One line of the table, as main() prints it."""
    return (f"{row.epoch:>5}  {row.point:<5}  {vector(row.x):<9}  {row.y:>1}  "
            f"{row.z:>3g}  {row.yhat:>4}  {'yes' if row.updated else 'no':<7}  "
            f"{vector(row.w)}")


def main(out_dir="out"):
    print(f"graphc: training the lecture's perceptron from w = {vector(W0)}\n\n{g}\n")
    rows, converged = trace()
    print(HEADER)
    for row in rows:
        print(format_row(row))
    print()
    epochs = rows[-1].epoch
    for epoch in range(1, epochs + 1):
        updates = sum(r.updated for r in rows if r.epoch == epoch)
        print(f"epoch {epoch}: {updates} update{'' if updates == 1 else 's'}")
    state = "converged" if converged else "did not converge"
    print(f"{state} after {epochs} epochs; final weights w = {vector(rows[-1].w)}")
    print(f"(w = {vector(rows[-1].w[:2])}, b = {rows[-1].w[2]:g})\n")
    print(f"A diagram of the perceptron is in {write_diagram(out_dir)}")


def write_diagram(out_dir):
    """The perceptron's forward graph at the slides' first step (x1, w = (1, 2, -1))."""
    import visualize  # only here: loading this file for graphc needs no Graphviz
    return visualize.export(visualize.draw(g, view="forward", at=at),
                            Path(out_dir) / "perceptron_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
