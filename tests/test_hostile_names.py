"""Hostile node names through everything that prints them: generated code, DOT and its
renderings, LaTeX (formulas, traces, TikZ, the notebook), HTML (the report, the notebook)
and JSON (a saved graph). LaTeX has one escaping home (graphc.symbolic.latex.name_latex);
CSV cells that a spreadsheet would run as formulas start with a quote; a lone surrogate
shows as ``\\udc80`` wherever text is written."""

import ast
import csv
import functools
import html.parser
import io
import pathlib
import re
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphc as gc
import visualize
from graphc import text
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
        source = tex.read_text()
        assert balanced(source[source.index("\\begin{tikzpicture}"):])
        assert not {"input", "iffalse"} & set(commands(source))
        assert "\udc80" not in source


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


# ---- hostile names, fuzzed ------------------------------------------------------------------
#
# Each example names the five nodes (and the graph) of a small network with text built from
# pieces that break one format or another, and runs it through every printer.

TOKENS = ["np", "def", "class", "lambda", "__import__", "__builtins__", "print", "exec",
          "import os", "os.system('touch pwned')", '"""', "'''", "\\", "\n", "\r\n", "\t",
          "\x00", "{", "}", "%", "$", "&", "#", "^", "_", "~", "x}\\input{/etc/passwd}\\iffalse",
          "<script>window.pwned=1</script>", '<img src=x onerror="pwned=1">', "]; a -> b [",
          "URL=", "href", "\u202e", "\u200f", "\u2028", "\udc80", "\ud800", "=cmd|' /C calc'!A0",
          "+", "-", "@", "<", ">", '"', "'", "->", "d", "loss", "x", "w", "é", "х", "ｘ", "1"]
NAME = st.lists(st.one_of(st.sampled_from(TOKENS),
                          st.text(st.characters(exclude_categories=()), min_size=1, max_size=3)),
                min_size=1, max_size=4).map("".join)
NAMES = st.lists(NAME, min_size=5, max_size=5, unique=True)
FUZZ = settings(max_examples=50, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def network(names):
    """A graph named ``names[0]``: loss = sum(sigmoid(tanh(w * x))), its point, and the
    outputs compiled (the loss and its gradient with respect to w)."""
    g = gc.Graph(names[0])
    x, w = g.input(names[1], shape=(2,)), g.param(names[2], shape=(2,))
    loss = gc.sum(gc.sigmoid(gc.tanh(w * x).named(names[3]))).named(names[4])
    return g, loss, gc.grad(loss, [w])[0], {x.name: [0.5, -1.0], w.name: [2.0, 0.25]}


BENIGN = network(["g", "x", "w", "h", "loss"])


# -- generated code: an AST allowlist, checked before the module runs

SAFE_BUILTINS = {"len", "tuple", "set", "list", "dict", "id", "map", "str", "any", "all",
                 "zip", "type", "isinstance", "int", "float", "range", "ValueError",
                 "TypeError", "KeyError", "sorted", "enumerate", "min", "max", "abs", "sum"}
ALLOWED_NODES = (
    ast.Module, ast.Expr, ast.Constant, ast.Import, ast.alias, ast.FunctionDef,
    ast.arguments, ast.arg, ast.Assign, ast.AugAssign, ast.Name, ast.Load, ast.Store,
    ast.Del, ast.Delete, ast.Return, ast.Call, ast.keyword, ast.Attribute, ast.BinOp,
    ast.UnaryOp, ast.Compare, ast.BoolOp, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
    ast.Tuple, ast.List, ast.Dict, ast.Set, ast.Subscript, ast.Slice, ast.IfExp, ast.If,
    ast.For, ast.comprehension, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp,
    ast.Try, ast.ExceptHandler, ast.Raise, ast.JoinedStr, ast.FormattedValue, ast.Starred,
    ast.Continue, ast.Break, ast.Pass, ast.expr_context)


def bound_names(tree):
    """Every name the module binds: its functions, arguments, assignment, loop,
    comprehension and except targets, and its imports."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name)
    return bound


def fixed_strings(tree):
    """String constants outside docstrings, f-strings, raises and the module's data (its
    upper-case assignments: GRAPH, INPUTS, OUTPUTS): the fixed text of graphc's helpers."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef)) and node.body and \
                isinstance(node.body[0], ast.Expr):
            skip.add(id(node.body[0].value))
        if isinstance(node, (ast.JoinedStr, ast.Raise)) or (
                isinstance(node, ast.Assign) and node in tree.body and
                all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)):
            skip.update(id(n) for n in ast.walk(node))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in skip}


