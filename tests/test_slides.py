"""Diagrams for slides (issue 13): direction, a 16:9 size, PNG resolution, gradients of
parameters only, arrows the way the gradient flows, a key, collapsed blocks, and a backward
view without bookkeeping. Rendered by the real dot and read back (SVG as XML, PNG by
Pillow)."""

import io
import math
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageOps
from pypdf import PdfReader

import graphc as gc
import visualize
from graphc.text import number
from visualize.gradflow import COLLAPSE_NODES
from visualize.steps import frames

import graphs
from cmdline import graphc, graphc_in_process

SVG = "{http://www.w3.org/2000/svg}"
SLIDE_PT = (960, 540)  # a 16:9 slide, 13.333 x 7.5 in, in points (pt = px in Graphviz SVG)


@pytest.fixture(scope="module")
def neuron():
    return graphs.load("neuron")


@pytest.fixture(scope="module")
def rnn():
    """The RNN example and its gradient flow at its ``at``, rendered once."""
    module = graphs.load("rnn_sequence")
    diagram = visualize.draw(module.loss, view="gradflow", at=module.AT)
    return module, diagram, ET.fromstring(visualize.render(diagram, "svg"))


def svg(diagram):
    return ET.fromstring(visualize.render(diagram, "svg"))


def size_pt(root):
    """The (width, height) attributes of an SVG, in points."""
    return tuple(float(root.get(k).removesuffix("pt")) for k in ("width", "height"))


def texts(element):
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def groups(root, kind):
    """title -> the <g class="KIND ..."> element of an SVG (nodes, edges, clusters)."""
    return {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g")
            if kind in (g.get("class") or "").split()}


def gradflow(module, **options):
    return visualize.draw(module.loss, view="gradflow", at=module.AT, **options)


# ---- rankdir, slide, dpi ------------------------------------------------------------------------

@pytest.mark.parametrize("rankdir", ["LR", "TB", "BT", "RL"])
def test_rankdir_is_the_diagrams_direction(neuron, rankdir):
    for view in ("forward", "backward", "gradflow"):
        d = visualize.draw(neuron.loss, view=view, rankdir=rankdir)
        assert f"rankdir={rankdir}" in d.source
    assert all(f"rankdir={rankdir}" in s.source for s in frames(neuron.loss, neuron.AT,
                                                                 rankdir=rankdir))


def test_tb_runs_top_to_bottom(neuron):
    def centre(root, v):
        return float(groups(root, "node")[f"n{v.id}"].find(f"{SVG}ellipse").get("cy"))
    lr, tb = svg(gradflow(neuron)), svg(gradflow(neuron, rankdir="TB"))
    z, loss = neuron.g["z"], neuron.loss
    assert centre(tb, z) < centre(tb, loss)  # SVG y grows downward: z above the loss
    assert size_pt(tb)[1] > size_pt(lr)[1]


@pytest.mark.parametrize("view", ["forward", "gradflow"])
def test_a_slide_is_a_16_by_9_page_the_drawing_inside_it(neuron, rnn, view):
    for module in (neuron, rnn[0]):
        d = visualize.draw(module.loss, view=view, at=module.AT, slide=True)
        assert d.graph_attr["size"] == "13.333,7.5" and d.graph_attr["viewport"] == "960,540"
        assert size_pt(svg(d)) == pytest.approx(SLIDE_PT, abs=1)  # exactly 16:9, any graph
        pdf = PdfReader(io.BytesIO(visualize.render(d, "pdf"))).pages[0].mediabox
        assert (float(pdf.width), float(pdf.height)) == pytest.approx(SLIDE_PT, abs=1)
        # the drawing, scaled to fit, fills the page one way and is centred the other way
        d.dpi = 72
        page = Image.open(io.BytesIO(visualize.render(d, "png"))).convert("L")
        assert page.size == pytest.approx(SLIDE_PT, abs=1)
        left, top, right, bottom = ImageOps.invert(page).getbbox()  # what is not white
        assert max((right - left) / page.width, (bottom - top) / page.height) > 0.8
        assert abs(left - (page.width - right)) < 30  # centred: the title, the nodes


def test_dpi_sets_a_pngs_pixels_and_leaves_svg_in_points(neuron):
    plain, sharp = gradflow(neuron), gradflow(neuron, dpi=144)
    assert "dpi" not in plain.source and "dpi" not in sharp.source
    assert size_pt(svg(plain)) == size_pt(svg(sharp))
    pixels = {dpi: Image.open(io.BytesIO(visualize.render(gradflow(neuron, dpi=dpi), "png")))
              .size for dpi in (72, 144)}
    assert pixels[72] == pytest.approx(size_pt(svg(plain)), abs=2)
    assert pixels[144] == pytest.approx([2 * p for p in pixels[72]], abs=3)
    default = Image.open(io.BytesIO(visualize.render(plain, "png"))).size
    assert default[0] == pytest.approx(pixels[72][0] * 200 / 72, abs=3)  # 200 dpi


