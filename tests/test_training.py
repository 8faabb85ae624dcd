"""Training: parameter initialization, SGD, the perceptron rule, gc.train, graph.summary."""

import sys

import numpy as np
import pytest

import graphc as gc
from graphc.graph.params import fans
from graphc.train import minibatches
from tests.graphs import load

# ---- initial values ----------------------------------------------------------------------


def layers():
    g = gc.Graph("layers")
    g.param("W", shape=(300, 200))
    g.param("b", shape=(200,))
    g.param("s")
    g.param("K", shape=(16, 3, 5, 5), init="he")
    g.param("O", shape=(2, 2), init="ones")
    g.param("V", shape=(2, 3), init=[[1, 2, 3], [4, 5, 6]])
    return g


def test_initial_params_by_name_and_value():
    params = layers().initial_params(seed=0)
    assert list(params) == ["W", "b", "s", "K", "O", "V"]
    assert {k: v.shape for k, v in params.items()} == {
        "W": (300, 200), "b": (200,), "s": (), "K": (16, 3, 5, 5), "O": (2, 2), "V": (2, 3)}
    assert all(v.dtype == np.float64 for v in params.values())
    assert not params["b"].any() and params["s"] == 0  # biases default to zeros
    assert (params["O"] == 1).all()
    np.testing.assert_array_equal(params["V"], [[1, 2, 3], [4, 5, 6]])


def test_initial_params_are_reproducible_by_seed():
    a, b, c = (layers().initial_params(seed=s) for s in (3, 3, 4))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["W"], c["W"])


def test_initial_params_are_fresh_writable_arrays():
    g = layers()
    first = g.initial_params()
    first["V"][0, 0] = 99.0
    assert g.initial_params()["V"][0, 0] == 1.0


def test_xavier_and_he_statistics():
    params = layers().initial_params(seed=1)
    W, K = params["W"], params["K"]
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.95 * limit  # uniform(-a, a)
    assert W.var() == pytest.approx(2 / (300 + 200), rel=0.05)
    assert abs(W.mean()) < 0.005
    assert fans((16, 3, 5, 5)) == (75, 400)
    assert K.std() == pytest.approx(np.sqrt(2 / 75), rel=0.1)  # Kaiming normal, fan_in 75


def test_init_keeps_the_params_dtype():
    g = gc.Graph("f32")
    g.param("W", shape=(3, 2), dtype="float32")
    g.param("b", shape=(2,), dtype="float32", init=[1, 2])
    params = g.initial_params()
    assert params["W"].dtype == np.float32 and params["b"].dtype == np.float32


def test_init_errors():
    g = gc.Graph("bad")
    with pytest.raises(gc.ShapeError, match=r"'W'.*\(2, 3\).*\(3, 2\)"):
        g.param("W", shape=(2, 3), init=np.zeros((3, 2)))
    assert "W" not in g  # a failed declaration adds nothing
    with pytest.raises(gc.GraphError, match="'zeros', 'ones', 'xavier', 'he'"):
        g.param("W", shape=(2, 3), init="glorot")
    g.param("E", shape=("V", 8))
    with pytest.raises(gc.ShapeError, match="'E'.*concrete"):
        g.initial_params()


# ---- optimizers ----------------------------------------------------------------------------


def test_sgd_step_without_momentum():
    w, b = np.array([1.0, -2.0]), np.array(0.5)
    opt = gc.optim.SGD(["w", "b"], lr=0.1)
    new = opt.step({"w": w, "b": b, "other": 7}, {"w": np.array([2.0, 4.0]), "b": 1.0})
    np.testing.assert_allclose(new["w"], [0.8, -2.4])
    assert new["b"] == pytest.approx(0.4) and new["other"] == 7
    np.testing.assert_array_equal(w, [1.0, -2.0])  # the caller's arrays are unchanged


