"""Random graphs of every registered op through every stage (tests/random_graphs.py), and
the bugs they found, each as the minimal graph Hypothesis shrank it to."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import graphc as gc
from graphc.interpret import reference

from random_graphs import EXAMPLES, SEED, check, random_graph


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, report_multiple_bugs=False,
          suppress_health_check=list(HealthCheck))
@given(random_graph(), st.integers(0, 2 ** 16), st.sampled_from(gc.passes.LEVELS),
       st.integers(0, 3))
def test_random_graphs_of_every_op_agree_everywhere(tmp_path_factory, case, seed_, opt, save):
    """200 graphs (tests/conftest.py prints how many, and the seed): one in four saved as a
    standalone module and imported without graphc."""
    tmp = tmp_path_factory.mktemp("standalone") if save == 0 else None
    check(case, seed_, opt, tmp)


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
