"""The example graphs of examples/, whose generated code tests/golden/ holds.

Each builder loads its example file afresh and returns ``(graph, outputs)``: the loss, then
the gradient of every parameter, which is what ``graphc compile examples/NAME.py`` writes.
"""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import graphc as gc
from graphc.cli import gradients
from graphc.interpret import reference

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def compute_of(source):
    """The ``compute`` function of a generated module's source."""
    return source[source.index("def compute("):source.index("def run(")]


def oracle(nodes, at):
    """The reference interpreter's value of a node (or list of nodes) at ``at``, on the graph
    as written: no pass is applied, so generated code compared with it tests every pass (a
    wrong rewrite in the compile pipeline makes the comparison fail). Feeds are checked as
    ``gc.evaluate`` checks them; inside a test's domain the unrewritten values are finite."""
    return reference(nodes, at)


def load(name):
    """A fresh module object of examples/NAME.py (its graph built anew)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compiled(name):
    module = load(name)
    return module.g, [module.loss] + gradients(module.loss)


def neuron():
    """The lecture's sigmoid neuron with binary cross-entropy, and dloss/dw."""
    return _compiled("neuron")


def mlp():
    """A 2-layer MLP with softmax cross-entropy over a batch of N, and all four gradients."""
    return _compiled("mlp")


#: The graphs with a golden file, tests/golden/NAME.py.
GOLDEN = {"neuron": neuron, "mlp": mlp}


def scalar_neuron():
    """Seed 003's neuron in the slide's scalar form, every step named as on the slide:
    z = w1 x1 + w2 x2, yhat = sigmoid(z), loss = bce(yhat, y)."""
    g = gc.Graph("scalar neuron")
    x1, x2, y = g.input("x1"), g.input("x2"), g.input("y")
    w1, w2 = g.param("w1"), g.param("w2")
    z = (w1 * x1 + w2 * x2).named("z")
    yhat = gc.sigmoid(z).named("yhat")
    loss = gc.bce(yhat, y).named("loss")
    return SimpleNamespace(g=g, x1=x1, x2=x2, y=y, w1=w1, w2=w2, z=z, yhat=yhat, loss=loss)


def vector_neuron():
    """The lecture's neuron with x and w as vectors: ``(g, x, w, y, z, yhat, loss)``."""
    g = gc.Graph("sigmoid neuron")
    x = g.input("x", shape=(2,))
    w = g.param("w", shape=(2,))
    y = g.input("y")
    z = (w @ x).named("z")
    yhat = gc.sigmoid(z).named("yhat")
    loss = gc.bce(yhat, y).named("loss")
    return g, x, w, y, z, yhat, loss
