"""One LSTM cell (seed 002, "Neural Networks: LSTMs", after Chris Olah's diagram).

From the previous hidden state h and cell state c and the input x, with [h, x] the two
stacked into one vector:

    i  = sigmoid(W_i [h, x] + b_i)       input gate: how much new content to write
    f  = sigmoid(W_f [h, x] + b_f)       forget gate: how much of c to keep
    o  = sigmoid(W_o [h, x] + b_o)       output gate: how much of the cell to show
    g  = tanh(W_g [h, x] + b_g)          candidate: the new content
    c' = f * c + i * g                   the new cell state (* is element-wise)
    h' = o * tanh(c')                    the new hidden state

and a scalar loss on h': loss = mse(h', target), the mean of (h' - target)^2.

The cell state c reaches c' through one element-wise product with f, no squashing, which
is how an LSTM keeps gradients alive over many steps: dloss/dc = dloss/dc' * f.

It prints the graph, a gradient check of every weight and bias and of x, h and c at a
random point, and draws the forward graph, one box per gate, with the values at that
point, into OUT_DIR/lstm_cell_forward.svg.

Run it:              python examples/lstm_cell.py [OUT_DIR]      (OUT_DIR: out)
Generate its code:   graphc compile examples/lstm_cell.py -o lstm.py
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

D = 2   # input size
H = 3   # hidden and cell state size

g = gc.Graph("lstm cell")
x = g.input("x", shape=(D,))
h = g.input("h", shape=(H,))           # previous hidden state
c = g.input("c", shape=(H,))           # previous cell state
target = g.input("target", shape=(H,))

hx = gc.concat([h, x]).named("hx")     # [h, x], shape (H + D,)


def gate(name, activation):
    """activation(W_name [h, x] + b_name), with its own weight and bias."""
    W_ = g.param(f"W_{name}", shape=(H, H + D))
    b_ = g.param(f"b_{name}", shape=(H,))
    return activation(W_ @ hx + b_).named(name), W_, b_


with g.scope("input gate"):
    i_gate, W_i, b_i = gate("i", gc.sigmoid)
with g.scope("forget gate"):
    f_gate, W_f, b_f = gate("f", gc.sigmoid)
with g.scope("output gate"):
    o_gate, W_o, b_o = gate("o", gc.sigmoid)
with g.scope("candidate"):
    g_gate, W_g, b_g = gate("g", gc.tanh)
with g.scope("cell state"):
    c_new = (f_gate * c + i_gate * g_gate).named("c_new")
with g.scope("hidden state"):
    h_new = (o_gate * gc.tanh(c_new)).named("h_new")
loss = gc.mse(h_new, target).named("loss")

PARAMS = [W_i, b_i, W_f, b_f, W_o, b_o, W_g, b_g]


def point(seed=0):
    """A random point: every input and parameter drawn from N(0, 0.5^2)."""
    rng = np.random.default_rng(seed)
    shapes = {"x": (D,), "h": (H,), "c": (H,), "target": (H,),
              **{p.name: p.shape for p in PARAMS}}
    return {name: rng.normal(scale=0.5, size=shape) for name, shape in shapes.items()}


AT = point()
at = AT  # the point graphc explain, check and render use for this file


def main(out_dir="out"):
    print(f"graphc: one LSTM cell\n\n{g}\n")
    f = gc.compile([i_gate, f_gate, o_gate, g_gate, c_new, h_new, loss])
    values = dict(zip(["i", "f", "o", "g", "c'", "h'", "loss"], f(**AT)))
    print("At a random point:")
    for name, value in values.items():
        print(f"  {name:4} = {np.array2string(np.asarray(value), precision=4)}")
    report = gc.gradcheck(loss, PARAMS + [x, h, c], at=AT)
    print(f"\n{report}\n")
    path = write_diagram(out_dir)
    print(f"The LSTM cell's forward graph, one box per gate, is in {path}")


def write_diagram(out_dir):
    """The forward graph with each node's value at AT; gates drawn as boxes (scopes)."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    diagram = visualize.draw(g, view="forward", at=AT)
    return visualize.export(diagram, Path(out_dir) / "lstm_cell_forward.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
