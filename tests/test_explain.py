"""gc.explain: the slides' step-by-step backprop trace, exact, in four formats."""

import csv
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.ops.scalar import sigmoid

import graphs
from graphs import load

S = sigmoid(-1)
AT = {"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}
x, x1, w1, yhat_, b_ = sp.symbols("x x1 w1 yhat b", real=True)


def scalar_neuron():
    n = graphs.scalar_neuron()
    return n.g, n.loss, (n.w1, n.w2)


def fan_out():
    """b is used three times inside f: twice by b * b, once by sigmoid(b)."""
    g = gc.Graph("fan-out")
    a = g.input("a")
    b = (a * 3).named("b")
    f = (b * b + gc.sigmoid(b)).named("f")
    return g, f


def vector_neuron():
    g = gc.Graph("vector neuron")
    X, W, Y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    z = (W @ X).named("z")
    loss = gc.bce(gc.sigmoid(z).named("yhat"), Y).named("loss")
    return g, loss, W


def same(a, b):
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def row(trace, step, edge):
    (found,) = [r for r in trace.backward if r.step == step and r.edge == edge]
    return found


# ---- the slide's neuron ---------------------------------------------------------------------

def test_the_forward_pass_is_the_slides():
    g, loss, _ = scalar_neuron()
    trace = gc.explain(loss, at=AT)
    rows = {r.node: r for r in trace.forward}
    assert [r.node for r in trace.forward] == ["x1", "x2", "y", "w1", "w2", "z", "yhat",
                                                "loss"]
    assert rows["z"].exact == -1 and rows["yhat"].exact == S
    assert same(rows["loss"].exact, -sp.log(S))
    assert str(rows["z"].formula) == "w1*x1 + w2*x2" and rows["yhat"].formula == sigmoid(
        sp.Symbol("z", real=True))
    assert rows["x1"].formula is None and rows["w1"].op == "param"
    assert float(rows["loss"].value) == pytest.approx(-np.log(1 / (1 + np.e)))


def test_the_backward_pass_is_the_slides():
    g, loss, _ = scalar_neuron()
    trace = gc.explain(loss, at=AT)
    assert same(trace.gradient("yhat").exact, (S - 1) / (S * (1 - S)))
    local = row(trace, "local", "z -> yhat")
    assert local.label == "dyhat/dz"
    assert local.formula == yhat_ * (1 - yhat_)
    assert same(local.exact, S * (1 - S))
    product = row(trace, "product", "z -> yhat")
    assert product.label == "dloss/dz" and same(product.exact, S - 1)
    dz_dw1 = row(trace, "local", "w1 -> z")
    assert (dz_dw1.label, dz_dw1.formula, dz_dw1.exact) == ("dz/dw1", x1, 1)
    assert same(trace.gradient("w1").exact, S - 1)
    assert same(trace.gradient("w2").exact, 1 - S)


def test_each_product_is_upstream_times_local():
    g, loss, _ = scalar_neuron()
    default = gc.explain(loss, at=AT)  # the parameters' gradients, as on the slide
    edges = [r.edge for r in default.backward if r.step == "product"]
    assert edges == ["yhat -> loss", "z -> yhat", "w1 -> z", "w2 -> z"]
    trace = gc.explain(loss, at=AT, wrt=[n for n in g if n.role in ("input", "param")])
    products = [r for r in trace.backward if r.step == "product"]
    assert len(products) == 7  # loss -> yhat, y; yhat -> z; z -> w1, x1, w2, x2
    for product in products:
        local = row(trace, "local", product.edge)
        upstream = trace.gradient(product.node)
        assert same(product.exact, upstream.exact * local.exact), product.edge
        assert float(product.value) == pytest.approx(float(upstream.value * local.value))


def test_numeric_values_agree_with_exact_ones():
    g, loss, _ = scalar_neuron()
    trace = gc.explain(loss, at=AT)
    for r in trace.forward + trace.backward:
        assert float(sp.N(r.exact)) == pytest.approx(float(r.value), abs=1e-12), r


def test_the_text_reads_like_the_slides():
    g, loss, _ = scalar_neuron()
    text = str(gc.explain(loss, at=AT))
    for part in ("Forward", "Backward", "dloss/dyhat", "dyhat/dz", "yhat*(1 - yhat)",
                 "dloss/dz", "-1 + sigmoid(-1)", "dz/dw1", "dloss/dw1", "1 - sigmoid(-1)",
                 "-log(sigmoid(-1))", "w1*x1 + w2*x2", "x1=1, x2=-1"):
        assert part in text, part
    assert "vjp" not in text  # every edge is scalar


def test_wrt_keeps_only_the_paths_to_the_parameters():
    g, loss, params = scalar_neuron()
    trace = gc.explain(loss, at=AT, wrt=params)
    upstream = [r.node for r in trace.backward if r.step == "upstream"]
    assert upstream == ["loss", "yhat", "z", "w2", "w1"]
    assert [r.edge for r in trace.backward if r.step == "local"] == [
        "yhat -> loss", "z -> yhat", "w1 -> z", "w2 -> z"]


def test_four_formats():
    g, loss, _ = scalar_neuron()
    trace = gc.explain(loss, at=AT)
    markdown = trace.to_markdown()
    assert "| node | op | formula | exact | value |" in markdown
    assert "| --- |" in markdown and "`yhat*(1 - yhat)`" in markdown
    latex = trace.to_latex()
    assert r"\sigma" in latex and r"\begin{tabular}" in latex and r"\end{align*}" in latex
    assert r"\frac{\partial \hat{y}}{\partial z}" in latex
    rows = list(csv.DictReader(io.StringIO(trace.to_csv())))
    assert len(rows) == len(trace.forward) + len(trace.backward)
    assert list(rows[0]) == ["section", "node", "step", "edge", "label", "formula", "exact",
                             "value"]
    local = [r for r in rows if r["step"] == "local" and r["edge"] == "z -> yhat"]
    assert local[0]["formula"] == "yhat*(1 - yhat)" and local[0]["label"] == "dyhat/dz"
    assert float(rows[-1]["value"]) == float(trace.backward[-1].value)


def test_the_users_graph_is_unchanged_and_the_trace_is_deterministic():
    g, loss, params = scalar_neuron()
    before = [(n.id, n.record) for n in g]
    first = gc.explain(loss, at=AT)
    assert [(n.id, n.record) for n in g] == before
    assert str(gc.explain(loss, at=AT)) == str(first)
    assert str(gc.explain(scalar_neuron()[1], at=AT)) == str(first)
    gc.grad(loss, list(params))  # gradients already in the graph change nothing
    n = len(g)
    assert str(gc.explain(loss, at=AT)) == str(first)
    assert first.to_csv() == gc.explain(loss, at=AT).to_csv() and len(g) == n


# ---- fan-out, tensors, batches --------------------------------------------------------------

def test_fan_out_sums_what_flows_back():
    g, f = fan_out()
    trace = gc.explain(f, at={"a": 0.5})
    into_b = [r for r in trace.backward if r.step == "product" and r.wrt == "b"]
    assert len(into_b) == 3 and len({r.edge for r in into_b}) == 3
    total = trace.gradient("b")
    assert total.step == "sum"
    sb = sigmoid(sp.Rational(3, 2))
    assert same(total.exact, 3 + sb * (1 - sb))
    assert same(total.exact, sum(r.exact for r in into_b))
    assert same(total.formula, total.exact)
    assert same(trace.gradient("a").exact, 3 * (3 + sb * (1 - sb)))
    assert [r.formula for r in trace.backward if r.step == "local" and r.wrt == "b"][:2] \
        == [b_, b_]
    assert "sum" in str(trace) and "fans out" in str(trace)


def test_every_node_a_step_shows_the_same_sum():
    g, f = fan_out()
    named = gc.explain(f, at={"a": 0.5})
    every = gc.explain(f, at={"a": 0.5}, steps="all")
    assert len(every.forward) == len(named.forward) + 2  # b * b and sigmoid(b)
    assert same(every.gradient("b").exact, named.gradient("b").exact)
    assert every.gradient("b").step == "sum"


def test_the_vector_neuron_shows_a_vector_jacobian_product():
    g, loss, w = vector_neuron()
    trace = gc.explain(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})
    vjp = row(trace, "vjp", "w -> z")
    assert vjp.label == "dloss/dw"
    assert vjp.formula == sp.Symbol("dloss_dz", real=True) * x
    assert vjp.exact == sp.Array([S - 1, 1 - S])
    np.testing.assert_allclose(vjp.value, [float(S - 1), float(1 - S)])
    assert "vector-Jacobian product" in str(trace)
    assert "vector-Jacobian product" in trace.to_latex()


