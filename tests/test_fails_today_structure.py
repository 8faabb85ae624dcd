"""Issue 16's "What fails today" on graph structure and the command line: from_networkx
validation, axis types, and a user's FILE as ``graphc`` loads it. Each test failed before
its fix; the command-line ones run as a user runs them (exit status, one line on standard
error without a traceback, what standard output holds)."""

import ast

import networkx as nx
import pytest

import graphc as gc
from graphc.ops import all_ops

from cmdline import graphc, graphc_in_process

NEURON = ("import graphc as gc\ng = gc.Graph('n')\nx, w = g.input('x'), g.param('w')\n"
          "loss = gc.bce(gc.sigmoid(w * x), 1.0)\nat = {'x': 1.0, 'w': 0.5}\n")


def one_line_error(result, *words):
    """The command failed with status 2 and one line on stderr holding ``words``."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphc: error: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# ---- from_networkx --------------------------------------------------------------------

def summed(x_data=None, attrs=None, extra_edge=None):
    """x -> sum as a NetworkX DAG, with a constant c beside; ``extra_edge`` (u, v) added."""
    G = nx.MultiDiGraph()
    G.add_node("x", **{"op": "input", "name": "x", "shape": (2, 3), **(x_data or {})})
    G.add_node("c", op="const", name="c", value=2.0)
    G.add_node("s", op="sum", name="s", **({} if attrs is None else {"attrs": attrs}))
    G.add_edge("x", "s", slot=0)
    if extra_edge:
        G.add_edge(*extra_edge, slot=0)
    return G


@pytest.mark.parametrize("edge, node, role", [
    (("c", "x"), "'x'", "input"), (("x", "c"), "'c'", "const")])
def test_from_networkx_refuses_an_edge_into_a_leaf(edge, node, role):
    with pytest.raises(gc.GraphError) as err:
        gc.Graph.from_networkx(summed(extra_edge=edge))
    message = str(err.value)
    assert f"node {node}" in message and role in message and "takes no operands" in message


@pytest.mark.parametrize("shape", ["abc", "(2, 3)", [-1], 2.5, (2, None)])
def test_from_networkx_refuses_a_bad_shape_naming_the_node(shape):
    with pytest.raises(gc.ShapeError) as err:
        gc.Graph.from_networkx(summed({"shape": shape}))
    assert "'x'" in str(err.value) and repr(shape) in str(err.value)


@pytest.mark.parametrize("attrs", [5, "ab", [1], [("axis", 0)]])
def test_from_networkx_refuses_attrs_that_are_not_a_dict(attrs):
    with pytest.raises(gc.GraphError) as err:
        gc.Graph.from_networkx(summed(attrs=attrs))
    message = str(err.value)
    assert message.startswith("node 's': ") and "'sum'" in message
    assert "dict" in message and repr(attrs) in message


def test_from_networkx_still_reads_what_to_networkx_writes():
    g = gc.Graph("round trip")
    x = g.input("x", shape=("N", 3))
    gc.sum(x * 2.0, axis=(0, 1)).named("s")
    back = gc.Graph.from_networkx(g.to_networkx())
    assert str(back).splitlines()[1:] == str(g).splitlines()[1:]


# ---- axis types -----------------------------------------------------------------------

def _x():
    g = gc.Graph()
    return g, g.input("x", shape=(2, 3)), g.input("y", shape=(2, 3))


#: every op taking axis=, as a user calls it
AXIS_OPS = {
    "sum": lambda x, y, a: gc.sum(x, axis=a), "mean": lambda x, y, a: gc.mean(x, axis=a),
    "max": lambda x, y, a: gc.max(x, axis=a), "min": lambda x, y, a: gc.min(x, axis=a),
    "var": lambda x, y, a: gc.var(x, axis=a), "std": lambda x, y, a: gc.std(x, axis=a),
    "logsumexp": lambda x, y, a: gc.logsumexp(x, axis=a),
    "prod": lambda x, y, a: gc.prod(x, axis=a),
    "softmax": lambda x, y, a: gc.softmax(x, axis=a),
    "log_softmax": lambda x, y, a: gc.log_softmax(x, axis=a),
    "concat": lambda x, y, a: gc.concat([x, y], axis=a),
    "stack": lambda x, y, a: gc.stack([x, y], axis=a),
    "squeeze": lambda x, y, a: gc.squeeze(x, axis=a),
    "expand_dims": lambda x, y, a: gc.expand_dims(x, axis=a),
    "argmax": lambda x, y, a: gc.argmax(x, axis=a),
    "repeat": lambda x, y, a: gc.repeat(x, 2, axis=a),
}
ONE_AXIS = ("softmax", "log_softmax", "concat", "stack", "argmax", "repeat")


def test_the_table_holds_every_registered_op_that_takes_axis():
    """A new op taking ``axis=`` joins the table (ops with only ``axes`` are gradient
    helpers, and transpose's ``axes`` is a permutation)."""
    assert sorted(op.name for op in all_ops() if "axis" in op.attrs) == sorted(AXIS_OPS)


@pytest.mark.parametrize("op", sorted(AXIS_OPS))
@pytest.mark.parametrize("axis", [[0], 1.5, (0, None), "0", True])
def test_every_axis_of_the_wrong_type_is_a_shape_error_naming_op_and_axis(op, axis):
    g, x, y = _x()
    with pytest.raises(gc.ShapeError) as err:
        AXIS_OPS[op](x, y, axis)
    message = str(err.value)
    assert message.startswith(f"{op}: ") and "'x'" in message, message
    assert f"axis {axis!r}" in message or f"axis {axis[-1]!r}" in message, message


@pytest.mark.parametrize("op", sorted(AXIS_OPS))
def test_a_list_axis_is_refused_as_numpy_does_saying_what_to_give(op):
    g, x, y = _x()
    says = "must be one int" if op in ONE_AXIS else r"is a list; .*axis=\(0,\)"
    with pytest.raises(gc.ShapeError, match=rf"^{op}: axis \[0\] of 'x' \(2, 3\) {says}"):
        AXIS_OPS[op](x, y, [0])


@pytest.mark.parametrize("call, op", [
    (lambda x: x.sum(axis=[0]), "sum"), (lambda x: x.mean(axis=[0]), "mean"),
    (lambda x: x.max(axis=[0]), "max"), (lambda x: gc.layer_norm(x, axis=[-1]), "layer_norm")])
def test_methods_and_layers_refuse_a_list_axis_too(call, op):
    g, x, y = _x()
    with pytest.raises(gc.ShapeError, match=rf"^{op}: axis \[-?\d\] of 'x' \(2, 3\) is a list"):
        call(x)


@pytest.mark.parametrize("op", ONE_AXIS)
def test_an_op_of_one_axis_refuses_a_tuple(op):
    g, x, y = _x()
    with pytest.raises(gc.ShapeError, match=rf"^{op}: axis \(0, 1\) .*one axis"):
        AXIS_OPS[op](x, y, (0, 1))


def test_a_named_node_with_a_bad_axis_is_named_in_the_error():
    g, x, y = _x()
    with pytest.raises(gc.ShapeError, match=r"^node 'total': sum: axis \[0\]"):
        g.apply("sum", [x], {"axis": [0]}, name="total")


def test_good_axes_still_work():
    g, x, y = _x()
    assert gc.sum(x, axis=(0, 1)).shape == () and gc.sum(x, axis=-1).shape == (2,)
    assert gc.expand_dims(x, (0, -1)).shape == (1, 2, 3, 1)
    assert gc.concat([x, y], axis=-1).shape == (2, 6)
    assert gc.softmax(x, axis=0).shape == (2, 3)


# ---- the command line -----------------------------------------------------------------

@pytest.mark.parametrize("filename", ["net.txt", "net"])
def test_a_file_without_the_py_suffix_loads(tmp_path, filename):
    path = tmp_path / filename
    path.write_text(NEURON)
    result = graphc_in_process("compile", path)
    assert result.returncode == 0, result.stderr
    ast.parse(result.stdout)
    assert "def compute(x, w):" in result.stdout


@pytest.mark.parametrize("claims", ["[('d loss/d w', 1)]", "[1, 2]", "5", "'d loss/d w = 1'"])
def test_claims_that_are_neither_a_dict_nor_lines_are_one_line_errors(tmp_path, claims):
    path = tmp_path / "net.py"
    path.write_text(NEURON + f"claims = {claims}\n")
    one_line_error(graphc_in_process("check", path), str(path), "'claims'",
                   "dict of claim -> value")


def test_claims_as_a_list_of_lines_still_work(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NEURON + "claims = ['d loss/d w = sigmoid(1/2) - 1']\n")
    result = graphc_in_process("check", path)
    assert result.returncode == 0 and "all claims hold" in result.stdout, result.stdout


@pytest.mark.parametrize("call, code", [("sys.exit(0)", "0"), ("sys.exit(3)", "3"),
                                        ("sys.exit('bye')", "'bye'"), ("exit()", "None")])
def test_a_file_that_exits_while_loading_is_an_error(tmp_path, call, code):
    path = tmp_path / "net.py"
    path.write_text("import sys\n" + NEURON + call + "\n")
    for command in ("compile", "grad", "explain"):
        one_line_error(graphc_in_process(command, path), str(path),
                       f"exited while loading (code {code})")


def test_what_the_file_prints_goes_to_stderr_not_into_the_module(tmp_path):
    path = tmp_path / "net.py"
    path.write_text("print('hello from the file')\n" + NEURON)
    result = graphc("compile", path)
    assert result.returncode == 0, result.stderr
    assert "hello" not in result.stdout
    ast.parse(result.stdout)
    assert result.stderr.splitlines()[0] == "hello from the file"
    explained = graphc_in_process("explain", path)
    assert explained.returncode == 0 and "hello" not in explained.stdout
    assert explained.stdout.startswith("Backprop trace of loss")


def test_compile_names_outputs_by_the_files_variables(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NEURON)
    result = graphc_in_process("compile", path)
    assert result.returncode == 0, result.stderr
    assert "    return (loss, dloss_dw)\n" in result.stdout
    assert "OUTPUTS = ('loss', 'dloss_dw')" in result.stdout
    assert result.stderr.strip().endswith("computing loss, dloss_dw to standard output")
    assert "bce" not in result.stderr


def test_compile_keeps_a_nodes_own_name(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NEURON.replace("1.0)\n", "1.0).named('error')\n"))
    result = graphc_in_process("compile", path)
    assert result.returncode == 0, result.stderr
    assert "    return (error, derror_dw)\n" in result.stdout
