"""visualize: diagrams rendered by the real dot as SVG and read back as XML."""

import os
import shutil
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest

import graphc as gc
import visualize
from graphc import files
from visualize.export import execute

import graphs



def test_the_dot_program_is_installed():
    # make test installs it; without it these tests would be meaningless, so fail, not skip
    assert shutil.which("dot"), "Graphviz's dot program is missing: run make test"

SVG = "{http://www.w3.org/2000/svg}"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AT = {"x": [1, -1], "w": [1, 2], "y": 1}


def neuron():
    g = gc.Graph("sigmoid neuron")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    z = (w @ x).named("z")
    yhat = gc.sigmoid(z).named("yhat")
    loss = gc.bce(yhat, y).named("loss")
    return g, loss


def chain(depth=20):
    g = gc.Graph("sigmoid chain")
    h = g.input("x")
    for i in range(1, depth + 1):
        h = gc.sigmoid(g.param(f"w{i}") * h).named(f"h{i}")
    return g, h, {"x": 1.0, **{f"w{i}": 1.0 for i in range(1, depth + 1)}}


def svg(diagram):
    return ET.fromstring(visualize.render(diagram, "svg"))


def texts(element):
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def groups(root, kind):
    """title -> list of <g class="KIND ..."> elements (nodes or edges) of an SVG."""
    found = {}
    for g in root.iter(f"{SVG}g"):
        if kind in (g.get("class") or "").split():
            found.setdefault(g.find(f"{SVG}title").text, []).append(g)
    return found


def edge_of(root, graph, u, v):
    (element,) = groups(root, "edge")[f"n{graph[u].id}->n{graph[v].id}"]
    return element


def node_of(root, graph, name):
    (element,) = groups(root, "node")[f"n{graph[name].id}"]
    return element


def width(edge):
    return float(edge.find(f"{SVG}path").get("stroke-width", "1"))


def snapshot(graph):
    return (len(graph), [n.name for n in graph], sorted(graph.nx.edges(keys=True)))


# ---- forward ----------------------------------------------------------------------------------

def test_the_forward_neuron_shows_names_ops_and_shapes():
    g, _ = neuron()
    root = svg(visualize.draw(g))
    words = texts(root)
    for name in ("x", "w", "y", "z", "yhat", "loss", "matmul", "sigmoid", "bce", "(2,)"):
        assert name in words
    # inputs, parameters, ops and the output are drawn distinctly
    source = visualize.draw(g).source
    assert re.search(r"n0 \[.*shape=box", source) and "peripheries=2" in source
    assert texts(node_of(root, g, "w"))[:3] == ["w", "param", "(2,)"]
    assert len(node_of(root, g, "loss").findall(f"{SVG}ellipse")) == 2  # doubled


def test_the_forward_neuron_at_the_slides_point_shows_values():
    g, _ = neuron()
    root = svg(visualize.draw(g, at=AT))
    assert "= -1" in texts(node_of(root, g, "z"))
    assert any(t.startswith("= 0.2689") for t in texts(node_of(root, g, "yhat")))
    assert "= [1, -1]" in texts(node_of(root, g, "x"))


def test_a_large_tensor_is_shown_by_its_shape_and_norm():
    g = gc.Graph()
    X = g.input("X", shape=(10, 10))
    root = svg(visualize.draw(gc.sum(X).named("s"), at={"X": [[1.0] * 10] * 10}))
    assert "= (10, 10) norm 10" in texts(node_of(root, g, "X"))
    assert "= 100" in texts(node_of(root, g, "s"))


def test_a_node_draws_what_it_depends_on():
    g, loss = neuron()
    z = g["z"]
    root = svg(visualize.draw(z))
    assert set(groups(root, "node")) == {f"n{g[n].id}" for n in ("x", "w", "z")}
    assert set(groups(svg(visualize.draw(loss)), "node")) == {f"n{i}" for i in range(6)}


# ---- gradient flow ----------------------------------------------------------------------------

def test_the_neurons_gradient_flow_reads_as_the_slides():
    g, loss = neuron()
    root = svg(visualize.draw(loss, view="gradflow", at=AT))
    on_z = " ".join(texts(edge_of(root, g, "z", "yhat")))
    assert "-0.731" in on_z
    assert "-1 + sigmoid(-1)" in on_z or "sigmoid(-1) - 1" in on_z
    assert "dloss/dyhat x dyhat/dz = dloss/dz" in on_z and "yhat*(1 - yhat)" in on_z
    flows = groups(root, "flow")
    assert len(flows) == 5  # every edge carries a gradient here
    for (element,) in flows.values():
        products = [m for t in texts(element) if (m := re.match(r"(\S+) x (\S+) = (.+)$", t))]
        assert products, texts(element)  # upstream x local = what flows on
        up, local, out = products[-1].groups()
        if "/" not in local:  # a scalar edge: the numbers multiply out
            assert float(up) * float(local) == pytest.approx(float(out), rel=1e-3)


