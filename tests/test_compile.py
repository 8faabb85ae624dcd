"""gc.compile as a user meets it: the lecture's numbers, feeds, names, saving, standalone
modules, determinism and the golden files.

Golden files: tests/golden/NAME.py holds the source generated for tests/graphs.py's NAME.
A change to them must be deliberate: regenerate with
    GRAPHC_UPDATE_GOLDEN=1 python3 -m pytest tests/test_compile.py -k golden
and read the diff (written atomically: safe under pytest-xdist's ``-n``).
"""

import ast
import linecache
import os
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest

import graphc as gc
from graphc.files import write_atomic
import graphs
from graphs import oracle
from cmdline import ROOT, graphc_in_process, run

SIG = 1.0 / (1.0 + np.exp(1.0))  # sigmoid(-1)
GOLDEN = Path(__file__).parent / "golden"
NO_GRAPHC_DEPS = ("import sys; [sys.modules.__setitem__(m, None) for m in "
                  "('sympy', 'networkx', 'graphviz', 'graphc')]; ")


def neuron():
    g, outputs = graphs.neuron()
    return g, outputs, gc.compile(outputs)


# ---- the lecture's numbers -----------------------------------------------------------------

def test_the_neuron_through_compiled_code():
    g, outputs, f = neuron()
    loss, dw = f(x=[1, -1], w=[1, 2], y=1)
    assert isinstance(loss, np.ndarray) and loss.shape == () and dw.shape == (2,)
    assert abs(loss - (-np.log(SIG))) < 1e-12
    np.testing.assert_allclose(dw, [SIG - 1, 1 - SIG], rtol=0, atol=1e-12)
    assert f.outputs == ("loss", "dloss_dw")
    assert f.inputs == (("x", (2,), "float64"), ("w", (2,), "float64"), ("y", (), "float64"))


def test_the_relu_quiz_gives_dl_dw1_4():
    g = gc.Graph("relu quiz")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    loss = gc.mse(gc.relu(w @ x), y).named("loss")
    value, dw = gc.compile([loss] + gc.grad(loss, [w]))(x=[1, -1], y=1, w=[2, -1])
    assert value == 4.0
    np.testing.assert_array_equal(dw, [4.0, -4.0])


