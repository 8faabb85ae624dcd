"""gc.nn, the layer helpers: the params they declare (names, shapes), the scopes they build
in (one diagram cluster per layer or step), their values against NumPy written out by
hand, their gradients against finite differences, and their errors."""

import re
from pathlib import Path

import numpy as np
import pytest

import graphc as gc
import visualize

from graphs import oracle

RNG = np.random.default_rng(14)


def values(g, seed=0, **feeds):
    """The graph's initial params (g.initial_params) with ``feeds``."""
    return {**g.initial_params(seed=seed), **feeds}


def clusters(graph):
    """The labels of the clusters of the forward diagram, in the order drawn."""
    source = visualize.draw(graph).source
    return re.findall(r"subgraph cluster_\d+ \{\n\t+graph \[.*?label=\"?([^\]\"]+?)\"?[ \]]",
                      source)


# ---- dense and mlp ---------------------------------------------------------------------------

def test_dense_declares_W1_b1_in_scope_layer1_and_computes_x_W_plus_b():
    g = gc.Graph()
    X = g.input("X", shape=("N", 4))
    h = gc.nn.dense(g, X, 3, act="tanh")
    W, b = g["W1"], g["b1"]
    assert (W.shape, b.shape, h.shape) == ((4, 3), (3,), ("N", 3))
    assert {W.scope, b.scope, h.scope, g["z1"].scope} == {"layer1"}
    at = values(g, X=RNG.normal(size=(5, 4)))
    np.testing.assert_allclose(gc.evaluate(h, at=at), np.tanh(at["X"] @ at["W1"] + at["b1"]),
                               rtol=1e-12)


def test_dense_on_a_vector_and_its_activation_given_as_a_function_or_none():
    g = gc.Graph()
    x = g.input("x", shape=(2,))
    h = gc.nn.dense(g, x, 3, act=gc.relu, name="hid")
    out = gc.nn.dense(g, h, 1, name="out")
    assert (h.op, h.shape, out.op, out.name) == ("relu", (3,), "add", "zout")
    assert [p.name for p in g.params] == ["Whid", "bhid", "Wout", "bout"]
    at = values(g, x=np.array([1.0, -1.0]))
    hidden = np.maximum(at["x"] @ at["Whid"] + at["bhid"], 0)
    np.testing.assert_allclose(gc.evaluate(out, at=at), hidden @ at["Wout"] + at["bout"])


def test_mlp_names_layers_1_2_3_and_the_last_has_no_activation():
    g = gc.Graph("mlp")
    X = g.input("X", shape=("N", 4))
    labels = g.input("labels", shape=("N",), dtype="int64")
    logits = gc.nn.mlp(g, X, [8, 5, 3], act="sigmoid")
    assert [(p.name, p.shape) for p in g.params] == [
        ("W1", (4, 8)), ("b1", (8,)), ("W2", (8, 5)), ("b2", (5,)), ("W3", (5, 3)),
        ("b3", (3,))]
    assert (logits.name, logits.op, logits.shape) == ("z3", "add", ("N", 3))
    assert [n.op for n in g.nodes() if n.op == "sigmoid"] == ["sigmoid", "sigmoid"]
    assert clusters(g) == ["layer1", "layer2", "layer3"]
    loss = gc.cross_entropy(logits, labels)
    at = values(g, X=RNG.normal(size=(6, 4)), labels=np.arange(6) % 3)
    report = gc.gradcheck(loss, g.params, at=at)
    assert report, str(report)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sig(sig(at["X"] @ at["W1"] + at["b1"]) @ at["W2"] + at["b2"])
    np.testing.assert_allclose(gc.evaluate(logits, at=at), h @ at["W3"] + at["b3"],
                               rtol=1e-12)


# ---- conv ------------------------------------------------------------------------------------