def test_the_gradient_flow_names_each_nodes_gradient():
    g, loss = neuron()
    root = svg(visualize.draw(loss, view="gradflow", at=AT))
    assert "dloss/dz = -0.7311" in texts(node_of(root, g, "z"))
    assert "dloss/dw = [-0.7311, 0.7311]" in texts(node_of(root, g, "w"))


def test_without_at_each_edge_carries_a_formula():
    g, loss = neuron()
    root = svg(visualize.draw(loss, view="gradflow"))
    assert texts(edge_of(root, g, "z", "yhat")) == ["dloss/dz = dloss_dyhat*yhat*(1 - yhat)"]
    assert texts(edge_of(root, g, "w", "z")) == ["dloss/dw = dloss_dz*x"]


def test_a_fan_out_shows_the_sum():
    g = gc.Graph("fan-out")
    a = g.input("a")
    b = (a * 3).named("b")
    f = (b * b + gc.sigmoid(b)).named("f")
    root = svg(visualize.draw(f, view="gradflow", at={"a": 0.5}))
    (line,) = [t for t in texts(node_of(root, g, "b")) if t.startswith("df/db = ")]
    terms, total = line[len("df/db = "):].rsplit(" = ", 1)
    parts = [float(p) for p in terms.split(" + ")]
    assert len(parts) == 3 and sum(parts) == pytest.approx(float(total), rel=1e-3)
    flows = visualize.edge_styles(f, at={"a": 0.5})
    assert [e.edge for e in flows if e.u == b.id] == [
        "b -> mul3 (operand 0)", "b -> mul3 (operand 1)", "b -> sigmoid4"]


def test_a_vanishing_gradient_fades_toward_the_input():
    g, h, at = chain(20)
    root = svg(visualize.draw(h, view="gradflow", at=at))
    widths, values = [], []
    for i in range(1, 21):  # the edge from h(i-1) into layer i's product
        prev = "x" if i == 1 else f"h{i - 1}"
        (mul,) = [n.name for n in g[f"h{i}"].operands]
        edge = edge_of(root, g, prev, mul)
        widths.append(width(edge))
        (line,) = [t for t in texts(edge) if " x " in t and "/" not in t.split(" = ")[-1]]
        values.append(abs(float(line.rsplit(" = ", 1)[1])))
    assert widths == sorted(widths) and len(set(widths)) == 20
    assert values == sorted(values) and values[0] < 1e-10 < 1e-2 < values[-1]


def test_gradflow_needs_one_scalar_loss():
    g, loss = neuron()
    assert visualize.draw(g, view="gradflow").source == visualize.draw(
        loss, view="gradflow").source
    g2 = gc.Graph()
    a = g2.input("a", shape=(2,))
    gc.sum(a).named("s1"), gc.mean(a).named("s2")
    with pytest.raises(gc.GraphError, match="needs one scalar loss.*'s1', 's2'"):
        visualize.draw(g2, view="gradflow")
    with pytest.raises(gc.DifferentiationError, match="scalar loss"):
        visualize.draw(gc.sigmoid(a), view="gradflow")


# ---- backward ---------------------------------------------------------------------------------

def test_the_backward_view_tells_gradient_nodes_apart_and_ties_them():
    module = graphs.load("neuron")
    g = module.g  # the example took dloss/dz and dloss/dw
    d = visualize.draw(g, view="backward", at=module.AT)
    root = svg(d)
    grads = {title for title, (e,) in groups(root, "grad").items() if e.get("class") ==
             "node grad"}
    # every gradient node but the element count of the mean, which compiling folds away
    assert grads == {f"n{n.id}" for n in g if n.role == "grad" and n.op != "count"}
    ties = groups(root, "tie")
    assert f"n{g['dloss_dw'].id}->n{g['w'].id}" in ties
    for (tie,) in ties.values():
        assert tie.find(f"{SVG}path").get("stroke-dasharray")  # dashed
    assert "= [-0.7311, 0.7311]" in texts(node_of(root, g, "dloss_dw"))


def test_the_backward_view_of_a_loss_takes_gradients_on_a_copy():
    g, loss = neuron()
    before = snapshot(g)
    root = svg(visualize.draw(loss, view="backward"))
    # one tie per gradient total: dloss_dloss, dloss_dyhat, dloss_dz, dloss_dw
    assert len(groups(root, "grad")) > 0 and len(groups(root, "tie")) == 4
    assert "dloss_dw" in texts(root)
    assert snapshot(g) == before
    note = " ".join(texts(svg(visualize.draw(g, view="backward"))))
    assert "no gradient nodes yet" in note


