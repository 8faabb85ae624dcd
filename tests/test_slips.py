"""Naming the slip (issue 12): each common slip of hand backprop, planted in a lecture
example, is named by gc.check; a right claim, or a wrong one no slip explains, names none."""

import numpy as np
import pytest

import graphc as gc
from graphc.check.slips import diagnose
from graphc.ops.scalar import np_sigmoid

from cmdline import graphc
from graphs import load

S = float(np_sigmoid(-1.0))      # yhat at the lecture's point, where z = -1


def neuron():
    """examples/backprop_by_hand.py, its nodes named as the graphc command names them."""
    module = load("backprop_by_hand")
    module.z.named("z"), module.yhat.named("yhat"), module.loss.named("loss")
    return module.loss, module.at


def why(loss, claim, at, **kwargs):
    report = gc.check(loss, [claim], at=at, **kwargs)
    assert not report, str(report)
    assert report.first_wrong.slip in str(report)
    return report.first_wrong.slip


@pytest.mark.parametrize("claim,slip", [
    ("d loss/d w1 = (yhat - y) / (yhat * (1 - yhat))",       # dl/dyhat * x1, x1 = 1
     "your d loss/d w1 equals the true one without the factor d yhat/d z = yhat*(1 - yhat): "
     "the sigmoid's local derivative is missing"),
    ("d loss/d w1 = (yhat - y) / (1 - yhat)",
     "your d loss/d w1 equals the true one with sigmoid'(z) written as sigmoid(z): "
     "d yhat/d z is yhat*(1 - yhat), not yhat"),
    ("d loss/d w1 = 1 - sigmoid(-1)",
     "your d loss/d w1 has the wrong sign: the minus of a gradient step (w - lr * gradient) "
     "belongs to the step, not to the gradient"),
    ("d loss/d w1 = x1",
     "your d loss/d w1 equals d z/d w1 alone: the upstream gradient d loss/d z is missing"),
    ("d loss/d w1 = yhat * (1 - yhat)",
     "your d loss/d w1 equals the true one without the factor d loss/d yhat = "
     "(-y + yhat)/(yhat*(1 - yhat)): the bce's local derivative is missing"),
])
def test_each_slip_on_the_lectures_neuron_is_named(claim, slip):
    loss, at = neuron()
    assert why(loss, claim, at) == slip


def test_the_upstream_gradient_alone_is_named_beside_a_sign_it_equals():
    loss, at = neuron()   # dl/dw2 = (yhat - y) x2 with x2 = -1: dl/dz alone is -dl/dw2
    assert why(loss, "d loss/d w2 = yhat - y", at).endswith(
        "; or it equals d loss/d z, the upstream gradient at z: the local factor d z/d w2 "
        "is missing")
    at = {**at, "x2": 3}  # dl/dz alone, and no longer minus the truth
    assert why(loss, "d loss/d w2 = yhat - y", at) == (
        "your d loss/d w2 equals d loss/d z, the upstream gradient at z: the local factor "
        "d z/d w2 is missing")


def test_a_right_claim_and_an_unexplained_one_name_no_slip():
    loss, at = neuron()
    right = gc.check(loss, ["d loss/d w1 = sigmoid(-1) - 1"], at=at)
    assert right and right.results[0].slip == "" and "why" not in str(right)
    wrong = gc.check(loss, ["d loss/d w1 = 3/10", "d loss/d z = yhat"], at=at)
    assert not wrong and [r.slip for r in wrong.results] == ["", ""]
    assert "why" not in str(wrong)
    assert gc.check(loss, ["d loss/d w1 = 3/10"]).results[0].slip == ""   # formulas: none


def test_a_missing_fan_out_sum_is_named():
    module = load("fan_out")
    for node, name in [(module.g, "g"), (module.u1, "u1"), (module.u2, "u2"), (module.f, "f")]:
        node.named(name)
    only_u1 = ("equals the true one along the path through u1 alone: g feeds u1, u2, and "
               "the fan-out sum over them is missing")
    assert why(module.f, "d f/d g = 2 * g", module.at) == f"your d f/d g {only_u1}"
    assert why(module.f, "d f/d w = 2 * 2 * g", module.at) == f"your d f/d w {only_u1}"
    assert "through u2 alone" in why(module.f, "d f/d w = 2*sigmoid(g)*(1 - sigmoid(g))",
                                     module.at)


