"""gc.check from Python: proofs, numeric comparisons, the first wrong step, bad claims."""

import pytest

import graphc as gc

from graphs import scalar_neuron

AT = {"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}


def neuron():
    n = scalar_neuron()
    return n.g, n.loss


def test_right_claims_are_proved_and_the_graph_is_unchanged():
    g, loss = neuron()
    before = len(g)
    report = gc.check(loss, {"yhat": "sigmoid(-1)", "d loss/d z": "yhat - y",
                             "d loss/d w1": "sigmoid(-1) - 1"}, at=AT)
    assert report and report.first_wrong is None
    assert all(r.how == "proved symbolically" for r in report.results)
    assert [r.key for r in report.results] == ["yhat", "d loss/d z", "d loss/d w1"]
    assert str(report).endswith("all claims hold")
    assert len(g) == before


def test_a_calculators_decimal_holds_numerically_and_the_report_says_so():
    g, loss = neuron()
    report = gc.check(loss, ["loss = 1.3132616875182228", "d loss/d w2 = 0.73106"],
                      at=AT, tol=1e-9)
    first, second = report.results
    assert first.holds and first.how == "numerically, to 1e-09"
    assert not second.holds  # 5 digits are not within 1e-9
    assert second.derived == 1 - gc.ops.scalar.sigmoid(-1)
    assert gc.check(loss, ["d loss/d w2 = 0.73106"], at=AT, tol=1e-5)


def test_a_wrong_claim_shows_the_derived_value_and_the_first_wrong_step():
    g, loss = neuron()
    report = gc.check(loss, {"d loss/d w1": "sigmoid(-1)", "d loss/d z": "1 - yhat",
                             "z": "-1"}, at=AT)
    assert not report
    assert report.first_wrong.key == "d loss/d z"
    assert "first wrong step: d loss/d z (claimed 1 - yhat, derived -1 + sigmoid(-1))" \
        in str(report)


def test_formulas_are_compared_without_a_point():
    g, loss = neuron()
    assert gc.check(loss, {"d loss/d w1": "(yhat - y) * x1", "d loss/d z": "yhat - y"})
    report = gc.check(loss, {"d loss/d w1": "(yhat - y) * x2"})
    assert not report and "differs" in report.results[0].how


@pytest.mark.parametrize("claims,message", [
    ({"d loss/d w9": "1"}, "w9"),
    ({"d loss/d w1": "yhta - y"}, "did you mean 'yhat'"),
    ({"d loss/d w1": "os.system('x')"}, "claim"),
    (["d loss/d w1 = 1 = 2"], "exactly one '='"),
])
def test_bad_claims_are_claim_errors(claims, message):
    g, loss = neuron()
    with pytest.raises(gc.ClaimError, match=message):
        gc.check(loss, claims, at=AT)


def test_tensor_claims_compare_element_by_element():
    g = gc.Graph()
    x, w = g.input("x", shape=(2,)), g.param("w", shape=(2,))
    loss = gc.sum(w * x).named("loss")
    at = {"x": [1, 2], "w": [3, 4]}
    assert gc.check(loss, {"d loss/d w": "x"}, at=at)  # the value of x: [1, 2]
    assert not gc.check(loss, {"d loss/d w": "w"}, at=at)
    with pytest.raises(gc.ClaimError, match=r"is a scalar, but d loss/d w has shape \(2,\)"):
        gc.check(loss, {"d loss/d w": "1"}, at=at)
