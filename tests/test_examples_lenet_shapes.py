"""examples/lenet_shapes.py: LeNet-5's and AlexNet's shapes and parameter counts, from
graph.summary(), against the lectures' formulas and the known numbers."""

import re
import xml.etree.ElementTree as ET

import pytest

from cmdline import python_in_process

#: layer: (output shape, params with biases, without) as the papers' readers know them.
KNOWN = {"C1": ("(N, 6, 28, 28)", 156, 150), "C3": ("(N, 16, 10, 10)", 2416, 2400),
         "C5": ("(N, 120, 1, 1)", 48120, 48000), "F6": ("(N, 84)", 10164, 10080),
         "output": ("(N, 10)", 850, 840), "conv1": ("(N, 96, 55, 55)", 34944, 34848),
         "conv2": ("(N, 256, 27, 27)", 614656, 614400),
         "conv3": ("(N, 384, 13, 13)", 885120, 884736)}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("lenet")
    result = python_in_process("examples/lenet_shapes.py", out_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout, out_dir


def rows(out):
    found = re.findall(r"^  (\w+) +(\(N[^)]*\)) +params +([\d,]+) with biases, +([\d,]+) "
                       r"without", out, re.M)
    return {name: (shape, int(w.replace(",", "")), int(wo.replace(",", "")))
            for name, shape, w, wo in found}


def test_the_counts_and_shapes_are_the_known_ones(run):
    assert rows(run[0]) == KNOWN


def test_the_formula_agrees_on_every_conv_and_pooling_layer(run):
    out = run[0]
    formulas = dict(re.findall(r"^  (\w+) .*\| formula: (\d+)x\d+", out, re.M))
    assert formulas == {"C1": "28", "C3": "10", "C5": "1", "S2": "14", "S4": "5",
                        "conv1": "55", "conv2": "27", "conv3": "13", "pool1": "27",
                        "pool2": "13"}
    assert "| formula: 55x55, 34,944 and 34,848" in out
    assert "agree on every conv and pooling layer" in out
    assert re.search(r"^  S2 +\(N, 6, 14, 14\) +\| formula: 14x14$", out, re.M)
    assert re.search(r"^  pool2 +\(N, 256, 13, 13\) +\| formula: 13x13$", out, re.M)


def test_the_totals_and_the_diagram(run):
    out, out_dir = run
    assert "total: 61,706 parameters" in out and "total: 1,534,720 parameters" in out
    path = out_dir / "lenet.svg"
    assert f"is in {path}" in out
    assert ET.parse(path).getroot().tag.endswith("svg")
    assert all(layer in path.read_text() for layer in ("C1", "S4", "F6"))
