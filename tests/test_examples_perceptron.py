"""The perceptron examples run as a user runs them, and print the lectures' numbers."""

import sys
import xml.etree.ElementTree as ET

import numpy as np

from cmdline import run
from graphs import load

TABLE = [  # examples/perceptron_trace.py's table, as the slides of seeds 000 and 003 give it
    "epoch  point  x          y  w.x  yhat  update?  w after",
    "    1  x1     (0, 1, 1)  0    1     1  yes      (1, 1, -2)",
    "    1  x2     (1, 0, 1)  0   -1     0  no       (1, 1, -2)",
    "    1  x3     (2, 1, 1)  1    1     1  no       (1, 1, -2)",
    "    1  x4     (1, 2, 1)  1    1     1  no       (1, 1, -2)",
    "    2  x1     (0, 1, 1)  0   -1     0  no       (1, 1, -2)",
    "    2  x2     (1, 0, 1)  0   -1     0  no       (1, 1, -2)",
    "    2  x3     (2, 1, 1)  1    1     1  no       (1, 1, -2)",
    "    2  x4     (1, 2, 1)  1    1     1  no       (1, 1, -2)",
]


def assert_svg(path):
    assert path.exists(), path
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")


def test_perceptron_trace_prints_the_slides_table(tmp_path):
    result = run([sys.executable, "examples/perceptron_trace.py", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index(TABLE[0])
    assert lines[start:start + len(TABLE)] == TABLE
    assert lines[start + len(TABLE)] == ""  # the table ends after epoch 2
    assert "epoch 1: 1 update" in lines and "epoch 2: 0 updates" in lines
    assert "converged after 2 epochs; final weights w = (1, 1, -2)" in lines
    diagram = tmp_path / "perceptron_forward.svg"
    assert f"A diagram of the perceptron is in {diagram}" in lines
    assert_svg(diagram)


def test_perceptron_trace_rows_from_the_compiled_graph():
    example = load("perceptron_trace")
    rows, converged = example.trace()
    assert converged
    assert [example.format_row(r) for r in rows] == TABLE[1:]
    first = rows[0]
    assert (first.epoch, first.point, first.z, first.yhat, first.updated) == (1, "x1", 1, 1, True)
    assert first.w == (1, 1, -2)
    assert [r.updated for r in rows if r.epoch == 2] == [False] * 4
    assert rows[-1].w == (1, 1, -2)


def test_perceptron_trace_stops_at_max_epochs_when_not_separable():
    example = load("perceptron_trace")
    rows, converged = example.trace(labels=[1, 0, 1, 0], max_epochs=5)  # segments x1x3, x2x4 cross
    assert not converged and rows[-1].epoch == 5


def test_logic_gates_prints_the_truth_tables_and_xor_fails(tmp_path):
    result = run([sys.executable, "examples/logic_gates.py", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for header, table in [("AND: w = (1, 1), b = -1.5", "0001"),
                          ("OR: w = (1, 1), b = -0.5", "0111"),
                          ("NOT: w = -1, b = 0.5", "10")]:
        start = lines.index(header)
        rows = len(table)
        assert [line.split("-> ")[1] for line in lines[start + 1:start + 1 + rows]] == list(table)
        assert lines[start + 1 + rows] == f"  truth table: {table}"
    assert "  1 1 -> 1" in lines and "  0 -> 1" in lines
    assert ("  did not converge after 100 epochs: 4 mistakes in the last epoch, "
            "w = (-1, 0, 1)") in lines
    diagram = tmp_path / "and_perceptron_forward.svg"
    assert f"A diagram of the AND perceptron is in {diagram}" in lines
    assert_svg(diagram)


def test_logic_gates_functions():
    example = load("logic_gates")
    assert example.truth_table("AND") == [0, 0, 0, 1]
    assert example.truth_table("OR") == [0, 1, 1, 1]
    assert example.truth_table("NOT") == [1, 0]
    w, epochs, converged, mistakes = example.train_xor(max_epochs=100)
    assert not converged and epochs == 100 and mistakes > 0
    np.testing.assert_array_equal(w, [-1, 0, 1])
    assert example.train_xor(max_epochs=7)[1:3] == (7, False)
