"""The oracle is independent of the passes: generated code is compared with the reference
interpreter run on the graph as the user wrote it, so a wrong rewrite in the compile
pipeline shows as a disagreement (here, one planted on purpose)."""

import numpy as np
import pytest

import graphc as gc
from graphc.passes import stable
from graphs import oracle

AT = {"z": [-2.0, 0.5, 3.0], "y": [1.0, 0.0, 1.0]}


def bce_of_sigmoid():
    g = gc.Graph("bce of a sigmoid")
    z, y = g.input("z", shape=(3,)), g.input("y", shape=(3,))
    loss = gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss")
    return [loss] + gc.grad(loss, [z])


def agrees_with_the_oracle(nodes, at):
    """What every compiled-vs-interpreted test asserts."""
    for got, want in zip(gc.compile(nodes)(**at), oracle(nodes, at), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_compiled_stable_rewrite_agrees_with_the_unrewritten_graph():
    nodes = bce_of_sigmoid()
    assert "bce_with_logits" in gc.compile(nodes).source  # the rewrite did run
    agrees_with_the_oracle(nodes, AT)


def test_a_planted_wrong_rewrite_makes_the_comparison_fail(monkeypatch):
    # the bce of a sigmoid rewritten to bce_with_logits of the probability itself, not of
    # the sigmoid's logits: a plausible slip in the table
    wrong = (stable.Stable("bce", "sigmoid", "bce_with_logits", through=False,
                           attrs="outer", note="wrong on purpose"),) + stable.STABLE[1:]
    real = stable.rewrite_stable
    monkeypatch.setattr(stable, "rewrite_stable", lambda graph, table=wrong: real(graph, table))
    nodes = bce_of_sigmoid()
    assert "wrong on purpose" in gc.compile(nodes).source
    with pytest.raises(AssertionError):
        agrees_with_the_oracle(nodes, AT)
    # gc.evaluate runs the same passes, so it would agree with the wrong code: the oracle
    # must be the unrewritten graph
    for got, want in zip(gc.compile(nodes)(**AT), gc.evaluate(nodes, at=AT)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
