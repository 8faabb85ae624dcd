"""gc.report and graphc report: the page parsed as HTML (its JSON blob, the SVG, the code
lines, the claims table), its escaping and determinism, bad input, the command line.
What the page does in a browser is tests/test_report_browser.py."""

import base64
import functools
import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

import graphc as gc
from browser import PAYLOAD, ROOT, colours, executables, hostile, neuron
from cmdline import graphc, graphc_in_process

CLAIMS = ["d loss/d z = sigmoid(-1) - 1", "d loss/d yhat = 1/sigmoid(-1)"]
#: Presentation MathML's elements (MathML Core's, with mfenced): all a formula may hold.
MATHML = {"math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt",
          "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose", "msub",
          "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
          "mprescripts", "none", "mtable", "mtr", "mtd"}


class Page(HTMLParser):
    """What a test reads from a report: the JSON blob, the SVG's marked groups, the code
    lines (text and data-node), the claims table's rows, every src/href, the page's
    Content-Security-Policy and the text of each script it runs."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.blob, self.groups, self.lines, self.rows, self.links = "", [], [], [], []
        self.policy, self.scripts = None, []
        self._in, self._stack = None, []
        self.feed(text)
        self.data = json.loads(self.blob)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.links += [a[k] for k in ("src", "href") if k in a]
        if tag == "script" and a.get("type") == "application/json":
            self._in = "blob"
        elif tag == "script":
            self._in = "script"
            self.scripts.append("")
        elif tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.policy = a["content"]
        elif tag == "g" and ("data-node" in a or "data-edge" in a):
            self.groups.append(a)
        elif tag == "span" and a.get("class") == "line":
            self.lines.append([a.get("data-node"), ""])
            self._in = "line"
        elif tag == "tr":
            self.rows.append([a.get("class"), []])
        elif tag == "td":
            self._in = "td"
            self.rows[-1][1].append("")

    def handle_endtag(self, tag):
        if tag in ("script", "span", "td"):
            self._in = None

    def handle_data(self, data):
        if self._in == "blob":
            self.blob += data
        elif self._in == "script":
            self.scripts[-1] += data
        elif self._in == "line":
            self.lines[-1][1] += data
        elif self._in == "td":
            self.rows[-1][1][-1] += data


@pytest.fixture(scope="module")
def ns():
    return neuron()


@pytest.fixture(scope="module")
def page(ns):
    return gc.report(ns["loss"], at=ns["AT"], claims=CLAIMS)


@pytest.fixture(scope="module")
def parsed(page):
    return Page(page.html)


def ids(ns):
    return {name: ns[name].id for name in ("x", "w", "y", "z", "yhat", "loss")}


def test_the_blob_holds_what_each_edge_computes(ns, parsed):
    data, v = parsed.data, ids(ns)
    assert data["nodes"][str(v["z"])]["value"] == "-1"
    assert data["nodes"][str(v["z"])]["gradient"] == "dloss/dz = -0.7311"
    assert data["nodes"][str(v["z"])]["gradient_exact"] == "-1 + sigmoid(-1)"
    edge = next(e for e in data["edges"] if e["edge"] == "z -> yhat")
    assert (edge["upstream"], edge["local"], edge["value"]) == ("-3.718", "0.1966", "-0.7311")
    assert (edge["upstream_label"], edge["local_label"]) == ("dloss/dyhat", "dyhat/dz")
    assert edge["exact"] == "-1 + sigmoid(-1)" and not edge["vjp"]
    assert edge["mathml"].startswith("<math>") and "<mi>yhat</mi>" in edge["mathml"]
    # the steps are the frames' order: from the loss backwards
    assert data["steps"] == [v["loss"], v["yhat"], v["z"]]


def test_every_node_and_flow_edge_of_the_svg_is_marked_once(ns, parsed):
    nodes = sorted(int(g["data-node"]) for g in parsed.groups if "data-node" in g)
    edges = sorted(int(g["data-edge"]) for g in parsed.groups if "data-edge" in g)
    assert nodes == sorted(int(k) for k in parsed.data["nodes"])
    assert edges == list(range(len(parsed.data["edges"])))


def test_a_big_graph_is_drawn_whole_so_every_step_can_be_clicked():
    """The RNN example's gradient flow collapses into scope boxes in a diagram; the report
    draws every node, so each step of the slider has its node in the SVG."""
    namespace = __import__("runpy").run_path(str(ROOT / "examples" / "rnn_sequence.py"))
    loss = namespace["loss"]
    html = gc.report(loss, at=namespace["at"]).html
    parsed = Page(html)
    marked = {int(g["data-node"]) for g in parsed.groups if "data-node" in g}
    assert len(parsed.data["steps"]) > 40 and set(parsed.data["steps"]) <= marked
    assert "collapsed:" not in html and "<title>s0</title>" not in html


def test_each_code_line_is_linked_to_its_node(ns, parsed):
    v = ids(ns)
    by_text = {text.strip().split(" = ")[0]: node for node, text in parsed.lines}
    assert by_text["z"] == str(v["z"]) and by_text["yhat"] == str(v["yhat"])
    assert by_text["dloss_dz"] == str(v["z"])  # a gradient's line: the node it is of
    assert by_text["dloss_dw"] == str(v["w"])
    assert by_text["def compute(x, w, y):"] is None


def test_the_claims_table_gives_each_verdict(parsed):
    verdicts = [(kind, cells[0], cells[-1].split(",")[0]) for kind, cells in parsed.rows
                if cells]
    # in backprop order, as gc.check gives them
    assert verdicts == [("wrong", "d loss/d yhat", "WRONG"), ("holds", "d loss/d z", "holds")]


def test_the_page_loads_nothing_and_is_the_same_bytes_each_time(ns, page, parsed):
    assert parsed.links == []  # no src, no href: nothing to fetch
    assert "Content-Security-Policy" in page.html and "default-src 'none'" in page.html
    names = ('xmlns="http://www.w3.org/2000/svg"', 'xmlns:xlink="http://www.w3.org/1999/xlink"',
             '"http://www.w3.org/1998/Math/MathML"')  # namespaces, never fetched
    assert "http://" not in functools.reduce(lambda t, n: t.replace(n, ""), names, page.html)
    assert gc.report(ns["loss"], at=ns["AT"], claims=CLAIMS).html == page.html


def test_names_with_markup_are_escaped_everywhere():
    g = gc.Graph('<b>"a&b"</b>')
    x = g.input('x</script><script>alert(1)</script>')
    w = g.param("w&<'")
    loss = gc.sigmoid(w * x).named("</script>loss")
    text = gc.report(loss, at={x.name: 1, w.name: 0}).html
    assert text.count("</script>") == 2  # the blob's end and the script's: no name's
    assert "<script>alert(1)" not in text
    data = Page(text).data
    assert {n["name"] for n in data["nodes"].values()} >= {x.name, w.name, loss.name}


def test_names_reach_the_mathml_as_text_only():
    """SymPy writes MathML text raw; the report's formulas hold each name as characters in
    MathML elements, never as markup, whatever the name."""
    loss, at = hostile()
    text = gc.report(loss, at=at).html
    edges = Page(text).data["edges"]
    texts = []
    for edge in edges:
        root = ET.fromstring(edge["mathml"])  # well-formed XML, or this fails
        assert {e.tag for e in root.iter()} <= MATHML and "<img" not in edge["mathml"]
        assert all(not e.attrib for e in root.iter())
        texts.append("".join(root.itertext()))
    for name in (PAYLOAD, "b&'\"<>", '</mi></math><svg onload="window.pwned=3">'):
        assert name in texts, (name, texts)
    assert "<img" not in text and "<svg onload" not in text


def test_a_name_that_looks_escaped_keeps_its_characters():
    g = gc.Graph("g")
    a, b = g.input("a&lt;"), g.input("&#x27;")
    edges = Page(gc.report((a * b).named("loss"), at={a.name: 1, b.name: 2}).html).data["edges"]
    assert sorted("".join(ET.fromstring(e["mathml"]).itertext()) for e in edges) == [
        "&#x27;", "a&lt;"]


@pytest.mark.parametrize("source, words", [
    ('<math><mi>x</mi><img src="x"/></math>', ["'img'"]),
    ('<math><mi onclick="f()">x</mi></math>', ["<mi>", "'onclick'"]),
    ('<math><mi><script/></mi></math>', ["'script'"]),
    ('<math><mi><img src=x></mi></math>', ["not XML"]),
])
def test_mathml_outside_the_allowlists_is_refused(source, words):
    from visualize.present.mathml import UnsafeMathML, checked
    with pytest.raises(UnsafeMathML) as caught:
        checked(source)
    assert all(word in str(caught.value) for word in words)


def test_the_policy_runs_only_the_pages_own_script(page):
    parsed = Page(page.html)
    rules = dict(rule.split(" ", 1) for rule in parsed.policy.split("; "))
    assert rules["default-src"] == "'none'" and "unsafe" not in rules["script-src"]
    [script] = parsed.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert rules["script-src"] == f"'sha256-{digest}'" and "gc-data" in script
    assert ".innerHTML" not in script and "insertAdjacentHTML" not in script


def test_in_a_notebook_the_page_runs_sandboxed(page):
    """``srcdoc`` alone would run the page with the notebook's origin."""
    class Frame(HTMLParser):
        def handle_starttag(self, tag, attrs):
            self.tag, self.attrs = tag, dict(attrs)

    frame = Frame(convert_charrefs=True)
    frame.feed(page._repr_html_())
    assert frame.tag == "iframe" and frame.attrs["sandbox"] == "allow-scripts"
    assert frame.attrs["srcdoc"] == page.html


