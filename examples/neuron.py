"""The sigmoid neuron of the backprop lecture (seeds 000 and 003), at the slide's point.

    x = (1, -1), w = (1, 2), y = 1
    z = w . x = -1,  yhat = sigmoid(-1) = 0.2689,  loss = -log sigmoid(-1) = 1.3133
    dl/dz = yhat - y = sigmoid(-1) - 1 = -0.7311
    dl/dw = dl/dz * x = (sigmoid(-1) - 1, 1 - sigmoid(-1)) = (-0.7311, 0.7311)

Run it (this is what `make demo` runs):   python examples/neuron.py [OUT_DIR]
Generate its code with the command line:  graphc compile examples/neuron.py -o neuron.py
Draw how the gradient flows:              graphc render examples/neuron.py --view gradflow
                                              -o gradflow.svg
Write the interactive backprop report:    graphc report examples/neuron.py -o neuron.html
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

g = gc.Graph("sigmoid neuron")
x = g.input("x", shape=(2,))
w = g.param("w", shape=(2,))
y = g.input("y")
z = (w @ x).named("z")
yhat = gc.sigmoid(z).named("yhat")
loss = gc.bce(yhat, y).named("loss")
dloss_dz, dloss_dw = gc.grad(loss, [z, w])

AT = {"x": [1, -1], "w": [1, 2], "y": 1}
at = AT  # the point graphc explain, check and render use for this file


def main(out_dir="out"):
    print(f"graphc: the lecture's sigmoid neuron\n\n{g}\n")
    f = gc.compile([z, yhat, loss, dloss_dz, dloss_dw])
    vz, vyhat, vloss, vdz, vdw = f(**AT)
    sig = 1 / (1 + np.exp(1.0))
    print("At the slide's point x = (1, -1), w = (1, 2), y = 1, the generated code gives:")
    print(f"  z       = {vz:.0f}")
    print(f"  yhat    = sigmoid(-1)        = {vyhat:.10f}   (exact {sig:.10f})")
    print(f"  loss    = -log sigmoid(-1)   = {vloss:.10f}   (exact {-np.log(sig):.10f})")
    print(f"  dl/dz   = sigmoid(-1) - 1    = {vdz:.10f}  (exact {sig - 1:.10f})")
    print(f"  dl/dw   = (sigmoid(-1) - 1, 1 - sigmoid(-1)) = ({vdw[0]:.10f}, {vdw[1]:.10f})")
    report = gc.gradcheck(loss, [w, z], at=AT)
    print(f"\n{report}\n")
    path = f.save(Path(out_dir) / "neuron_generated.py")
    print(f"The generated NumPy module (it imports only numpy) is in {path}.")
    print("Its compute() function, a line a step, each gradient with its rule:\n")
    print(compute_function(f.source))
    print()
    for path, shows in write_diagrams(out_dir):
        print(f"A diagram of the neuron is in {path} ({shows})")
    path = gc.report(loss, at=AT, path=Path(out_dir) / "neuron_report.html")
    print(f"The backprop report is in {path} (open it in a browser: the gradient flow, "
          f"click a node for what it computes, a slider walking the steps, the code)")


#: Each diagram's view, and what it shows.
VIEWS = {"forward": "the forward graph with its values",
         "backward": "the graph with the gradient nodes autodiff adds",
         "gradflow": "the gradient flow: upstream x local on each edge"}


def write_diagrams(out_dir):
    """The forward graph, the gradient graph and the gradient flow, at the slide's point,
    each as ``(path, what it shows)``."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    targets = {"forward": g, "backward": loss, "gradflow": loss}
    return [(visualize.export(visualize.draw(target, view=view, at=AT),
                              Path(out_dir) / f"neuron_{view}.svg"), VIEWS[view])
            for view, target in targets.items()]


def compute_function(source):
    """The ``def compute`` part of a generated module (the rest checks feeds)."""
    start = source.index("def compute(")
    return source[start:source.index("\n\n\n", start)]


if __name__ == "__main__":
    main(*sys.argv[1:])
