"""graphc.graph.node and graphc.graph.walk: the frozen node record, the editing API every
stage changes a graph through, and the graph walks every stage shares."""

import dataclasses

import numpy as np
import pytest

import graphc as gc
from graphc.autodiff import gradient_of, taken
from graphc.graph import walk
from graphc.graph.node import VIEW, NodeRecord, copy_multidigraph

from graphs import oracle, vector_neuron as neuron


AT = {"x": [1, -1], "w": [1, 2], "y": 1}


# ---- the record -----------------------------------------------------------------------------

def test_the_record_is_frozen_and_the_view_follows_it():
    g, x, w, y, z, yhat, loss = neuron()
    record = z.record
    assert (record.op, record.role, record.name, record.shape) == ("matmul", "op", "z", ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "q"
    with pytest.raises(TypeError):
        yhat.record.attrs["axis"] = 0
    assert {key: g.nx.nodes[z.id][key] for key in VIEW} == {
        "name": "z", "op": "matmul", "role": "op", "shape": (), "dtype": "float64",
        "attrs": {}, "scope": ""}


def test_a_constants_value_is_read_only():
    g = gc.Graph()
    c = g.const("c", np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        c.value[0] = 5.0
    assert g.literal(2).record.weak and not c.record.weak and not g.literal(2).record.named


def test_meta_is_what_a_user_attaches():
    g, x, w, y, z, yhat, loss = neuron()
    g.update(z, meta={"layer": 1})
    assert z.meta == {"layer": 1} and g.nx.nodes[z.id]["record"].meta["layer"] == 1
    with pytest.raises(gc.GraphError,
                       match="update changes only role, note, meta, origin, not shape"):
        g.update(z, shape=(3,))
    f = gc.compile(loss)
    assert float(f(**AT)) == pytest.approx(float(oracle(loss, at=AT)))


# ---- the editing API -----------------------------------------------------------------------

def test_replace_keeps_name_and_shape_and_its_users_see_it():
    g, x, w, y, z, yhat, loss = neuron()
    neg = gc.neg(w @ x)
    with pytest.raises(gc.GraphError, match="operand must come before it"):
        g.replace(z, "neg", [neg], {})
    g.replace(yhat, "tanh", [z], {}, note="tanh instead")
    assert (yhat.op, yhat.name, yhat.record.note) == ("tanh", "yhat", "tanh instead")
    assert float(gc.evaluate(yhat, at=AT)) == pytest.approx(np.tanh(-1.0))
    with pytest.raises(gc.GraphError, match="would change its shape"):
        g.replace(z, "neg", [x], {})


def test_remove_only_what_nothing_uses_and_names_stay_unique():
    g, x, w, y, z, yhat, loss = neuron()
    with pytest.raises(gc.GraphError, match="cannot remove 'z': it is used by 'yhat'"):
        g.remove(z)
    spare = gc.exp(z).named("spare")
    g.remove(spare)
    assert "spare" not in g and spare.id not in g.nx
    gc.exp(z).named("spare")  # the name is free again
    with pytest.raises(gc.GraphError, match="duplicate node name 'z'"):
        g.add(NodeRecord("input", "input", "z", (), "float64"))
    with pytest.raises(gc.GraphError, match="duplicate node name 'yhat'"):
        g.rename(z, "yhat")


def test_a_copy_is_independent():
    g, x, w, y, z, yhat, loss = neuron()
    work = g.copy()
    work.rename(z.id, "zz")
    work.update(z.id, meta={"a": 1})
    assert z.name == "z" and not z.meta and work.record(z.id).name == "zz"
    assert work.next_id == g.next_id and [n.name for n in g][3:] == ["z", "yhat", "loss"]


def test_a_copy_is_what_networkx_copies():
    g, x, w, y, z, yhat, loss = neuron()
    gc.grad(loss * loss, [w, x])  # fan-out and parallel edges (loss * loss)
    mine, theirs = copy_multidigraph(g.nx), g.nx.copy()
    assert mine.graph == theirs.graph and type(mine) is type(theirs)
    assert list(mine.nodes(data=True)) == list(theirs.nodes(data=True))
    assert list(mine.edges(keys=True, data=True)) == list(theirs.edges(keys=True, data=True))
    for v in g.nx:
        assert list(mine.pred[v].items()) == list(theirs.pred[v].items())
        assert list(mine.succ[v].items()) == list(theirs.succ[v].items())
    mine.add_edge(z.id, yhat.id, key=9, slot=9)  # NetworkX adds it to the dict pred shares
    mine.nodes[x.id]["name"] = "changed"
    mine.edges[z.id, yhat.id, 0]["slot"] = 7
    assert mine.pred[yhat.id][z.id][9] == {"slot": 9} and mine.pred[yhat.id][z.id][0]["slot"] == 7
    assert not g.nx.has_edge(z.id, yhat.id, key=9) and g.nx.nodes[x.id]["name"] == "x"
    assert g.nx.edges[z.id, yhat.id, 0]["slot"] == 0


# ---- the walks ------------------------------------------------------------------------------

def test_upstream_downstream_and_on_paths():
    g, x, w, y, z, yhat, loss = neuron()
    assert walk.upstream(g, [yhat.id]) == {x.id, w.id, z.id, yhat.id}
    assert walk.upstream(g, [yhat.id], stop={z.id}) == {z.id, yhat.id}
    assert walk.downstream(g, [z.id]) == {z.id, yhat.id, loss.id}
    assert walk.on_paths(g, [w.id], loss.id) == {w.id, z.id, yhat.id, loss.id}
    assert walk.on_paths(g, [w.id], yhat.id, carries=lambda v: v != z.id) == set()
    assert walk.fed(g, g.nx.nodes) == [x.id, w.id, y.id]


def test_the_loss_of_a_graph_ignores_its_gradient_nodes():
    g = gc.Graph()
    x, w = g.input("x"), g.param("w")
    out = gc.sigmoid(w * x).named("out")
    gc.grad(out, [w])  # sigmoid's gradient reads out itself
    assert any(g.record(v).role == "grad" for v in g.users(out.id))
    assert walk.loss_candidates(g) == [out.id] and walk.loss_of(g) == out.id
    gc.exp(x).named("other")
    with pytest.raises(gc.GraphError, match="2 scalar op nodes.*'out', 'other'"):
        walk.loss_of(g)


def test_default_wrt_is_the_float_parameters_else_the_float_inputs():
    g, x, w, y, z, yhat, loss = neuron()
    assert walk.default_wrt(g, loss.id) == [w.id]
    h = gc.Graph()
    a, labels = h.input("a", shape=(2, 3)), h.input("labels", shape=(2,), dtype="int64")
    ce = gc.cross_entropy(a, labels)
    assert walk.default_wrt(h, ce.id) == [a.id]


def test_walks_of_a_10000_node_chain_do_not_recurse():
    g = gc.Graph("chain")
    h = x = g.input("x")
    for _ in range(10_000):
        h = gc.tanh(h)
    assert len(walk.upstream(g, [h.id])) == 10_001
    assert len(walk.on_paths(g, [x.id], h.id)) == 10_001
    assert walk.loss_of(g) == h.id


# ---- gradient nodes, by the names gc.grad gives them -----------------------------------------

def test_gradient_nodes_are_found_by_the_names_grad_gives_them():
    g, x, w, y, z, yhat, loss = neuron()
    dz, dw = gc.grad(loss, [z, w])
    (dw2,) = gc.grad(loss, [w])
    assert dw2.name == "dloss_dw_2"
    assert gradient_of(g, dw.id) == (loss.id, w.id) == gradient_of(g, dw2.id)
    assert gradient_of(g, dz.id) == (loss.id, z.id) and gradient_of(g, z.id) is None
    assert taken(g, loss.id, w.id) == dw.id and taken(g, loss.id, x.id) is None


def test_a_gradients_name_never_reads_as_another_nodes():
    g = gc.Graph()
    x, w, w_2 = g.input("x"), g.param("w"), g.param("w_2")
    loss = (gc.sigmoid(w * x) + w_2 * w_2).named("loss")
    (first,), (second,), (dw_2,) = (gc.grad(loss, [p]) for p in (w, w, w_2))
    assert (first.name, second.name, dw_2.name) == ("dloss_dw", "dloss_dw_3", "dloss_dw_2")
    assert gradient_of(g, second.id) == (loss.id, w.id)
    assert gradient_of(g, dw_2.id) == (loss.id, w_2.id) and taken(g, loss.id, w_2.id) == dw_2.id


def test_a_failed_gradient_leaves_nothing_behind():
    g = gc.Graph()
    x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
    loss = gc.sum(gc.step(w * x)).named("loss")
    before = {v: dict(data) for v, data in g.nx.nodes(data=True)}
    with pytest.raises(gc.DifferentiationError, match="passes through step"):
        gc.grad(loss, [w])
    assert {v: dict(data) for v, data in g.nx.nodes(data=True)} == before
    assert walk.loss_of(g) == loss.id and "dloss_dloss" not in g


def test_the_editing_api_checks_what_it_is_given():
    g, x, w, y, z, yhat, loss = neuron()
    with pytest.raises(gc.GraphError, match=r"operands \[999\] are not nodes"):
        g.add(NodeRecord("neg", "op", "n", (), "float64"), [999])
    with pytest.raises(gc.GraphError, match="unknown op 'frobnicate'"):
        g.add(NodeRecord("frobnicate", "op", "n", (), "float64"), [z])
    with pytest.raises(gc.GraphError, match="op 'neg' takes 1 operands, got 2"):
        g.add(NodeRecord("neg", "op", "n", (), "float64"), [z, z])
    with pytest.raises(gc.GraphError, match="role 'banana' is not one of"):
        g.update(z, role="banana")
    with pytest.raises(gc.GraphError, match="op 'add' takes 2 operands, got 1"):
        g.replace(yhat, "add", [z], {})
    with pytest.raises(gc.GraphError, match="unknown attributes"):
        g.replace(yhat, "tanh", [z], {"axis": 0})
    with pytest.raises(TypeError, match="no field nmae"):
        z.record.evolve(nmae="q")
    assert len(g) == 6 and [n.op for n in g][3:] == ["matmul", "sigmoid", "bce"]
    n = g.add(NodeRecord("neg", "op", "n", (), "float64"), [z])
    assert g.record(n).name == "n" and g.operands(n) == [z.id]


# ---- Node as Python and NumPy users expect (issue 14) ---------------------------------------



def test_abs_reshape_ndim_size_and_len_read_as_numpys():
    g = gc.Graph()
    x = g.input("x", shape=(2, 3))
    assert (x.ndim, x.size, len(x)) == (2, 6, 2)
    assert (abs(x).op, abs(x).operands) == ("abs", [x])
    assert x.reshape(3, 2).shape == x.reshape((3, 2)).shape == x.reshape([3, 2]).shape == (3, 2)
    assert x.reshape(-1).shape == (6,) and x.reshape(3, -1).attrs["shape"] == (3, 2)
    at = {"x": np.arange(6.0).reshape(2, 3) - 2}
    np.testing.assert_array_equal(gc.evaluate(abs(x).reshape(3, 2), at=at),
                                  np.abs(at["x"]).reshape(3, 2))
    scalar = g.input("s")
    assert (scalar.ndim, scalar.size) == (0, 1)
    with pytest.raises(TypeError, match=r"len\(\) of unsized object: node 's' is a scalar"):
        len(scalar)


def test_a_named_dimension_makes_size_unknown_and_len_of_a_batch_too():
    X = gc.Graph().input("X", shape=("N", 784))
    assert X.ndim == 2
    with pytest.raises(gc.ShapeError, match=r"node 'X' \(N, 784\): its size is unknown until "
                                            r"the graph runs \(named dimension N\)"):
        X.size
    with pytest.raises(TypeError, match=r"len\(\) of node 'X' \(N, 784\): its first dimension "
                                        r"N is named"):
        len(X)


def test_max_and_min_methods_are_gc_max_and_gc_min():
    x = gc.Graph().input("x", shape=(2, 3))
    at = {"x": np.array([[1.0, 5.0, -2.0], [4.0, 0.0, 3.0]])}
    top, low = x.max(axis=1), x.min(axis=0, keepdims=True)
    assert (top.op, top.shape, low.op, low.shape) == ("max", (2,), "min", (1, 3))
    assert (top.attrs["keepdims"], low.attrs["keepdims"]) == (False, True)
    np.testing.assert_array_equal(gc.evaluate(top, at=at), [5.0, 4.0])
    np.testing.assert_array_equal(gc.evaluate(low, at=at), [[1.0, 0.0, -2.0]])
    assert float(gc.evaluate(x.max(), at=at)) == 5.0 and float(gc.evaluate(x.min(), at=at)) == -2


ARRAY = np.array([[1.0, 5.0, -2.0], [4.0, 0.0, 3.0]])


@pytest.mark.parametrize("method, numpy", [
    (lambda x: x.var(axis=1), lambda a: a.var(axis=1)),
    (lambda x: x.std(ddof=1), lambda a: a.std(ddof=1)),
    (lambda x: x.prod(axis=0, keepdims=True), lambda a: a.prod(axis=0, keepdims=True)),
    (lambda x: x.argmax(axis=1), lambda a: a.argmax(axis=1)),
    (lambda x: x.reshape(1, 2, 3).squeeze(axis=0), lambda a: a),
    (lambda x: x.clip(0.0, 3.5), lambda a: a.clip(0.0, 3.5)),
    (lambda x: x.clip(max=1.0), lambda a: a.clip(max=1.0)),
])
def test_array_methods_compute_what_numpys_do(method, numpy):
    x = gc.Graph().input("x", shape=(2, 3))
    node = method(x)
    np.testing.assert_allclose(gc.evaluate(node, at={"x": ARRAY}), numpy(ARRAY))
    assert node.shape == numpy(ARRAY).shape


OPERATORS = [  # (expression with a NumPy value on the left, its op, NumPy's own result)
    (lambda a, y: a + y, "add", np.add), (lambda a, y: a - y, "sub", np.subtract),
    (lambda a, y: a * y, "mul", np.multiply), (lambda a, y: a / y, "div", np.divide),
    (lambda a, y: a ** y, "pow", np.power), (lambda a, y: a @ y, "matmul", np.matmul)]


LEFT = {"array": np.array([1.0, 2.0, 3.0]), "scalar": np.float64(2.0)}
CASES = [(side, *o) for side in LEFT for o in OPERATORS if (side, o[1]) != ("scalar", "matmul")]


@pytest.mark.parametrize("side, expr, op, numpy", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_every_operator_with_numpy_on_the_left_builds_the_op_with_a_constant(side, expr, op,
                                                                              numpy):
    left = LEFT[side]
    g = gc.Graph()
    y = g.input("y", shape=(3,))
    node = expr(left, y)
    assert isinstance(node, gc.Node) and node.op == op
    const, operand = node.operands
    assert operand == y and const.op == "const"
    np.testing.assert_array_equal(const.value, left)
    feed = np.array([0.5, 1.5, 2.0])
    np.testing.assert_allclose(gc.evaluate(node, at={"y": feed}), numpy(left, feed))


def test_a_numpy_float_stays_weak_and_a_float32_array_keeps_its_dtype():
    y = gc.Graph().input("y", shape=(2,), dtype="float32")
    assert (np.float64(2.0) * y).dtype == "float32"
    assert (np.ones(2, dtype="float32") + y).operands[0].dtype == "float32"


@pytest.mark.parametrize("call, message", [
    (lambda x, y: np.sum(x), r"np.sum got a graphc node, which has no value until the graph "
                             r"runs: use gc.sum\(x\) \(or x.sum\(\)\)"),
    (lambda x, y: np.mean(x, axis=0), r"use gc.mean\(x\) \(or x.mean\(\)\)"),
    (lambda x, y: np.exp(x), r"np.exp got a graphc node.*: use gc.exp\(x\)$"),
    (lambda x, y: np.abs(x), r"np.absolute .*use gc.abs\(x\) \(or abs\(x\)\)"),
    (lambda x, y: np.dot(x, y), r"np.dot .*use gc.matmul\(x, y\) \(or x @ y\)"),
    (lambda x, y: np.matmul(x, y), r"use gc.matmul\(x, y\) \(or x @ y\)"),
    (lambda x, y: np.multiply(x, 2), r"use gc.mul\(x, ...\) \(or x \* ...\)"),
    (lambda x, y: np.transpose(x), r"use gc.transpose\(x\) \(or x.T\)"),
    (lambda x, y: np.concatenate([x, y]), r"np.concatenate .*use gc.concat"),
    (lambda x, y: np.add(x, 1, out=np.zeros(3)), r"np.add cannot write a graph node into a "
                                                 r"NumPy array \(out=...\)"),
    (lambda x, y: np.sin(x), r"np.sin got a graphc node: graphc nodes are not arrays: use "
                             r"graphc's functions \(gc.exp, gc.sum, ...\)"),
    (lambda x, y: np.add.reduce(x), r"np.add.reduce got a graphc node: graphc nodes are not"),
    (lambda x, y: np.asarray(x), r"node 'x' has no value until the graph runs: "
                                 r"gc.evaluate\(x, at=\{...\}\) computes it"),
], ids=["sum", "mean", "exp", "abs", "dot", "matmul", "multiply", "transpose", "concatenate",
        "out", "sin", "reduce", "asarray"])
def test_numpys_functions_on_a_node_name_the_graphc_function_to_use(call, message):
    g = gc.Graph()
    x, y = g.input("x", shape=(3,)), g.input("y", shape=(3,))
    before = len(g)
    with pytest.raises(TypeError, match=message):
        call(x, y)
    assert len(g) == before


def test_numpys_in_place_operators_refuse_a_node():
    a = np.ones(3)
    with pytest.raises(TypeError, match=r"np.add cannot write a graph node into a NumPy array "
                                        r"\(out=...\).*build a new node instead: ... \+ y$"):
        a += gc.Graph().input("y", shape=(3,))
    np.testing.assert_array_equal(a, np.ones(3))


def test_a_numpy_submodules_function_is_named_as_a_user_writes_it():
    x = gc.Graph().input("x", shape=(3,))
    with pytest.raises(TypeError, match=r"^np\.linalg\.norm got a graphc node: graphc nodes "
                                        r"are not arrays"):
        np.linalg.norm(x)