def test_tensor_edges_show_the_vjp_as_graphc_writes_it():
    g = gc.Graph("layer")
    x, W = g.input("x", shape=(3,)), g.param("W", shape=(2, 3))
    loss = gc.sum(gc.tanh((W @ x).named("z")).named("a")).named("loss")
    data = Page(gc.report(loss, at={"x": [1, 2, 3], "W": [[0.1, 0, 0], [0, 0.2, 0]]})
                .html).data
    edges = {e["edge"]: e for e in data["edges"]}
    assert edges["x -> z"]["vjp"] and edges["x -> z"]["mathml"] == (
        "<math><mtext>W.T @ dloss_dz</mtext></math>")
    assert all(e["vjp"] and e["mathml"].startswith("<math><mtext>") for e in edges.values())


def test_the_users_graph_is_not_changed(ns):
    g = ns["g"]
    before = sorted(g.nx.nodes)
    gc.report(ns["loss"], at=ns["AT"])
    assert sorted(g.nx.nodes) == before


def test_save_and_path_write_the_page_atomically(ns, page, tmp_path):
    written = page.save(tmp_path / "deep" / "r.html")
    assert written.read_text() == page.html
    path = gc.report(ns["loss"], at=ns["AT"], claims=CLAIMS, path=tmp_path / "p.html")
    assert path == tmp_path / "p.html" and path.read_text() == page.html
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert page._repr_html_().startswith("<iframe srcdoc=")


