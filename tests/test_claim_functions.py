"""Whole-tensor functions in claims: sum, mean, softmax, log_softmax, onehot, outer (issue 12).

The values are exact and compared with ``==`` against the same SymPy construction; on real
graphs the lecture's formulas (``softmax(f) - onehot(y, K)``, ``outer(x, d)``) are checked at
a point, and a deliberately wrong one is refused.
"""

import textwrap

import pytest
import sympy as sp

import graphc as gc
from graphc.check.claims import parse_expression

from cmdline import graphc, graphc_in_process

E = sp.exp
X = sp.Array([1, 2, 3])
M = sp.Array([[1, 2], [3, 4]])
NAMES = {"x": X, "M": M, "y": sp.Array([2, 0]), "s": sp.Symbol("s")}


def parse(text):
    return parse_expression(text, NAMES)


@pytest.mark.parametrize("text,value", [
    ("sum(x)", 6), ("sum(M)", 10), ("sum(M, 0)", [4, 6]), ("sum(M, -1)", [3, 7]),
    ("sum(M, axis=1)", [3, 7]), ("mean(x)", 2), ("mean(M)", sp.Rational(5, 2)),
    ("mean(M, 0)", [2, 3]), ("mean([1, 2])", sp.Rational(3, 2)),
    ("sum(3)", 3), ("mean(7)", 7), ("softmax(3)", 1), ("outer(2, 3)", 6),   # as NumPy
    ("onehot(1, 3)", [0, 1, 0]), ("onehot(y, 3)", [[0, 0, 1], [1, 0, 0]]),
    ("outer(x, [1, -1])", [[1, -1], [2, -2], [3, -3]]),
    ("sum(outer(x, x))", 36), ("log_softmax([0, 0])", [-sp.log(2), -sp.log(2)]),
    ("2*sum(x) - mean(x)", 10), ("sum(x*x)", 14),
])
def test_values_are_exact(text, value):
    result = parse(text)
    assert (result.tolist() if isinstance(result, sp.NDimArray) else result) == value


def test_softmax_is_exp_over_the_sum_of_exps_along_the_last_axis():
    assert list(parse("softmax(x)")) == [E(k) / (E(1) + E(2) + E(3)) for k in (1, 2, 3)]
    assert parse("softmax(M)").tolist() == [[E(1) / (E(1) + E(2)), E(2) / (E(1) + E(2))],
                                            [E(3) / (E(3) + E(4)), E(4) / (E(3) + E(4))]]
    assert parse("softmax(M, 0)")[0, 1] == E(2) / (E(2) + E(4))
    assert sp.simplify(parse("log_softmax(x)")[0] - sp.log(parse("softmax(x)")[0])) == 0
    assert parse("softmax(x) - onehot(1, 3)")[1] == E(2) / (E(1) + E(2) + E(3)) - 1


@pytest.mark.parametrize("text,message", [
    ("sum()", r"sum takes 1 or 2 arguments, got 0: sum\(x\) or sum\(x, axis\)"),
    ("onehot(1)", r"onehot takes 2 arguments, got 1: onehot\(y, K\)"),
    ("outer(x)", "outer takes 2 arguments, got 1"),
    ("sum(x, 1)", r"axis 1 is out of range for sum of shape \(3,\)"),
    ("softmax(M, -3)", r"axis -3 is out of range for softmax of shape \(2, 2\)"),
    ("sum(3, 0)", r"axis 0 is out of range for sum of shape \(\)"),
    ("sum(x, 0.5)", "the axis of sum must be an integer, got 1/2"),
    ("mean(M, s)", "the axis of mean must be an integer, got s"),
    ("sum(x, keepdims=1)", "only axis=, as in sum"),
    ("onehot(y, 2)", r"onehot\(y, 2\): class index 2 is out of range for 2 classes \(0..1\)"),
    ("onehot(-1, 2)", "class index -1 is out of range"),
    ("onehot(0.5, 3)", "a class index must be an integer, got 1/2"),
    ("onehot(1, 0)", "onehot.y, K. needs K a positive integer, got 0"),
    ("onehot(1, 2.5)", "needs K a positive integer, got 5/2"),
    ("onehot(x, 5000)", "more than 4096 elements"),
    ("outer(M, x)", r"outer needs two vectors, got shapes \(2, 2\) and \(3,\)"),
    ("sum(s)", "sum needs the tensor's components, but s is one symbol here: give a point"),
    ("softmax(s + 1)", "softmax of a scalar is 1"),
    ("sum", "sum is a function: call it"),
    ("summ(x)", "did you mean 'sum'"),
])
def test_bad_uses_are_claim_errors_quoting_the_text(text, message):
    with pytest.raises(gc.ClaimError, match=message) as excinfo:
        parse(text)
    assert repr(text) in str(excinfo.value)