def test_sgd_momentum_as_in_pytorch():
    g = gc.Graph("m")
    w = g.param("w", shape=(2,))
    opt = gc.optim.SGD([w], lr=0.5, momentum=0.9)
    params = {"w": np.array([1.0, 1.0])}
    g1, g2, g3 = np.array([1.0, 2.0]), np.array([0.0, -1.0]), np.array([2.0, 2.0])
    p1 = opt.step(params, {"w": g1})                # v1 = g1
    p2 = opt.step(p1, [g2])                         # v2 = 0.9 v1 + g2
    p3 = opt.step(p2, {"w": g3})                    # v3 = 0.9 v2 + g3
    v1 = g1
    v2 = 0.9 * v1 + g2
    v3 = 0.9 * v2 + g3
    np.testing.assert_allclose(p1["w"], [0.5, 0.0])
    np.testing.assert_allclose(p3["w"], params["w"] - 0.5 * (v1 + v2 + v3))
    np.testing.assert_array_equal(g1, [1.0, 2.0])


def test_perceptron_update_reproduces_the_slides_first_update():
    # seed 003: w = (1, 2, -1); x1 = (0, 1, 1) of class 0; <w, x1> = 1 predicts 1: wrong,
    # so w <- w - x1 = (1, 1, -2).  Then x2 = (1, 0, 1): <w, x2> = -1 predicts 0: right.
    w, updated = gc.optim.perceptron_update([1, 2, -1], [0, 1, 1], 0)
    assert updated
    np.testing.assert_array_equal(w, [1, 1, -2])
    w2, updated = gc.optim.perceptron_update(w, [1, 0, 1], 0)
    assert not updated
    np.testing.assert_array_equal(w2, [1, 1, -2])
    w3, updated = gc.optim.perceptron_update([0, 0, 0], [2, 1, 1], 1, lr=0.5)  # 0 -> step 0
    assert updated
    np.testing.assert_array_equal(w3, [1.0, 0.5, 0.5])
    with pytest.raises(gc.DomainError):
        gc.optim.perceptron_update([0, 0], [1, 1], -1)


# ---- the training loop ---------------------------------------------------------------------


def mlp_setup(seed=0):
    mlp = load("mlp")
    return mlp, mlp.g.initial_params(seed), mlp.batch(n=30, seed=seed)


def test_train_reduces_the_mlp_loss():
    mlp, params, data = mlp_setup()
    before = len(mlp.g)
    h = gc.train(mlp.loss, params, data, epochs=30, batch_size=8, lr=0.2, progress=False)
    assert len(h.losses) == 30
    assert h.losses[-1] < 0.5 * h.losses[0]
    assert set(h.params) == {"W1", "b1", "W2", "b2"}
    assert len(mlp.g) == before  # training added no nodes to the user's graph
    full = gc.train(mlp.loss, params, data, epochs=30, lr=0.5, momentum=0.9, progress=False)
    assert full.losses[-1] < 0.5 * full.losses[0]


def test_full_batch_train_matches_a_hand_loop():
    mlp, params, data = mlp_setup()
    h = gc.train(mlp.loss, params, data, epochs=5, lr=0.5, progress=False)
    f = gc.compile([mlp.loss] + mlp.GRADS)
    p, losses = dict(params), []
    for _ in range(5):
        value, *grads = f(**data, **p)
        losses.append(float(value))
        p = {n.name: p[n.name] - 0.5 * d for n, d in zip(mlp.PARAMS, grads)}
    np.testing.assert_allclose(h.losses, losses, rtol=1e-12)


def test_train_is_reproducible_by_seed():
    mlp, params, data = mlp_setup()
    run = [gc.train(mlp.loss, params, data, epochs=5, batch_size=7, seed=s, progress=False)
           for s in (1, 1, 2)]
    assert run[0].losses == run[1].losses
    assert run[0].losses != run[2].losses
    for name in params:
        np.testing.assert_array_equal(run[0].params[name], run[1].params[name])


