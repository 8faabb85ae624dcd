"""Random graphs of every registered op through every stage (tests/random_graphs.py), and
the bugs they found, each as the minimal graph Hypothesis shrank it to."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import graphc as gc
from graphc.interpret import reference

from random_graphs import EXAMPLES, OPS, PER_OP, SEED, check, random_graph

SETTINGS = settings(deadline=None, database=None, report_multiple_bugs=False,
                    suppress_health_check=list(HealthCheck))
CHECKS = (st.integers(0, 2 ** 16), st.sampled_from(gc.passes.LEVELS), st.integers(0, 3))


def check_one(tmp_path_factory, case, seed_, opt, save):
    """One graph's every check; one in four saved as a standalone module and imported
    without graphc."""
    tmp = tmp_path_factory.mktemp("standalone") if save == 0 else None
    check(case, seed_, opt, tmp)


@pytest.mark.parametrize("opdef", OPS, ids=lambda op: op.name)
def test_random_graphs_starting_with_each_op(tmp_path_factory, opdef):
    """PER_OP graphs for each registered op, which starts them (so none is left out)."""
    @seed(SEED)
    @settings(SETTINGS, max_examples=PER_OP)
    @given(random_graph(first=opdef), *CHECKS)
    def graphs(case, seed_, opt, save):
        check_one(tmp_path_factory, case, seed_, opt, save)
    graphs()


@seed(SEED)
@settings(SETTINGS, max_examples=EXAMPLES - PER_OP * len(OPS))
@given(random_graph(), *CHECKS)
def test_random_graphs_of_any_ops(tmp_path_factory, case, seed_, opt, save):
    """The rest of the EXAMPLES graphs (tests/conftest.py prints how many, and the seed)."""
    check_one(tmp_path_factory, case, seed_, opt, save)


# ---- what the harness found, each as its minimal graph -------------------------------------

def test_second_derivative_of_prod_others_names_the_op_and_the_node():
    # prod(x)'s gradient is prod_others(x), whose gradient is prod_pairs(x, ct): prod's
    # third derivative, which has no rule. It said "op 'prod_pairs' has no gradient".
    g = gc.Graph("prod")
    x = g.input("x", shape=(3, 4))
    others = g.apply("prod_others", [x], {"axes": (1,)}, name="others")
    (dx,) = gc.grad(gc.sum(others * others), [x])
    with pytest.raises(gc.DifferentiationError) as err:
        gc.grad(gc.sum(dx), [x])
    assert str(err.value) == (
        "second derivative of op 'prod_others' (node 'others') is not supported: its "
        "gradient, node 'dsum3_dx' (op 'prod_pairs'), has no gradient of its own")


def test_second_derivative_through_a_sum_along_an_axis():
    # The example: d/dx sum(dx * dx) with dx = d sum(sum(x, axis=1) ** 2) / dx
    # raised "ShapeError: broadcast: axis 1 is out of range". dx = 2 r broadcast along axis
    # 1 (r the row sums), so sum(dx * dx) = 4 * 3 * sum(r ** 2), whose gradient is 24 r.
    g = gc.Graph("sum axis")
    x = g.input("x", shape=(2, 3))
    (dx,) = gc.grad(gc.sum(gc.sum(x, axis=1) ** 2), [x])
    (ddx,) = gc.grad(gc.sum(dx * dx), [x])
    at = {"x": np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])}
    expected = np.array([[144.0] * 3, [-12.0] * 3])
    np.testing.assert_allclose(reference(ddx, at), expected, rtol=1e-12)
    np.testing.assert_allclose(gc.evaluate(ddx, at=at), expected, rtol=1e-12)
    for opt in gc.passes.LEVELS:
        np.testing.assert_allclose(gc.compile(ddx, opt=opt)(**at), expected, rtol=1e-12)


@pytest.mark.parametrize("loss", ["abs", "mae"])
def test_second_derivative_through_abs_and_mae_takes_the_dirac_delta_as_zero(loss):
    # The example: through abs or mae a DiracDelta made evaluate raise NameError.
    # d/dx sum(x * |x|) = 2|x|; the gradient of sum(w * 2|x|) is 2 w sign(x), the delta at
    # 0 taken as 0 (also at the kink itself, x = 0).
    g = gc.Graph(loss)
    x = g.input("x", shape=(4,))
    w = np.array([1.0, 2.0, 3.0, 4.0])
    at = {"x": np.array([1.5, -2.0, 0.0, 3.0])}
    if loss == "abs":
        first = gc.sum(x * gc.abs(x))
        expected = 2 * w * np.sign(at["x"])
    else:  # mae(x, 0) = mean |x|: d/dx = sign(x) / 4, then d sum(w * x * that) / dx
        first = gc.mae(x, g.input("y", shape=(4,)))
        at["y"] = np.zeros(4)
        expected = w * np.sign(at["x"]) / 4
    (dx,) = gc.grad(first, [x])
    target = gc.sum(dx * w) if loss == "abs" else gc.sum(dx * x * w)
    (ddx,) = gc.grad(target, [x])
    np.testing.assert_allclose(reference(ddx, at), expected, rtol=1e-12)
    np.testing.assert_allclose(gc.evaluate(ddx, at=at), expected, rtol=1e-12)
    for opt in gc.passes.LEVELS:
        np.testing.assert_allclose(gc.compile(ddx, opt=opt, unused="ignore")(**at), expected,
                                   rtol=1e-12)


def test_gradient_of_a_loss_of_a_node_against_itself():
    # Found by make fuzz: mse(x, x)'s derivative 2 (p - y) / n cancels to 0 once p and y
    # are one node, and building it raised "op 'elementwise' takes one or more operands,
    # got 0". mse(x, x) = 0 for every x: its gradient is zeros of x's shape.
    g = gc.Graph("self mse")
    x = g.input("x", shape=(4,))
    loss = gc.mse(x, x) * 3.0 + gc.sum(x * x)
    (dx,) = gc.grad(loss, [x])
    (ddx,) = gc.grad(gc.sum(dx), [x])
    at = {"x": np.array([1.0, -2.0, 0.5, 3.0])}
    for opt in gc.passes.LEVELS:
        values = gc.compile([dx, ddx], opt=opt)(**at)
        np.testing.assert_array_equal(values[0], 2 * at["x"])
        np.testing.assert_array_equal(values[1], [2.0] * 4)
    np.testing.assert_array_equal(reference(dx, at), 2 * at["x"])
