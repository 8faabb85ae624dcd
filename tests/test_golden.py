"""Golden files of what users read: the module `graphc compile` writes for every example,
the text of `gc.explain` for the neuron and the MLP, and the DOT of their gradient-flow
diagrams. A change to them must be deliberate: regenerate with
    GRAPHC_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py
and read the diff. Each file is written atomically, so a regeneration under pytest-xdist
(``-n auto``, as ``make test`` runs) never lets another worker read half a file.
"""

import os
from pathlib import Path

import pytest

import graphc as gc
import visualize
from cmdline import ROOT
from graphs import compute_of
from graphc import cli
from graphc.files import write_atomic

GOLDEN = Path(__file__).parent / "golden"
#: Examples `graphc compile` refuses, and why (tests/test_cli.py shows each message).
REFUSED = {"logic_gates": "no scalar loss: its yhat is (N,)",
           "perceptron_trace": "its gradient passes through a step",
           "xor_from_gates": "no scalar loss: its xor is (N,)"}
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in REFUSED)


def matches(path, text):
    if os.environ.get("GRAPHC_UPDATE_GOLDEN") == "1":  # deliberate regeneration only
        write_atomic(path, lambda f: f.write(text.encode()))
    assert path.read_text() == text, (
        f"{path.name} changed; if that is intended, regenerate with GRAPHC_UPDATE_GOLDEN=1 "
        f"and review the diff of {path}")


def example(name):
    """The example's loss, as the graphc command finds it, and its point to evaluate at."""
    path = ROOT / "examples" / f"{name}.py"
    namespace = cli.load(path)
    loss = cli.find_loss(namespace, path)
    at = namespace.get("AT") or namespace.get("at")
    if at is None and "batch" in namespace:
        at = {**namespace["batch"](), **namespace["initial_params"]()}
    return loss, at


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_module_graphc_compile_writes_for_each_example(name):
    loss, _ = example(name)
    source = gc.compile([loss] + cli.gradients(loss)).source
    matches(GOLDEN / "examples" / f"{name}.py", source)
    compute = compute_of(source)
    assert max(len(line) for line in source.splitlines()) <= 100
    assert "np.copy" not in compute


@pytest.mark.parametrize("name", ["neuron", "mlp"])
def test_the_explain_text_of_the_neuron_and_the_mlp(name):
    loss, at = example(name)
    matches(GOLDEN / "explain" / f"{name}.txt", str(gc.explain(loss, at=at)) + "\n")


@pytest.mark.parametrize("name", ["neuron", "mlp"])
def test_the_gradflow_dot_of_the_neuron_and_the_mlp(name):
    loss, at = example(name)
    matches(GOLDEN / "gradflow" / f"{name}.dot",
            visualize.draw(loss, view="gradflow", at=at).source)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_examples_without_a_module_are_refused_with_a_reason(name):
    with pytest.raises((gc.GraphcError, cli.UsageError)):
        loss, _ = example(name)
        gc.compile([loss] + cli.gradients(loss))