def test_an_mlp_on_a_batch_explains_with_numeric_values():
    module = load("mlp")
    at = {**module.batch(n=3), **module.initial_params()}
    n = len(module.g)
    trace = gc.explain(module.loss, at=at)
    assert len(module.g) == n
    assert all(r.exact is None for r in trace.backward)  # W1 has 32 elements: no exact
    expected = gc.evaluate(module.GRADS, at=at)
    for param, value in zip(module.PARAMS, expected):
        np.testing.assert_allclose(trace.gradient(param.name).value, value, atol=1e-12)
    assert row(trace, "vjp", "W2 -> logits").formula.has(sp.Symbol("dloss_dlogits",
                                                                   real=True))
    for text in (str(trace), trace.to_markdown(), trace.to_latex(), trace.to_csv()):
        assert "W1" in text


def test_a_small_batch_is_exact():
    g = gc.Graph("tiny mlp")
    X, W = g.input("X", shape=("N", 2)), g.param("W", shape=(2, 2))
    labels = g.input("labels", shape=("N",), dtype="int64")
    loss = gc.cross_entropy((X @ W).named("logits"), labels).named("loss")
    at = {"X": [[1, 0], [0, 1]], "W": [[0, 0], [0, 0]], "labels": [0, 1]}
    trace = gc.explain(loss, at=at)
    quarter = sp.Rational(1, 4)
    assert trace.gradient("W").exact == sp.Array([[-quarter, quarter], [quarter, -quarter]])
    assert "labels" in [r.node for r in trace.forward]
    assert all(r.wrt != "labels" for r in trace.backward)  # integers carry no gradient


