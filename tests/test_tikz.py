r"""visualize.tikz and ``.tex`` export: TikZ written from dot's real layout, parsed back (no
LaTeX is run): every graph node a named ``\node`` at numeric coordinates with its label
escaped, every edge a ``\draw`` along its spline from the tail's box to the head's."""

import json
import re

import pytest

import graphc as gc
import visualize
from cmdline import graphc, graphc_in_process
from visualize.tikz import from_layout, tex_escape, to_tikz

AT = {"x": [1, -1], "w": [1, 2], "y": 1, "a_b&c%$#{}~^\\": 0.0}
SPECIAL = "a_b&c%$#{}~^\\"
NUMBER = r"-?\d+(?:\.\d+)?"
NODE = re.compile(rf"^\\node\[(?P<opts>.*)\] \((?P<name>\w+)\) at "
                  rf"\((?P<x>{NUMBER}), (?P<y>{NUMBER})\) \{{(?P<text>.*)\}};$")
DRAW = re.compile(r"^\\draw\[(?P<opts>.*?)\] (?P<path>.*); % (?P<tail>\w+) -> (?P<head>\w+)$")
POINT = re.compile(r"\(([^()]*)\)")


def graph():
    """The lecture neuron, its matmul in a scope, and an extra input whose name is all TeX
    specials, added into the loss."""
    g = gc.Graph("sigmoid neuron")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    odd = g.input(SPECIAL)
    with g.scope("layer"):
        z = (w @ x).named("z")
    loss = (gc.bce(gc.sigmoid(z + odd).named("yhat"), y)).named("loss")
    return g, loss


@pytest.fixture(scope="module")
def drawn():
    """(graph, diagram, its TikZ): dot runs once for the whole file."""
    g, loss = graph()
    diagram = visualize.draw(loss, view="gradflow", at=AT)
    return g, diagram, to_tikz(diagram)


def parsed_nodes(tex):
    return {m["name"]: m for m in map(NODE.match, tex.splitlines()) if m}


def parsed_draws(tex):
    return [m for m in map(DRAW.match, tex.splitlines()) if m]


def points(path):
    """Every coordinate of a TikZ path, as floats (fails on anything not numeric)."""
    return [tuple(float(v) for v in p.split(",")) for p in POINT.findall(path)]


def test_a_standalone_tikz_picture(drawn):
    _, _, tex = drawn
    lines = tex.splitlines()
    assert lines[2] == r"\documentclass[tikz]{standalone}"
    assert r"\begin{tikzpicture}[x=1bp, y=1bp, line width=1bp]" in lines
    assert lines[-2:] == [r"\end{tikzpicture}", r"\end{document}"]
    assert lines[0].startswith("% sigmoid neuron: gradient flow")


def test_every_node_is_a_named_node_with_its_label(drawn):
    g, diagram, tex = drawn
    nodes = parsed_nodes(tex)
    names = {f"n{n.id}": n.name for n in g if f"\tn{n.id} [" in diagram.source}
    assert set(nodes) == set(names) | {"legend"} and len(names) == 8  # and the key
    assert nodes["legend"]["text"].startswith("gradient size (its norm) drawn:")
    for dot_id, name in names.items():
        assert nodes[dot_id]["text"].split(r"\\")[0] == tex_escape(name), name
    assert r"\\= [1, 2]\\" in nodes[f"n{g['w'].id}"]["text"]  # the value, under the name
    assert "ellipse" in nodes[f"n{g['yhat'].id}"]["opts"]
    assert "fill=gcFDE68A" in nodes[f"n{g['w'].id}"]["opts"]  # a parameter's yellow


def test_every_edge_is_a_spline_from_its_tails_box_to_its_heads(drawn):
    g, diagram, tex = drawn
    nodes = parsed_nodes(tex)
    expected = sorted(re.findall(r"\t(n\d+) -> (n\d+) ", diagram.source))
    draws = parsed_draws(tex)
    assert sorted((d["tail"], d["head"]) for d in draws) == expected and len(expected) == 7
    for d in draws:
        assert " .. controls " in d["path"] and "Latex" in d["opts"]
        coords = points(d["path"])
        assert (len(coords) - 1) % 3 == 1  # a cubic B-spline, then the arrow's tip
        assert _inside(coords[0], nodes[d["tail"]]) and _inside(coords[-1], nodes[d["head"]])