def test_drawing_never_changes_the_users_graph():
    g, loss = neuron()
    gc.grad(loss, [g["w"]])
    before = snapshot(g)
    for view in ("forward", "backward", "gradflow"):
        for at in (None, AT):
            for target in (g, loss):
                visualize.draw(target, view=view, at=at)
    visualize.draw(g, collapse=True)
    assert snapshot(g) == before


# ---- errors, scopes ---------------------------------------------------------------------------

def test_a_shape_error_is_drawn_with_a_red_ghost():
    g = gc.Graph("oops")
    a, b = g.input("a", (3, 4)), g.input("b", (5, 2))
    with pytest.raises(gc.ShapeError) as info:
        a @ b
    before = snapshot(g)
    root = svg(visualize.draw_error(info.value))
    (ghost,) = groups(root, "error")["error"]
    words = " ".join(texts(ghost))
    assert "matmul" in words and "(3, 4)" in words and "(5, 2)" in words
    assert ghost.find(f"{SVG}path").get("stroke") == visualize.style.ERROR_COLOR
    into = {t: texts(e) for t, (e, *_) in groups(root, "edge").items() if t.endswith("error")}
    assert into == {f"n{a.id}->error": ["operand 0: (3, 4)"],
                    f"n{b.id}->error": ["operand 1: (5, 2)"]}
    assert snapshot(g) == before


def test_draw_error_takes_a_shape_error_with_its_graph():
    with pytest.raises(TypeError, match="ShapeError"):
        visualize.draw_error(ValueError("no"))
    with pytest.raises(ValueError, match="no graph"):
        visualize.draw_error(gc.ShapeError("shapes"))
    g = gc.Graph()
    a = g.input("a", (3,))
    with pytest.raises(gc.ShapeError) as info:
        a + g.input("b", (4,))
    (ghost,) = groups(svg(visualize.draw_error(info.value)), "error")["error"]
    assert texts(ghost)[0] == "add ?"


def scoped():
    g = gc.Graph("mlp")
    X = g.input("X", shape=("N", 3))
    with g.scope("layer1"):
        W1 = g.param("W1", shape=(3, 4))
        with g.scope("act"):
            H = gc.relu(X @ W1).named("H")
    with g.scope("layer2"):
        out = (H @ g.param("W2", shape=(4, 1))).named("out")
    return g, gc.mean(out).named("loss")


def test_scopes_are_drawn_as_nested_clusters():
    g, _ = scoped()
    d = visualize.draw(g)
    assert re.search(r"subgraph cluster_0 \{\n\t+graph \[.*label=layer1", d.source)
    assert re.search(r"subgraph cluster_1 \{\n\t+graph \[.*label=act", d.source)
    # act is inside layer1: its subgraph opens before layer1's closes
    assert d.source.index("cluster_1") < d.source.index("cluster_2")
    clusters = groups(svg(d), "cluster")
    assert sorted(texts(c)[0] for (c,) in clusters.values()) == ["act", "layer1", "layer2"]


def test_collapse_draws_one_box_per_scope():
    g, _ = scoped()
    root = svg(visualize.draw(g, collapse=True))
    boxes = groups(root, "scope")
    assert sorted(boxes) == ["s0", "s1"]
    assert texts(boxes["s0"][0])[:3] == ["layer1", "3 nodes", "1 param"]
    assert set(groups(root, "edge")) == {f"n{g['X'].id}->s0", "s0->s1", f"s1->n{g['loss'].id}"}
    with pytest.raises(ValueError, match="forward graph or the gradient flow, not"):
        visualize.draw(g, view="backward", collapse=True)


# ---- determinism and hostile names -------------------------------------------------------------

def test_the_same_graph_gives_the_same_dot():
    for view in ("forward", "backward", "gradflow"):
        first = visualize.draw(neuron()[1], view=view, at=AT).source
        assert visualize.draw(neuron()[1], view=view, at=AT).source == first
    assert visualize.draw(scoped()[0]).source == visualize.draw(scoped()[0]).source


HOSTILE = ['a"b', "<x>", "a\nb", "é", "x; rm -rf", "back\\slash", "end\\", "<<b>bold</b>>",
           "quote\\\"", "node", "]; n0 -> n1 [", "\\N\\G"]


