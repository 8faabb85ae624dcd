"""The core: declaring graphs, inferring shapes, deriving gradients, the lectures' numbers."""

import networkx as nx
import numpy as np
import pytest

import graphc as gc
from graphc.autodiff import differentiate
from graphc.graph.node import VIEW

from graphs import vector_neuron

SIG = 1.0 / (1.0 + np.exp(1.0))  # sigmoid(-1)
NEURON_AT = {"x": [1, -1], "w": [1, 2], "y": 1}


neuron = vector_neuron


def test_the_lecture_neuron_at_the_slides_point():
    """000/003: x = (1, -1), w = (1, 2), y = 1: l = -log sigma(-1), dl/dw1 = sigma(-1) - 1."""
    g, x, w, y, z, yhat, loss = neuron()
    (dw,) = gc.grad(loss, [w])
    assert (dw.name, dw.shape) == ("dloss_dw", (2,))
    value, grad = gc.evaluate([loss, dw], at=NEURON_AT)
    assert value == pytest.approx(-np.log(SIG), abs=1e-12)
    np.testing.assert_allclose(grad, [SIG - 1, 1 - SIG], rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad, [-0.7310585786, 0.7310585786], atol=1e-10)


def test_the_neuron_gradient_through_z_is_yhat_minus_y():
    g, x, w, y, z, yhat, loss = neuron()
    dz, dyhat = gc.grad(loss, [z, yhat])
    vz, vyhat = gc.evaluate([dz, dyhat], at=NEURON_AT)
    assert vz == pytest.approx(SIG - 1, abs=1e-12)
    assert vyhat == pytest.approx((SIG - 1) / (SIG * (1 - SIG)), rel=1e-12)
    assert "a0" in str(dz.attrs["expr"]) and "/" not in str(dz.attrs["expr"]).split("/")[0]


def test_relu_square_loss_quiz():
    """003's quiz: x = (1, -1), y = 1, w = (2, -1), so z = 3 and dl/dw1 = 4."""
    g = gc.Graph("relu quiz")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    z = (w @ x).named("z")
    loss = gc.mse(gc.relu(z), y).named("loss")
    (dw,) = gc.grad(loss, [w])
    vz, vloss, vdw = gc.evaluate([z, loss, dw], at={"x": [1, -1], "w": [2, -1], "y": 1})
    assert (vz, vloss) == (3.0, 4.0)
    assert vdw[0] == 4.0


def test_one_dimensional_example_and_sgd_step():
    """004: L = 1/2 (x w - y)^2 at x = 2, w = 1, y = 1: dL/dw = 2; a step of 0.1 gives 0.8."""
    g = gc.Graph("1-D")
    x, w, y = g.input("x"), g.param("w"), g.input("y")
    loss = (0.5 * (x * w - y) ** 2).named("L")
    (dw,) = gc.grad(loss, [w])
    value = gc.evaluate(dw, at={"x": 2, "w": 1, "y": 1})
    assert value == 2.0
    assert 1 - 0.1 * value == pytest.approx(0.8)


def mlp(batch="N"):
    g = gc.Graph("mlp")
    X = g.input("X", shape=(batch, 4))
    labels = g.input("labels", shape=(batch,), dtype="int64")
    W1, b1 = g.param("W1", shape=(4, 8)), g.param("b1", shape=(8,))
    W2, b2 = g.param("W2", shape=(8, 3)), g.param("b2", shape=(3,))
    H = gc.tanh(X @ W1 + b1).named("H")
    logits = (H @ W2 + b2).named("logits")
    loss = gc.cross_entropy(logits, labels).named("loss")
    return g, loss, [W1, b1, W2, b2]


