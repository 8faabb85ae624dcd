"""The MLP-lecture examples (seed 001) run as a user runs them, print the right numbers,
and write their plots (PNG) and diagrams (SVG) into the folder they are given."""

import re
import sys
import xml.etree.ElementTree as ET

from cmdline import run
from graphs import load

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_example(name, out_dir):
    result = run([sys.executable, f"examples/{name}.py", str(out_dir)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_png(path):
    assert path.read_bytes().startswith(PNG_SIGNATURE), path


def assert_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), root.tag


def test_param_count_prints_529411_from_the_summary(tmp_path):
    out = run_example("param_count", tmp_path)
    assert "Graph 'mlp 2-1024-512-3': 529,411 parameters" in out
    assert "total parameters: 529,411 (weights and biases)" in out
    assert "agree: 529,411 learnable parameters" in out
    for name, count in [("W1", "2,048"), ("b1", "1,024"), ("W2", "524,288"), ("b2", "512"),
                        ("W3", "1,536"), ("b3", "3")]:
        assert re.search(rf"^\s+{name}\s+param\s.*\s{count}$", out, re.M), name
    diagram = tmp_path / "param_count_forward.svg"
    assert f"is in {diagram}" in out
    assert_svg(diagram)


def test_param_count_graph_total():
    assert load("param_count").g.summary().total == 529_411


def test_xor_mlp_learns_xor_to_100_percent(tmp_path):
    out = run_example("xor_mlp", tmp_path)
    assert "accuracy: 100%" in out
    final = float(re.search(r"final loss: ([0-9.]+)", out).group(1))
    assert final < 0.01
    for a, b, label in [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]:
        assert f"XOR({a}, {b}) = {label}   predicted {label}" in out
    assert_png(tmp_path / "xor_regions.png")
    assert_png(tmp_path / "xor_loss.png")
    assert_svg(tmp_path / "xor_forward.svg")


def test_xor_mlp_is_deterministic():
    xor = load("xor_mlp")
    assert xor.train().losses == xor.train().losses


def test_softmax_blobs_train_accuracy_at_least_95_percent(tmp_path):
    out = run_example("softmax_blobs", tmp_path)
    accuracy = float(re.search(r"train accuracy: ([0-9.]+)", out).group(1))
    assert accuracy >= 0.95
    assert_png(tmp_path / "blobs_regions.png")
    assert_png(tmp_path / "blobs_loss.png")
    assert_svg(tmp_path / "blobs_forward.svg")


def test_softmax_blobs_is_deterministic():
    blobs = load("softmax_blobs")
    data = blobs.blobs()
    first, second = blobs.train(data), blobs.train(data)
    assert first.losses == second.losses
    assert (first.params["W"] == second.params["W"]).all()
