"""How long graphc takes to derive and print the gradient formulas of an MLP, by width,
and to explain each example that defines a point.

SymPy never sees tensor elements: a 1024 x 1024 weight is one symbol, so the time should
not grow with the width. Each width is timed in the same run, and reported as a ratio to
the narrowest, which is the reference. Each example's trace (``graphc explain FILE``, less
the start of Python) is timed once, with its widest line and whether its values are exact
or numbers (exact values have a budget of 10 s: a time near it says one ran into it).

    .venv/bin/python benchmarks/bench_formulas.py          (after make test or make demo)
    PYTHONPATH=. python3 benchmarks/bench_formulas.py [--quick]   (--quick: the neuron only)
"""

import statistics
import sys
import time
from pathlib import Path

import graphc as gc
from graphc.cli import UsageError, loaded, point
from graphc.errors import GraphcError

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


def explained(path):
    """``(seconds, widest line, note)`` of ``path``'s trace at its point, or the one line
    saying why it has none."""
    try:
        namespace, loss = loaded(path)
        if "at" not in namespace:
            return "the file defines no point (`at`)"
        at = point(namespace, [])
        start = time.perf_counter()
        trace = gc.explain(loss, at=at)
        shown = str(trace)
        seconds = time.perf_counter() - start
    except (UsageError, GraphcError) as err:
        return str(err).removeprefix(f"{path}: ")
    return seconds, max(map(len, shown.splitlines())), "numbers" if trace.note else "exact"


def explain_examples(names):
    print("\ngc.explain of each example at its point (explain + str), timed once")
    print(f"  {'example':<18}  {'time':>9}  {'widest':>6}  values")
    explained(names[0])  # warm SymPy's caches once
    for path in names:
        result = explained(path)
        if isinstance(result, str):
            print(f"  {path.stem:<18}  not explained: {result}")
            continue
        seconds, widest, values = result
        print(f"  {path.stem:<18}  {seconds * 1e3:7.1f} ms  {widest:>6}  {values}")


def main():
    quick = "--quick" in sys.argv[1:]
    examples = Path(__file__).resolve().parent.parent / "examples"
    derive(WIDTHS[0])  # warm SymPy's caches once, as a user's first call would not
    medians = {w: statistics.median(derive(w) for _ in range(REPEATS)) for w in WIDTHS}
    print(f"gradient formulas of a 2-layer MLP (build + grad + formula), median of {REPEATS}")
    print(f"  {'width':>6}  {'time':>9}  {'vs width ' + str(WIDTHS[0]):>14}")
    for width, seconds in medians.items():
        print(f"  {width:>6}  {seconds * 1e3:7.1f} ms  {seconds / medians[WIDTHS[0]]:13.2f}x")
    loss, params = mlp(1024)
    print("\ndloss/dW1 at width 1024:", gc.formula(gc.grad(loss, params[:1])[0]))
    explain_examples([examples / "neuron.py"] if quick else sorted(examples.glob("*.py")))


if __name__ == "__main__":
    main()
