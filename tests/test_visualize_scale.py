"""Every view of visualize on a 10,000-node chain and on 5,000 parallel branches: drawn
collapsed by default (a bounded number of boxes, the title saying so), rendered by the real
dot as SVG and read back, with no RecursionError; collapse=False still draws everything.

Bounded work only, no timings: the benchmark (benchmarks/bench_views.py) times them."""

import re
import xml.etree.ElementTree as ET

import pytest

import graphc as gc
import visualize
from visualize.collapse import COLLAPSE_ALL, DRAWN_MAX
from visualize.steps import MAX_FRAMES

SVG = "{http://www.w3.org/2000/svg}"
LAYERS = 10_000
AT = {"x": 0.5, "w": 0.3}


@pytest.fixture(scope="module")
def chain():
    """x * w, then 10,000 tanh: 10,003 nodes; the last tanh is the loss."""
    g = gc.Graph("chain")
    h = g.input("x") * g.param("w")
    for _ in range(LAYERS):
        h = gc.tanh(h)
    return g, h


@pytest.fixture(scope="module")
def branches():
    """5,000 branches tanh(w_i * x), summed: 20,000 nodes."""
    g = gc.Graph("branches")
    x, total = g.input("x"), None
    for i in range(5_000):
        b = gc.tanh(g.param(f"w{i}") * x)
        total = b if total is None else total + b
    return g, total.named("loss")


def drawn_nodes(source):
    """The DOT ids of the nodes and boxes a diagram's source draws."""
    return re.findall(r"^\t(n\d+|s\d+) \[", source, re.M)


def svg_nodes(diagram):
    root = ET.fromstring(visualize.render(diagram, "svg"))
    return [g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()]


def title(diagram):
    return diagram.graph_attr["label"]


def test_the_forward_view_collapses_the_chain_into_one_run(chain):
    g, loss = chain
    d = visualize.draw(g)
    assert drawn_nodes(d.source) == ["s0", "n0", "n1", "n2", f"n{loss.id}"]
    assert "tanh x 9,999" in d.source and "tanh3 ... tanh10001" in d.source
    assert "collapsed: 1 block, scopes and repeated blocks (10,003 nodes drawn as 5; more " \
           f"than {COLLAPSE_ALL}; collapse=False draws every node)" in title(d)
    assert len(svg_nodes(d)) == 5  # dot renders it, and draws what the source says


def test_collapse_false_still_draws_every_node(chain):
    g, _ = chain
    source = visualize.draw(g, collapse=False).source
    assert len(drawn_nodes(source)) == len(g) and source.count(" -> ") == len(g.nx.edges)
    assert "collapsed" not in source


def test_the_backward_view_collapses_the_chain_and_its_gradients(chain):
    _, loss = chain
    d = visualize.draw(loss, view="backward")
    assert len(drawn_nodes(d.source)) <= 10
    assert "tanh x 9,999" in d.source and "(gradients) x 10,0" in d.source
    assert "collapsed:" in title(d) and "backward graph" in title(d)
    assert len(svg_nodes(d)) == len(drawn_nodes(d.source))


def test_the_gradient_flow_of_the_chain_is_collapsed_with_its_sizes(chain):
    g, loss = chain
    d = visualize.draw(loss, view="gradflow", at=AT)
    assert drawn_nodes(d.source) == ["s0", "n0", "n1", "n2", f"n{loss.id}"]
    assert "collapsed: 1 block" in title(d)
    # into the run flows the whole gradient of its input, mul2: d tanh^10000 / d mul2
    into = re.search(r'n2 -> s0 \[label=([\d.e-]+) ', d.source).group(1)
    assert 0 < float(into) < 1e-2  # tanh'(h) < 1 each layer: it vanishes toward x
    assert "smallest" in d.source  # the key of the sizes drawn
    assert len(svg_nodes(d)) == 6  # the five, and the key


def test_tikz_and_every_export_format_of_the_collapsed_chain(chain, tmp_path):
    g, _ = chain
    d = visualize.draw(g)
    assert r"\begin{tikzpicture}" in visualize.to_tikz(d)
    for suffix in (".svg", ".png", ".dot", ".tex"):
        path = visualize.export(d, tmp_path / f"chain{suffix}")
        assert path.stat().st_size > 0
    assert visualize.render(d, "png")[:4] == b"\x89PNG"


def test_steps_of_the_chain_refuse_more_than_200_frames_and_draw_a_range(chain, tmp_path):
    _, loss = chain
    with pytest.raises(visualize.OptionError, match=r"10,001 steps, more than 200 frames.*"
                       r"frames=range\(0, 50\).*collapse=None") as err:
        visualize.steps(loss, path=tmp_path / "frames.pdf")
    assert err.value.option == "frames" and not (tmp_path / "frames.pdf").exists()
    (shot,) = visualize.frames(loss, frames=range(1, 2))
    assert title(shot).split("\\n")[0] == "chain: backprop, step 2 of 10001"
    # collapsed but for the step's node (the last tanh but one) and its neighbours
    assert drawn_nodes(shot.source) == ["s0", "n0", "n1", "n2"] + [
        f"n{v}" for v in range(loss.id - 2, loss.id + 1)]
    assert "tanh x 9,997" in shot.source and "collapsed: 1 block" in title(shot)
    assert len(svg_nodes(shot)) == 7


def test_a_frame_range_is_checked():
    g = gc.Graph("small")
    h = g.param("w")
    for _ in range(MAX_FRAMES + 5):
        h = gc.tanh(h)
    assert len(g) <= COLLAPSE_ALL
    with pytest.raises(visualize.OptionError, match="205 steps, more than 200 frames"):
        visualize.frames(h)
    assert len(visualize.frames(h, frames=slice(-3, None))) == 3
    for bad in (range(0, 201), range(300, 301), range(0), [0, 1]):
        with pytest.raises(visualize.OptionError, match="frames"):
            visualize.frames(h, frames=bad)


def test_five_thousand_branches_draw_as_a_few_boxes_and_render(branches):
    g, loss = branches
    d = visualize.draw(loss)
    assert len(drawn_nodes(d.source)) <= DRAWN_MAX
    for box in ("param x 5,000", "mul x 5,000", "tanh x 5,000", "add x 4,998"):
        assert box in d.source
    assert "collapsed: 4 blocks, scopes and repeated blocks (20,000 nodes drawn as 6" \
           in title(d)
    assert len(svg_nodes(d)) == 6


def test_many_scopes_and_a_residual_chain_stay_bounded():
    g = gc.Graph("scoped")
    h = g.input("x")
    for i in range(600):  # 600 scopes: too many boxes, so their nodes are runs too
        with g.scope(f"layer{i}"):
            h = gc.tanh(g.param(f"w{i}") * h)
    d = visualize.draw(h)
    assert len(drawn_nodes(d.source)) <= DRAWN_MAX and "collapsed:" in title(d)
    r = gc.Graph("residual")
    h = r.input("x")
    for _ in range(1_000):  # h + tanh(h): no run of one kind feeds only the next
        h = h + gc.tanh(h)
    d = visualize.draw(h)
    assert len(drawn_nodes(d.source)) <= DRAWN_MAX
    assert len(svg_nodes(d)) == len(drawn_nodes(d.source))
