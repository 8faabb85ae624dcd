"""Exact values that scale: exact by default only for exact feeds, a budget on every exact
value with a numeric fallback, --exact/--numeric, and every example explains in lines
under 200 columns. The bounded work is asserted, never a time."""

import csv
import io
import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.cli import loaded, point
from graphc.errors import ExactBudgetError
from graphc.symbolic.exact import MAX_SIZE, expression_size, why_numeric

from cmdline import ROOT, graphc, graphc_in_process

#: The examples that define a point and a loss (logic_gates and perceptron_trace train
#: with their own rules; the others define no point).
EXPLAINED = ["backprop_by_hand", "ce_quiz", "fan_out", "lstm_cell", "neuron", "one_d",
             "relu_quiz", "rnn_sequence"]


def example(name):
    namespace, loss = loaded(ROOT / "examples" / f"{name}.py")
    return loss, point(namespace, [])


def neuron():
    g = gc.Graph()
    x, w = g.input("x"), g.param("w")
    return gc.sigmoid(w * x).named("loss")


def test_exact_feeds_are_integers_short_decimals_fractions_and_sympy_values():
    assert why_numeric({"x1": 2, "x2": 0.5, "w": [1, -1.25], "y": Fraction(1, 3),
                        "b": sp.sqrt(2) / 2, "c": np.array([0.1, 1e-3])}) is None
    assert "7 significant digits" in why_numeric({"w": 0.1234567})
    assert "'w'" in why_numeric({"x": 1, "w": np.random.default_rng(0).normal(size=3)})


@pytest.mark.parametrize("name", ["lstm_cell", "rnn_sequence"])
def test_random_float_examples_are_not_computed_exactly(name):
    loss, at = example(name)
    assert why_numeric(at) is not None
    trace = gc.explain(loss, at=at)
    assert all(r.exact is None for r in trace.forward + trace.backward)
    assert trace.note.startswith("numeric values: ") and "\n" not in trace.note


@pytest.mark.parametrize("name", EXPLAINED)
def test_every_example_explains_in_lines_under_200_columns(name):
    loss, at = example(name)
    text = str(gc.explain(loss, at=at))
    assert max(len(line) for line in text.splitlines()) < 200


def test_the_lecture_neuron_keeps_its_exact_values():
    loss, at = example("neuron")
    trace = gc.explain(loss, at=at)
    assert trace.note == ""
    assert all(r.exact is not None for r in trace.backward)


def test_an_exact_value_past_its_budget_falls_back_to_numbers_with_a_note():
    loss, at = example("rnn_sequence")
    trace = gc.explain(loss, at=at, exact=True)
    assert "budget" in trace.note
    assert all(r.exact is None for r in trace.backward)
    numeric = gc.explain(loss, at=at, exact=False)
    assert np.allclose(trace.gradient("W").value, numeric.gradient("W").value)
    with pytest.raises(ExactBudgetError, match="SymPy nodes"):
        gc.evaluate(loss, at=at, exact=True)


def test_the_size_of_an_expression_is_counted_up_to_the_cap_only():
    x = sp.Symbol("x")
    expr = x
    for _ in range(40):  # a tree of 2**40 leaves, shared: never walked in full
        expr = sp.Function("f")(expr, expr)
    assert expression_size(expr, cap=100) == 101
    assert expression_size(sp.Rational(1, 3)) == 1
    assert expression_size(sp.Rational(10 ** 40 + 1, 3 ** 50)) > 3
    assert MAX_SIZE >= 1000


def test_fractions_and_sympy_values_are_fed_as_what_they_stand_for():
    loss = neuron()
    at = {"x": Fraction(1, 3), "w": sp.sqrt(2)}
    exact = gc.evaluate(loss, at=at, exact=True)
    assert sp.simplify(exact.rewrite(sp.exp) - 1 / (1 + sp.exp(-sp.sqrt(2) / 3))) == 0
    assert np.isclose(float(gc.evaluate(loss, at=at)), 1 / (1 + np.exp(-np.sqrt(2) / 3)))


def test_check_compares_numbers_for_random_feeds_and_says_so():
    loss, at = example("lstm_cell")
    derived = gc.evaluate(loss, at=at)
    report = gc.check(loss, {"loss": repr(float(derived))}, at=at, tol=1e-6)
    assert bool(report) and report.note.startswith("numeric values: ")
    assert "numerically" in report.results[0].how


def test_the_command_line_switches_exact_values_on_and_off():
    numeric = graphc("explain", "examples/neuron.py", "--numeric")
    assert numeric.returncode == 0
    assert "sigmoid(-1)" not in numeric.stdout
    assert "sigmoid(-1)" in graphc_in_process("explain", "examples/neuron.py").stdout
    forced = graphc_in_process("explain", "examples/lstm_cell.py", "--exact")
    assert forced.returncode == 0
    assert max(len(line) for line in forced.stdout.splitlines()) < 200
    both = graphc_in_process("explain", "examples/neuron.py", "--exact", "--numeric")
    assert both.returncode == 2
    check = graphc_in_process("check", "examples/neuron.py", "--numeric",
                              "--claim", "d loss/d z = yhat - y")
    assert check.returncode == 0 and "numerically" in check.stdout


def csv_rows(trace):
    return list(csv.DictReader(io.StringIO(trace.to_csv())))


def test_the_numeric_note_is_in_every_format_for_a_random_float_feed():
    loss, at = example("lstm_cell")
    trace = gc.explain(loss, at=at)
    note = trace.note
    assert "exact=True" in note and "--exact" in note and len(note) < 200
    assert note in str(trace) and f"*{note}*" in trace.to_markdown()
    latex = trace.to_latex().splitlines()
    shown = [line for line in latex if "numeric values" in line]
    assert shown == [r"\noindent\textit{" + note.replace("--", "-{}-") + "}"]
    assert latex.index(shown[0]) < latex.index(r"\begin{tabular}{lllll}")
    rows = csv_rows(trace)
    assert rows[0]["section"] == "note" and rows[0]["formula"] == note
    assert [r["section"] for r in rows[1:]] == (["forward"] * len(trace.forward)
                                                + ["backward"] * len(trace.backward))
    assert np.allclose(json.loads(rows[-1]["value"]), trace.backward[-1].value, rtol=1e-15)


def test_exact_feeds_have_no_note_in_any_format():
    loss, at = example("neuron")
    trace = gc.explain(loss, at=at)
    for shown in (str(trace), trace.to_markdown(), trace.to_latex(), trace.to_csv()):
        assert "numeric values" not in shown
    assert "note" not in {r["section"] for r in csv_rows(trace)}


def test_the_latex_of_a_trace_is_in_the_lecture_notation():
    g = gc.Graph()
    x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
    loss = gc.sum(gc.relu(w * x).named("h") * x).named("loss")
    latex = gc.explain(loss, at={"x": [1, 2, 3], "w": [1, -1, 2]}).to_latex()
    assert r"\operatorname{ReLU}\left(w \odot x\right)" in latex
    assert r"\odot x \odot \operatorname{step}{\left(w \odot x \right)}" in latex
    assert r"\frac{\partial \mathrm{loss}}{\partial w}" in latex
    neuron_latex = gc.explain(*example("neuron")).to_latex()
    assert r"$w^{\top} x$" in neuron_latex and r"\hat{y}" in neuron_latex
    for text in (latex, neuron_latex):
        assert text.count("{") == text.count("}")
        assert text.count(r"\begin{") == text.count(r"\end{")