def test_the_1d_example_of_004():
    g = gc.Graph("1-D")
    X, W, Y = g.input("x"), g.param("w"), g.input("y")
    loss = (0.5 * (X * W - Y) ** 2).named("L")
    trace = gc.explain(loss, at={"x": 2, "w": 1, "y": 1}, wrt=[W])
    local = row(trace, "local", "w -> L")
    assert same(local.formula, x * (sp.Symbol("w", real=True) * x - sp.Symbol("y", real=True)))
    assert trace.gradient("w").exact == 2


def test_without_exact_values():
    g, loss, _ = scalar_neuron()
    trace = gc.explain(loss, at=AT, exact=False)
    assert all(r.exact is None for r in trace.forward + trace.backward)
    assert float(row(trace, "local", "z -> yhat").value) == pytest.approx(
        float(S * (1 - S)))
    assert "0.196612" in str(trace) and trace.to_latex()


# ---- errors ---------------------------------------------------------------------------------

def test_errors_are_those_of_grad_and_evaluate():
    g, loss, _ = scalar_neuron()
    with pytest.raises(gc.DifferentiationError, match="must be a scalar"):
        gc.explain(g.input("v", shape=(2,)) * 2, at={})
    with pytest.raises(gc.FeedError, match="did you mean 'w1'"):
        gc.explain(loss, at={**AT, "w_1": 1})
    with pytest.raises(gc.FeedError, match="missing feed"):
        gc.explain(loss, at={"x1": 1})
    with pytest.raises(gc.DifferentiationError, match="does not depend on 'v'"):
        gc.explain(loss, at=AT, wrt=[g["v"]])
    with pytest.raises(TypeError):
        gc.explain("loss", at=AT)
    with pytest.raises(ValueError, match="steps"):
        gc.explain(loss, at=AT, steps="some")


