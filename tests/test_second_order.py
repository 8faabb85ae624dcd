"""Second derivatives of every op, from the registry's table: the gradient of a weighted sum
of an op's first gradients (a Hessian-vector product, built by gc.grad twice) against
central differences of the first gradient, at random points.

An op whose TestSpec says ``second=False`` must say why in its doc."""

import numpy as np
import pytest

import graphc as gc
from graphc.ops import all_ops

from opspecs import build, differentiable, scalar_of

SECOND = [op for op in all_ops() if op.test is not None and op.test.grad and op.test.second]


def first_gradient_sum(opdef, seed):
    """(graph, s, wrt, feeds): s = sum_i <v_i, d f/d x_i> for fixed random v_i, so that
    d s/d x is a Hessian-vector product of f = scalar_of(out * out). The square makes f
    nonlinear even for a linear op (pad, tile, a conv in its input), so the gradient of
    its gradient rule is exercised too, not only a zero on both sides."""
    g, out, operands, feeds = build(opdef, seed)
    wrt = differentiable(opdef, operands)
    firsts = gc.grad(scalar_of(out * out, seed), wrt)
    rng = np.random.default_rng(seed + 7)
    terms = [gc.sum(d * rng.uniform(0.5, 1.5, size=d.shape)) if d.shape else
             d * rng.uniform(0.5, 1.5) for d in firsts]
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    return g, s, wrt, feeds


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("opdef", SECOND, ids=lambda op: op.name)
def test_second_derivative_matches_finite_differences(opdef, seed):
    g, s, wrt, feeds = first_gradient_sum(opdef, seed)
    report = gc.gradcheck(s, wrt, at=feeds, tol=max(opdef.test.tol, 1e-5))
    assert report, str(report)


def test_every_differentiable_op_is_in_the_table_or_says_why_not():
    assert len(SECOND) >= 30
    for op in all_ops():
        if op.test is not None and op.test.grad and not op.test.second:
            assert "second" in op.doc.lower(), op.name