def test_minibatches_cover_every_sample_once_per_epoch():
    rng = np.random.default_rng(0)
    epochs = [minibatches(23, 5, rng) for _ in range(3)]
    for batches in epochs:
        assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
        assert sorted(np.concatenate(batches).tolist()) == list(range(23))
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
    np.testing.assert_array_equal(minibatches(4, None, rng)[0], [0, 1, 2, 3])
    with pytest.raises(ValueError):
        minibatches(4, 0, rng)


def test_train_rejects_ragged_data():
    mlp, params, data = mlp_setup()
    data["labels"] = data["labels"][:-1]
    with pytest.raises(gc.FeedError, match="axis 0"):
        gc.train(mlp.loss, params, data, epochs=1, progress=False)


def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")  # in the test extra; the skip is for bare installs
    mlp, params, data = mlp_setup()
    h = gc.train(mlp.loss, params, data, epochs=4, progress=False)
    path = h.plot(tmp_path / "plots" / "loss.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["loss.png"]  # no temporary left


def test_history_plot_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(gc.GraphcError, match=r"pip install graphc\[plot\]"):
        gc.History([1.0, 0.5], {}).plot(tmp_path / "loss.png")
    assert not list(tmp_path.iterdir())


def test_train_shows_a_progress_bar_when_asked(capsys):
    pytest.importorskip("tqdm")
    mlp, params, data = mlp_setup()
    gc.train(mlp.loss, params, data, epochs=2, progress=True)
    assert "2/2" in capsys.readouterr().err


# ---- summary ---------------------------------------------------------------------------------


def big_mlp():
    g = gc.Graph("mlp 2-1024-512-3")
    X = g.input("X", shape=("N", 2))
    labels = g.input("labels", shape=("N",), dtype="int64")
    sizes = [2, 1024, 512, 3]
    h = X
    for i, (m, n) in enumerate(zip(sizes, sizes[1:]), start=1):
        W, b = g.param(f"W{i}", shape=(m, n)), g.param(f"b{i}", shape=(n,))
        h = h @ W + b
        h = gc.relu(h) if i < 3 else h.named("logits")
    return g, gc.cross_entropy(h, labels).named("loss")


def test_summary_counts_weights_and_biases():
    g, loss = big_mlp()
    s = g.summary()
    assert s.total == 529_411
    text = str(s)
    assert "529,411" in text
    assert text.splitlines()[-1] == "total parameters: 529,411 (weights and biases)"
    assert "524,288" in text and "W2" in text and "(1024, 512)" in text
    rows = {r[0]: r for r in s.rows}
    assert rows["b3"][-1] == 3 and rows["X"][-1] is None and rows["logits"][2] == "add"
    gc.grad(loss, g.params)
    assert g.summary().rows == s.rows  # gradient nodes are left out by default
    with_grads = g.summary(grads=True)
    assert len(with_grads.rows) > len(s.rows) and with_grads.total == 529_411


def test_summary_rejects_named_dims_in_params():
    g = gc.Graph("emb")
    g.param("E", shape=("V", 8))
    with pytest.raises(gc.ShapeError, match="'E'"):
        g.summary()


def test_an_optimizer_changing_a_gradient_in_place_never_changes_the_data():
    g = gc.Graph("alias")
    x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
    loss = gc.sum(w * x).named("loss")  # dloss/dw is x itself

    class Clipping:
        def step(self, params, grads):
            grads["w"] *= 0.5  # in place, as some optimizers do
            return {"w": params["w"] - 0.1 * grads["w"]}

    data = {"x": np.array([1.0, 2.0, 3.0])}
    h = gc.train(loss, {"w": np.zeros(3)}, data, epochs=3, optimizer=Clipping(),
                 progress=False)
    np.testing.assert_array_equal(data["x"], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(h.params["w"], -0.15 * np.array([1.0, 2.0, 3.0]))
    sgd = gc.train(loss, {"w": np.zeros(3)}, data, epochs=3, lr=0.05, progress=False)
    np.testing.assert_allclose(sgd.params["w"], h.params["w"])  # the unchecked path agrees
    np.testing.assert_array_equal(data["x"], [1.0, 2.0, 3.0])
