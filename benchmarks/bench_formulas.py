"""How long graphc takes to derive and print the gradient formulas of an MLP, by width.

SymPy never sees tensor elements: a 1024 x 1024 weight is one symbol, so the time should
not grow with the width. Each width is timed in the same run, and reported as a ratio to
the narrowest, which is the reference.

    .venv/bin/python benchmarks/bench_formulas.py          (after make test or make demo)
    PYTHONPATH=. python3 benchmarks/bench_formulas.py
"""

import statistics
import time

import graphc as gc

WIDTHS = (16, 256, 1024, 4096)
REPEATS = 5


def mlp(width):
    g = gc.Graph(f"mlp {width}")
    X = g.input("X", shape=("N", width))
    labels = g.input("labels", shape=("N",), dtype="int64")
    W1, b1 = g.param("W1", shape=(width, width)), g.param("b1", shape=(width,))
    W2, b2 = g.param("W2", shape=(width, 10)), g.param("b2", shape=(10,))
    H = gc.relu(X @ W1 + b1).named("H")
    loss = gc.cross_entropy(H @ W2 + b2, labels).named("loss")
    return loss, [W1, b1, W2, b2]


def derive(width):
    """Build, differentiate and print every gradient formula; returns the seconds taken."""
    start = time.perf_counter()
    loss, params = mlp(width)
    texts = [str(gc.formula(d)) for d in gc.grad(loss, params)]
    elapsed = time.perf_counter() - start
    assert all(len(t) < 300 for t in texts)
    return elapsed


def main():
    derive(WIDTHS[0])  # warm SymPy's caches once, as a user's first call would not
    medians = {w: statistics.median(derive(w) for _ in range(REPEATS)) for w in WIDTHS}
    print(f"gradient formulas of a 2-layer MLP (build + grad + formula), median of {REPEATS}")
    print(f"  {'width':>6}  {'time':>9}  {'vs width ' + str(WIDTHS[0]):>14}")
    for width, seconds in medians.items():
        print(f"  {width:>6}  {seconds * 1e3:7.1f} ms  {seconds / medians[WIDTHS[0]]:13.2f}x")
    loss, params = mlp(1024)
    print("\ndloss/dW1 at width 1024:", gc.formula(gc.grad(loss, params[:1])[0]))


if __name__ == "__main__":
    main()