def test_the_allowlist_message_names_the_tensor_functions():
    with pytest.raises(gc.ClaimError) as excinfo:
        parse("x % 2")
    assert "softmax, log_softmax, onehot, outer (of tensors)" in str(excinfo.value)


def test_the_size_guards_hold():
    big = {"v": sp.Array(list(range(3000)))}
    with pytest.raises(gc.ClaimError, match="more than 4096 elements"):
        parse_expression("outer(v, v)", big)
    with pytest.raises(gc.ClaimError, match="too large"):
        parse_expression("sum([10**300, 10**300]) * 10**300", {})


# ---- claims on the lectures' graphs ---------------------------------------------------------

def softmax_classifier(batch=None, features=2, classes=3):
    """f = x @ W + b, loss = cross_entropy(f, y): one sample, or a batch of ``batch``."""
    g = gc.Graph("softmax classifier")
    rows = () if batch is None else (batch,)
    x = g.input("X" if batch else "x", shape=rows + (features,))
    y = g.input("labels" if batch else "y", shape=rows, dtype="int64")
    W, b = g.param("W", shape=(features, classes)), g.param("b", shape=(classes,))
    f = (x @ W + b).named("f")
    return gc.cross_entropy(f, y).named("loss")


ONE = {"x": [1, -2], "y": 2, "W": [[1, 0, -1], [0, 1, 0]], "b": [0, 0, 1]}
BATCH = {"X": [[1, 0], [0, 1], [-1, 1]], "labels": [0, 1, 2],
         "W": [[1, 0, -1], [0, 1, 0]], "b": [0, 0, 1]}


def proved(report):
    assert report, report
    return all(r.how == "proved symbolically" for r in report.results)


def test_the_softmax_classifiers_gradient_is_softmax_minus_onehot():
    loss = softmax_classifier()
    report = gc.check(loss, {"d loss/d f": "softmax(f) - onehot(y, 3)"}, at=ONE)
    assert proved(report)
    assert report.results[0].claimed[2] == 1 / (E(1) + E(-2) + 1) - 1    # f = [1, -2, 0]
    numeric = gc.check(loss, {"d loss/d f": "softmax(f) - onehot(y, 3)"}, at=ONE, exact=False)
    assert numeric and numeric.results[0].how.startswith("numerically")
    wrong = gc.check(loss, {"d loss/d f": "softmax(f) - onehot(0, 3)"}, at=ONE)
    assert not wrong and wrong.results[0].how == "proved wrong"


def test_a_single_samples_weight_gradient_is_an_outer_product():
    loss = softmax_classifier()
    assert proved(gc.check(loss, ["d loss/d W = outer(x, softmax(f) - onehot(y, 3))",
                                  "d loss/d b = softmax(f) - onehot(y, 3)",
                                  "d loss/d x = W @ (softmax(f) - onehot(y, 3))",
                                  "loss = -log_softmax(f)[2]"], at=ONE))
    wrong = gc.check(loss, ["d loss/d W = outer(x, softmax(f) - onehot(1, 3))"], at=ONE)
    assert not wrong and "WRONG" in str(wrong)