@pytest.mark.parametrize("call, error, words", [
    (lambda ns: gc.report(gc.sigmoid(ns["x"]).named("h"), at=ns["AT"]),
     gc.DifferentiationError, ["'h'", "sigmoid", "(2,)", "gc.mean(h)"]),
    (lambda ns: gc.report(ns["loss"]), gc.GraphcError, ["'loss'", "at=", "x, w, y"]),
    (lambda ns: gc.report(ns["loss"], at=ns["AT"], path="r.svg"), ValueError,
     [".html", "'r.svg'"]),
    (lambda ns: gc.report(ns["loss"], at=ns["AT"], colour="red"), TypeError,
     ["'colour'", "exact"]),
    (lambda ns: gc.report("loss", at=ns["AT"]), TypeError, ["loss node", "'loss'"]),
    (lambda ns: gc.report(ns["loss"], at=ns["AT"], exact="yes"), ValueError,
     ["exact", "True, False or None", "'yes'"]),
    (lambda ns: gc.report(ns["loss"], at=ns["AT"], exact=1), ValueError,
     ["exact", "True, False or None", "got 1"]),  # 1 == True, yet no answer to the option
])
def test_bad_input_is_named(ns, call, error, words):
    with pytest.raises(error) as caught:
        call(ns)
    for word in words:
        assert word in str(caught.value)