def test_hostile_names_stay_text():
    g = gc.Graph('graph "<i>"\n')
    leaves = []
    with g.scope('<scope> "s"\\'):
        for i, name in enumerate(HOSTILE):
            leaves.append(g.param(name) if i % 2 else g.input(name))
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    loss = gc.sigmoid(total).named("<loss>\n\"")
    at = {name: 0.5 for name in HOSTILE}
    for view in ("forward", "backward", "gradflow"):
        d = visualize.draw(loss, view=view, at=at)
        for bad in ("URL", "href", "=<", "image"):
            assert bad not in d.source
        words = texts(svg(d))  # dot exit status 0, and the SVG parses
        for name in ('a"b', "<x>", "a\\nb", "é", "x; rm -rf", "back\\slash", "end\\",
                     "<<b>bold</b>>", "\\N\\G", 'quote\\"'):
            assert name in words, (view, name)
    assert '<scope> "s"\\' in texts(svg(visualize.draw(g)))


# ---- export -----------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF"), (".dot", b"digraph")])
def test_export_writes_by_suffix(tmp_path, suffix, magic):
    d = visualize.draw(neuron()[0])
    target = tmp_path / "new" / f"neuron{suffix}"
    path = visualize.export(d, target)
    assert path == target and target.read_bytes().startswith(magic)
    assert sorted(os.listdir(target.parent)) == [target.name]


def test_an_unknown_suffix_writes_nothing(tmp_path):
    with pytest.raises(visualize.RenderError, match=r"unknown suffix '\.jpeg'"):
        visualize.export(visualize.draw(neuron()[0]), tmp_path / "sub" / "x.jpeg")
    assert not (tmp_path / "sub").exists()


def test_without_dot_the_dot_file_is_written_and_the_error_says_how_to_install(
        tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    d = visualize.draw(neuron()[0])
    with pytest.raises(visualize.RenderError) as info:
        visualize.export(d, tmp_path / "out" / "n.svg")
    message = str(info.value)
    assert str(tmp_path / "out" / "n.dot") in message
    for hint in ("apt-get install graphviz", "brew install graphviz",
                 "https://graphviz.org/download/"):
        assert hint in message
    assert isinstance(info.value, gc.GraphcError) and isinstance(info.value, ValueError)
    assert (tmp_path / "out" / "n.dot").read_text(encoding="utf-8") == d.source
    assert sorted(os.listdir(tmp_path / "out")) == ["n.dot"]
    with pytest.raises(graphviz.ExecutableNotFound):
        visualize.render(d)


def test_a_failing_render_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "n.svg"
    target.write_text("old")
    d = visualize.draw(neuron()[0])

    def half_written(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(files.os, "replace", half_written)  # after the temp file
    with pytest.raises(OSError, match="disk full"):
        visualize.export(d, target)
    monkeypatch.undo()
    broken = graphviz.Digraph()
    broken.body.append("\tthis is { not dot\n")
    with pytest.raises(visualize.RenderError, match="dot failed"):
        visualize.export(broken, target)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["n.svg"]


def test_a_slow_dot_is_stopped(monkeypatch):
    def slow(cmd, **kwargs):
        assert kwargs["timeout"] == 7 and isinstance(cmd, list)
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])
    monkeypatch.setattr(execute, "run_check", slow)
    with pytest.raises(visualize.RenderError, match="longer than 7 s"):
        visualize.render(visualize.draw(neuron()[0]), timeout=7)


def test_a_diagram_displays_itself_in_jupyter():
    bundle = visualize.draw(neuron()[0])._repr_mimebundle_()
    assert "image/svg+xml" in bundle


def test_graphcs_core_never_imports_visualize():
    code = "import sys, graphc; assert 'visualize' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_10000_node_chain_draws():
    g = gc.Graph("long")
    h = g.input("x")
    for _ in range(10_000):
        h = gc.sigmoid(h)
    assert visualize.draw(g, collapse=False).source.count(" -> ") == 10_000
    source = visualize.draw(g).source  # past 300 nodes the default collapses the run
    assert source.count(" -> ") == 2 and "sigmoid x 9,999" in source
    assert "collapsed: 1 block" in source and "collapse=False draws every node" in source


def test_the_gradient_flow_of_a_long_chain_is_drawn():
    """2,000 nodes (666 tanh layers): the trace behind the gradient flow is linear in the
    graph (it was quadratic, minutes at this size); every edge is labelled with its flow."""
    g = gc.Graph("tanh chain")
    h, at = g.input("x"), {"x": 0.5}
    for i in range(666):
        h = gc.tanh(h * g.param(f"w{i}"))
        at[f"w{i}"] = 0.1
    loss = (h * h).named("loss")
    assert len(g) == 2000
    source = visualize.draw(loss, view="gradflow", at=at, collapse=False).source
    assert "dloss/dw0 = " in source and "dloss/dw665 = " in source
    assert source.count("class=flow") == len(g.nx.edges)
