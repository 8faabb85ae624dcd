"""The example graphs of examples/, whose generated code tests/golden/ holds.

Each builder loads its example file afresh and returns ``(graph, outputs)``: the loss, then
the gradient of every parameter, which is what ``graphc compile examples/NAME.py`` writes.
"""

import importlib.util
from pathlib import Path

from graphc.cli import gradients

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