def test_conv_declares_filters_C_k_k_in_scope_conv1_and_is_a_cross_correlation():
    g = gc.Graph()
    images = g.input("images", shape=(2, 3, 5, 5))
    h = gc.nn.conv(g, images, 4, 3, padding=1, act="relu")
    assert (g["W1"].shape, g["b1"].shape, h.shape) == ((4, 3, 3, 3), (4,), (2, 4, 5, 5))
    assert {n.scope for n in g.nodes() if n.role != "input"} == {"conv1"}
    assert clusters(g) == ["conv1"]
    at = values(g, images=RNG.normal(size=(2, 3, 5, 5)))
    padded = np.pad(at["images"], ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((2, 4, 5, 5))
    for i in range(5):
        for j in range(5):
            window = padded[:, :, i:i + 3, j:j + 3]
            want[:, :, i, j] = np.einsum("nckl,fckl->nf", window, at["W1"]) + at["b1"]
    np.testing.assert_allclose(gc.evaluate(h, at=at), np.maximum(want, 0), rtol=1e-12)


# ---- rnn and lstm ----------------------------------------------------------------------------

def rnn_numpy(at, xs):
    s, states = np.zeros(at["W"].shape[0]), []
    for x in xs:
        s = np.tanh(at["b"] + at["W"] @ s + at["U"] @ x)
        states.append(s)
    return states


def test_rnn_unrolls_the_lectures_a_b_W_s_U_x_with_shared_params_and_step_scopes():
    g = gc.Graph("rnn")
    x = g.input("x", shape=(4, 3))
    y = g.input("y", shape=(4,), dtype="int64")
    states = gc.nn.rnn(g, x, hidden=5)
    assert [(p.name, p.shape) for p in g.params] == [("W", (5, 5)), ("U", (5, 3)), ("b", (5,))]
    assert [s.name for s in states] == ["s1", "s2", "s3", "s4"]
    assert [(g[f"a{t}"].scope, s.scope) for t, s in enumerate(states, 1)] == [
        (f"step{t}", f"step{t}") for t in range(1, 5)]
    assert clusters(g) == ["step1", "step2", "step3", "step4"]
    logits = gc.nn.dense(g, gc.concat(states).reshape(4, 5), 2, name="out")
    loss = gc.cross_entropy(logits, y)
    at = values(g, x=RNG.normal(size=(4, 3)), y=np.array([0, 1, 1, 0]))
    for got, want in zip(gc.evaluate(states, at=at), rnn_numpy(at, at["x"]), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    report = gc.gradcheck(loss, g.params, at=at)
    assert report, str(report)


def test_rnn_over_a_list_of_steps_with_a_given_start_state_and_a_name():
    g = gc.Graph()
    xs = [g.input(f"x{t}", shape=(2,)) for t in (1, 2, 3)]
    start = g.input("start", shape=(3,))
    states = gc.nn.rnn(g, xs, 3, h0=start, name="enc")
    assert [s.name for s in states] == ["senc_1", "senc_2", "senc_3"]
    assert [p.name for p in g.params] == ["Wenc", "Uenc", "benc"]
    assert states[0].scope == "enc step1" and "s0" not in g and "senc_0" not in g
    at = values(g, start=RNG.normal(size=3), **{f"x{t}": RNG.normal(size=2) for t in (1, 2, 3)})
    s = at["start"]
    for t in (1, 2, 3):
        s = np.tanh(at["benc"] + at["Wenc"] @ s + at["Uenc"] @ at[f"x{t}"])
    np.testing.assert_allclose(gc.evaluate(states[-1], at=at), s, rtol=1e-12)


def test_lstm_steps_are_the_cell_of_examples_lstm_cell_and_return_hidden_and_cell_states():
    g = gc.Graph("lstm")
    x = g.input("x", shape=(3, 2))
    hs, cs = gc.nn.lstm(g, x, hidden=4)
    assert [p.name for p in g.params] == ["W_i", "b_i", "W_f", "b_f", "W_o", "b_o",
                                          "W_g", "b_g"]
    assert g["W_f"].shape == (4, 6) and g["b_g"].shape == (4,)
    assert [h.name for h in hs] == ["h1", "h2", "h3"] and [c.name for c in cs] == ["c1", "c2",
                                                                                    "c3"]
    assert clusters(g) == ["step1", "step2", "step3"]
    at = values(g, seed=3, x=RNG.normal(size=(3, 2)))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h, c = np.zeros(4), np.zeros(4)
    for row in at["x"]:
        hx = np.concatenate([h, row])
        i, f, o = (sig(at[f"W_{k}"] @ hx + at[f"b_{k}"]) for k in "ifo")
        c = f * c + i * np.tanh(at["W_g"] @ hx + at["b_g"])
        h = o * np.tanh(c)
    got_h, got_c = gc.evaluate([hs[-1], cs[-1]], at=at)
    np.testing.assert_allclose(got_h, h, rtol=1e-12)
    np.testing.assert_allclose(got_c, c, rtol=1e-12)
    compiled = gc.compile(hs + cs)(**at)
    for got, want in zip(compiled, oracle(hs + cs, at=at), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


# ---- errors ----------------------------------------------------------------------------------

def test_errors_name_the_helper_the_option_and_what_was_given():
    g = gc.Graph("g")
    X = g.input("X", shape=("N", 4))
    with pytest.raises(gc.GraphError, match=r"act 'bogus' is not an element-wise op; use "
                                            r"None, a function such as gc.relu, or one of .*relu"):
        gc.nn.dense(g, X, 3, act="bogus")
    gc.nn.dense(g, X, 3)
    with pytest.raises(gc.GraphError, match=r"already has a node 'W1'; give this layer "
                                            r"another name="):
        gc.nn.dense(g, X, 3)
    with pytest.raises(gc.ShapeError, match=r"gc.nn.dense\(name='2'\): out must be a positive "
                                            r"int, got 0"):
        gc.nn.dense(g, X, 0, name="2")
    with pytest.raises(gc.ShapeError, match=r"last dimension .* known size, got 'B' \(4, N\)"):
        gc.nn.dense(g, g.input("B", shape=(4, "N")), 3, name="3")
    with pytest.raises(gc.ShapeError, match=r"gc.nn.conv.*\(N, C, H, W\).*got 'X' \(N, 4\)"):
        gc.nn.conv(g, X, 2, 3, name="c")
    with pytest.raises(gc.ShapeError,
                       match=r"gc.nn.rnn.*\(T, D\) node of known sizes.*got 'X' \(N, 4\)"):
        gc.nn.rnn(g, X, 3)
    with pytest.raises(gc.ShapeError, match=r"list of step inputs of one shape \(D,\)"):
        gc.nn.lstm(g, [g.input("a", shape=(2,)), g.input("b", shape=(3,))], 3)
    with pytest.raises(gc.GraphError, match=r"sizes must list each layer's output size, such "
                                            r"as \[8, 3\], got 8"):
        gc.nn.mlp(g, X, 8)
    with pytest.raises(gc.ShapeError, match=r"kernel must be an int k or a pair \(kh, kw\), "
                                            r"got '3'"):
        gc.nn.conv(g, g.input("im", shape=(1, 1, 4, 4)), 2, "3", name="c")
    assert "W" not in g and "W_i" not in g  # a failed helper adds no params


def test_the_readmes_layers_block_prints_what_it_shows(capsys):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Layers as helpers")[1].split("\n## ")[0]
    block = section.split("```python")[1].split("```")[0]
    shown = [line.split("# ")[-1] for line in block.splitlines() if line.startswith("print(")]
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == shown == ["['W1', 'b1', 'W2', 'b2']", "True"]


def test_the_formula_of_a_long_lstms_gradient_names_its_parts_instead_of_never_ending():
    """Unexpanded, an LSTM gradient's formula grows about 5x a step (ten steps never finished
    printing); past symbolic.formula.FORMULA_TERMS terms a node names its operands."""
    from graphc.symbolic.formula import FORMULA_TERMS
    g = gc.Graph("long lstm")
    xs = [g.input(f"x{t}", shape=(2,)) for t in range(10)]
    hs, _ = gc.nn.lstm(g, xs, 3)
    (dW,) = gc.grad(gc.mse(hs[-1], g.input("y", shape=(3,))), [g["W_i"]])
    text = str(gc.formula(dW))
    assert 0 < len(text) < FORMULA_TERMS and "outer" in text
    assert gc.latex(dW)
    short = gc.Graph("short lstm")  # three steps stay expanded, as before
    hs, _ = gc.nn.lstm(short, [short.input(f"x{t}", shape=(2,)) for t in range(3)], 3)
    (dW,) = gc.grad(gc.mse(hs[-1], short.input("y", shape=(3,))), [short["W_i"]])
    assert "tanh(c3)" in str(gc.formula(dW))
