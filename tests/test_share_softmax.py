"""passes.share_softmax: cross_entropy's loss and gradient from one log_softmax, no one-hot
array; every form against the reference interpreter on the graph as written, at each level.
And the editing API's ``add(..., before=v)`` it is built on."""

import numpy as np
import pytest

import graphc as gc
from graphc import passes
from graphc.errors import DomainError, GraphError
from graphc.graph import walk

from graphs import compute_of, oracle


def classifier(dtype="float64", batch=("N", 5), target="labels"):
    """(graph, z, target node, loss, feeds): softmax cross-entropy of z = X @ W."""
    g = gc.Graph("ce")
    rows = batch[:-1]
    x, w = g.input("X", shape=(*rows, 4), dtype=dtype), g.param("W", shape=(4, 5), dtype=dtype)
    z = (x @ w).named("z")
    rng = np.random.default_rng(0)
    feeds = {"X": rng.normal(size=(3, 4) if rows else (4,)), "W": rng.normal(size=(4, 5))}
    if target == "labels":
        t = g.input("labels", shape=rows, dtype="int64")
        feeds["labels"] = np.array([4, 0, 2]) if rows else np.array(3)
    else:  # probability rows
        t = g.input("t", shape=(*rows, 5), dtype=dtype)
        feeds["t"] = rng.dirichlet(np.ones(5), size=3 if rows else None)
    feeds = {k: v.astype(dtype) if v.dtype.kind == "f" else v for k, v in feeds.items()}
    return g, z, t, gc.cross_entropy(z, t).named("loss"), feeds


def agree(nodes, feeds, dtype="float64"):
    """Compile ``nodes`` at every level; each agrees with the oracle; the opt=1 source."""
    expected = oracle(nodes, at=feeds)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for opt in passes.LEVELS:
        f = gc.compile(nodes, opt=opt, debug=True)
        for got, want in zip(f(**feeds), expected, strict=True):
            assert got.dtype == want.dtype == np.dtype(dtype)
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    return compute_of(gc.compile(nodes).source)


def calls(body, name):
    return body.count(f"{name}(")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_loss_and_its_gradient_share_one_log_softmax_and_no_one_hot(dtype):
    g, z, t, loss, feeds = classifier(dtype)
    nodes = [loss] + gc.grad(loss, [g["W"]])
    body = agree(nodes, feeds, dtype)
    assert calls(body, "np_log_softmax") == 1 and calls(body, "np.exp") == 1
    assert calls(body, "_np_one_hot") == 0 and calls(body, "_np_softmax_minus_one_hot") == 1
    assert calls(body, "_np_cross_entropy") == calls(body, "_np_softmax") == 0
    assert "d cross_entropy(z, labels)/dz = (softmax(z) - one_hot(labels)) / N" in body
    teaching = compute_of(gc.compile(nodes, opt=0).source)  # opt=0 keeps the slide's form
    assert calls(teaching, "_np_one_hot") == calls(teaching, "_np_cross_entropy") == 1


def test_huge_and_minus_infinite_logits_stay_finite_where_the_oracle_is():
    g = gc.Graph("logits")
    z, labels = g.input("z", shape=("N", 5)), g.input("labels", shape=("N",), dtype="int64")
    loss = gc.cross_entropy(z, labels).named("loss")
    dz = gc.grad(loss, [z])[0]
    at = {"z": np.array([[1e4, -1e4, 0, 3, 7e3], [-np.inf, 2, 1, 0, -1], [5, -np.inf, 1e3, 0, 0]]),
          "labels": np.array([4, 1, 2])}
    values = oracle([loss, dz], at=at)
    assert np.isfinite(values[0]) and np.all(np.isfinite(values[1]))
    agree([loss, dz], at)
    at["labels"] = np.array([4, 0, 2])  # a label whose logit is -inf: an infinite loss
    assert oracle(loss, at=at) == np.inf
    agree([loss, dz], at)


def test_probability_rows_share_the_log_softmax_with_both_gradients():
    g, z, t, loss, feeds = classifier(target="rows")
    nodes = [loss] + gc.grad(loss, [g["W"], t])
    body = agree(nodes, feeds)
    assert calls(body, "np_log_softmax") == 1 and calls(body, "_np_nll") == 1


