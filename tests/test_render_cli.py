"""graphc render, run as a user runs it: real SVG from the real dot program, read as XML."""

import os
import xml.etree.ElementTree as ET

import pytest

from cmdline import graphc, graphc_in_process

SVG = "{http://www.w3.org/2000/svg}"


def words(path):
    return " ".join(t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text"))


@pytest.mark.parametrize("view,expected", [
    ("forward", ["yhat", "sigmoid", "(2,)", "= 0.2689"]),
    ("backward", ["dloss_dz", "dloss_dw"]),
    ("gradflow", ["-3.718 x 0.1966 = -0.7311", "dloss/dz = -1 + sigmoid(-1)"]),
])
def test_render_draws_each_view_at_the_files_point(tmp_path, view, expected):
    out = tmp_path / f"{view}.svg"
    result = graphc_in_process("render", "examples/neuron.py", "--view", view, "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    text = words(out)
    for piece in expected:
        assert piece in text, (piece, text)


def test_render_at_overrides_the_files_values(tmp_path):
    out = tmp_path / "g.svg"
    result = graphc_in_process("render", "examples/neuron.py", "--view", "gradflow",
                               "--at", "w=0,0", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "dloss/dz = -1/2" in words(out)  # sigmoid(0) - 1


def test_without_dot_the_dot_file_is_written_and_status_is_2(tmp_path):
    out = tmp_path / "g.svg"
    env = {"PATH": str(tmp_path / "no-dot-here")}
    result = graphc("render", "examples/neuron.py", "-o", out, env=env)
    assert result.returncode == 2
    assert "install Graphviz" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "g.dot").exists() and not out.exists()


def test_an_unknown_format_is_bad_usage(tmp_path):
    result = graphc_in_process("render", "examples/neuron.py", "-o", tmp_path / "g.bmp")
    assert result.returncode == 2 and "unknown suffix" in result.stderr
    assert os.listdir(tmp_path) == []
