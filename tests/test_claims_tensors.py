"""Claims over tensors: arithmetic on tensor names, @, .T, components, w1, lists (issue 12)."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.ops.scalar import sigmoid

from cmdline import graphc, graphc_in_process
from graphs import vector_neuron

AT = {"x": [1, -1], "w": [1, 2], "y": 1}   # the lecture's point: z = -1


def neuron():
    g, x, w, y, z, yhat, loss = vector_neuron()
    return loss


def softmax_ce():
    """-sum(Y log p), p = softmax(f): the lecture's d loss/d f = p - Y."""
    g = gc.Graph("softmax cross-entropy")
    f, labels = g.input("f", shape=(3,)), g.input("Y", shape=(3,))
    p = gc.softmax(f).named("p")
    return (-gc.sum(labels * gc.log(p))).named("loss")


@pytest.mark.parametrize("claim,value", [
    ("-x", [-1, 1]), ("2*x", [2, -2]), ("x - w", [0, -3]), ("x*w", [1, -2]),
    ("x/w", [1, sp.Rational(-1, 2)]), ("[1, 2] - x", [0, 3]), ("w**2", [1, 4]),
])
def test_arithmetic_on_tensor_names_is_element_wise(claim, value):
    report = gc.check(neuron(), {"d loss/d w": claim}, at=AT)
    assert not report   # each is a wrong gradient, but it is read and compared
    assert list(report.results[0].claimed) == value


def test_the_lectures_p_minus_y_through_softmax():
    loss = softmax_ce()
    at = {"f": [0.5, 2, 3], "Y": [0, 1, 0]}
    report = gc.check(loss, {"d loss/d f": "p - Y"}, at=at, exact=False)
    assert report
    p = np.exp(at["f"]) / np.exp(at["f"]).sum()
    assert np.allclose([float(v) for v in report.results[0].derived], p - at["Y"])
    assert not gc.check(loss, {"d loss/d f": "p + Y"}, at=at, exact=False)


def test_matrix_products_and_transposes():
    loss = neuron()
    assert gc.check(loss, ["z = w @ x", "z = w.T @ x", "z = x @ w"], at=AT)
    g = gc.Graph("matrix")
    W, v = g.param("W", shape=(2, 3)), g.input("v", shape=(3,))
    out = gc.sum(W @ v).named("out")
    at = {"W": [[1, 2, 3], [4, 5, 6]], "v": [1, 0, -1]}
    assert gc.check(out, ["d out/d v = W.T @ [1, 1]", "d out/d W[1, 2] = v[2]",
                          "d out/d W = [[1, 0, -1], [1, 0, -1]]"], at=at)


def test_the_slides_vector_formula_is_checked_at_the_point(recwarn):
    loss = neuron()
    report = gc.check(loss, {"d loss/d w": "(yhat - y)*x"}, at=AT)
    assert report and report.results[0].how == "proved symbolically"
    assert gc.check(loss, {"d loss/d w": "(yhat - y)*x"})   # and as formulas, as before
    assert not [w for w in recwarn if "deprecat" in str(w.message).lower()]


def test_the_lectures_w1_and_w0_components_on_the_vector_neuron():
    loss = neuron()
    report = gc.check(loss, {"d loss/d w1": "sigma(-1) - 1", "d loss/d w[1]": "1 - sigma(-1)",
                             "d loss/d w": "[sigma(-1) - 1, 1 - sigma(-1)]"}, at=AT)
    assert report and all(r.how == "proved symbolically" for r in report.results)
    keys = [r.key for r in report.results]
    assert "d loss/d w[0] (w1 read as w[0])" in keys and "d loss/d w[1]" in keys
    wrong = gc.check(loss, {"d loss/d w2": "sigma(-1) - 1"}, at=AT)
    assert not wrong and wrong.results[0].derived == 1 - sigmoid(-1)
    assert gc.check(loss, {"z": "w1*x1 + w2*x2"}, at=AT)   # components on the right too


@pytest.mark.parametrize("claim,message", [
    ("d loss/d w = x1", r"'x1' is a scalar, but d loss/d w has shape \(2,\)"),
    ("d loss/d w = [1, 2, 3]", r"has shape \(3,\), but d loss/d w has shape \(2,\)"),
    ("d loss/d w = x + [1, 2, 3]", r"shapes \(2,\) and \(3,\) do not broadcast"),
    ("d loss/d w[2] = 1", r"index 2 is out of range for shape \(2,\)"),
    ("d loss/d w3 = 1", "unknown name 'w3'"),
    ("z = x @ 2", "@ needs two tensors"),
])
def test_bad_tensor_claims_are_claim_errors(claim, message):
    with pytest.raises(gc.ClaimError, match=message):
        gc.check(neuron(), [claim], at=AT)


@pytest.mark.parametrize("claim", ["d loss/d w = -x", "d loss/d w = x*w",
                                   "d loss/d w = x + [1, 2, 3]", "d loss/d w[5] = 0",
                                   "d loss/d w = x.foo", "d loss/d w = (yhat - y)*x"])
def test_the_command_line_reads_tensor_claims_without_a_traceback(claim):
    run = graphc if claim.endswith("(yhat - y)*x") else graphc_in_process   # one process
    result = run("check", "examples/neuron.py", "--claim", claim)
    assert "Traceback" not in result.stderr and "Deprecation" not in result.stderr
    if claim.endswith("(yhat - y)*x"):
        assert result.returncode == 0 and "all claims hold" in result.stdout
    elif claim.endswith(("-x", "x*w")):
        assert result.returncode == 1 and "WRONG" in result.stdout   # read, and wrong
    else:
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("graphc: error: claim")


def test_the_command_line_checks_the_lectures_w1():
    result = graphc("check", "examples/neuron.py", "--claim", "d loss/d w1 = sigma(-1) - 1")
    assert result.returncode == 0, result.stderr
    assert "w1 read as w[0]" in result.stdout and "all claims hold" in result.stdout


def test_named_dimensions_take_their_sizes_from_the_point():
    """examples/softmax_blobs.py has X of shape ("N", 2): at a point N is the batch fed."""
    from graphs import load
    blobs = load("softmax_blobs")
    at = {"X": [[1, 0], [0, 1], [1, 1]], "labels": [0, 1, 2], "W": [[1, 0, 0], [0, 1, 0]],
          "b": [0, 0, 0]}
    report = gc.check(blobs.loss, ["d loss/d f = (p - onehot(labels, 3))/3",
                                   "d loss/d b = mean(p - onehot(labels, 3), axis=0)",
                                   "d loss/d W[0, 1] = 0"], at=at)
    assert [r.holds for r in report.results] == [True, False, True]
    assert report.first_wrong.key == "d loss/d W[0, 1]"