@pytest.mark.parametrize("head", ["times", "sum", "weighted", "gradient only"])
def test_a_gradient_not_divided_by_the_batch_alone(head):
    g, z, t, loss, feeds = classifier()
    if head == "times":
        loss = (2.5 * loss).named("total")
    elif head == "sum":
        loss = (loss + gc.mse(z, g.input("y", shape=("N", 5)))).named("total")
        feeds["y"] = np.linspace(0, 1, 15).reshape(3, 5)
    elif head == "weighted":
        loss = (g.param("a") * loss).named("total")
        feeds["a"] = np.array(0.75)
    nodes = ([] if head == "gradient only" else [loss]) + gc.grad(loss, [g["W"]])
    body = agree(nodes, feeds)
    assert calls(body, "_np_softmax_minus_one_hot") == 1 and "_np_one_hot(" not in body


def test_two_cross_entropies_of_one_logits_share_one_log_softmax():
    g, z, t, loss, feeds = classifier()
    other = g.input("other", shape=("N",), dtype="int64")
    total = (loss + gc.cross_entropy(z, other)).named("total")
    body = agree([total] + gc.grad(total, [g["W"]]), {**feeds, "other": np.array([1, 1, 3])})
    assert calls(body, "np_log_softmax") == calls(body, "np.exp") == 1
    assert calls(body, "_np_softmax_minus_one_hot") == 2


def test_one_example_is_its_gradient_with_no_division():
    g, z, t, loss, feeds = classifier(batch=(5,))
    (dz,) = gc.grad(loss, [z])
    body = agree([loss, dz], feeds)
    assert "dloss_dz = _np_softmax_minus_one_hot(softmax, labels," in body


def test_a_softmax_the_forward_computes_is_the_one_the_gradient_reads():
    g, z, t, loss, feeds = classifier()
    p = gc.softmax(z).named("p")
    nodes = [p, loss] + gc.grad(loss, [g["W"]])
    body = agree(nodes, feeds)
    assert "_np_softmax_minus_one_hot(p, labels," in body
    assert calls(body, "_np_softmax") == calls(body, "_np_cross_entropy") == 1


def test_the_gradient_s_own_softmax_and_one_hot_asked_for_keep_their_names_and_values():
    g, z, t, loss, feeds = classifier()
    nodes = [loss] + gc.grad(loss, [g["W"]])
    inner = [n for n in g if n.op in ("softmax", "one_hot")]
    body = agree(nodes + inner, feeds)
    assert calls(body, "_np_one_hot") == 1
    names = gc.compile(nodes + inner).source.split("OUTPUTS = ")[1].split("\n")[0]
    assert all(repr(n.name) in names for n in inner)


def test_nothing_to_share_without_a_gradient():
    g, z, t, loss, feeds = classifier()
    assert passes.share_softmax(g, [loss.id]) is g


def test_out_of_range_labels_are_a_domain_error_in_the_gradient_alone():
    g, z, t, loss, feeds = classifier()
    f = gc.compile(gc.grad(loss, [g["W"]]))
    with pytest.raises(DomainError, match="class label 5 is out of range"):
        f(**{**feeds, "labels": np.array([5, 0, 1])})
    with pytest.raises(DomainError, match="class label -1 is out of range"):
        f(**{**feeds, "labels": np.array([0, -1, 1])})


# ---- add(..., before=v): the editing API the pass adds its log_softmax with -------------

def test_a_node_added_before_another_comes_before_it_in_graph_order():
    g, z, t, loss, feeds = classifier()
    record = gc.log_softmax(z).record.evolve(name="shared")  # a record to add again
    v = g.add(record, [z.id], before=loss.id)
    assert v > loss.id and g.position(z.id) < g.position(v) < g.position(loss.id)
    names = [n.name for n in g]  # the listing walks in graph order too
    assert names.index("shared") == names.index("loss") - 1 and not g.in_creation_order
    g.replace(loss.id, "nll", [v, t.id], {})  # the later id may now be its operand
    assert passes.verify(g.copy(), after="test") is not None
    with pytest.raises(GraphError, match="an operand comes after it"):
        g.add(record.evolve(name="late"), [loss.id], before=loss.id)
    with pytest.raises(GraphError, match="an operand must come before it"):
        g.replace(z.id, "log_softmax", [v], {"axis": 1})
    g.replace(loss.id, "cross_entropy", [z.id, t.id], {})
    g.remove(v)
    assert g.in_creation_order