def mlp_feeds(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return {"X": rng.normal(size=(n, 4)), "labels": rng.integers(0, 3, size=n),
            "W1": rng.normal(size=(4, 8)) * 0.5, "b1": rng.normal(size=8) * 0.1,
            "W2": rng.normal(size=(8, 3)) * 0.5, "b2": rng.normal(size=3) * 0.1}


def test_mlp_with_softmax_cross_entropy_passes_gradcheck():
    g, loss, params = mlp()
    report = gc.gradcheck(loss, params, at=mlp_feeds())
    assert report, str(report)
    assert max(report.worst.values()) < 1e-6
    assert len(g) == len(mlp()[0]), "gradcheck must not change the user's graph"


def test_mlp_relu_batch_gradients_equal_the_sum_of_per_sample_gradients():
    g, loss, params = mlp()
    grads = gc.grad(loss, params)
    feeds = mlp_feeds(n=4, seed=1)
    batch = gc.evaluate(grads, at=feeds)
    singles = [gc.evaluate(grads, at={**feeds, "X": feeds["X"][i:i + 1],
                                      "labels": feeds["labels"][i:i + 1]}) for i in range(4)]
    for k in range(4):
        np.testing.assert_allclose(batch[k], sum(s[k] for s in singles) / 4, atol=1e-12)


def test_graph_is_a_networkx_digraph_whose_edges_carry_operand_slots():
    g = gc.Graph()
    a, b = g.input("a"), g.input("b")
    d = (b - a).named("d")
    sq = (a * a).named("sq")
    assert isinstance(g.nx, nx.DiGraph)
    assert [o.name for o in d.operands] == ["b", "a"]
    assert sorted(k for _, _, k in g.nx.in_edges(sq.id, keys=True)) == [0, 1]
    assert {data["slot"] for _, _, data in g.nx.in_edges(d.id, data=True)} == {0, 1}


def test_names_follow_op_and_creation_order():
    g = gc.Graph()
    x = g.input("x")
    s = gc.sigmoid(x + 1)
    assert [n.name for n in g] == ["x", "const1", "add2", "sigmoid3"]
    assert s.named("s") is s and g["s"] == s
    (d1,) = gc.grad(s, [x])
    (d2,) = gc.grad(s, [x])
    assert (d1.name, d2.name) == ("ds_dx", "ds_dx_2")


def test_listing_shows_every_node_with_its_op_shape_and_dtype():
    g, x, w, y, z, yhat, loss = neuron()
    gc.grad(loss, [w])
    text = str(g)
    assert text.splitlines()[0] == "Graph 'sigmoid neuron': " + f"{len(g)} nodes"
    assert "param  w" in text and "= matmul(w, x)" in text and "= sigmoid(z)" in text
    # one node a vjp step (fusing them is a pass of gc.compile): bce's, then sigmoid's
    assert "= dloss_dloss*(-y + yhat)/(count7*yhat*(1 - yhat))  (elementwise)" in text
    assert "= dloss_dyhat*yhat*(1 - yhat)  (elementwise)" in text
    assert any(line.startswith("  grad") and "dloss_dw" in line for line in text.splitlines())


def test_constants_named_and_plain():
    g = gc.Graph()
    x = g.input("x", shape=(2,))
    half = g.const("half", 0.5)
    out = x * half + 2
    assert (half.role, half.shape, out.shape) == ("const", (), (2,))
    np.testing.assert_allclose(gc.evaluate(out, at={"x": [2, 4]}), [3, 4])


def test_named_dimensions_flow_through_shapes():
    g = gc.Graph()
    X = g.input("X", shape=("N", 784))
    labels = g.input("labels", shape=("N",), dtype="int64")
    W = g.param("W", shape=(784, 10))
    logits = X @ W
    assert logits.shape == ("N", 10)
    assert gc.cross_entropy(logits, labels).shape == ()
    assert gc.sum(logits, axis=0).shape == (10,)


def test_float32_graphs_stay_float32():
    g = gc.Graph()
    x = g.input("x", shape=(3,), dtype="float32")
    w = g.param("w", shape=(3,), dtype="float32")
    loss = gc.mean(gc.sigmoid(x * w * 2.0 + 0.5) ** 2)
    (dw,) = gc.grad(loss, [w])
    assert loss.dtype == dw.dtype == "float32"
    assert all(n.dtype == "float32" for n in g if n.op != "const")
    vl, vdw = gc.evaluate([loss, dw], at={"x": [1.0, 2.0, 3.0], "w": [0.1, 0.2, 0.3]})
    assert vl.dtype == vdw.dtype == np.float32


def test_gradients_sum_over_fan_out_and_broadcast():
    g = gc.Graph()
    X = g.input("X", shape=("N", 3))
    b = g.param("b", shape=(3,))
    h = X + b
    loss = gc.sum(h * h + h)
    (db,) = gc.grad(loss, [b])
    assert db.shape == (3,)
    X_v, b_v = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 0.5])
    expected = np.sum(2 * (X_v + b_v) + 1, axis=0)
    np.testing.assert_allclose(gc.evaluate(db, at={"X": X_v, "b": b_v}), expected)
    assert any(n.op == "add_n" for n in g), "fan-out is summed with add_n"


def test_gradient_with_respect_to_intermediates_and_unused_nodes():
    g = gc.Graph()
    x, u = g.input("x", shape=(2,)), g.input("unused", shape=("N", 2))
    h = gc.tanh(x).named("h")
    loss = gc.sum(h * 3.0).named("loss")
    dh, dx, du, dloss = gc.grad(loss, [h, x, u, loss])
    assert du.op == "zeros_like" and du.shape == ("N", 2)
    vals = gc.evaluate([dh, dx, du, dloss], at={"x": [0.0, 1.0], "unused": np.ones((4, 2))})
    np.testing.assert_allclose(vals[0], [3.0, 3.0])
    np.testing.assert_allclose(vals[1], 3 * (1 - np.tanh([0.0, 1.0]) ** 2))
    assert vals[2].shape == (4, 2) and not vals[2].any()
    assert vals[3] == 1.0


def test_second_derivatives():
    g = gc.Graph()
    x = g.input("x")
    s = gc.sigmoid(x).named("s")
    (ds,) = gc.grad(s, [x])
    (dds,) = gc.grad(ds, [x])
    value = gc.evaluate(dds, at={"x": 0.7})
    sig = 1 / (1 + np.exp(-0.7))
    assert value == pytest.approx(sig * (1 - sig) * (1 - 2 * sig), rel=1e-12)
    assert gc.gradcheck(ds, [x], at={"x": 0.7})


