"""How long each view of visualize takes on a long tanh chain (10,000 layers by default),
as ratios to references timed in the same run: building the chain, NetworkX's topological
sort of it, and ``gc.grad`` of it (the backward pass every gradient view starts from).

Each view is drawn with its default (past 300 nodes: collapsed into a few boxes) and
rendered by dot; then the full gradient flow (``collapse=False``, a formula an edge) at
two lengths, per node, to show it grows linearly (it was quadratic: 10,000 layers took
158 s). Each row is timed once (they take seconds), after one warm-up on a short chain.

    .venv/bin/python benchmarks/bench_views.py              (after make test or make demo)
    PYTHONPATH=. python3 benchmarks/bench_views.py [--quick] [--layers N]
"""

import argparse
import re
import tempfile
import time
from pathlib import Path

import networkx as nx

import graphc as gc
import visualize

AT = {"x": 0.5, "w": 0.3}


def chain(layers):
    """x * w, then ``layers`` tanh; the last tanh is the loss."""
    g = gc.Graph("chain")
    h = g.input("x") * g.param("w")
    for _ in range(layers):
        h = gc.tanh(h)
    return g, h


def timed(f):
    start = time.perf_counter()
    result = f()
    return time.perf_counter() - start, result


def drawn(diagram):
    return len(re.findall(r"^\t(n\d+|s\d+) \[", diagram.source, re.M))


def views(g, loss, folder):
    """name -> callable returning the diagram (or text) it makes, for every view."""
    return {
        "draw forward": lambda: visualize.draw(g),
        "draw backward": lambda: visualize.draw(loss, view="backward"),
        "draw gradflow": lambda: visualize.draw(loss, view="gradflow"),
        "draw gradflow at=": lambda: visualize.draw(loss, view="gradflow", at=AT),
        "steps frames=range(0, 1)": lambda: visualize.frames(loss, frames=range(0, 1))[0],
        "to_tikz (forward)": lambda: visualize.to_tikz(visualize.draw(g)),
        "export .svg (forward)": lambda: visualize.export(visualize.draw(g),
                                                          folder / "chain.svg"),
        "render png (forward)": lambda: visualize.render(visualize.draw(g), "png"),
    }


def table(layers):
    start = time.perf_counter()
    g, loss = chain(layers)
    build = time.perf_counter() - start
    topo, _ = timed(lambda: list(nx.topological_sort(g.nx)))
    work = g.copy()  # the views draw g without gradients: differentiate a copy
    grad, _ = timed(lambda: gc.grad(work[loss.name], [work["w"]]))
    print(f"visualize on a chain of {layers:,} tanh ({len(g):,} nodes), each timed once")
    print(f"  {'what':<26} {'time':>9} {'vs build':>9} {'vs topo':>9} {'vs grad':>8}  drawn")
    refs = (("build the graph", build), ("networkx topological sort", topo),
            ("gc.grad (of a copy)", grad))
    for name, seconds in refs:
        print(f"  {name:<26} {seconds:8.3f}s {seconds / build:8.2f}x "
              f"{seconds / topo:8.1f}x {seconds / grad:7.2f}x")
    with tempfile.TemporaryDirectory() as tmp:
        for name, f in views(g, loss, Path(tmp)).items():
            seconds, result = timed(f)
            size = drawn(result) if hasattr(result, "source") else ""
            print(f"  {name:<26} {seconds:8.3f}s {seconds / build:8.2f}x "
                  f"{seconds / topo:8.1f}x {seconds / grad:7.2f}x  {size}")


def growth(lengths):
    """The full gradient flow (collapse=False, formulas) per node at each length."""
    print("\nfull gradient flow (collapse=False: a formula on every edge), per node")
    per = []
    for layers in lengths:
        g, loss = chain(layers)
        seconds, _ = timed(lambda: visualize.draw(loss, view="gradflow", collapse=False))
        per.append(seconds / len(g))
        print(f"  {layers:>7,} layers  {seconds:7.3f}s  {per[-1] * 1e6:7.1f} us a node")
    print(f"  per-node time, longest / shortest: {per[-1] / per[0]:.2f}x "
          f"(1.00x is linear; {lengths[-1] // lengths[0]}x the layers)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 layers; growth 100, 300")
    args = parser.parse_args()
    layers = 1_000 if args.quick else args.layers
    visualize.render(visualize.draw(chain(3)[1], view="gradflow", at=AT))  # warm up
    table(layers)
    growth((100, 300) if args.quick else (1_000, 3_000))


if __name__ == "__main__":
    main()
