"""Each public tool on a 10,000-node chain (x, w, then tanh, a product with w, a sum with x,
taking turns): gc.grad, gc.compile, gc.evaluate, gc.formula, gc.latex and gc.explain, each
timed once, as a ratio to building the chain in the same run (the reference).

    .venv/bin/python benchmarks/bench_scale.py [--quick]     (--quick: 1,000 nodes)
"""

import sys
import time

import graphc as gc
from graphc.symbolic import formula_text


def chain(n):
    g = gc.Graph("mixed")
    x, w = g.input("x"), g.param("w")
    v = x
    for i in range(n - 3):
        v = (gc.tanh, lambda a: a * w, lambda a: a + x)[i % 3](v)
    return x, w, gc.tanh(v).named("loss")


def timed(what):
    start = time.perf_counter()
    what()
    return time.perf_counter() - start


def main(argv):
    n = 1_000 if "--quick" in argv else 10_000
    at = {"x": 0.3141592653589793, "w": 0.5}  # numbers: exact values would be a budget run
    found = {}
    found["build"] = timed(lambda: found.setdefault("chain", chain(n)))
    x, w, loss = found.pop("chain")
    grads = []
    rows = [("gc.grad", lambda: grads.extend(gc.grad(loss, [x, w]))),
            ("gc.compile", lambda: gc.compile([loss] + grads)),
            ("gc.evaluate", lambda: gc.evaluate([loss] + grads, at=at)),
            ("gc.formula (loss, dx, dw)", lambda: [gc.formula(v) for v in [loss] + grads]),
            ("formula_text", lambda: [formula_text(v) for v in [loss] + grads]),
            ("gc.latex", lambda: [gc.latex(v) for v in [loss] + grads]),
            ("gc.explain (steps=all)", lambda: str(gc.explain(loss, at=at, wrt=[x, w],
                                                              steps="all")))]
    for name, run in rows:
        found[name] = timed(run)
    print(f"each tool on a {n:,}-node chain (tanh, * w, + x), timed once")
    print(f"  {'tool':28} {'time':>9} {'vs build':>9}")
    for name, seconds in found.items():
        print(f"  {name:28} {seconds:8.2f}s {seconds / found['build']:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
