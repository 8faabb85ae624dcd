"""The stable rewrites (one test per row of passes.stable.STABLE) and the losses' derivatives
derived from their formulas."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.graph.feeds import check_feeds
from graphc.interpret import Interpreter
from graphc.ops.losses import ELEMENT, P, Y, derivative
from graphc.passes import rewrite_stable
from graphc.passes.stable import STABLE


def run(graph, nodes, at):
    """The nodes' values by the reference interpreter on ``graph`` as it is."""
    feeds = check_feeds(graph, at)
    with np.errstate(all="ignore"):
        return Interpreter(graph).run([n.id for n in nodes], feeds)


def assert_same(values, expected):
    for value, want in zip(values, expected, strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12)


def bce_of_a_probability():
    g = gc.Graph()
    p, y = g.input("p", shape=(2,)), g.input("y", shape=(2,))
    loss = gc.bce(p, y).named("loss")
    return g, loss, gc.grad(loss, [p, y])


def test_the_table_has_a_row_for_each_stable_form():
    assert [(row.op, row.inner, row.to) for row in STABLE] == [
        ("bce", "sigmoid", "bce_with_logits"), ("bce", None, "bce_clamped"),
        ("log", "softmax", "log_softmax")]


def test_nothing_to_rewrite_returns_the_same_graph():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    gc.mse(gc.log(gc.exp(x)), x)
    assert rewrite_stable(g) is g


def test_bce_of_a_sigmoid_is_computed_from_its_logits():
    g = gc.Graph()
    z, y = g.input("z", shape=(2,)), g.input("y", shape=(2,))
    loss = gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss")
    (dz,) = gc.grad(loss, [z])
    out = rewrite_stable(g)
    assert out is not g and g.record(loss.id).op == "bce"  # the graph given is not changed
    record = out.record(loss.id)
    assert (record.op, record.name) == ("bce_with_logits", "loss")
    assert out.operands(loss.id) == [z.id, y.id]
    assert record.note == "bce of a sigmoid, computed from its logits"
    assert "maximum" not in str(out.record(dz.id).attrs.get("expr", ""))  # yhat - y stays
    inside = {"z": [-2.0, 0.5], "y": [1.0, 0.0]}
    assert_same(run(out, [loss, dz], inside), run(g, [loss, dz], inside))
    outside = {"z": [-1000.0, 1000.0], "y": [1.0, 0.0]}
    assert np.all(np.isinf(run(g, [loss], outside)[0]))
    value, grad = run(out, [loss, dz], outside)
    assert value == pytest.approx(1000.0)
    # the gradient's bce step still divides by yhat (1 - yhat): fusion cancels it
    assert np.all(np.isnan(grad))
    fused = gc.passes.optimize(g, [loss.id, dz.id])
    np.testing.assert_allclose(run(fused, [dz], outside)[0], [-0.5, 0.5])


def test_bce_of_a_probability_clamps_its_logs_and_its_gradient():
    g, loss, (dp, dy) = bce_of_a_probability()
    out = rewrite_stable(g)
    assert out.record(loss.id).op == "bce_clamped"
    assert "clamped at -100" in out.record(loss.id).note
    for d in (dp, dy):
        assert out.record(d.id).note == "bce's gradient, clamped as in PyTorch"
    assert "maximum(a1*(1 - a1), 1.0e-12)" in str(out.record(dp.id).attrs["expr"])
    inside = {"p": [0.2, 0.7], "y": [1.0, 0.0]}
    assert_same(run(out, [loss, dp, dy], inside), run(g, [loss, dp, dy], inside))
    outside = {"p": [0.0, 1.0], "y": [1.0, 1.0]}
    assert not np.all(np.isfinite(np.hstack(run(g, [loss, dp, dy], outside))))
    value, grad_p, grad_y = run(out, [loss, dp, dy], outside)
    assert value == pytest.approx(50.0)  # (100 + 0) / 2, as PyTorch
    np.testing.assert_allclose(grad_p, [-0.5e12, 0.0])
    np.testing.assert_allclose(grad_y, [50.0, -50.0])


def test_compiled_clamped_bce_matches_the_rewritten_graph():
    g, loss, (dp, dy) = bce_of_a_probability()
    at = {"p": [0.0, 0.4], "y": [1.0, 0.0]}
    with np.errstate(all="ignore"):
        compiled = gc.compile([loss, dp, dy])(**at)
    assert_same(compiled, run(rewrite_stable(g), [loss, dp, dy], at))


def test_log_of_a_softmax_is_log_softmax():
    g = gc.Graph()
    z = g.input("z", shape=(2, 3))
    out_node = gc.log(gc.softmax(z, axis=0)).named("logp")
    out = rewrite_stable(g)
    record = out.record(out_node.id)
    assert (record.op, record.attrs["axis"], record.note) == (
        "log_softmax", 0, "log of a softmax, as log_softmax")
    assert out.operands(out_node.id) == [z.id]
    inside = {"z": [[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]}
    assert_same(run(out, [out_node], inside), run(g, [out_node], inside))
    outside = {"z": [[1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0]]}
    assert not np.all(np.isfinite(run(g, [out_node], outside)[0]))
    assert np.all(np.isfinite(run(out, [out_node], outside)[0]))


@pytest.mark.parametrize("name", sorted(ELEMENT))
def test_each_loss_gradient_is_the_derivative_of_its_formula(name):
    for slot, symbol in enumerate((P, Y)):
        derived = derivative(name, slot).rewrite(sp.exp)
        by_hand = sp.diff(ELEMENT[name], symbol).rewrite(sp.exp)
        point = {P: sp.Rational(3, 10), Y: sp.Rational(-7, 10)}
        assert abs(sp.N((derived - by_hand).xreplace(point))) < 1e-12, (name, slot)


def test_bce_derivative_reads_as_the_slide_and_cancels_against_sigmoid():
    assert derivative("bce", 0) == (P - Y) / (P * (1 - P))
    assert derivative("bce_with_logits", 1) == -P  # finite for any logit
    ct, out = sp.symbols("ct out", real=True)
    sigmoid_step = ct * out * (1 - out)  # sigmoid's gradient, from its own formula
    bce_step = ct * derivative("bce", 0)
    assert sigmoid_step.xreplace({ct: bce_step, out: P}) == ct * (P - Y)