def test_without_chromium_the_browser_test_says_make_test_installs_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AssertionError, match="make test"):
        executables()


def test_the_readme_shows_the_committed_screenshot():
    png = (ROOT / "docs" / "neuron_report.png").read_bytes()
    assert png.startswith(b"\x89PNG") and colours(png) > 100
    readme = (ROOT / "README.md").read_text()
    assert "docs/neuron_report.png" in readme and "graphc report" in readme


# ---- the command line -------------------------------------------------------------------------

def test_graphc_report_writes_the_page(tmp_path):
    out = tmp_path / "neuron.html"
    result = graphc("report", "examples/neuron.py", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    data = Page(out.read_text()).data
    assert data["at"] == "x=[1, -1], w=[1, 2], y=1"


def test_graphc_report_takes_the_files_claims_and_claim(tmp_path):
    source = tmp_path / "neuron.py"
    source.write_text((ROOT / "examples" / "neuron.py").read_text()
                      + '\nclaims = {"d loss/d z": "sigmoid(-1) - 1"}\n')
    out = tmp_path / "r.html"
    result = graphc_in_process("report", source, "--at", "w=0,0", "--claim",
                               "d loss/d yhat = -2", "-o", out)
    assert result.returncode == 0, result.stderr
    page = Page(out.read_text())
    assert [(kind, cells[0]) for kind, cells in page.rows if cells] == [
        ("holds", "d loss/d yhat"), ("wrong", "d loss/d z")]  # at w = 0: sigmoid(0) = 1/2
    assert page.data["at"].startswith("x=[1, -1], w=[0, 0]")


@pytest.mark.parametrize("args, words", [
    (["-o", "{tmp}/r.svg"], ["error: -o: a report is an HTML page", "ending in .html",
                             "r.svg'"]),
    (["--at", "w=1", "-o", "{tmp}/r.html"], ["'w'", "(2,)"]),
])
def test_graphc_report_refuses_bad_usage(tmp_path, args, words):
    args = [a.format(tmp=tmp_path) for a in args]
    result = graphc_in_process("report", "examples/neuron.py", *args)
    assert result.returncode == 2 and not list(tmp_path.iterdir())
    for word in words:
        assert word in result.stderr, result.stderr


def test_without_a_registered_drawing_package_report_says_what_to_install(ns, monkeypatch):
    """graphc finds visualize.present through its entry point only; without one, gc.report
    says so and a graph in a notebook falls back to its plain repr (bundle None)."""
    from graphc import display
    monkeypatch.setattr(display, "provider", lambda: None)
    with pytest.raises(gc.GraphcError, match=r"entry point group 'graphc.present': install "
                                             r"graphc with pip"):
        gc.report(ns["loss"], at=ns["AT"])
    assert ns["loss"].graph._repr_mimebundle_() is None


def test_the_entry_point_finds_visualize_present():
    from graphc import display
    import visualize.present
    assert display.provider() is visualize.present
