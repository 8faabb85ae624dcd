"""Exact feeds (issue 12): a value a float only approximates (sqrt(2)/2, log(3), pi/4) is
fed as what it stands for, as a SymPy number or as text read by the claims' allowlist, in
the API's ``at`` and on the command line's ``--at``; the results come out exact."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from cmdline import graphc, graphc_in_process
from graphc.check.values import parse_assignments, parse_value
from graphc.ops.scalar import sigmoid
from graphc.symbolic import plain_feeds, why_numeric


def _neuron():
    g = gc.Graph("neuron")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    z = (w @ x).named("z")
    return gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss"), z


AT = {"x": [1, -1], "w": ["sqrt(2)/2", "pi/4"], "y": 1}
Z = sp.sqrt(2) / 2 - sp.pi / 4


def test_text_feeds_are_exact_and_numbers_take_them_as_floats():
    loss, z = _neuron()
    assert why_numeric(AT) is None
    assert sp.simplify(gc.evaluate(z, AT, exact=True) - Z) == 0
    assert gc.evaluate(z, AT) == pytest.approx(np.sqrt(2) / 2 - np.pi / 4, abs=1e-15)
    assert plain_feeds({"w": ["1/2", "3"]})["w"].tolist() == [0.5, 3.0]
    assert plain_feeds({"n": "10**3"})["n"] == 1000            # integral stays an integer


def test_sympy_values_and_texts_feed_the_same_exact_point():
    loss, _ = _neuron()
    (dw,) = gc.grad(loss, [loss.graph.node("w")])
    by_text = gc.evaluate(dw, AT, exact=True)
    by_sympy = gc.evaluate(dw, {**AT, "w": [sp.sqrt(2) / 2, sp.pi / 4]}, exact=True)
    assert by_text == by_sympy
    assert sp.simplify(by_text[0] - (sigmoid(Z) - 1)) == 0


def test_check_proves_the_lectures_gradient_at_an_exact_point():
    loss, _ = _neuron()
    report = gc.check(loss, ["z = sqrt(2)/2 - pi/4",
                             "d loss/d w1 = sigmoid(sqrt(2)/2 - pi/4) - 1"], at=AT)
    assert report, str(report)
    assert [r.how for r in report.results] == ["proved symbolically"] * 2
    assert report.note == ""


def test_explain_shows_exact_values_for_text_feeds():
    loss, _ = _neuron()
    trace = gc.explain(loss, at=AT)
    assert trace.note == ""
    assert str(trace).startswith("Backprop trace of loss at x=[1, -1], w=[sqrt(2)/2, pi/4], y=1")
    assert "sigmoid(-pi/4 + sqrt(2)/2)" in str(trace)


@pytest.mark.parametrize("value, piece", [
    ("sqrt(-2)", "not a finite real number"), ("w + 1", "unknown name 'w'"),
    ("1/0", "divides by zero"), ("__import__('os')", "unknown function")])
def test_a_bad_text_feed_is_a_feed_error_naming_the_feed(value, piece):
    loss, z = _neuron()
    with pytest.raises(gc.FeedError, match=piece) as err:
        gc.evaluate(z, {**AT, "w": [value, 1]})
    assert str(err.value).startswith("feed 'w': value ")


def test_the_command_line_reads_exact_values():
    assert parse_value("sqrt(2)/2") == sp.sqrt(2) / 2
    assert parse_value("[log(3), 1/3, 2]") == [sp.log(3), sp.Rational(1, 3), 2]
    assert parse_assignments(["w=sqrt(2)/2,pi/4"]) == {"w": [sp.sqrt(2) / 2, sp.pi / 4]}
    assert type(parse_value("10**3")) is int


def test_graphc_check_and_explain_with_exact_feeds():
    point = ["--at", "x=1,-1", "w=sqrt(2)/2,pi/4", "y=1"]
    result = graphc("check", "examples/neuron.py", *point,
                    "--claim", "d loss/d w1 = sigmoid(sqrt(2)/2 - pi/4) - 1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "proved symbolically" in result.stdout
    explained = graphc_in_process("explain", "examples/neuron.py", *point)
    assert explained.returncode == 0, explained.stderr
    assert "sqrt(2)" in explained.stdout and "numeric values" not in explained.stdout
    bad = graphc_in_process("explain", "examples/neuron.py", "--at", "w=sqrt(-2),1")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "not a finite real number" in bad.stderr
