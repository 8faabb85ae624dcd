"""Every worked backprop example of the lectures, reproduced exactly by the examples and
checked from the command line as a user runs it."""

import pytest

from cmdline import ROOT, graphc, graphc_in_process, python_in_process

LECTURE_EXAMPLES = ["backprop_by_hand", "relu_quiz", "one_d", "ce_quiz", "fan_out"]


@pytest.mark.parametrize("name", LECTURE_EXAMPLES)
def test_graphc_check_accepts_every_claim_of_the_lectures(name):
    result = graphc_in_process("check", f"examples/{name}.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("all claims hold")
    assert "WRONG" not in result.stdout


@pytest.mark.parametrize("name", LECTURE_EXAMPLES)
def test_each_lecture_example_runs(name):
    result = python_in_process(f"examples/{name}.py")
    assert result.returncode == 0, result.stderr
    assert "all claims hold" in result.stdout


def test_a_missing_minus_one_is_rejected_and_named():
    result = graphc("check", "examples/backprop_by_hand.py",
                    "--claim", "d loss/d w1 = sigmoid(-1)")
    assert result.returncode == 1
    assert "first wrong step: d loss/d w1 (claimed sigmoid(-1), derived -1 + sigmoid(-1))" \
        in result.stdout


def test_the_first_wrong_step_is_the_earliest_in_backprop(tmp_path):
    source = tmp_path / "neuron.py"
    source.write_text(
        "import graphc as gc\ng = gc.Graph('n')\nx1, x2, y = g.input('x1'), g.input('x2'), "
        "g.input('y')\nw1, w2 = g.param('w1'), g.param('w2')\nz = w1 * x1 + w2 * x2\n"
        "yhat = gc.sigmoid(z)\nloss = gc.bce(yhat, y)\n")
    result = graphc_in_process("check", source, "--at", "x1=1", "x2=-1", "w1=1", "w2=2",
                               "y=1", "--claim", "d loss/d w1 = 1 - sigmoid(-1)",
                               "--claim", "d loss/d z = y - yhat",
                               "--claim", "yhat = sigmoid(-1)")
    assert result.returncode == 1
    assert "first wrong step: d loss/d z" in result.stdout


def test_claims_without_a_point_compare_formulas(tmp_path):
    at_point = graphc_in_process("check", "examples/backprop_by_hand.py", "--claim",
                                 "d loss/d w1 = (yhat - y) * x1")
    assert at_point.returncode == 0, at_point.stdout  # at the file's point
    source = tmp_path / "one_d.py"
    text = (ROOT / "examples" / "one_d.py").read_text()
    source.write_text(text.replace('at = {"x": 2, "w": 1, "y": 1}', "at = {}").replace(
        "claims = {", "unused = {"))
    right = graphc_in_process("check", source, "--claim", "d L/d w = (yhat - y) * x")
    assert right.returncode == 0, right.stdout
    assert "x*(w*x - y)" in right.stdout and "proved symbolically" in right.stdout
    wrong = graphc_in_process("check", source, "--claim", "d L/d w = (yhat - y) * w")
    assert wrong.returncode == 1 and "first wrong step: d L/d w" in wrong.stdout


def test_at_overrides_the_files_defaults():
    result = graphc_in_process("check", "examples/one_d.py", "--at", "w=2")
    assert result.returncode == 1  # yhat is 4 now, not the claimed 2
    assert "first wrong step: yhat" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--at", "w9=3"], "'w9' is not an input or parameter"),
    (["--claim", "d loss/d w1 = __import__('os')"], "unknown function '__import__'"),
    (["--claim", "d loss/d w7 = 1"], "w7"),
    (["--claim", "d loss/d w1 = 1 +"], "d loss/d w1 = 1 +"),
    (["--at", "x1"], "x1"),
])
def test_bad_usage_exits_2_with_what_was_wrong(args, message):
    result = graphc_in_process("check", "examples/relu_quiz.py", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_grad_prints_the_slides_formulas():
    result = graphc_in_process("grad", "examples/backprop_by_hand.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "dloss/dw1 = x1*(-y + sigmoid(w1*x1 + w2*x2))",
        "dloss/dw2 = x2*(-y + sigmoid(w1*x1 + w2*x2))"]
    latex = graphc_in_process("grad", "examples/mlp.py", "--latex")
    assert latex.returncode == 0 and r"H^{\top}" in latex.stdout and r"\odot" in latex.stdout


def test_explain_prints_the_trace_in_every_format():
    for fmt, mark in [("text", "sigmoid(-1)"), ("markdown", "|"), ("latex", r"\sigma"),
                      ("csv", ",")]:
        result = graphc_in_process("explain", "examples/backprop_by_hand.py", "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert mark in result.stdout
