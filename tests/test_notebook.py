"""graphc in Jupyter: what each object shows (IPython's ``_repr_*_`` protocol).

The lecture notebook (made by docs/lecture_notebook.py) is executed once, in a real python3
kernel, and each of its outputs is read as a user's browser reads it: the SVG parsed and
its texts read, the HTML tables parsed, the LaTeX compared with the formula, the PNG
decoded. Then the fresh notebook is compared with the stored examples/lecture_notebook.ipynb,
MIME type by MIME type. The fast tests below call the ``_repr_*_`` methods directly.
"""

import base64
import html
import importlib.util
import io
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import nbformat
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

import graphc as gc
from cmdline import ROOT, run
from graphc import text
from graphc.check.gradcheck import GradcheckReport, GradcheckRow
from graphs import load

NEURON_NAMES = ("x", "w", "y", "z", "yhat", "loss")


@pytest.fixture(scope="module")
def lecture():
    """docs/lecture_notebook.py, the notebook's maker and reader."""
    spec = importlib.util.spec_from_file_location("docs_lecture_notebook",
                                                  ROOT / "docs" / "lecture_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh(lecture, tmp_path_factory):
    """The lecture notebook regenerated in a temporary folder, read back."""
    path = lecture.regenerate(tmp_path_factory.mktemp("notebook") / "lecture.ipynb")
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def ns(lecture):
    """The notebook's setup cell run here: the same graph, to compare with."""
    names = {}
    exec(lecture.SETUP, names)  # noqa: S102  (our own example's code)
    return names


def shown(nb, cell_id):
    """The data of the one rich output of cell ``cell_id``: {MIME type: text}."""
    (cell,) = [c for c in nb.cells if c.id == cell_id]
    (out,) = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    return {mime: data if isinstance(data, str) else "".join(data)
            for mime, data in out.data.items()}


class Tables(HTMLParser):
    """Every table of an HTML text: its caption, and its rows as [(text, class), ...]."""

    def __init__(self, source):
        super().__init__()
        self.tables, self.notes, self._cell, self._where = [], [], None, None
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = ["", dict(attrs).get("class", "")]
        elif tag in ("caption", "p"):
            self._where = [tag, ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1]["rows"][-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "caption":
            self.tables[-1]["caption"] = self._where[1]
            self._where = None
        elif tag == "p" and self._where:
            self.notes.append(self._where[1])
            self._where = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data
        elif self._where is not None:
            self._where[1] += data


def svg_groups(svg):
    """(class, texts) of each node group (<g class="node ...">) of an SVG."""
    root = ET.fromstring(svg)
    groups = []
    for g in root.iter("{http://www.w3.org/2000/svg}g"):
        if "node" in g.get("class", "").split():
            texts = [t.text for t in g.iter("{http://www.w3.org/2000/svg}text")]
            groups.append((g.get("class"), texts))
    return groups


# ---- the executed notebook ------------------------------------------------------------------

def test_the_graph_shows_its_forward_diagram_and_its_listing(fresh, ns):
    data = shown(fresh, "graph")
    assert data["text/plain"] == str(ns["g"])
    named = [texts[0] for _, texts in svg_groups(data["image/svg+xml"])]
    assert sorted(named) == sorted(NEURON_NAMES)  # the forward view: no gradient nodes


def test_a_node_shows_the_graph_around_it_highlighted(fresh):
    data = shown(fresh, "node")
    assert data["text/plain"] == ("<Node 'z': matmul () float64>\n"
                                  "  op  z  ()  float64  = matmul(w, x)")
    marked = [texts for cls, texts in svg_groups(data["image/svg+xml"]) if "highlight" in cls]
    assert marked == [["z", "matmul", "()"]]
    assert "text/latex" not in data  # a forward node has no gradient formula


def test_a_gradient_node_shows_its_formula_as_latex(fresh, ns):
    data = shown(fresh, "gradient")
    latex = data["text/latex"]
    head = r"$\frac{\partial \mathrm{loss}}{\partial w} = "
    assert latex.startswith(head) and latex.endswith("$")
    assert latex[len(head):-1] == gc.latex(ns["dloss_dw"])
    from sympy.parsing.latex import parse_latex  # reads it back (w^T x: a dot product)
    read = _as_products(parse_latex(latex[len(head):-1].replace(r"^{\top}", "")))
    x, y, w = sp.symbols("x y w")
    assert sp.simplify(read - x * (-y + sp.Function("sigma")(w * x))) == 0
    marked = [texts for cls, texts in svg_groups(data["image/svg+xml"]) if "highlight" in cls]
    assert marked and marked[0][0] == "dloss_dw"
    assert "dloss_dz" in [texts[0] for _, texts in svg_groups(data["image/svg+xml"])]


def test_the_trace_shows_html_tables_and_markdown(fresh, ns):
    data = shown(fresh, "explain")
    trace = gc.explain(ns["loss"], at=ns["at"])
    assert data["text/markdown"] == trace.to_markdown()
    assert data["text/plain"] == str(trace)
    forward, backward = Tables(data["text/html"]).tables
    assert forward["caption"].startswith("Forward")
    assert [c[0] for c, *_ in forward["rows"][1:]] == list(NEURON_NAMES)
    labels = [row[3][0] for row in backward["rows"][1:]]
    assert "dloss/dz" in labels and "dloss/dw" in labels
    dz = trace.gradient("z")
    assert [c[0] for c in backward["rows"][1 + trace.backward.index(dz)]][-2:] == \
        ["-1 + sigmoid(-1)", text.value(dz.value)]


def test_check_reports_colour_their_verdicts(fresh):
    right = Tables(shown(fresh, "check")["text/html"])
    (table,) = right.tables
    assert [c[0] for c in table["rows"][0]] == list(("claim", "claimed", "its value",
                                                     "derived", "verdict"))
    assert [row[-1][1] for row in table["rows"][1:]] == ["graphc-holds"] * 2
    assert "all claims hold" in right.notes
    wrong = Tables(shown(fresh, "slip")["text/html"])
    assert [row[-1][1] for row in wrong.tables[0]["rows"][1:]] == ["graphc-wrong"]
    assert any(n.startswith("why:") and "local derivative" in n for n in wrong.notes)


def test_gradcheck_and_summary_show_tables(fresh):
    (check,) = Tables(shown(fresh, "gradcheck")["text/html"]).tables
    assert check["caption"].endswith("PASS")
    assert [(row[0][0], row[-1]) for row in check["rows"][1:]] == [("w", ("ok", "graphc-ok"))]
    summary = Tables(shown(fresh, "summary")["text/html"])
    rows = summary.tables[0]["rows"][1:]
    assert [r[0][0] for r in rows] == list(NEURON_NAMES)
    assert [r[-1][0] for r in rows if r[1][0] == "param"] == ["2"]
    assert summary.notes == ["total parameters: 2 (weights and biases)"]


def test_compiled_code_shows_its_source(fresh, ns):
    data = shown(fresh, "compile")
    f = gc.compile([ns["loss"], ns["dloss_dw"]])
    assert data["text/plain"] == repr(f)
    assert "<span" in data["text/html"]  # highlighted: Pygments is in the test extra
    assert page_text(data["text/html"].split("</p>", 1)[1]).strip() == f.source.strip()


def page_text(source):
    """The text a browser shows of an HTML fragment (tags dropped, entities read)."""
    parts = []
    parser = HTMLParser()
    parser.handle_data = parts.append
    parser.feed(source)
    return html.unescape("".join(parts))


def test_a_history_shows_its_loss_curve(fresh):
    from PIL import Image
    data = shown(fresh, "train")
    assert data["text/plain"].startswith("<History: 8 epochs")
    picture = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert picture.format == "PNG" and picture.size[0] > 100


def test_the_stored_lecture_notebook_is_what_regenerating_gives(lecture, fresh):
    stored = nbformat.read(lecture.STORED, as_version=4)
    assert [c.source for c in stored.cells] == [c.source for c in fresh.cells]
    assert lecture.outputs(stored) == lecture.outputs(fresh)
    shown_by = lecture.outputs(stored)
    assert all(shown_by[c] for c in shown_by if c != "setup")  # every object has output
    assert not any("error" in out for outs in shown_by.values() for out in outs)


# ---- the _repr_*_ methods, directly -----------------------------------------------------------

@pytest.fixture(scope="module")
def neuron():
    return load("neuron")


def test_import_graphc_loads_no_display_machinery():
    result = run([sys.executable, "-c", "import graphc, sys; print(sorted(m for m in "
                  "('IPython', 'visualize.present', 'visualize', 'matplotlib', 'pygments') "
                  "if m in sys.modules))"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_bundle_without_dot_has_no_svg(neuron, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot program on it
    data = neuron.g._repr_mimebundle_()
    assert data == {"text/plain": str(neuron.g)}


def test_a_bundle_keeps_to_include_and_exclude(neuron):
    assert set(neuron.dloss_dw._repr_mimebundle_(include={"text/latex"})) == {"text/latex"}
    assert set(neuron.dloss_dw._repr_mimebundle_(exclude={"image/svg+xml"})) == {
        "text/plain", "text/latex"}


def test_a_node_of_a_large_graph_shows_its_neighbourhood():
    g = gc.Graph("chain")
    x = h = g.input("x")
    for i in range(60):
        h = gc.tanh(h).named(f"h{i}")
    data = g["h30"]._repr_mimebundle_()
    groups = svg_groups(data["image/svg+xml"])
    assert sorted(texts[0] for _, texts in groups) == ["h28", "h29", "h30", "h31", "h32"]
    assert [texts[0] for cls, texts in groups if "highlight" in cls] == ["h30"]
    (dx,) = gc.grad((h * h).named("loss"), [x])
    data = dx._repr_mimebundle_()  # its formula would be a nest of 60 tanh: not written
    assert set(data) == {"text/plain", "image/svg+xml"}
    groups = svg_groups(data["image/svg+xml"])
    assert [texts[0] for cls, texts in groups if "highlight" in cls] == ["dloss_dx"]
    assert len(groups) <= 40


def _at(expr, point):
    """``expr`` at ``point`` ({name: value}), its symbols matched by name (``w_{1}`` is
    ``w1``), whatever their assumptions."""
    names = {s: str(s).replace("_{", "").replace("}", "") for s in expr.free_symbols}
    return float(sp.N(expr.subs({s: point[n] for s, n in names.items()})))


def _as_products(expr):
    """The parser reads ``x_{1} \\left(...\\right)`` as a function x_{1} applied; every
    such function but sigma is the product the printer meant."""
    def applied(e):
        return isinstance(e, AppliedUndef) and e.func.__name__ != "sigma"
    return expr.replace(applied, lambda e: sp.Symbol(e.func.__name__) * e.args[0])


def test_a_gradient_latex_reads_back_as_its_formula():
    """SymPy's LaTeX parser (antlr4, in the test extra) reads a scalar gradient's text/latex
    back, and it is the gradient's formula: equal at two points."""
    from sympy.parsing.latex import parse_latex
    g = gc.Graph("by hand")
    x1, x2, y, w1, w2 = (g.input(n) for n in ("x1", "x2", "y", "w1", "w2"))
    loss = gc.bce(gc.sigmoid(w1 * x1 + w2 * x2), y).named("loss")
    (dw1,) = gc.grad(loss, [w1])
    latex = dw1._repr_mimebundle_(include={"text/latex"})["text/latex"]
    lhs, rhs = latex.strip("$").split(" = ", 1)
    assert lhs == r"\frac{\partial \mathrm{loss}}{\partial w_{1}}"
    read = _as_products(parse_latex(rhs))
    t = sp.Symbol("t")
    read = read.replace(sp.Function("sigma"), sp.Lambda(t, 1 / (1 + sp.exp(-t))))
    expected = gc.formula(dw1).rewrite(sp.exp)
    for values in ((1, -1, 1, 1, 2), (0.5, 2, 0, -1, 0.25)):
        point = dict(zip(("x1", "x2", "y", "w1", "w2"), values))
        assert _at(read, point) == pytest.approx(_at(expected, point), rel=1e-12)


def test_a_gradient_latex_escapes_tex_specials_in_names():
    """A name such as ``y_%$#{}~^\\`` is escaped in the fraction and the formula alike (it
    broke MathJax); a name with an underscore still reads back as the fraction."""
    from sympy.parsing.latex import parse_latex
    from graphc.symbolic import name_latex
    from test_notation import bare_specials
    for name in ("y_%$#{}~^\\", "a&b", "y_a"):
        g = gc.Graph()
        a, w = g.input(name), g.param("w")
        loss = gc.sigmoid(a * w).named("L")
        (da,) = gc.grad(loss, [a])
        latex = da._repr_mimebundle_(include={"text/latex"})["text/latex"]
        assert latex.startswith("$") and latex.endswith("$"), latex
        assert bare_specials(latex[1:-1]) == [], latex
        assert latex.startswith(rf"$\frac{{\partial L}}{{\partial {name_latex(name)}}} = ")
    numer, denom = parse_latex(latex[1:-1].split(" = ")[0]).as_numer_denom()
    assert denom.free_symbols == {sp.Symbol("partial"), sp.Symbol("y_{a}")}


def test_ipythons_formatter_honours_exclude(neuron):
    """``display(dloss_dw, exclude={"text/latex"})`` shows the picture, as the README says."""
    from IPython.core.formatters import DisplayFormatter
    data, _ = DisplayFormatter().format(neuron.dloss_dw, exclude={"text/latex"})
    assert sorted(data) == ["image/svg+xml", "text/plain"]


def test_html_tables_escape_what_users_typed():
    source = text.html_table(["name"], [["<script>alert(1)</script>"]], caption="a & b",
                             notes=["<b>"])
    assert "<script>" not in source and "&lt;script&gt;" in source
    assert "a &amp; b" in source and "&lt;b&gt;" in source


def test_a_failed_gradcheck_is_red():
    report = GradcheckReport([GradcheckRow("w", (2,), 0.5, 0.25, False)], tol=1e-6)
    (table,) = Tables(report._repr_html_()).tables
    assert table["rows"][1][-1] == ("FAIL", "graphc-fail")
    assert table["caption"].endswith("FAIL")
    assert text.VERDICT_STYLE["fail"] in report._repr_html_()


def test_compiled_source_is_plain_without_pygments(neuron, monkeypatch):
    f = gc.compile([neuron.loss])
    monkeypatch.setitem(sys.modules, "pygments", None)  # import pygments now fails
    source = f._repr_html_()
    assert "<span" not in source and "<pre>" in source
    assert page_text(source.split("</p>\n", 1)[1]) == f.source


def test_history_figure_has_whole_epochs_and_a_log_option(tmp_path):
    history = gc.History([4.0, 2.0, 1.0, 0.5, 0.25], {})
    ax = history.figure().axes[0]
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_yscale() == "linear"
    assert history.figure(log=True).axes[0].get_yscale() == "log"
    path = history.plot(tmp_path / "loss.png", log=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert history._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_without_matplotlib_shows_text_only(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    history = gc.History([1.0, 0.5], {})
    assert history._repr_png_() is None
    with pytest.raises(gc.GraphcError, match="pip install graphc"):
        history.plot("never.png")


def test_draw_highlights_the_nodes_asked_for(neuron):
    import visualize
    source = visualize.draw(neuron.g, highlight=[neuron.z, neuron.loss]).source
    marked = [line.split()[0] for line in source.splitlines() if "class=highlight" in line]
    assert marked == [f"n{neuron.z.id}", f"n{neuron.loss.id}"]
    with pytest.raises(ValueError, match="highlight= marks nodes of the forward and backward"):
        visualize.draw(neuron.loss, view="gradflow", highlight=neuron.z)
