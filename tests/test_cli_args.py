"""Where FILE and ``--at`` may go on the command line, and a FILE without a point."""

import pytest

from cmdline import graphc, graphc_in_process

NEURON = ("import graphc as gc\ng = gc.Graph('n')\nx1, x2, y = g.input('x1'), g.input('x2'), "
          "g.input('y')\nw1, w2 = g.param('w1'), g.param('w2')\nz = w1 * x1 + w2 * x2\n"
          "yhat = gc.sigmoid(z)\nloss = gc.bce(yhat, y)\n")
POINT = ["x1=1", "x2=-1", "w1=1", "w2=2", "y=1"]


@pytest.fixture
def neuron(tmp_path):
    """The lecture neuron in scalars, with no ``at`` of its own."""
    path = tmp_path / "neuron.py"
    path.write_text(NEURON)
    return path


@pytest.mark.parametrize("order", [
    lambda f: ["--at", *POINT, f],                          # --at before FILE
    lambda f: [f, "--at", *POINT],                          # after FILE
    lambda f: ["--at", *POINT[:2], f, *POINT[2:]],          # FILE between the items
    lambda f: ["--at", *POINT[:2], f, "--at", *POINT[2:]],  # between two --at
    lambda f: ["--at", *POINT, f, "--format", "text"],      # before another option
])
def test_explain_takes_the_at_items_before_or_after_file(neuron, order):
    result = graphc_in_process("explain", *order(neuron))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Backprop trace of loss at x1=1, x2=-1, w1=1, w2=2, y=1")


def test_a_file_is_recognised_by_its_suffix_or_its_existence(neuron, tmp_path):
    other = tmp_path / "neuron_graph"   # no .py suffix, but it exists
    other.write_text(NEURON)
    result = graphc("explain", "--at", *POINT, other)
    assert result.returncode == 0, result.stderr
    missing = graphc_in_process("explain", "--at", *POINT, tmp_path / "nowhere.py")
    assert missing.returncode == 2 and "nowhere.py: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_check_and_render_take_at_before_file(neuron, tmp_path):
    result = graphc_in_process("check", "--at", *POINT, neuron,
                               "--claim", "d loss/d w1 = sigmoid(-1) - 1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all claims hold" in result.stdout
    wrong = graphc_in_process("check", "--claim", "d loss/d w1 = sigmoid(-1)",
                              "--at", *POINT, neuron)
    assert wrong.returncode == 1 and "first wrong step: d loss/d w1" in wrong.stdout
    out = tmp_path / "flow.dot"
    drawn = graphc_in_process("render", "--view", "gradflow", "--at", *POINT, neuron, "-o", out)
    assert drawn.returncode in (0, 2), drawn.stderr    # 2: written as .dot without Graphviz
    assert "required" not in drawn.stderr and out.exists()


@pytest.mark.parametrize("args", [
    ["--at", "x1", "{file}"],
    ["{file}", "--at", "x1=1", "w2"],
    ["--at", "x1=1", "{file}", "=2"],
])
def test_an_item_without_a_value_is_exit_2_and_one_line(neuron, args):
    result = graphc_in_process("explain", *[str(neuron) if a == "{file}" else a for a in args])
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "name=value" in lines[0] and "Traceback" not in result.stderr


def test_two_files_or_none_is_bad_usage(neuron):
    both = graphc_in_process("explain", neuron, "--at", *POINT, neuron)
    assert both.returncode == 2 and "one FILE" in both.stderr
    none = graphc_in_process("explain", "--at", *POINT)
    assert none.returncode == 2 and "FILE" in none.stderr


def test_a_file_without_a_point_says_to_pass_at(neuron):
    result = graphc_in_process("explain", neuron)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "this file defines no `at`: pass --at" in lines[0]
    assert "missing feed" not in lines[0]
    assert "x1" in lines[0] and "w2" in lines[0]     # what it needs values for


def test_a_partial_point_still_names_the_missing_feed(neuron):
    result = graphc_in_process("explain", neuron, "--at", "x1=1")
    assert result.returncode == 2 and "missing feed for 'x2'" in result.stderr