def test_second_derivatives_of_structural_ops():
    g, loss, params = mlp()
    (dW2,) = gc.grad(loss, [params[2]])
    report = gc.gradcheck(gc.sum(dW2 * dW2), params, at=mlp_feeds(n=3))
    assert report, str(report)


def test_gradient_nodes_are_marked_and_tied_to_what_they_belong_to():
    g, x, w, y, z, yhat, loss = neuron()
    forward = {n.name for n in g}
    (dw,) = gc.grad(loss, [w])
    new = [n for n in g if n.name not in forward]
    assert new and all(n.role == "grad" for n in new)
    work = g.copy()
    grads = differentiate(work, loss.id, [w.id, z.id])
    dw2, dz = (work.record(v).name for v in grads.results)
    assert (dw2, dz) == ("dloss_dw_2", "dloss_dz_2")
    assert grads.totals[z.id] == grads.results[1] and grads.of == loss.id
    assert work.record(grads.contributions[z.id, 0]).op == "mul"  # dloss/dw = dloss/dz * x
    assert set(grads.added) == set(work.nx.nodes) - set(g.nx.nodes)
    assert all(work.record(v).role == "grad" for v in grads.added)


def test_gradients_write_no_bookkeeping_onto_the_graph():
    g, x, w, y, z, yhat, loss = neuron()
    before = {v: dict(data) for v, data in g.nx.nodes(data=True)}
    gc.grad(loss, [w, z])
    gc.grad(gc.sum(gc.grad(loss, [w])[0]), [w])  # and again, second order
    for v, data in g.nx.nodes(data=True):
        assert set(data) == {"record", *VIEW}, data
        record = data["record"]
        assert {key: data[key] for key in VIEW} == {
            key: dict(record.attrs) if key == "attrs" else getattr(record, key)
            for key in VIEW}
        assert not record.meta and not record.note
        if v in before:
            assert data == before[v]  # forward nodes are untouched


def test_the_graph_holds_no_dead_gradient_steps():
    g, x, w, y, z, yhat, loss = neuron()
    (dw,) = gc.grad(loss, [w])
    needed = nx.ancestors(g.nx, dw.id) | {dw.id}
    assert all(n.id in needed for n in g if n.role == "grad")


@pytest.mark.parametrize("z", [1000.0, -1000.0, 0.0])
def test_stable_for_logits_of_size_1000(z):
    g = gc.Graph()
    logit, y = g.input("z"), g.input("y")
    logits = g.input("logits", shape=(2, 3))
    label = g.input("label", shape=(2,), dtype="int64")
    losses = [gc.bce(gc.sigmoid(logit), y), gc.bce_with_logits(logit, y),
              gc.cross_entropy(logits, label), gc.sum(gc.softmax(logits)),
              gc.sum(gc.log_softmax(logits))]
    grads = [gc.grad(l, [logit if i < 2 else logits])[0] for i, l in enumerate(losses)]
    at = {"z": z, "y": 1.0, "logits": [[z, 0.0, -z], [-z, z, 1.0]], "label": [1, 0]}
    # bce's gradient step divides by yhat (1 - yhat) until fusion cancels it into sigmoid's:
    # gc.evaluate and gc.compile both run the passes
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = gc.evaluate(losses + grads, at=at)
        dz = gc.compile(grads[0], unused="ignore")(**at)
    assert all(np.all(np.isfinite(v)) for v in values + [dz])
    assert values[-5] == dz
    expected_dz = 1.0 / (1.0 + np.exp(-z)) - 1.0 if z > -1000 else -1.0
    assert dz == pytest.approx(expected_dz)


def test_bce_of_sigmoid_at_large_logits_matches_the_limit():
    g = gc.Graph()
    z, y = g.input("z"), g.input("y")
    loss = gc.bce(gc.sigmoid(z), y)
    assert gc.evaluate(loss, at={"z": -1000.0, "y": 1.0}) == pytest.approx(1000.0)
    assert gc.evaluate(loss, at={"z": 1000.0, "y": 1.0}) == 0.0


def test_from_networkx_builds_and_checks_a_graph():
    G = nx.MultiDiGraph()
    G.add_node("a", op="input", shape=(2,))
    G.add_node("b", op="param", shape=(2,))
    G.add_node("m", op="mul")
    G.add_node("s", op="sum")
    G.add_edge("b", "m", slot=1)
    G.add_edge("a", "m", slot=0)
    G.add_edge("m", "s", slot=0)
    g = gc.Graph.from_networkx(G, name="from nx")
    assert [n.name for n in g["m"].operands] == ["a", "b"]
    assert gc.evaluate(g["s"], at={"a": [1, 2], "b": [3, 4]}) == 11.0


def test_ten_thousand_node_chain_builds_differentiates_and_evaluates():
    g = gc.Graph("deep")
    x = g.input("x")
    h = x
    for _ in range(5000):
        h = gc.tanh(h) * 1.0001
    assert len(g) > 10_000
    (dx,) = gc.grad(h, [x])
    value, grad = gc.evaluate([h, dx], at={"x": 0.5})
    assert np.isfinite(value) and np.isfinite(grad) and grad > 0