def _inside(point, node, slack=12):
    """Whether ``point`` lies in the node's box (its minimum size in inches), give or take
    ``slack`` bp for the line and the arrowhead."""
    width, height = (float(re.search(rf"minimum {k}=([\d.]+)in", node["opts"])[1]) * 72
                     for k in ("width", "height"))
    return (abs(point[0] - float(node["x"])) <= width / 2 + slack
            and abs(point[1] - float(node["y"])) <= height / 2 + slack)


def test_edge_labels_scopes_and_colours(drawn):
    _, _, tex = drawn
    assert r"-3.718 x 0.1966 = -0.7311" in tex  # the chain-rule product on z -> yhat
    assert re.search(r"\\draw\[draw=gc9CA3AF, rounded corners=6bp\] .* rectangle", tex)
    used = set(re.findall(r"\bgc[0-9A-F]{6}\b", tex))
    defined = set(re.findall(r"\\definecolor\{(gc[0-9A-F]{6})\}\{HTML\}", tex))
    assert used == defined and "gcFDE68A" in defined
    label = re.compile(rf"^\\node\[.*\] at \({NUMBER}, {NUMBER}\) \{{.*\}};$")
    for line in tex.splitlines():  # every coordinate is numeric
        if line.startswith("\\node"):
            assert NODE.match(line) or label.match(line), line
        elif line.startswith(("\\draw", "\\path")):
            path = line.split("] ", 1)[1].split(" % ")[0]
            assert points(path) and all(len(p) == 2 for p in points(path)), line


def test_tex_specials_in_a_name_are_escaped(drawn):
    g, _, tex = drawn
    text = parsed_nodes(tex)[f"n{g[SPECIAL].id}"]["text"]
    assert text.startswith(r"a\_b\&c\%\$\#\{\}\textasciitilde{}\textasciicircum{}"
                           r"\textbackslash{}\\")
    bare = re.sub(r"\\[_&%$#{}]|\\text\w+\{\}|\\\\", "", text)
    assert not set(bare) & set("_&%$#{}~^\\"), bare
    for line in tex.splitlines():  # braces balance on every line once escapes are out
        body = re.sub(r"\\[{}]", "", line.split(" % ")[0])
        assert body.count("{") == body.count("}"), line


def test_greek_names_and_double_hyphens_survive_pdflatex():
    """pdflatex knows no Greek text characters: a node named θ is written as math."""
    assert tex_escape("θ") == r"\ensuremath{\theta}"
    assert tex_escape("Σ_k ς λ") == (r"\ensuremath{\Sigma}\_k \ensuremath{\varsigma} "
                                     r"\ensuremath{\lambda}")
    assert tex_escape("Α Ρ ŷ") == r"A P \^{y}"  # capitals TeX lacks; TeX's own accent
    assert tex_escape("x--y---z") == "x-{}-y-{}-{}-z"  # not an en or em dash


@pytest.mark.parametrize("text,tex", [
    ("x<<1 >>", r"x\textless{}\textless{}1 \textgreater{}\textgreater{}"),  # not « »
    ("a''b ,,c !`d", "a'{}'b ,{},c !{}`d"),  # not a closing, a low or an inverted mark
    ("x₁ x² hⁿ", r"x\ensuremath{_{1}} x\ensuremath{^{2}} h\ensuremath{^{n}}"),
    ("a×b · c−1", r"a\ensuremath{\times}b \ensuremath{\cdot} c\ensuremath{-}1"),
    ("≤≥→∂∑√∞±", "".join(rf"\ensuremath{{\{c}}}" for c in
                         ("leq", "geq", "rightarrow", "partial", "sum", "surd", "infty", "pm"))),
    ("é Müller ß ﬁ µ", r"\'{e} M\"{u}ller \ss{} fi \ensuremath{\mu}"),
    ("snow ☃", "snow [U+2603]"),  # nothing pdflatex would stop at
])
def test_ligatures_and_unicode_become_what_pdflatex_takes(text, tex):
    assert tex_escape(text) == tex
    assert tex_escape(text).isascii()


