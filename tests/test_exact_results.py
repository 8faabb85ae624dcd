"""Exact results: gradients through softmax and log_softmax from an indexed output, results
simplified where SymPy can do better, and claims between numbers proved, not sampled."""

import numpy as np
import sympy as sp

import graphc as gc

AT = {"f": [1, 2, 0]}


def logits():
    g = gc.Graph()
    return g.input("f", shape=(3,))


def softmax_of(f):
    e = [sp.exp(sp.Integer(v)) for v in f]
    return [v / sum(e) for v in e]


def close(exact, numbers):
    values = np.array(exact.tolist() if isinstance(exact, sp.Array) else exact, dtype=float)
    np.testing.assert_allclose(values, numbers, rtol=1e-12, atol=1e-14)


def test_softmax_jacobian_row_is_exact():
    f = logits()
    (row,) = gc.grad(gc.softmax(f)[0], [f])
    exact = gc.evaluate(row, at=AT, exact=True)
    p = softmax_of(AT["f"])
    for j, value in enumerate(exact):  # d p0/d f_j = p0 (delta_0j - p_j)
        assert sp.simplify(value - p[0] * (int(j == 0) - p[j])) == 0
    close(exact, gc.evaluate(row, at=AT))


def test_cross_entropy_written_literally_is_exact():
    f = logits()
    loss = -gc.log(gc.softmax(f)[2])
    (grad,) = gc.grad(loss, [f])
    exact = gc.evaluate(grad, at=AT, exact=True)
    p = softmax_of(AT["f"])
    for j, value in enumerate(exact):  # d(-log p_y)/d f_j = p_j - [j == y]
        assert sp.simplify(value - (p[j] - int(j == 2))) == 0
    close(exact, gc.evaluate(grad, at=AT))
    assert sp.simplify(gc.evaluate(loss, at=AT, exact=True) - sp.log(sum(
        sp.exp(sp.Integer(v)) for v in AT["f"]))) == 0


def test_log_softmax_from_an_indexed_output_is_exact():
    f = logits()
    (grad,) = gc.grad(-gc.log_softmax(f)[1], [f])
    exact = gc.evaluate(grad, at=AT, exact=True)
    p = softmax_of(AT["f"])
    for j, value in enumerate(exact):
        assert sp.simplify(value - (p[j] - int(j == 1))) == 0
    close(exact, gc.evaluate(grad, at=AT))


def test_explain_traces_a_softmax_row_and_the_literal_cross_entropy():
    f = logits()
    for out in (gc.softmax(f)[0], -gc.log(gc.softmax(f)[2])):
        text = str(gc.explain(out, at=AT))
        assert "Backward" in text and "upstream" in text