def softmax_regression():
    """Z2 = X W, cross-entropy over a batch of N = 4 rows (one-hot Y): dl/dZ2 = (P - Y)/N."""
    g = gc.Graph("softmax regression")
    X, Y, W = g.input("X", shape=(4, 2)), g.input("Y", shape=(4, 3)), g.param("W", shape=(2, 3))
    Z2 = (X @ W).named("Z2")
    gc.softmax(Z2).named("P")
    at = {"X": [[1, 2], [0, -1], [2, 1], [-1, 0]], "W": [[0.5, -1, 0], [1, 0.25, -0.5]],
          "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]}
    return gc.cross_entropy(Z2, Y).named("loss"), at


def test_the_mlps_forgotten_one_over_n_and_a_misplaced_transpose_are_named():
    loss, at = softmax_regression()
    assert gc.check(loss, ["d loss/d Z2 = (P - Y) / 4", "d loss/d W = X.T @ (P - Y) / 4"],
                    at=at, exact=False)
    forgot = ("equals the true one times 4: the 1/N (N = 4) of the mean in loss "
              "(cross_entropy) is forgotten, a mean taken as a sum")
    assert why(loss, "d loss/d Z2 = P - Y", at, exact=False) == f"your d loss/d Z2 {forgot}"
    assert why(loss, "d loss/d W = X.T @ (P - Y)", at, exact=False) == f"your d loss/d W {forgot}"
    report = gc.check(loss, ["d loss/d W = (P - Y).T @ X / 4"], at=at, exact=False)
    assert not report and report.results[0].how == "shape (3, 2), the transpose of (2, 3)"
    assert report.first_wrong.slip.startswith("your d loss/d W is the true one transposed")


def test_a_square_gradient_transposed_is_named():
    g = gc.Graph("square")
    x, W = g.input("x", shape=(2,)), g.param("W", shape=(2, 2))
    out = gc.sum(gc.tanh(W @ x) * [1.0, 3.0]).named("out")
    at = {"x": [1.0, -2.0], "W": [[0.5, 1.0], [-1.0, 0.25]]}
    report = gc.check(out, ["d out/d W = [[1, 2], [3, 4]]"], at=at)
    assert report.first_wrong.slip == ""
    (true,) = gc.grad(out, [W])
    value = gc.evaluate(true, at=at)
    claim = f"d out/d W = {np.asarray(value).T.tolist()}"
    assert why(out, claim, at, exact=False).startswith("your d out/d W is the true one transposed")


def test_diagnose_leaves_the_graph_unchanged_and_reads_components():
    loss, at = neuron()
    graph = loss.graph
    before = len(list(graph))
    w1 = graph.node("w1")
    assert "sigmoid's local derivative" in diagnose(graph, loss.id, w1.id, (S - 1) / (S * (1 - S)),
                                                    at)
    assert len(list(graph)) == before
    vector = gc.Graph("v")
    x, w, y = vector.input("x", shape=(2,)), vector.param("w", shape=(2,)), vector.input("y")
    vloss = gc.bce(gc.sigmoid(gc.sum(w * x)), y)
    point = {"x": [1.0, -1.0], "w": [1.0, 2.0], "y": 1.0}
    assert "wrong sign" in diagnose(vector, vloss.id, w.id, 1 - S, point, index=(0,))


def test_the_command_line_prints_the_slip():
    result = graphc("check", "examples/backprop_by_hand.py",
                    "--claim", "d loss/d w1 = (yhat - y) / (yhat * (1 - yhat))")
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("  why: your d loss/d w1 equals the true one without the factor "
            "d yhat/d z = yhat*(1 - yhat): the sigmoid's local derivative is missing"
            in result.stdout.splitlines())


def test_a_slip_is_named_without_a_point_too():
    """Formula claims are diagnosed at a fixed sample point of the leaves."""
    g = gc.Graph("neuron")
    x1, x2, y = g.input("x1"), g.input("x2"), g.input("y")
    w1, w2 = g.param("w1"), g.param("w2")
    z = (w1 * x1 + w2 * x2).named("z")
    loss = gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss")
    report = gc.check(loss, ["d loss/d w2 = (y - yhat)*x2", "d loss/d w1 = (yhat - y)*x1"])
    assert [r.holds for r in report.results] == [True, False]
    assert "wrong sign" in report.first_wrong.slip
    assert "why: your d loss/d w2 has the wrong sign" in str(report)


def test_a_division_by_n_forgotten_is_named_as_a_mean_taken_as_a_sum():
    g = gc.Graph("mean by hand")
    x, w = g.input("x", shape=(4,)), g.param("w")
    n = g.const("N", 4.0)
    loss = (gc.sum((x * w) ** 2) / n).named("loss")
    report = gc.check(loss, ["d loss/d w = sum(2*x*x*w)"], at={"x": [1, 2, 3, 4], "w": 1})
    assert report.first_wrong.slip == (
        "your d loss/d w equals the true one times 4: the 1/N (N = 4) that loss divides by "
        "is forgotten, a mean taken as a sum")