def test_a_slide_diagrams_tikz_is_a_16_by_9_slide():
    """dot's -Tjson is not scaled by ``size``: the TikZ is, to the SVG's 960 x 540 bp."""
    g, loss = graph()
    tex = to_tikz(visualize.draw(loss, view="gradflow", at=AT, slide=True))
    factor = float(re.search(r"^\\begin\{scope\}\[transform canvas=\{scale=([\d.]+)\}\]$",
                             tex, re.M)[1])
    box = re.search(r"^\\path\[use as bounding box\] (.*) rectangle (.*);$", tex, re.M)
    (x0, y0), (x1, y1) = points(box[1])[0], points(box[2])[0]
    assert (x1 - x0, y1 - y0) == pytest.approx((960, 540), abs=0.5)
    for node in parsed_nodes(tex).values():  # every node, scaled, on the slide
        assert x0 < factor * float(node["x"]) < x1 and y0 < factor * float(node["y"]) < y1
    assert tex.splitlines()[-3:-1] == [r"\end{scope}", r"\end{tikzpicture}"]
    plain = to_tikz(visualize.draw(loss, view="gradflow", at=AT))
    assert "transform canvas" not in plain


def test_same_diagram_same_text(drawn):
    _, diagram, tex = drawn
    assert to_tikz(diagram) == tex


def test_a_line_starting_with_a_bracket_is_not_read_as_an_option():
    """After ``\\`` TeX reads ``[2pt]`` as a line skip: such a line is written ``{}[...``."""
    node = {"_gvid": 0, "name": "n0", "pos": "10,10", "width": "1", "height": "1",
            "_ldraw_": [{"op": "T", "text": "v"}, {"op": "T", "text": "[1, 2]"}]}
    tex = from_layout(json.dumps({"bb": "0,0,20,20", "objects": [node]}))
    assert parsed_nodes(tex)["n0"]["text"] == r"v\\{}[1, 2]"


def test_export_writes_tex_atomically(tmp_path, drawn):
    _, diagram, tex = drawn
    path = visualize.export(diagram, tmp_path / "slides" / "neuron.tex")
    assert path.read_text() == tex
    assert [p.name for p in path.parent.iterdir()] == ["neuron.tex"]


def test_without_dot_tex_export_leaves_the_dot_source(tmp_path, monkeypatch, drawn):
    _, diagram, _ = drawn
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(visualize.RenderError, match="install Graphviz.*export again"):
        visualize.export(diagram, tmp_path / "neuron.tex")
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.dot"]
    with pytest.raises(visualize.RenderError, match="dot program was not found"):
        to_tikz(diagram)


def test_a_picture_too_large_for_tex_is_refused():
    with pytest.raises(visualize.RenderError, match="too large for TeX") as err:
        from_layout('{"name": "g", "bb": "0,0,20000,30"}')
    assert "collapse" not in str(err.value) and "rankdir" in str(err.value)  # no scopes
    scoped = {"name": "g", "bb": "0,0,20000,30", "objects": [{"_gvid": 0, "bb": "0,0,9,9"}]}
    with pytest.raises(visualize.RenderError, match="collapse=True draws one box per scope"):
        from_layout(json.dumps(scoped))


def test_graphc_render_writes_tex(tmp_path):
    out = tmp_path / "neuron.tex"
    result = graphc("render", "examples/neuron.py", "--view", "gradflow", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    labels = [m["text"].split(r"\\")[0] for m in parsed_nodes(out.read_text()).values()]
    assert sorted(labels) == ["gradient size (its norm) drawn:", "loss", "w", "x", "y", "yhat",
                              "z"]


def test_graphc_render_tex_without_dot_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = graphc_in_process("render", "examples/neuron.py", "-o", tmp_path / "n.tex")
    assert result.returncode == 2 and "install Graphviz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "n.tex").exists() and (tmp_path / "n.dot").exists()
