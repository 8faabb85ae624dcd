"""Saved graphs and parameters: ``Graph.save`` / ``graphc.load`` round-trip every example to
byte-identical generated code; every malformed or hostile file is refused with a clear
error naming what is wrong; ``to_networkx`` / ``from_networkx`` and ``save_params`` /
``load_params`` round-trip; the graphc command reads a saved ``.json`` graph."""

import json
import os
import zipfile
from io import BytesIO

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from cmdline import ROOT, graphc_in_process
from graphc import cli
from graphc.graph import io
from graphc.ops.scalar import arg, sigmoid

#: Examples with no loss the command can compile (tests/test_golden.py says why): their
#: graphs round-trip too, compared by the code of their outputs (nodes nothing else uses).
NO_LOSS = {"logic_gates", "perceptron_trace", "xor_from_gates"}
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in NO_LOSS)


def example_loss(name):
    path = ROOT / "examples" / f"{name}.py"
    namespace = cli.load(path)
    cli.name_by_variables(namespace)
    return cli.find_loss(namespace, path)


def source(loss):
    return gc.compile([loss] + cli.gradients(loss)).source


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_loads_back_to_byte_identical_code(name, tmp_path):
    loss = example_loss(name)
    path = loss.graph.save(tmp_path / "model.json")
    first = path.read_bytes()
    loaded = gc.load(path)
    assert len(loaded) == len(loss.graph)
    assert loaded.save(tmp_path / "again" / "model.json").read_bytes() == first  # same bytes
    assert source(loaded[loss.name]) == source(loss)


@pytest.mark.parametrize("name", sorted(NO_LOSS))
def test_examples_without_a_loss_load_back_to_byte_identical_code(name, tmp_path):
    namespace = cli.load(ROOT / "examples" / f"{name}.py")
    cli.name_by_variables(namespace)
    graphs = {id(v): v for v in namespace.values() if isinstance(v, gc.Graph)}
    assert graphs, f"{name} builds no graph"
    for i, g in enumerate(graphs.values()):
        loaded = gc.load(g.save(tmp_path / f"{i}.json"))
        ends = [n.name for n in g if n.record.role == "op" and not g.nx.out_degree(n.id)]
        assert ends, f"{name}: graph {g.name!r} has no op output"
        code = gc.compile([g[e] for e in ends], unused="ignore").source
        assert gc.compile([loaded[e] for e in ends], unused="ignore").source == code


@pytest.fixture
def small(tmp_path):
    """A graph with a scope, a named and an unnamed constant, array and named inits."""
    g = gc.Graph("small")
    x = g.input("x", shape=("N", 3))
    with g.scope("layer"):
        W = g.param("W", shape=(3, 2), init=np.arange(6.0).reshape(3, 2))
        b = g.param("b", shape=(2,), init="ones")
        h = gc.relu(x @ W + b)
    scale = g.const("scale", np.array([0.5, 2.0], dtype="float32"))
    loss = gc.mean(gc.clip(h * scale, hi=3.0) ** 2).named("loss")
    return g, loss, g.save(tmp_path / "small.json")


def test_a_loaded_graph_keeps_names_scopes_constants_and_initial_params(small):
    g, loss, path = small
    h = gc.load(path)
    assert str(h) == str(g)
    assert [(n.name, n.record.scope, n.record.named) for n in h] == \
           [(n.name, n.record.scope, n.record.named) for n in g]
    assert h["scale"].value.dtype == np.float32
    for (a, va), (b, vb) in zip(g.initial_params(3).items(), h.initial_params(3).items()):
        assert a == b and np.array_equal(va, vb)
    feeds = {"x": np.ones((4, 3)), **g.initial_params()}
    assert gc.evaluate(h["loss"], feeds) == pytest.approx(gc.evaluate(loss, feeds))
    assert (path.with_suffix(".npz")).is_file()