# ---- local derivatives are read from the gradient graph -------------------------------------

def test_local_derivatives_are_the_gradient_graphs(monkeypatch):
    import dataclasses
    from graphc.ops import registry
    g = gc.Graph("tanh")
    a = g.input("a")
    t = gc.tanh((a * 2).named("u")).named("t")
    trace = gc.explain(t, at={"a": 0})
    assert row(trace, "local", "u -> t").formula == 1 - sp.Symbol("t", real=True) ** 2
    wrong = dataclasses.replace(registry.get("tanh"), vjp=lambda b, node, ct, needs: [ct * 3])
    monkeypatch.setitem(registry._REGISTRY, "tanh", wrong)
    trace = gc.explain(t, at={"a": 0})
    assert row(trace, "local", "u -> t").formula == 3  # what the gradient node computes
    assert row(trace, "product", "u -> t").exact == 3


def test_the_lectures_dl_dyhat_and_a_rule_reading_its_output():
    g, loss, _ = scalar_neuron()
    local = row(gc.explain(loss, at=AT), "local", "yhat -> loss")
    assert local.formula == (yhat_ - sp.Symbol("y", real=True)) / (yhat_ * (1 - yhat_))
    assert same(local.exact, -1 / S)
    g = gc.Graph("1-D")
    X, W, Y = g.input("x"), g.param("w"), g.input("y")
    loss = (0.5 * (X * W - Y) ** 2).named("L")
    trace = gc.explain(loss, at={"x": 2, "w": 1, "y": 1}, steps="all")
    (pow_row,) = [r for r in trace.backward if r.step == "local" and r.of.startswith("pow")]
    assert pow_row.formula == 2 * sp.Symbol(pow_row.wrt, real=True)  # not 2*pow/sub


def test_markdown_and_html_escape_names_that_look_like_markup():
    """A node named with ``|`` and an ``<img>`` tag: every row of both Markdown tables keeps
    its number of cells, no raw tag reaches the Markdown outside code (Markdown renders
    inline HTML) nor the HTML, and the name still shows."""
    name = "a|b <img src=x onerror=alert(1)> & c"
    g = gc.Graph()
    a, w = g.input(name), g.param("w")
    loss = gc.sigmoid(a * w).named("loss")
    trace = gc.explain(loss, at={name: 1, "w": 0})
    markdown = trace.to_markdown()
    assert markdown == trace._repr_markdown_()
    tables = [line for line in markdown.splitlines() if line.startswith("|")]
    widths = [len(re.split(r"(?<!\\)\|", line)) for line in tables]
    assert sorted(set(widths)) == [7, 9]  # 5 and 7 cells, between two outer pipes
    assert widths == sorted(widths) and widths.count(7) == len(trace.forward) + 2
    outside_code = re.sub(r"`[^`]*`", "", markdown)
    assert "<img" not in outside_code
    assert "&lt;img src=x onerror=alert(1)> &amp; c" in outside_code
    assert "w -> loss" in outside_code  # > alone opens no tag: the edge reads as before
    assert rf"a\|b" in outside_code and "a|b" not in markdown
    parser = Tags()
    parser.feed(trace._repr_html_())
    assert "img" not in parser.tags and name in "".join(parser.data)


class Tags(HTMLParser):
    """The tags and text of an HTML text."""

    def __init__(self):
        super().__init__()
        self.tags, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.data.append(data)
