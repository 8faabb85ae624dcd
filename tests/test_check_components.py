"""Claims without a point on tensor graphs, compared component by component (issue 12):
sums, concatenation and indexing no longer hide a true claim behind matrix notation."""

import pytest

import graphc as gc


def _doubled_sum():
    g = gc.Graph("sums")
    p = g.param("p", shape=(3,))
    s = gc.sum(2 * p[None], axis=0).named("s")
    return gc.sum(s * s).named("loss")


def _bce_as_cross_entropy():
    """The lecture's bce written as the cross-entropy over the two classes (1 - p, p)."""
    g = gc.Graph("bce_as_ce")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y", shape=(2,))
    p = gc.sigmoid(w * x).named("p")
    pair = gc.concat([1 - p, p], axis=0).named("pair")
    target = gc.concat([1 - y, y], axis=0).named("t")
    ce = (-gc.sum(target * gc.log(pair)) / 2).named("ce")
    gc.bce(p, y).named("b")
    return ce


def test_a_sum_over_an_indexed_tensor_is_proved_equal_to_its_formula():
    report = gc.check(_doubled_sum(), ["s = 2*p", "d loss/d p = 8*p"])
    assert report, str(report)
    assert all(r.how == "proved symbolically" for r in report.results)


def test_bce_written_as_cross_entropy_over_two_classes_is_proved_equal_to_bce():
    report = gc.check(_bce_as_cross_entropy(), ["ce = b", "d ce/d w = (p - y)*x/2"])
    assert report, str(report)
    assert report.results[0].how == "proved symbolically"


def test_components_are_claimed_without_a_point():
    report = gc.check(_doubled_sum(), ["d loss/d p[0] = 8*p[0]", "d loss/d p1 = 8*p[0]"])
    assert report, str(report)
    assert "p1 read as p[0]" in str(report)


def test_a_wrong_claim_stays_wrong_component_by_component():
    report = gc.check(_doubled_sum(), ["s = 3*p", "d loss/d p[2] = 8*p[1]"])
    assert not report
    assert [r.holds for r in report.results] == [False, False]
    assert report.first_wrong.key == "s"


def test_integer_labels_keep_matrix_notation():
    g = gc.Graph("softmax")
    f, y = g.input("f", shape=(3,)), g.input("y", dtype="int64")
    loss = gc.cross_entropy(f, y).named("loss")
    report = gc.check(loss, ["loss = loss"])
    assert report
    assert str(report.results[0].derived) == "cross_entropy(f, y)"   # a formula in notation


def test_a_bad_claim_is_refused_not_rechecked_in_matrix_notation():
    g = gc.Graph("mat")
    W, x = g.param("W", shape=(2, 3)), g.input("x", shape=(3,))
    loss = gc.sum(W @ x).named("loss")
    with pytest.raises(gc.ClaimError, match=r"has shape \(3,\), but d loss/d W has shape"):
        gc.check(loss, ["d loss/d W = outer([1, 1], x)", "d loss/d W = x"])
    assert gc.check(loss, ["d loss/d W = outer([1, 1], x)"])