def rewrite(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    return path


def node(doc, name):
    return next(n for n in doc["nodes"] if n["name"] == name)


def edge_into(doc, name, slot=0):
    target = node(doc, name)["id"]
    return next(e for e in doc["edges"] if e["to"] == target and e["slot"] == slot)


def _cycle(doc):
    doc["edges"].append({"from": node(doc, "loss")["id"], "to": node(doc, "x")["id"],
                         "slot": 0})


CHANGES = {
    "version": (lambda d: d.update(version=2), "schema version 2 is not one"),
    "schema": (lambda d: d.pop("schema"), "not a graph saved by graphc"),
    "unknown op": (lambda d: node(d, "loss").update(op="meen"),
                   "node 'loss': unknown op 'meen'; did you mean 'mean'"),
    "cycle": (_cycle, "the graph has a cycle: 'x' -> "),
    "slot twice": (lambda d: d["edges"].append(dict(edge_into(d, "loss"))),
                   "'loss': operand slot 0 is given twice"),
    "slot missing": (lambda d: edge_into(d, "loss").update(slot=3),
                     "'loss' \\(mean\\): operand slots must be 0, 1, ..., got \\[3\\]"),
    "no such node": (lambda d: edge_into(d, "loss").update(**{"from": 999}),
                     "no node with id 999"),
    "shape": (lambda d: node(d, "x").update(shape=["N", 4]), "'matmul.*\\(N, 4\\)"),
    "declared shape": (lambda d: node(d, "loss").update(shape=[1]),
                       "'loss' \\(mean\\): the file says shape \\(1,\\)"),
    "constant shape": (lambda d: node(d, "scale").update(shape=[3]),
                       "'scale' \\(const\\): the file says shape \\(3,\\) float32, it is "
                       "\\(2,\\) float32"),
    "wrong type": (lambda d: node(d, "x").update(shape="N"), "'x'.*'shape' must be list"),
    "id not int": (lambda d: node(d, "x").update(id="0"), "'x'.*'id' must be int"),
    "node not object": (lambda d: d["nodes"].append([1, 2]), "each node must be an object"),
    "bad role": (lambda d: node(d, "x").update(role="boss"), "role 'boss' is not one of"),
    "bad init": (lambda d: node(d, "b").update(init="random"), "param 'b': init must be"),
    "bad attr": (lambda d: node(d, "loss")["attrs"].update(axes={"set": [0]}),
                 "'loss': attribute 'axes' has a value graphc does not read"),
    "deep attr": (lambda d: node(d, "loss")["attrs"].update(axes=[[[[[[[[[[0]]]]]]]]]]),
                  "nests deeper than 8"),
    "hostile expr": (lambda d: node(d, "loss")["attrs"].update(
        axes={"sympy": "__import__('os')"}),
                     "calls '__import__', which is not one of the SymPy classes"),
    "expr attribute": (lambda d: node(d, "loss")["attrs"].update(
        axes={"sympy": "Symbol('a0').__class__"}), "not a call of a SymPy class"),
}


@pytest.mark.parametrize("case", sorted(CHANGES))
def test_a_malformed_file_is_refused_naming_what_is_wrong(small, case):
    change, message = CHANGES[case]
    with pytest.raises(gc.SavedGraphError, match=message):
        gc.load(rewrite(small[2], change))


TEXTS = {
    "duplicate key": ('{"schema": "graphc.graph", "schema": "x"}', "'schema' appears twice"),
    "NaN token": ('{"schema": "graphc.graph", "version": NaN}', "NaN is not a number"),
    "huge float": ('{"version": 1e400}', "too large for a float"),
    "huge int": ('{"version": 1' + "0" * 5000 + "}", "not valid JSON"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    "not JSON": ("import os", "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(TEXTS))
def test_a_hostile_json_text_is_refused(tmp_path, case):
    text, message = TEXTS[case]
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(gc.SavedGraphError, match=message):
        gc.load(path)


def test_an_oversized_file_is_refused_before_it_is_parsed(small, monkeypatch):
    monkeypatch.setattr(io, "MAX_BYTES", 100)
    with pytest.raises(gc.SavedGraphError, match="larger than 100 bytes"):
        gc.load(small[2])


def test_a_pickle_in_the_arrays_file_is_never_loaded(small):
    npz = small[2].with_suffix(".npz")
    np.savez(npz, **{key: np.array([object()]) for key in np.load(npz).files})
    with pytest.raises(gc.SavedGraphError, match="cannot read the arrays"):
        gc.load(small[2])


def claiming(path, shape, keys):
    """An .npz whose members' headers claim ``shape`` but hold a few deflated bytes, as a
    crafted file would (so the test stays quick: nothing large is ever written)."""
    header = BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in keys:
            zf.writestr(f"{key}.npy", header.getvalue() + bytes(64))


@pytest.mark.parametrize("shape", [(10**12,), (50_000_000,)])
def test_an_array_whose_header_claims_too_much_is_refused_before_it_is_read(small, shape):
    g, _, path = small
    npz = path.with_suffix(".npz")
    claiming(npz, shape, np.load(npz).files)
    with pytest.raises(gc.SavedGraphError, match=f"cannot read the arrays .* claims shape "
                                                 f"\\({shape[0]},\\) float64"):
        gc.load(path)
    claiming(npz, shape, [p.name for p in g.params])
    with pytest.raises(gc.SavedGraphError, match="cannot read parameters .*MAX_ARRAY_BYTES"):
        gc.load_params(npz, graph=g)


def test_an_array_no_node_names_is_refused(small):
    npz = small[2].with_suffix(".npz")
    arrays = dict(np.load(npz))
    np.savez(npz, **arrays, stray=np.zeros(2))
    with pytest.raises(gc.SavedGraphError, match="no node names the arrays \\['stray'\\]"):
        gc.load(small[2])


def test_save_params_names_a_ragged_param(tmp_path):
    with pytest.raises(gc.SavedGraphError, match="param 'W' must be a numeric array; its "
                                                 "rows have different lengths"):
        gc.save_params(tmp_path / "p.npz", {"W": [[1], [1, 2]]})


def test_save_refuses_a_path_that_is_not_json(small, tmp_path):
    with pytest.raises(gc.SavedGraphError, match="must end in .json"):
        small[0].save(tmp_path / "model.pkl")


def test_an_elementwise_formula_round_trips_through_the_allowlist(tmp_path):
    g = gc.Graph("ew")
    x = g.input("x", shape=(3,))
    a0 = arg(0)
    y = gc.sum(g.apply("elementwise", [x], {"expr": a0 ** 3 * sigmoid(a0) + sp.exp(-a0)}))
    y = y.named("y")
    h = gc.load(g.save(tmp_path / "ew.json"))
    assert h["y"].operands[0].record.attrs["expr"] == y.operands[0].record.attrs["expr"]
    assert gc.compile([h["y"]]).source == gc.compile([y]).source


def test_to_networkx_round_trips_through_from_networkx(small):
    g, loss, _ = small
    G = g.to_networkx()
    assert "record" not in G.nodes[0]
    h = gc.Graph.from_networkx(G, name="small")
    assert [(n.name, n.op, n.shape, n.dtype) for n in h] == \
           [(n.name, n.op, n.shape, n.dtype) for n in g]
    feeds = {"x": np.ones((2, 3)), **g.initial_params()}
    assert gc.evaluate(h["loss"], feeds) == pytest.approx(gc.evaluate(loss, feeds))


def test_params_round_trip_and_are_checked_against_the_graph(small, tmp_path):
    g = small[0]
    params = g.initial_params(seed=1)
    path = gc.save_params(tmp_path / "params.npz", params)
    back = gc.load_params(path, graph=g)
    assert list(back) == list(params)
    assert all(np.array_equal(back[k], params[k]) for k in params)
    gc.save_params(path, {**params, "W": np.zeros((2, 2))})
    with pytest.raises(gc.SavedGraphError, match="param 'W' has shape \\(2, 2\\) in the file"):
        gc.load_params(path, graph=g)
    gc.save_params(path, {"W": params["W"], "extra": np.zeros(1)})
    with pytest.raises(gc.SavedGraphError, match="lacks \\['b'\\] and has extra \\['extra'\\]"):
        gc.load_params(path, graph=g)
    with pytest.raises(gc.SavedGraphError, match="must end in .npz"):
        gc.save_params(tmp_path / "p.json", params)
    with pytest.raises(gc.SavedGraphError, match="param 'W' must be a name and a numeric"):
        gc.save_params(path, {"W": "text"})


def test_the_command_compiles_renders_and_explains_a_saved_graph(tmp_path):
    loss = example_loss("neuron")
    path = str(loss.graph.save(tmp_path / "neuron.json"))
    out = tmp_path / "neuron.py"
    done = graphc_in_process("compile", path, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text() == source(loss)
    svg = tmp_path / "neuron.svg"
    assert graphc_in_process("render", path, "-o", str(svg)).returncode == 0
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    refused = graphc_in_process("explain", path)
    assert refused.returncode == 2 and "pass --at NAME=VALUE" in refused.stderr
    at = ["x=[1.0, 2.0]", "w=[0.5, -0.5]", "y=1.0"]
    explained = graphc_in_process("explain", path, "--at", *at)
    assert explained.returncode == 0, explained.stderr
    assert "loss" in explained.stdout
    assert os.path.isfile(path)


#: Texts that once ran code or never finished when read (a review's payloads): SymPy's
#: functions sympify a string argument, which evaluates it.
HOSTILE_EXPRS = {
    "exp of a text": "exp(\"__import__('os').system('touch PWNED')\")",
    "sigmoid of a text": "sigmoid(\"__import__('os').system('touch PWNED')\")",
    "Add with a text": "Add(Symbol('a0', real=True), \"__import__('os')\")",
    "Tuple": "Tuple(\"__import__('os')\")",
    "Poly": "Poly(\"__import__('os')\")",
    "Lambda": "Lambda(Symbol('z'), Symbol('z'))",
    "Subs": "Subs(Symbol('a0'), Symbol('a0'), Integer(1))",
    "factorial": "factorial(Integer(1000000000))",
    "Float exponent": "Float('1e999999999', precision=53)",
    "Float of a text": "Float(\"__import__('os')\")",
    "a power tower": "Pow(Pow(Pow(Integer(10), Integer(1000)), Integer(1000)), Integer(1000))",
    "a huge power": "Pow(Integer(9), Integer(10000000))",
    "a huge integer": "Integer(" + "9" * 100 + ")",
    "a product past floats": "Mul(Symbol('a0'), "
                             + ", ".join([f"Integer({10 ** 39})"] * 8) + ")",
    "a Symbol named by code": "Symbol(\"__import__('os')\")",
    "a keyword": "Heaviside(Symbol('a0'), evaluate=True)",
}


@pytest.mark.parametrize("text", HOSTILE_EXPRS.values(), ids=HOSTILE_EXPRS.keys())
def test_a_hostile_saved_expression_is_refused_and_runs_nothing(text, tmp_path, monkeypatch):
    from graphc.graph import saved_expr
    monkeypatch.chdir(tmp_path)
    with pytest.raises(gc.GraphError, match=r"node 'n': the saved expression"):
        saved_expr.from_text(text, "n")
    assert not (tmp_path / "PWNED").exists()
