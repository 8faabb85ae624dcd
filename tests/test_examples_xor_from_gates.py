"""examples/xor_from_gates.py: XOR from seed 001's AND, OR and NOT perceptrons."""

import xml.etree.ElementTree as ET

from cmdline import python_in_process
from graphs import load

TABLE = ["a b  OR AND NOT AND  XOR",
         "0 0   0   0       1    0",
         "0 1   1   0       1    1",
         "1 0   1   0       1    1",
         "1 1   1   1       0    0"]


def test_prints_the_truth_table_of_xor(tmp_path):
    result = python_in_process("examples/xor_from_gates.py", tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index(TABLE[0])
    assert lines[start:start + len(TABLE)] == TABLE
    assert "XOR truth table: 0110" in lines
    for gate in ["AND: w = (1, 1), b = -1.5", "OR: w = (1, 1), b = -0.5",
                 "NOT: w = -1, b = 0.5"]:
        assert gate in lines
    diagram = tmp_path / "xor_from_gates_forward.svg"
    assert f"A diagram of the circuit is in {diagram}" in lines
    assert ET.parse(diagram).getroot().tag.endswith("svg")


def test_the_circuit_agrees_with_the_slides_formula():
    example = load("xor_from_gates")
    for a, b, h_or, h_and, h_nand, xor in example.truth_table():
        assert (h_or, h_and, h_nand) == (a | b, a & b, 1 - (a & b))
        assert xor == ((a & (1 - b)) | ((1 - a) & b))   # seed 001: (a and not b) or ...
    assert example.at["w_NOT2"] == -1 and example.at["b_AND3"] == -1.5