def data_strings(tree):
    return {n.value for a in tree.body if isinstance(a, ast.Assign) and
            all(isinstance(t, ast.Name) and t.id.isupper() for t in a.targets)
            for n in ast.walk(a.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@functools.cache
def benign_strings():
    return fixed_strings(ast.parse(gc.compile(BENIGN[1:3]).source))


def allowlisted(source, data):
    """The module of ``source`` passes the allowlist: imports of numpy (and difflib, for
    did-you-mean) only, at the top; functions and assignments, no classes, lambdas, with,
    global or yield; every name it reads bound in it or a safe builtin; no dunder attribute;
    calls of names so bound or of attributes; node names only as data (GRAPH, INPUTS,
    OUTPUTS: strings in ``data``) or in messages, any other string one of graphc's own."""
    tree = ast.parse(source)
    bound = bound_names(tree) | SAFE_BUILTINS
    for node in ast.walk(tree):
        assert isinstance(node, ALLOWED_NODES), ast.dump(node)[:200]
        if isinstance(node, ast.Import):
            assert node in tree.body and {a.name for a in node.names} <= {"numpy", "difflib"}
        if isinstance(node, ast.Name):
            assert node.id in bound and not node.id.startswith("__"), node.id
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__"), node.attr
        if isinstance(node, ast.Call):
            assert isinstance(node.func, (ast.Name, ast.Attribute)), ast.dump(node.func)
    assert fixed_strings(tree) <= benign_strings(), fixed_strings(tree) - benign_strings()
    assert data_strings(tree) <= set(data), data_strings(tree) - set(data)


def test_the_allowlist_refuses_what_a_name_could_smuggle():
    source = gc.compile(BENIGN[1:3]).source
    allowlisted(source, ["g", "x", "w", "loss", "dloss_dw", "float64"])
    for smuggled in ("__import__('os').system('x')", "open('f', 'w')", "np.__dict__",
                     "class A: pass", "lambda: 0", "import os", "print('pwned')"):
        with pytest.raises(AssertionError):
            allowlisted(source + "\n" + smuggled + "\n", ["g", "x", "w", "loss", "float64"])


EVENTS = []


def audit(event, args):
    if EVENTS and EVENTS[0] is True:
        EVENTS.append((event, args[0] if args else None))


sys.addaudithook(audit)


def run_quietly(source, feeds):
    """Exec the module and call its run(): the audit events it raised, besides exec itself
    and id()."""
    code = compile(source, "<hostile>", "exec")
    namespace = {}
    EVENTS[:] = [True]
    try:
        exec(code, namespace)
        outputs = namespace["run"](**feeds)
    finally:
        events, EVENTS[:] = EVENTS[1:], []
    return outputs, [e for e in events if e[0] not in ("exec", "builtins.id")
                     and not (e[0] == "import" and e[1] in ("numpy", "difflib"))]


@FUZZ
@given(NAMES)
def test_fuzzed_names_compile_to_an_allowlisted_module_that_runs_nothing_else(names):
    g, loss, dw, at = network(names)
    f = gc.compile([loss, dw])
    assert f.source.isascii()
    allowlisted(f.source, names + list(f.outputs) + ["float64"])
    outputs, events = run_quietly(f.source, at)
    assert events == []
    for ran, expected in zip(outputs, gc.evaluate([loss, dw], at=at), strict=True):
        np.testing.assert_allclose(ran, expected, rtol=1e-12)
    assert f.outputs[0] == names[4] and [n for n, *_ in f.inputs] == names[1:3]


def unquoted(dot):
    """The lines of DOT source with every quoted string emptied: its statements, ids and
    attribute names, which no name may change (no URL, href or image, no new statement)."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot).split("\n")


@functools.cache
def benign_dot(view):
    return unquoted(visualize.draw(BENIGN[1], view=view, at=BENIGN[3]).source)


@FUZZ
@given(NAMES, st.sampled_from(["forward", "backward", "gradflow"]))
def test_fuzzed_names_stay_text_in_dot_and_the_svg_parses(names, view):
    g, loss, dw, at = network(names)
    d = visualize.draw(loss, view=view, at=at)
    assert unquoted(d.source) == benign_dot(view)
    root = ET.fromstring(visualize.render(d, "svg"))  # dot's exit status 0, and it parses
    tags = {e.tag.rpartition("}")[2] for e in root.iter()}
    assert tags <= {"svg", "g", "title", "text", "polygon", "path", "ellipse", "polyline"}
    assert not {a for e in root.iter() for a in e.attrib if "href" in a or a.startswith("on")}


@FUZZ
@given(NAMES)
def test_fuzzed_names_stay_text_in_latex(names):
    g, loss, dw, at = network(names)
    trace = gc.explain(loss, at=at, exact=False)
    for tex in (gc.latex(loss), gc.latex(dw), trace.to_latex()):
        safe_tex(tex)
    for name in names[1:]:
        safe_tex(f"${name_latex(name)}$")
    rows = list(csv.reader(io.StringIO(trace.to_csv())))
    assert not [c for row in rows for c in row if c and c[0] in "=+@\t\r"]
    assert {r[1] for r in rows[1:]} >= {text.spreadsheet_cell(text.unpaired(n))
                                         for n in names[1:3]}


class Markup(html.parser.HTMLParser):
    """The tags and attribute names of a page, and the text of its scripts."""

    def __init__(self, page):
        super().__init__()
        self.tags, self.attributes, self.scripts, self._in = [], set(), [], None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes |= {name for name, _ in attrs}
        self._in = tag

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in = None


@functools.cache
def benign_page():
    return Markup(gc.explain(BENIGN[1], at=BENIGN[3], exact=False)._repr_html_())


@FUZZ
@given(NAMES)
def test_fuzzed_names_stay_text_in_html_and_round_trip_through_json(names):
    g, loss, dw, at = network(names)
    page = Markup(gc.explain(loss, at=at, exact=False)._repr_html_())
    assert sorted(set(page.tags)) == sorted(set(benign_page().tags)) and page.scripts == []
    assert page.attributes == benign_page().attributes
    with tempfile.TemporaryDirectory() as folder:
        loaded = gc.load(g.save(pathlib.Path(folder) / "g.json"))
    assert [n.name for n in loaded] == [n.name for n in g] and loaded.name == g.name
    assert [n.name for n in loaded][:2] == names[1:3]


REPORT_FUZZ = settings(FUZZ, max_examples=8)
@functools.cache
def benign_report():
    return Markup(gc.report(BENIGN[1], at=BENIGN[3]).html)


@REPORT_FUZZ
@given(NAMES)
def test_fuzzed_names_run_no_script_in_the_report(names):
    g, loss, dw, at = network(names)
    report = gc.report(loss, at=at)
    page = Markup(report.html)
    assert set(page.tags) <= set(benign_report().tags)
    assert page.attributes <= benign_report().attributes
    assert len(page.scripts) == len(benign_report().scripts)
    report.html.encode("utf-8")


def test_the_command_line_prints_a_lone_surrogate_as_its_escape(tmp_path, capsys):
    from graphc import cli
    script = tmp_path / "net.py"
    script.write_text('import graphc as gc\ng = gc.Graph("g")\nx = g.input("x\\udc80")\n'
                      'w = g.param("w")\nloss = gc.sum(gc.sigmoid(w * x)).named("loss")\n')
    assert cli.main(["grad", str(script)]) == 0
    out = capsys.readouterr().out
    assert "dloss/dw = x\\udc80*" in out
