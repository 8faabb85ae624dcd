"""Hostile node names through everything that prints them: generated code, DOT and its
renderings, LaTeX (formulas, traces, TikZ, the notebook), HTML (the report, the notebook)
and JSON (a saved graph). LaTeX has one escaping home (graphc.symbolic.latex.name_latex);
CSV cells that a spreadsheet would run as formulas start with a quote; a lone surrogate
shows as ``\\udc80`` wherever text is written."""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest

import graphc as gc
import visualize
from graphc.symbolic.latex import name_latex
from visualize import tikz
from visualize.present import notebook

PAYLOAD = "x}\\input{/etc/passwd}\\iffalse"
SURROGATE = "x\udc80"


# ---- LaTeX ---------------------------------------------------------------------------------

def uncommented(tex):
    """``tex`` without its comments (from an unescaped ``%`` to the end of the line)."""
    return re.sub(r"(?<!\\)%.*", "", tex)


def commands(tex):
    r"""The control sequences of ``tex`` outside comments (``\frac``, ``\{``, ``\\``)."""
    return re.findall(r"\\([A-Za-z]+|.)", uncommented(tex), flags=re.S)


def balanced(tex):
    """Whether the groups of ``tex`` (its braces, escaped ones aside) close in order."""
    depth = 0
    for token in re.findall(r"\\.|[{}]", uncommented(tex), flags=re.S):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


def safe_tex(tex):
    """``tex`` runs no command a name smuggled in: its groups balanced, no ``\\input`` or
    ``\\iffalse`` outside a comment (a newline in a name would end one), no blank line
    inside a formula, no lone surrogate."""
    assert balanced(tex), tex
    assert not {"input", "iffalse", "write", "def"} & set(commands(tex)), tex
    for math in re.findall(r"\$[^$]*\$", uncommented(tex)):
        assert "\n\n" not in math, math
    assert "\udc80" not in tex and "\ud800" not in tex, tex


def hostile_neuron(*names):
    g = gc.Graph("g")
    x, w = (g.input(names[0]), g.param(names[1]))
    loss = gc.sum(gc.exp(gc.sigmoid(w * x))).named(names[2])
    return g, loss, {x.name: 0.5, w.name: 2.0}


LATEX_NAMES = [(PAYLOAD, "a\n\\input{b}\n", "L\n\\input{c}"), ("^", "_", "a\n\nb"),
               (SURROGATE, "%\\iffalse", "}{")]


@pytest.mark.parametrize("names", LATEX_NAMES, ids=["payload", "scripts", "surrogate"])
def test_names_reach_latex_as_text(names):
    g, loss, at = hostile_neuron(*names)
    dw = gc.grad(loss, [g[names[1]]])[0]
    shown = [gc.latex(loss), gc.latex(dw), gc.explain(loss, at=at).to_latex(),
             notebook.gradient_latex(dw)] + [name_latex(n) for n in names]
    for tex in shown:
        safe_tex(tex)
    assert name_latex(names[0]) in gc.latex(loss) and name_latex(names[1]) in gc.latex(dw)


def test_the_payload_is_escaped_in_the_formula():
    g, loss, _ = hostile_neuron(PAYLOAD, "w", "loss")
    assert r"\mathrm{x\}{\backslash}input\{/etc/passwd\}{\backslash}iffalse}" in gc.latex(loss)


@pytest.mark.parametrize("names", LATEX_NAMES, ids=["payload", "scripts", "surrogate"])
def test_names_reach_tikz_as_text(names, tmp_path):
    g, loss, at = hostile_neuron(*names)
    for view in ("forward", "gradflow"):
        tex = visualize.export(visualize.draw(loss, view=view, at=at), tmp_path / "d.tex")
        text = tex.read_text()
        body = text[text.index("\\begin{tikzpicture}"):]
        assert balanced(body)
        assert not {"input", "iffalse"} & set(commands(text))
        assert all("input" not in line for line in text.split("\n") if line.startswith("\\input"))


def test_a_trace_comment_keeps_a_name_on_its_line():
    g, loss, at = hostile_neuron("x", "w", "L\n\\input{c}")
    first = gc.explain(loss, at=at).to_latex().split("\n")[1]
    assert first.startswith("\\begin{tabular}") or first.startswith("\\noindent")


# ---- CSV ------------------------------------------------------------------------------------

def test_csv_cells_that_start_like_a_formula_start_with_a_quote():
    names = ("=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "@SUM(1)")
    g = gc.Graph("g")
    x, w = g.input(names[0]), g.param(names[1])
    loss = gc.sum(-(w * x)).named(names[2])
    rows = list(csv.reader(io.StringIO(gc.explain(loss, at={x: -0.5, w: 2.0}).to_csv())))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c and c[0] in "=+@\t\r"]
    assert [c for c in cells if c.startswith("-")] and all(
        re.fullmatch(r"-[0-9.e+-]+|-inf", c) for c in cells if c.startswith("-")), cells
    assert "'" + names[0] in cells and "'" + names[1] in cells and "'" + names[2] in cells
    forward = [r for r in rows if r[0] == "forward"]
    assert [r[1] for r in forward][:2] == ["'" + names[0], "'" + names[1]]
    assert forward[0][7] == "-0.5"  # a number stays a number


# ---- lone surrogates ------------------------------------------------------------------------

def surrogate_neuron():
    return hostile_neuron(SURROGATE, "w\udcff", "loss\ud800")


@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot", ".tex"])
def test_a_lone_surrogate_renders_and_shows_as_its_escape(tmp_path, suffix):
    g, loss, at = surrogate_neuron()
    for view in ("forward", "backward", "gradflow"):
        path = visualize.export(visualize.draw(loss, view=view, at=at), tmp_path / f"d{suffix}")
        data = path.read_bytes()
        if suffix == ".svg":
            words = "".join(ET.fromstring(data).itertext())
            assert "x\\udc80" in words and "loss\\ud800" in words
        elif suffix in (".dot", ".tex"):
            assert b"udc80" in data


def test_a_lone_surrogate_in_the_report_and_the_steps(tmp_path):
    g, loss, at = surrogate_neuron()
    path = gc.report(loss, at=at, path=tmp_path / "r.html")
    assert "x\\udc80" in path.read_text(encoding="utf-8")
    visualize.steps(loss, at=at, path=tmp_path / "steps")
    assert sorted(p.suffix for p in (tmp_path / "steps").iterdir())[0] == ".svg"


def test_a_lone_surrogate_in_code_and_a_saved_graph(tmp_path):
    g, loss, at = surrogate_neuron()
    f = gc.compile([loss] + gc.grad(loss, [g["w\udcff"]]))
    assert f.source.isascii()
    path = f.save(tmp_path / "m.py")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    assert [name for name, *_ in namespace["INPUTS"]] == [SURROGATE, "w\udcff"]
    assert namespace["OUTPUTS"][0] == "loss\ud800"
    assert [float(v) for v in namespace["run"](**at)] == [float(v) for v in f(**at)]
    g.save(tmp_path / "g.json")
    assert [n.name for n in gc.load(tmp_path / "g.json")] == [n.name for n in g]
    trace = gc.explain(loss, at=at)
    for shown in (trace.to_csv(), trace.to_markdown(), trace._repr_html_(), str(trace),
                  trace.to_latex()):
        assert "x\\udc80" in shown.encode("utf-8").decode("utf-8").replace("{\\backslash}", "\\")