@pytest.mark.parametrize("option,value,choices", [
    ("rankdir", "LEFT", "'LR', 'TB', 'BT', 'RL'"),
    ("grads", "weights", "'all', 'params'"),
    ("dpi", 0, "from 1 to 1200"),
    ("dpi", 0.5, "from 1 to 1200"),  # dot would write an empty PNG
    ("dpi", 1201, "from 1 to 1200"),
    ("dpi", "high", "from 1 to 1200"),
    ("slide", "yes", "True or False"),
    ("collapse", "auto", "None (when big), True or False"),
])
def test_a_bad_option_names_itself_and_the_choices(neuron, option, value, choices):
    for view in ("forward", "gradflow"):
        with pytest.raises(visualize.OptionError, match=re.escape(choices)) as err:
            visualize.draw(neuron.loss, view=view, **{option: value})
        assert str(err.value).startswith(option) and repr(value) in str(err.value)
        assert err.value.option == option and isinstance(err.value, ValueError)
    if option != "collapse":
        with pytest.raises(ValueError, match=re.escape(choices)):
            visualize.steps(neuron.loss, neuron.AT, path="never.pdf", **{option: value})


# ---- the gradient flow: arrows, values, grads="params", the key -------------------------------

def test_arrows_point_the_way_the_gradient_flows_and_edges_keep_their_ends(neuron):
    root = svg(gradflow(neuron))
    nodes, flows = groups(root, "node"), groups(root, "flow")
    g = neuron.g
    assert f"n{g['z'].id}->n{g['yhat'].id}" in flows  # u -> v, as in the forward graph
    for title, edge in flows.items():
        u, v = title.split("->")
        tip = [float(c) for c in edge.find(f"{SVG}polygon").get("points").split()[1].split(",")]
        assert distance(tip, centre(nodes[u])) < distance(tip, centre(nodes[v])), title


def centre(node):
    shape = node.find(f"{SVG}ellipse")
    if shape is not None:
        return float(shape.get("cx")), float(shape.get("cy"))
    xs, ys = zip(*(map(float, p.split(",")) for p in
                   node.find(f"{SVG}polygon").get("points").split()))
    return sum(xs) / len(xs), sum(ys) / len(ys)