def test_a_batch_divides_by_n_or_takes_the_mean():
    loss = softmax_classifier(batch=3)
    assert proved(gc.check(loss, [
        "d loss/d f = (softmax(f) - onehot(labels, 3)) / 3",
        "d loss/d W = X.T @ (softmax(f) - onehot(labels, 3)) / 3",
        "d loss/d b = mean(softmax(f) - onehot(labels, 3), axis=0)",   # an = inside a call
        "loss = -mean(sum(log_softmax(f) * onehot(labels, 3), 1))"], at=BATCH))
    wrong = gc.check(loss, ["d loss/d f = softmax(f) - onehot(labels, 3)"], at=BATCH)
    assert not wrong and wrong.results[0].how == "proved wrong"     # the 1/N forgotten


def test_mean_squared_error_is_the_mean_of_squares():
    g = gc.Graph("mse")
    yhat, t = g.input("yhat", shape=(3,)), g.input("t", shape=(3,))
    loss = gc.mse(yhat, t).named("loss")
    at = {"yhat": [1, 2, 3], "t": [0, 2, 5]}
    report = gc.check(loss, {"loss": "mean((yhat - t)^2)", "d loss/d yhat": "2*(yhat - t)/3"},
                      at=at)
    assert proved(report) and report.results[0].claimed == sp.Rational(5, 3)
    wrong = gc.check(loss, {"loss": "sum((yhat - t)^2)"}, at=at)
    assert not wrong and wrong.results[0].how == "proved wrong: off by 10/3"


def test_a_label_out_of_range_at_the_point_is_a_claim_error():
    with pytest.raises(gc.ClaimError, match="class index 2 is out of range for 2 classes"):
        gc.check(softmax_classifier(), ["loss = sum(onehot(y, 2))"], at=ONE)


def test_without_a_point_a_tensor_is_one_symbol_and_sum_asks_for_one():
    with pytest.raises(gc.ClaimError, match="give a point"):
        gc.check(softmax_classifier(), ["d loss/d f = softmax(f) - onehot(y, 3)"])


# ---- the command line ------------------------------------------------------------------------

CLASSIFIER = textwrap.dedent('''
    import graphc as gc
    g = gc.Graph("softmax classifier")
    x, y = g.input("x", shape=(2,)), g.input("y", dtype="int64")
    W, b = g.param("W", shape=(2, 3)), g.param("b", shape=(3,))
    f = (x @ W + b).named("f")
    loss = gc.cross_entropy(f, y).named("loss")
    at = {ONE!r}
''').replace("{ONE!r}", repr(ONE))


@pytest.mark.parametrize("claim,code", [
    ("d loss/d f = softmax(f) - onehot(y, 3)", 0),
    ("d loss/d W = outer(x, softmax(f) - onehot(y, 3))", 0),
    ("d loss/d b = sum(outer(x, softmax(f) - onehot(y, 3)), axis=0)", 1),     # read, wrong
    ("d loss/d f = softmax(f) - onehot(y, 3, 1)", 2),
    ("d loss/d f = softmax(f, 1) - onehot(y, 3)", 2),
    ("d loss/d f = softmax(f) - onehot(y, 1.5)", 2),
    ("d loss/d f = softmax(f) - onehot(y, 2)", 2),         # y = 2 at the point: no class 2
    ("d loss/d f = outer(f, W)", 2),
    ("d loss/d f = sum(x, axis=y)", 2),
])
def test_the_command_line_checks_tensor_functions(tmp_path, claim, code):
    path = tmp_path / "classifier.py"
    path.write_text(CLASSIFIER)
    run = graphc if code == 0 and "outer" not in claim else graphc_in_process  # one process
    result = run("check", path, "--claim", claim)
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if code == 0:
        assert "all claims hold" in result.stdout and "proved symbolically" in result.stdout
    elif code == 1:
        assert "WRONG" in result.stdout
    else:
        assert result.stderr.startswith("graphc: error: ") and len(
            result.stderr.strip().splitlines()) in (1, 3), result.stderr  # the line, or ^


def test_the_command_line_checks_the_cross_entropy_quiz():
    result = graphc("check", "examples/ce_quiz.py", "--claim", "loss = -sum(onehot * log(p))",
                    "--claim", "onehot = onehot(2, 5)")   # the node, and the function
    assert result.returncode == 0, result.stderr
    assert "all claims hold" in result.stdout