def test_a_batch_of_any_size_runs_through_the_same_code_without_a_python_loop():
    g, outputs = graphs.mlp()
    f = gc.compile(outputs)
    assert "for " not in f.source[f.source.index("def compute"):f.source.index("def run")]
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(4, 8)), "b1": rng.normal(size=8),
              "W2": rng.normal(size=(8, 3)), "b2": rng.normal(size=3)}
    for n in (1, 7, 64):
        feeds = {"X": rng.normal(size=(n, 4)), "labels": rng.integers(0, 3, size=n), **params}
        compiled = f(**feeds)
        for c, r in zip(compiled, oracle(outputs, at=feeds), strict=True):
            np.testing.assert_allclose(c, r, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_compiled_losses_are_finite_for_logits_of_size_1000_without_warnings(scale):
    _, outputs, f = neuron()
    _, mlp_outputs = graphs.mlp()
    g = gc.compile(mlp_outputs)
    mlp_feeds = {"X": np.ones((2, 4)), "labels": [0, 2], "W1": np.full((4, 8), scale),
                 "b1": np.zeros(8), "W2": np.eye(8, 3), "b2": np.zeros(3)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        values = f(x=[1, -1], w=[scale, -scale], y=1) + g(**mlp_feeds)
    assert all(np.all(np.isfinite(v)) for v in values)
    assert values[0] == pytest.approx(max(0.0, -2 * scale))


def test_one_node_gives_one_array_and_a_list_gives_a_tuple():
    g, (loss, dw), _ = neuron()
    at = {"x": [1, -1], "w": [1, 2], "y": 1}
    assert isinstance(gc.compile(loss)(**at), np.ndarray)
    assert isinstance(gc.compile([loss])(**at), tuple)


# ---- feeds -----------------------------------------------------------------------------------

BAD_NEURON_FEEDS = [
    {"x": [1, -1], "w": [1, 2]},                          # missing
    {"x": [1, -1], "w": [1, 2], "yy": 1},                 # unknown, did you mean 'y'?
    {"x": [1, -1, 0], "w": [1, 2], "y": 1},               # wrong shape
    {"x": [[1], [1, 2]], "w": [1, 2], "y": 1},            # ragged
    {"x": np.array([1, None], dtype=object), "w": [1, 2], "y": 1},
]
BAD_MLP_FEEDS = [
    {"X": np.ones((5, 4)), "labels": [0, 1, 2]},          # N = 5 against N = 3
    {"labels": [0.5, 1.0], "X": np.ones((2, 4))},         # integers fed floats
]


def feed_error(call, feeds):
    with pytest.raises(gc.FeedError) as info:
        call(**feeds)
    return str(info.value)


@pytest.mark.parametrize("case", range(len(BAD_NEURON_FEEDS) + len(BAD_MLP_FEEDS)))
def test_bad_feeds_give_the_interpreters_messages_word_for_word(case):
    g, outputs = graphs.neuron() if case < len(BAD_NEURON_FEEDS) else graphs.mlp()
    feeds = (BAD_NEURON_FEEDS + BAD_MLP_FEEDS)[case]
    if g.name == "mlp":
        feeds = {**feeds, "W1": np.ones((4, 8)), "b1": np.ones(8), "W2": np.ones((8, 3)),
                 "b2": np.ones(3)}
    compiled = feed_error(gc.compile(outputs), feeds)
    assert compiled == feed_error(lambda **at: gc.evaluate(outputs, at=at), feeds)
    assert compiled.startswith(("missing feed for 'y' ()", "'yy' is not an input",
                                "feed for 'x'", "feed for 'labels'"))


def test_text_feeds_are_numbers_to_evaluate_and_refused_by_compiled_code():
    """gc.evaluate reads a text as the exact number it stands for (``"sqrt(2)/2"``) and
    names a text that is none; generated code takes numbers only, and says so."""
    g, outputs = graphs.neuron()
    feeds = {"x": ["a", "b"], "w": [1, 2], "y": 1}
    compiled = feed_error(gc.compile(outputs), feeds)
    assert compiled.startswith("feed for 'x' has dtype <U1, not numbers")
    assert feed_error(lambda **at: gc.evaluate(outputs, at=at), feeds).startswith(
        "feed 'x': value 'a': unknown name 'a'")


def test_feed_messages_name_the_input_and_both_shapes():
    _, _, f = neuron()
    assert feed_error(f, BAD_NEURON_FEEDS[1]).endswith(
        "did you mean 'y'? (inputs and parameters: x, w, y)")
    assert feed_error(f, BAD_NEURON_FEEDS[2]) == "feed for 'x' has shape (3,), expected (2,)"
    _, outputs = graphs.mlp()
    message = feed_error(gc.compile(outputs), BAD_MLP_FEEDS[0])
    assert message == ("feed for 'labels' has shape (3,), so N = 3, but 'X' (N, 4) was fed "
                       "with N = 5")


def test_feeds_are_never_written_and_outputs_are_never_feeds():
    g = gc.Graph()
    x, w = g.input("x", shape=(2, 3)), g.param("w", shape=(3,))
    table = g.const("table", [1.0, 2.0, 3.0])
    loss = gc.sum(gc.tanh(x @ w)).named("loss")
    nodes = [x, w, x.T, table, loss, loss] + gc.grad(loss, [x, w])
    f = gc.compile(nodes)
    feeds = {"x": np.arange(6.0).reshape(2, 3) / 6, "w": np.array([0.5, -1.0, 2.0])}
    for array in feeds.values():
        array.flags.writeable = False
    before = {k: v.copy() for k, v in feeds.items()}
    out = f(**feeds)
    for k in feeds:
        np.testing.assert_array_equal(feeds[k], before[k])
    for i, value in enumerate(out):
        assert value.flags.writeable and value.flags.owndata or value.base is not None
        assert not any(np.shares_memory(value, v) for v in feeds.values())
        assert not any(np.shares_memory(value, o) for o in out[:i])
    out[3][:] = 0  # a constant handed out cannot be changed through the copy
    np.testing.assert_array_equal(f(**feeds)[3], [1.0, 2.0, 3.0])


def test_unused_inputs_warn_by_default_error_on_request_and_may_be_fed():
    g = gc.Graph("g")
    x = g.input("x", shape=(2,))
    g.param("b", shape=(2,))  # no output needs it
    out = gc.exp(x)
    with pytest.warns(UserWarning, match="no output needs param 'b'"):
        f = gc.compile([out])
    with pytest.raises(gc.GraphError, match="param 'b'"):
        gc.compile([out], unused="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = gc.compile([out], unused="ignore")
    np.testing.assert_allclose(f(x=[0, 1], b=[5, 5])[0], np.exp([0, 1]))
    assert f.inputs == (("x", (2,), "float64"),)


def test_a_graph_changed_after_compile_does_not_change_the_function():
    g, (loss, dw), f = neuron()
    source = f.source
    loss.named("renamed")
    gc.exp(loss)
    g.input("extra")
    assert f.source == source
    assert abs(f(x=[1, -1], w=[1, 2], y=1)[0] - (-np.log(SIG))) < 1e-12


def test_errors_from_the_code_show_generated_lines_in_tracebacks():
    _, outputs = graphs.mlp()
    f = gc.compile(outputs)
    feeds = {"X": np.ones((2, 4)), "labels": [0, 7], "W1": np.ones((4, 8)),
             "b1": np.ones(8), "W2": np.ones((8, 3)), "b2": np.ones(3)}
    with pytest.raises(gc.DomainError, match="class label 7 is out of range") as info:
        f(**feeds)
    text = "".join(traceback.format_exception(info.value))
    assert "<graphc:mlp:" in text
    assert "loss = _np_nll(log_softmax, labels, \"node 'loss' (cross_entropy of 'logits', " \
        "'labels'): \")" in text
    filename = next(name for name in linecache.cache if name.startswith("<graphc:mlp:"))
    assert linecache.getline(filename, 1).startswith('"""NumPy code generated by graphc')


# ---- names -----------------------------------------------------------------------------------

HOSTILE = ["x; import os", "class", "a\nb", "np", "print", "\u0445", "a-b", "a+b", "__builtins__",
           "run", "np_sigmoid", "1st", "\u2028", '"""', "# comment", "self"]


def test_hostile_names_compile_to_valid_code_that_does_nothing_else():
    g = gc.Graph('evil """ graph\n')
    leaves = [g.input(name, shape=(2,)) for name in HOSTILE]
    total = leaves[0]
    for i, leaf in enumerate(leaves[1:]):
        total = gc.sigmoid(total * leaf + 0.5).named(f"{HOSTILE[i]}!")
    loss = gc.sum(total).named("import os")
    nodes = [loss, total] + gc.grad(loss, leaves[:5])
    f = gc.compile(nodes)
    tree = ast.parse(f.source)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [a.name for n in imports for a in n.names] == ["difflib", "numpy"]
    assert f.source.isascii()
    assert not any(isinstance(n, ast.ClassDef) for n in ast.walk(tree))
    assert not {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & {"os", "print"}
    defined = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
               if isinstance(t, ast.Name)}
    assert not defined & {"np", "print", "class", "__builtins__", "run", "np_sigmoid"}
    rng = np.random.default_rng(1)
    feeds = {name: rng.uniform(-1, 1, size=2) for name in HOSTILE}
    for c, r in zip(f(**feeds), oracle(nodes, at=feeds), strict=True):
        np.testing.assert_allclose(c, r, rtol=1e-12)
    assert f.outputs[0] == "import os" and f.inputs[2][0] == "a\nb"


# ---- saving ----------------------------------------------------------------------------------

def test_save_writes_the_source_and_returns_the_path(tmp_path):
    _, _, f = neuron()
    path = f.save(tmp_path / "neuron_generated.py")
    assert path == tmp_path / "neuron_generated.py"
    assert path.read_text() == f.source
    assert [p.name for p in tmp_path.iterdir()] == ["neuron_generated.py"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failing_save_leaves_the_old_file(tmp_path, monkeypatch, failing):
    _, _, f = neuron()
    path = tmp_path / "module.py"
    path.write_text("old")

    def fail(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="disk full"):
        f.save(path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["module.py"]


STANDALONE = NO_GRAPHC_DEPS + """
import numpy as np
sys.path.insert(0, sys.argv[1])
import neuron_generated as m
assert 'graphc' not in str(m.__dict__.get('__builtins__', ''))
loss, dw = m.run(x=[1, -1], w=[1, 2], y=1)
print(repr(float(loss)), *[repr(float(v)) for v in dw])
print(m.INPUTS, m.OUTPUTS)
bad = [dict(x=[1, -1], w=[1, 2]), dict(x=[1, -1], w=[1, 2], yy=1),
       dict(x=[1, -1, 0], w=[1, 2], y=1), dict(x=[[1], [1, 2]], w=[1, 2], y=1),
       dict(x=np.array([1, None], dtype=object), w=[1, 2], y=1),
       dict(x=['a', 'b'], w=[1, 2], y=1)]
for feeds in bad:
    try:
        m.run(**feeds)
    except ValueError as err:
        assert type(err) is ValueError
        print(str(err).replace(chr(10), ' '))
"""


def test_a_saved_module_runs_without_graphc_sympy_or_networkx(tmp_path):
    _, _, f = neuron()
    f.save(tmp_path / "neuron_generated.py")
    result = run([sys.executable, "-I", "-c", STANDALONE, str(tmp_path)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    values = [float(v) for v in lines[0].split()]
    np.testing.assert_allclose(values, [-np.log(SIG), SIG - 1, 1 - SIG], rtol=0, atol=1e-12)
    assert lines[1] == f"{f.inputs} {f.outputs}"
    expected = [feed_error(f, feeds).replace("\n", " ")
                for feeds in BAD_NEURON_FEEDS + [{"x": ["a", "b"], "w": [1, 2], "y": 1}]]
    assert lines[2:] == expected


# ---- determinism and golden files ------------------------------------------------------------

PRINT_SOURCES = """
import sys
sys.path.insert(0, sys.argv[1])
import graphc as gc, graphs
for build in graphs.GOLDEN.values():
    sys.stdout.write(gc.compile(build()[1]).source)
"""


def test_the_same_graph_gives_the_same_bytes_whatever_the_hash_seed():
    assert neuron()[2].source == neuron()[2].source
    outputs = []
    for seed in ("0", "12345"):
        result = run([sys.executable, "-c", PRINT_SOURCES, str(ROOT / "tests")],
                     env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0] == "".join(gc.compile(build()[1]).source
                                 for build in graphs.GOLDEN.values())


@pytest.mark.parametrize("name", sorted(graphs.GOLDEN))
def test_generated_source_matches_the_golden_file(name):
    source = gc.compile(graphs.GOLDEN[name]()[1]).source
    path = GOLDEN / "examples" / f"{name}.py"
    if os.environ.get("GRAPHC_UPDATE_GOLDEN") == "1":  # deliberate regeneration only
        write_atomic(path, lambda f: f.write(source.encode()))  # whole, for other workers
    assert path.read_text() == source, (
        f"generated code for {name!r} changed; if that is intended, regenerate with "
        f"GRAPHC_UPDATE_GOLDEN=1 and review the diff of {path}")


# ---- the lean call path and the timing report ------------------------------------------------

def test_the_unchecked_path_gives_the_checked_numbers_on_every_graph_with_a_golden_file():
    for build in graphs.GOLDEN.values():
        g, outputs = build()
        f = gc.compile(outputs)
        rng = np.random.default_rng(0)
        sizes = {name: [2 if d == "N" else d for d in shape] for name, shape, _ in f.inputs}
        # floats in [0, 1): a bce's targets must be
        feeds = {name: rng.integers(0, 3, size=sizes[name]) if dtype.startswith("int")
                 else rng.uniform(size=sizes[name]) for name, _, dtype in f.inputs}
        arrays = f.check(**feeds)
        assert [type(a) for a in arrays] == [np.ndarray] * len(f.inputs)
        for checked, fast in zip(f(**feeds), f.unchecked(*arrays), strict=True):
            np.testing.assert_array_equal(checked, fast)


def test_check_raises_the_calls_messages_and_casts_as_it_does():
    g, outputs, f = neuron()
    with pytest.raises(gc.FeedError, match="did you mean 'w'"):
        f.check(x=[1, -1], ww=[1, 2], y=1)
    x, w, y = f.check(x=[1, -1], w=np.array([1, 2]), y=1)
    assert x.dtype == w.dtype == y.dtype == np.float64 and w.tolist() == [1.0, 2.0]
    fitting = np.array([1.0, -1.0])
    assert f.check(x=fitting, w=w, y=y)[0] is fitting  # nothing copied that already fits


def test_a_timing_report_names_every_stage_and_the_nodes_each_pass_left(capsys):
    g, outputs = graphs.neuron()
    f = gc.compile(outputs, report=True)
    stages = [row[0] for row in f.report.rows]
    assert stages == [name for name, _, _ in gc.passes.PIPELINE] + [
        "lower", "codegen", "python compile"]
    err = capsys.readouterr().err
    assert "fold_constants" in err and "python compile" in err and "total" in err
    folded = next(row for row in f.report.rows if row[0] == "fold_constants")
    assert folded[2] > folded[3]  # the seed and the count became numbers
    assert gc.compile(outputs).report.rows and not capsys.readouterr().err


def test_graphc_compile_takes_an_opt_level_and_prints_timings():
    teaching = graphc_in_process("compile", "examples/mlp.py", "--opt", "0", "--timings")
    assert teaching.returncode == 0, teaching.stderr
    assert "fuse_cancelling" in teaching.stderr and "fuse_elementwise" not in teaching.stderr
    assert "transpose = np.transpose(W2, (1, 0))" not in teaching.stdout
    assert "W2.T" in teaching.stdout and "= X.T" in teaching.stdout  # a line of its own
    assert graphc_in_process("compile", "examples/mlp.py", "--opt", "7").returncode == 2
    fastest = graphc_in_process("compile", "examples/mlp.py", "--opt", "2")
    assert fastest.returncode == 0, fastest.stderr
    assert "    add += b1\n" in fastest.stdout
    assert fastest.stdout == (GOLDEN / "opt2" / "mlp.py").read_text()


def test_feeds_of_shapes_that_passed_are_accepted_quickly_and_others_checked_in_full():
    _, outputs = graphs.mlp()
    f = gc.compile(outputs)
    params = {"W1": np.ones((4, 8)), "b1": np.ones(8), "W2": np.ones((8, 3)), "b2": np.ones(3)}
    good = {"X": np.ones((3, 4)), "labels": np.array([0, 1, 2]), **params}
    first = f(**good)
    assert ((3, 4), (3,), (4, 8), (8,), (8, 3), (3,)) in f._module.PASSED
    for a, b in zip(f(**good), first, strict=True):  # the quick path: the same numbers
        np.testing.assert_array_equal(a, b)
    assert f.check(**good)[0] is good["X"]
    message = feed_error(f, {**good, "X": np.ones((5, 4))})  # a shape not seen: full check
    assert message == ("feed for 'labels' has shape (3,), so N = 3, but 'X' (N, 4) was fed "
                       "with N = 5")
    with pytest.raises(gc.FeedError, match="must be integers"):  # a dtype not seen, too
        f(**{**good, "labels": np.array([0.0, 1.0, 2.0])})
    cast = f(**{**good, "labels": [0, 1, 2]})  # a list: the full check casts it
    np.testing.assert_array_equal(cast[0], first[0])
