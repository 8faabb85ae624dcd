"""Scaled dot-product self-attention with a causal mask (issue 14).

Four steps x_1 .. x_4 (the rows of x, T = 4), each of size d = 3, attend to themselves:

    Q = x Wq,   K = x Wk,   V = x Wv                 queries, keys and values (T, d)
    Y = softmax(Q K^T / sqrt(d) + M) V               each row a weighted mean of V's rows

M is the causal mask (``gc.causal_mask(T)``): 0 where step i may look at step j (j <= i),
-1e9 above the diagonal, so step i never sees the future: row i of the attention weights
is 0 after column i, and step 1 sees only itself. (-1e9, not -inf: exp(-1e9) is 0 all the
same, and a fully masked row would make softmax's 0/0 a nan.) ``d`` is a constant node
named d, so the formula keeps sqrt(d) symbolic. The loss is mse(Y, target).

It prints the formula in matrix notation, the attention weights and Y at a
seed-fixed point made in code, a gradient check of Wq, Wk, Wv and x, and draws the forward
graph into OUT_DIR/attention_forward.svg.

Run it:              python examples/attention.py [OUT_DIR]      (OUT_DIR: out)
Generate its code:   graphc compile examples/attention.py -o attention.py
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

T = 4   # steps
D = 3   # size of each step, of the queries, keys and values

g = gc.Graph("self-attention")
x = g.input("x", shape=(T, D))
target = g.input("target", shape=(T, D))
Wq, Wk, Wv = (g.param(name, shape=(D, D)) for name in ("Wq", "Wk", "Wv"))
with g.scope("attention"):
    Q, K, V = (x @ Wq).named("Q"), (x @ Wk).named("K"), (x @ Wv).named("V")
    Y = gc.attention(Q, K, V, mask=gc.causal_mask(T)).named("Y")
A = Y.operands[0]  # softmax(Q K^T / sqrt(d) + M): the attention weights
loss = gc.mse(Y, target).named("loss")

PARAMS = [Wq, Wk, Wv]


def point(seed=0):
    """A seed-fixed point: x, the target and the weights drawn from N(0, 1)."""
    rng = np.random.default_rng(seed)
    shapes = {"x": (T, D), "target": (T, D), **{p.name: p.shape for p in PARAMS}}
    return {name: rng.normal(size=shape) for name, shape in shapes.items()}


AT = point()
at = AT  # the point graphc explain, check and render use for this file


def main(out_dir="out"):
    print(f"graphc: scaled dot-product self-attention, T = {T}, d = {D}\n")
    print(f"Y = {gc.formula(Y)}, where d = {D}\n")
    a, y, value = gc.compile([A, Y, loss])(**AT)
    print("The attention weights A (row i: how much step i looks at each step; causal, so "
          "0 above the diagonal):")
    print(np.array2string(a, precision=4, suppress_small=True))
    print(f"\nY =\n{np.array2string(y, precision=4)}\nloss = {value:.6f}\n")
    report = gc.gradcheck(loss, PARAMS + [x], at=AT)
    print(f"{report}\n")
    path = write_diagram(out_dir)
    print(f"The forward graph is in {path}")


def write_diagram(out_dir):
    """The forward graph with each node's value at AT; attention drawn as one box."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    diagram = visualize.draw(g, view="forward", at=AT)
    return visualize.export(diagram, Path(out_dir) / "attention_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
