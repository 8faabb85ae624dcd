"""examples/vanishing_gradients.py: sigmoid's gradient vanishes toward the input, tanh's and
ReLU's do not, and the gradient flow diagram fades."""

import re
import xml.etree.ElementTree as ET

import pytest

from cmdline import python_in_process


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("vanishing")
    result = python_in_process("examples/vanishing_gradients.py", out_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout, out_dir


def norms(out):
    """{activation: [||dL/dW_k|| for k = 1..10]} from the printed table."""
    acts = re.search(r"layer +(\w+) +(\w+) +(\w+)", out).groups()
    rows = re.findall(r"^ +(\d+) +(\S+) +(\S+) +(\S+)$", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    return {act: [float(r[i + 1]) for r in rows] for i, act in enumerate(acts)}


def test_sigmoid_gradient_vanishes_toward_the_input(run):
    sigmoid = norms(run[0])["sigmoid"]
    assert sigmoid[0] < 1e-4 * sigmoid[-1]                     # orders of magnitude
    assert all(a < b for a, b in zip(sigmoid, sigmoid[1:]))    # shrinking layer by layer
    assert ratio(run[0], "sigmoid") < 1e-4


def ratio(out, act):
    """The printed first-layer / last-layer ratio of ``act``."""
    text = out.split("first layer / last layer:")[1]
    return float(re.search(rf"^  {act} +(\S+)$", text, re.M).group(1))


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_tanh_and_relu_gradients_keep_their_size(run, act):
    values = norms(run[0])[act]
    assert 0.1 < values[0] / values[-1] < 10
    assert abs(ratio(run[0], act) - values[0] / values[-1]) < 1e-2 * ratio(run[0], act)
    assert max(values) < 10 * min(values)


def test_the_gradflow_diagram_fades_toward_the_input(run):
    out, out_dir = run
    path = out_dir / "vanishing_sigmoid_gradflow.svg"
    assert f"is in {path}" in out
    root = ET.parse(path).getroot()
    widths = {float(e.get("stroke-width")) for e in root.iter()
              if e.tag.endswith("path") and e.get("stroke-width")}
    assert len(widths) >= 5 and max(widths) > 5 * min(widths)   # thick near loss, thin at x
    assert all(f"layer{k}" in path.read_text() for k in (1, 10))