def distance(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def test_the_value_that_flowed_forward_is_above_what_flows_back(neuron):
    g = neuron.g
    edge = groups(svg(gradflow(neuron)), "flow")[f"n{g['z'].id}->n{g['yhat'].id}"]
    lines = [(t.text, float(t.get("y"))) for t in edge.iter(f"{SVG}text")]
    assert lines[0][0] == "z = -1"
    (product,) = [y for text, y in lines if text == "-3.718 x 0.1966 = -0.7311"]
    assert lines[0][1] < product


def test_params_hides_the_gradients_of_data_inputs(neuron):
    g = neuron.g
    root = svg(gradflow(neuron, grads="params"))
    flows, nodes = groups(root, "flow"), groups(root, "node")
    for name in ("x", "y"):
        assert not any(t.startswith(f"n{g[name].id}->") for t in flows)
        assert not any(line.startswith(f"dloss/d{name}") for line in texts(nodes[f"n{g[name].id}"]))
    hidden = groups(root, "hidden")
    assert set(hidden) == {f"n{g['x'].id}->n{g['z'].id}", f"n{g['y'].id}->n{g['loss'].id}"}
    assert "dloss/dw = [-0.7311, 0.7311]" in texts(nodes[f"n{g['w'].id}"])
    assert f"n{g['w'].id}->n{g['z'].id}" in flows
    everything = svg(gradflow(neuron, grads="all"))
    assert len(groups(everything, "flow")) == 5 and not groups(everything, "hidden")


@pytest.mark.parametrize("grads", ["all", "params"])
def test_the_key_gives_the_true_range_of_the_sizes_drawn(neuron, grads):
    sizes = [e.size for e in visualize.edge_styles(neuron.loss, at=neuron.AT)
             if grads == "all" or neuron.g.record(e.u).role != "input"]
    key = groups(svg(gradflow(neuron, grads=grads)), "node")["legend"]
    assert f"smallest {number(min(sizes), 4)}, largest {number(max(sizes), 4)}" in texts(key)
    assert "legend" not in visualize.draw(neuron.loss, view="gradflow").source  # no sizes


# ---- collapsed blocks ---------------------------------------------------------------------------

def test_the_rnns_gradient_flow_fits_a_slide_one_box_a_step(rnn):
    module, diagram, root = rnn
    assert len(module.g) > COLLAPSE_NODES
    assert size_pt(root)[0] < 2000  # it was 9,865 pt drawn in full
    boxes = groups(root, "scope")
    assert sorted(boxes) == [f"s{i}" for i in range(5)]
    assert [texts(boxes[f"s{t - 1}"])[0] for t in range(1, 6)] == [f"t = {t}"
                                                                   for t in range(1, 6)]
    assert "collapsed: 5 blocks" in " ".join(texts(root))
    for name in ("W", "U", "V", "b", "c", "loss"):
        assert f"n{module.g[name].id}" in groups(root, "node")


def test_a_boxs_edge_carries_the_total_gradient_through_it(rnn):
    module, _, root = rnn
    g = module.g
    into = {e.v: e for e in visualize.edge_styles(module.loss, at=module.AT)
            if e.u == g["W"].id}
    step2 = [e for v, e in into.items() if g.record(v).scope == "t = 2"]
    (edge,) = [e for t, e in groups(root, "flow").items() if t == f"n{g['W'].id}->s1"]
    assert number(sum(math.sqrt((e.value ** 2).sum()) for e in step2), 4) in texts(edge)
    # s(1) -> step 2: one edge, whose total is the size of what flows back along it
    (s1,) = [e for e in visualize.edge_styles(module.loss, at=module.AT)
             if e.u == g["s1"].id and g.record(e.v).scope == "t = 2"]
    assert texts(groups(root, "flow")["s0->s1"])[-1] == number(s1.size, 4)


def test_collapse_false_draws_every_node_and_true_collapses_a_small_graph(rnn, neuron):
    module, *_ = rnn
    full = visualize.draw(module.loss, view="gradflow", collapse=False)
    assert "box3d" not in full.source and "collapsed" not in full.source
    assert f"n{module.g['a3'].id} [" in full.source
    small = graphs.load("mlp")
    assert len(small.g) <= COLLAPSE_NODES
    assert "collapsed" not in visualize.draw(small.loss, view="gradflow").source
    note = visualize.draw(neuron.loss, view="gradflow", collapse=True).source
    assert "no scopes to collapse" in note


# ---- the backward view --------------------------------------------------------------------------

def test_the_backward_view_leaves_out_bookkeeping_and_keeps_operand_order():
    for name in ("mlp", "neuron"):
        module = graphs.load(name)
        d = visualize.draw(module.loss, view="backward")
        ids = set(re.findall(r"^\t(n\d+) \[", d.source, re.M))
        work = module.g.copy()
        gc.grad(work[module.loss.name], [n for n in work if n.role == "param"])
        counts = {f"n{n.id}" for n in work if n.role == "grad" and n.op == "count"}
        assert counts and not ids & counts
        assert "not drawn: count" in d.source and "ordering=out" in d.source
        assert "dloss_dloss" in d.source  # the seed, where backprop starts, stays
        assert all("constraint=false" in line for line in d.source.splitlines()
                   if "class=tie" in line)


# ---- steps and the command line ------------------------------------------------------------------

def test_steps_take_the_slide_options(neuron, tmp_path):
    shots = frames(neuron.loss, neuron.AT, slide=True, grads="params", dpi=100)
    assert all('size="13.333,7.5"' in s.source and s.dpi == 100 for s in shots)
    x = neuron.g["x"].id
    assert not any(re.search(rf"n{x} -> \S+ \[label", s.source) for s in shots)
    (path,) = visualize.steps(neuron.loss, neuron.AT, path=tmp_path, rankdir="TB")[:1]
    assert size_pt(ET.parse(path).getroot())[1] > size_pt(ET.parse(path).getroot())[0] / 4


def test_graphc_render_for_a_slide_as_png(tmp_path):
    out = tmp_path / "rnn.png"
    result = graphc("render", "examples/rnn_sequence.py", "--view", "gradflow", "--slide",
                    "--grads", "params", "--dpi", "100", "-o", out)
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == pytest.approx((1333, 750), abs=2)  # 960 x 540 pt


@pytest.mark.parametrize("args,message", [
    (["--dpi", "0"], "--dpi: dpi must be a number of dots per inch from 1 to 1200"),
    (["--dpi", "-1"], "(default 200); got -1\n"),  # as typed, not -1.0
    (["--dpi", "0.01"], "--dpi: dpi must be a number of dots per inch from 1 to 1200"),
    (["--rankdir", "LEFT"], "invalid choice: 'LEFT'"),
    (["--grads", "weights"], "invalid choice: 'weights'"),
])
def test_graphc_render_refuses_a_bad_option_in_one_line(tmp_path, args, message):
    out = tmp_path / "g.svg"
    result = graphc_in_process("render", "examples/neuron.py", "--view", "gradflow", *args,
                               "-o", out)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_graphc_render_leaves_other_errors_their_own(tmp_path, monkeypatch):
    """Only an option's error is bad usage ``--dpi: ...``; any other is not renamed."""
    def broken(*args, **kwargs):
        raise ValueError("shapes (2,) and (3,) differ")
    monkeypatch.setattr(visualize, "draw", broken)
    with pytest.raises(ValueError, match=r"^shapes \(2,\) and \(3,\) differ$"):
        graphc_in_process("render", "examples/neuron.py", "-o", tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def test_graphc_render_options_reach_the_diagram(tmp_path):
    out = tmp_path / "g.dot"
    result = graphc_in_process("render", "examples/neuron.py", "--view", "gradflow",
                               "--rankdir", "TB", "--slide", "--grads", "params", "-o", out)
    assert result.returncode == 0, result.stderr
    source = out.read_text()
    assert "rankdir=TB" in source and 'size="13.333,7.5"' in source and "class=hidden" in source
