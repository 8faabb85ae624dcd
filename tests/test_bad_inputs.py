"""One test per line of BAD_INPUTS.md that the core (graph, ops, autodiff, reference
interpreter) covers today: graph structure, shapes and dtypes, feeds to ``gc.evaluate``,
and differentiation.

Every error must be a ``GraphcError`` subclass and the matching built-in exception, and its
message must name the nodes (with ``repr()``), the op and the shapes or values involved.
"""

import warnings

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.ops import elementwise, registry
from graphc.ops.scalar import arg, step


def check(excinfo, builtin, *pieces):
    """The raised error is a GraphcError and a ``builtin``, and names every piece."""
    err = excinfo.value
    assert isinstance(err, gc.GraphcError)
    assert isinstance(err, builtin)
    message = str(err)
    missing = [p for p in pieces if p not in message]
    assert not missing, f"message {message!r} lacks {missing}"
    return message


@pytest.fixture
def private_registry(monkeypatch):
    """Ops registered inside a test vanish after it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def classifier():
    """logits z (N, 3), integer labels y (N,), loss = cross_entropy(z, y)."""
    g = gc.Graph("clf")
    z = g.input("z", shape=("N", 3))
    y = g.input("y", shape=("N",), dtype="int64")
    return g, z, y, gc.cross_entropy(z, y).named("loss")


# ---- Graph structure ------------------------------------------------------------------


def _cycle_graph():
    G = nx.MultiDiGraph()
    G.add_node(0, op="input", name="x", shape=(2,))
    G.add_node(1, op="add", name="u")
    G.add_node(2, op="neg", name="v")
    G.add_node(3, op="exp", name="w")
    G.add_edge(0, 1, slot=0)
    G.add_edge(3, 1, slot=1)
    G.add_edge(1, 2, slot=0)
    G.add_edge(2, 3, slot=0)
    return G, ["u", "v", "w"]


def _self_loop_graph():
    G = nx.MultiDiGraph()
    G.add_node("k", op="neg", name="loop")
    G.add_edge("k", "k", slot=0)
    return G, ["loop"]


@pytest.mark.parametrize("make", [_cycle_graph, _self_loop_graph])
def test_cycle_is_named_as_a_path_of_node_names(make):
    G, names = make()
    with pytest.raises(gc.GraphError) as excinfo:
        gc.Graph.from_networkx(G)
    message = check(excinfo, ValueError, "cycle")
    names = [repr(n) for n in names]
    rotations = [names[i:] + names[:i] for i in range(len(names))]
    paths = [" -> ".join(r + r[:1]) for r in rotations]
    assert any(p in message for p in paths), (message, paths)


def _nx_graph(op, slots, name="v"):
    """Input 'u' (2,) feeding node ``name`` (``op``) once per slot in ``slots``."""
    G = nx.MultiDiGraph()
    G.add_node("u", op="input", shape=(2,))
    G.add_node(name, op=op)
    for slot in slots:
        G.add_edge("u", name, slot=slot)
    return G


@pytest.mark.parametrize("op, slots, expected", [
    ("add", [0], "[0, 1]"),          # too few operands
    ("add", [1], "[0, 1]"),          # slot 0 missing
    ("neg", [0, 1, 2], "[0]"),       # too many operands
    ("add", [0, 0], "[0, 1]"),       # slot 0 given twice
    ("sub", [0, 0, 1], "[0, 1]"),    # slot 0 given twice, the count is right otherwise
])
def test_operand_slots_missing_extra_or_twice_list_what_the_op_expects(op, slots, expected):
    with pytest.raises(gc.GraphError) as excinfo:
        gc.Graph.from_networkx(_nx_graph(op, slots))
    check(excinfo, ValueError, "'v'", op, expected)


def test_a_slot_given_twice_names_both_operands_and_the_slots_expected():
    G = nx.MultiDiGraph()
    G.add_node("p", op="input", shape=(2,))
    G.add_node("q", op="input", shape=(2,))
    G.add_node("r", op="mul")
    G.add_edge("p", "r", slot=0)
    G.add_edge("q", "r", slot=0)
    with pytest.raises(gc.GraphError) as excinfo:
        gc.Graph.from_networkx(G)
    check(excinfo, ValueError, "'r'", "mul", "slot 0", "twice", "'p'", "'q'", "[0, 1]")


def test_edge_without_a_slot_is_an_error_naming_both_ends():
    G = _nx_graph("neg", [])
    G.add_edge("u", "v")
    with pytest.raises(gc.GraphError) as excinfo:
        gc.Graph.from_networkx(G)
    check(excinfo, ValueError, "'u'", "'v'", "slot")


def test_unknown_op_from_networkx_names_the_node_and_lists_known_ops():
    with pytest.raises(gc.GraphError) as excinfo:
        gc.Graph.from_networkx(_nx_graph("frobnicate", [0]))
    check(excinfo, ValueError, "'v'", "unknown op 'frobnicate'", "matmul", "sigmoid")


def test_unknown_op_in_apply_lists_known_ops():
    g = gc.Graph("t")
    a = g.input("a", shape=(2,))
    with pytest.raises(gc.GraphError) as excinfo:
        g.apply("frobnicate", [a])
    check(excinfo, ValueError, "unknown op 'frobnicate'", "matmul", "sigmoid")


@pytest.mark.parametrize("op, count, expected", [("add", 1, "2"), ("neg", 2, "1"),
                                                 ("matmul", 3, "2")])
def test_wrong_number_of_operands_in_apply_says_what_the_op_takes(op, count, expected):
    g = gc.Graph("t")
    a = g.input("a", shape=(2,))
    with pytest.raises(gc.GraphError) as excinfo:
        g.apply(op, [a] * count)
    check(excinfo, ValueError, repr(op), f"takes {expected} operands", f"got {count}")


def test_operand_order_comes_from_the_slot_not_the_adjacency_order():
    G = nx.MultiDiGraph()
    G.add_node("den", op="input", shape=(2,))
    G.add_node("num", op="input", shape=(2,))
    G.add_node("q", op="div")
    G.add_edge("den", "q", slot=1)   # inserted first, but it is the second operand
    G.add_edge("num", "q", slot=0)
    g = gc.Graph.from_networkx(G)
    q = g.node("q")
    assert [o.name for o in q.operands] == ["num", "den"]
    value = gc.evaluate(q, at={"num": [6.0, 1.0], "den": [3.0, 4.0]})
    np.testing.assert_allclose(value, [2.0, 0.25])


def test_operand_slot_order_survives_the_same_operand_twice():
    G = nx.MultiDiGraph()
    G.add_node("a", op="input", shape=())
    G.add_node("b", op="input", shape=())
    G.add_node("p", op="pow")
    G.add_edge("b", "p", slot=1)
    G.add_edge("a", "p", slot=0)
    g = gc.Graph.from_networkx(G)
    assert float(gc.evaluate(g.node("p"), at={"a": 2.0, "b": 3.0})) == 8.0


def _dup_input(g):
    g.input("a")


def _dup_param(g):
    g.param("a", shape=(2,))


def _dup_const(g):
    g.const("a", 1.0)


def _dup_rename(g):
    g.input("b").named("a")


def _dup_apply(g):
    g.apply("neg", [g.node("a")], name="a")


@pytest.mark.parametrize("make", [_dup_input, _dup_param, _dup_const, _dup_rename,
                                  _dup_apply])
def test_duplicate_node_name_is_an_error(make):
    g = gc.Graph("t")
    g.input("a", shape=(3,))
    size = len(g)
    with pytest.raises(gc.GraphError) as excinfo:
        make(g)
    check(excinfo, ValueError, "duplicate", "'a'", "'t'")
    assert g.node("a").shape == (3,)
    assert sum(n.name == "a" for n in g) == 1
    assert len(g) <= size + 1  # at most the anonymous product that failed to be renamed


def test_duplicate_names_from_networkx_are_an_error():
    G = nx.MultiDiGraph()
    G.add_node(1, op="input", name="x", shape=(2,))
    G.add_node(2, op="param", name="x", shape=(2,))
    with pytest.raises(gc.GraphError) as excinfo:
        gc.Graph.from_networkx(G)
    check(excinfo, ValueError, "duplicate", "'x'")


def test_names_that_differ_keep_distinct_nodes():
    names = ["a b", "a_b", "a-b", "a.b", "a__b", "A_B", "a\nb", "ä_b"]
    g = gc.Graph("names")
    nodes = [g.input(n) for n in names]
    assert len({n.id for n in nodes}) == len(names)
    assert [g.node(n).name for n in names] == names
    outs = [(n * 1).named(f"out {i}") for i, n in enumerate(nodes)]
    values = gc.evaluate(outs, at={n: float(i) for i, n in enumerate(names)})
    assert [float(v) for v in values] == [float(i) for i in range(len(names))]


def test_nodes_no_requested_output_needs_are_not_computed():
    g, z, y, loss = classifier()
    extra = g.input("extra", shape=(3,))
    probs = gc.softmax(z).named("probs")
    gc.sum(extra * 2).named("unused_branch")
    # Labels out of range would raise in cross_entropy, and 'extra' has no feed: neither
    # the loss nor the unused branch is needed for probs, so neither is computed.
    value = gc.evaluate(probs, at={"z": np.zeros((2, 3)), "y": [7, -1]})
    np.testing.assert_allclose(value, np.full((2, 3), 1 / 3))
    with pytest.raises(gc.DomainError):
        gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": [7, -1]})


@pytest.mark.parametrize("role", ["input", "param"])
def test_an_output_that_is_an_input_or_parameter_is_allowed_and_copied(role):
    g = gc.Graph("t")
    x = getattr(g, role)("x", shape=(3,))
    y = (x * 2).named("y")
    fed = np.array([1.0, 2.0, 3.0])
    out_x, out_y = gc.evaluate([x, y], at={"x": fed})
    np.testing.assert_array_equal(out_x, fed)
    np.testing.assert_array_equal(out_y, 2 * fed)
    assert not np.shares_memory(out_x, fed)
    out_x[:] = -1.0
    np.testing.assert_array_equal(fed, [1.0, 2.0, 3.0])
    single = gc.evaluate(x, at={"x": fed})
    assert not np.shares_memory(single, fed)


def test_an_output_that_is_a_constant_does_not_expose_the_graph_value():
    g = gc.Graph("t")
    c = g.const("c", [1.0, 2.0])
    out = gc.evaluate(c)
    out[:] = 0.0
    np.testing.assert_array_equal(gc.evaluate(c), [1.0, 2.0])


def test_an_output_that_views_a_feed_is_copied():
    g = gc.Graph("t")
    x = g.input("x", shape=(2, 3))
    fed = np.arange(6.0).reshape(2, 3)
    out = gc.evaluate(x.T, at={"x": fed})
    np.testing.assert_array_equal(out, fed.T)
    assert not np.shares_memory(out, fed)


# ---- Shapes and dtypes ----------------------------------------------------------------


@pytest.mark.parametrize("shape_a, shape_b, inner", [
    ((3, 4), (5, 2), "4 and 5"),
    ((4,), (3,), "4 and 3"),
    ((3, 4), (5,), "4 and 5"),
    ((2, 3, 4), (5, 6), "4 and 5"),
])
def test_matmul_with_inner_dimensions_that_differ(shape_a, shape_b, inner):
    g = gc.Graph("t")
    a = g.input("a", shape=shape_a)
    b = g.input("b", shape=shape_b)
    with pytest.raises(gc.ShapeError) as excinfo:
        a @ b
    fa, fb = gc.shapes.fmt(shape_a), gc.shapes.fmt(shape_b)
    check(excinfo, ValueError, "matmul", f"'a' {fa}", f"'b' {fb}", inner)
    err = excinfo.value
    assert err.op == "matmul" and err.operands == ("a", "b") and err.graph is g


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_elementwise_ops_on_shapes_that_do_not_broadcast(op):
    g = gc.Graph("t")
    a = g.input("a", shape=(3, 4))
    b = g.input("b", shape=(5, 2))
    with pytest.raises(gc.ShapeError) as excinfo:
        getattr(gc, op)(a, b)
    check(excinfo, ValueError, op, "broadcast", "'a' (3, 4)", "'b' (5, 2)")


def test_named_dimension_matches_only_itself_or_one():
    g = gc.Graph("t")
    a = g.input("a", shape=("N", 3))
    b = g.input("b", shape=("M", 3))
    assert (a + g.input("c", shape=(1, 3))).shape == ("N", 3)
    with pytest.raises(gc.ShapeError) as excinfo:
        a + b
    check(excinfo, ValueError, "add", "'a' (N, 3)", "'b' (M, 3)")


@pytest.mark.parametrize("build, pieces", [
    (lambda a: gc.sum(a, axis=2), ["sum", "axis 2", "'a' (3, 4)"]),
    (lambda a: gc.mean(a, axis=-3), ["mean", "axis -3", "'a' (3, 4)"]),
    (lambda a: gc.sum(a, axis=(0, 5)), ["sum", "axis 5", "'a' (3, 4)"]),
    (lambda a: gc.softmax(a, axis=2), ["softmax", "axis 2", "'a' (3, 4)"]),
    (lambda a: gc.log_softmax(a, axis=-3), ["log_softmax", "axis -3", "'a' (3, 4)"]),
    (lambda a: gc.transpose(a, axes=(0, 2)), ["transpose", "(0, 2)", "'a' (3, 4)"]),
])
def test_axis_out_of_range(build, pieces):
    g = gc.Graph("t")
    a = g.input("a", shape=(3, 4))
    with pytest.raises(gc.ShapeError) as excinfo:
        build(a)
    check(excinfo, ValueError, *pieces)


def test_shape_error_in_a_named_node_names_that_node():
    G = nx.MultiDiGraph()
    G.add_node("a", op="input", shape=(3, 4))
    G.add_node("b", op="input", shape=(5, 2))
    G.add_node("z", op="matmul")
    G.add_edge("a", "z", slot=0)
    G.add_edge("b", "z", slot=1)
    with pytest.raises(gc.ShapeError) as excinfo:
        gc.Graph.from_networkx(G)
    check(excinfo, ValueError, "'z'", "matmul", "'a' (3, 4)", "'b' (5, 2)", "4 and 5")


@pytest.mark.parametrize("loss", ["mse", "bce", "bce_with_logits"])
def test_a_loss_whose_operands_would_broadcast_into_a_matrix(loss):
    g = gc.Graph("t")
    p = g.input("p", shape=("N",))
    t = g.input("t", shape=("N", 1))
    with pytest.raises(gc.ShapeError) as excinfo:
        getattr(gc, loss)(p, t)
    check(excinfo, ValueError, loss, "'p' (N,)", "'t' (N, 1)", "(N, N)", "broadcast=True")
    asked = getattr(gc, loss)(p, t, broadcast=True)
    assert asked.shape == ()


def test_a_loss_broadcasts_only_when_asked_and_then_means_over_the_broadcast():
    g = gc.Graph("t")
    p = g.input("p", shape=("N",))
    t = g.input("t", shape=("N", 1))
    pv, tv = np.array([1.0, 2.0, 4.0]), np.array([[0.0], [1.0], [3.0]])
    value = gc.evaluate(gc.mse(p, t, broadcast=True), at={"p": pv, "t": tv})
    np.testing.assert_allclose(value, np.mean((pv - tv) ** 2))


def test_a_loss_of_shapes_that_cannot_broadcast_at_all():
    g = gc.Graph("t")
    p = g.input("p", shape=(3,))
    t = g.input("t", shape=(4,))
    with pytest.raises(gc.ShapeError) as excinfo:
        gc.mse(p, t, broadcast=True)
    check(excinfo, ValueError, "mse", "'p' (3,)", "'t' (4,)")


def test_scalar_vector_of_one_and_matrix_of_one_stay_distinct():
    g = gc.Graph("t")
    s0 = g.input("s0", shape=())
    s1 = g.input("s1", shape=(1,))
    s2 = g.input("s2", shape=(1, 1))
    assert (s0.shape, s1.shape, s2.shape) == ((), (1,), (1, 1))
    assert (s0 * 2).shape == () and (s1 * 2).shape == (1,) and (s2 * 2).shape == (1, 1)
    assert (s0 + s1).shape == (1,) and (s1 + s2).shape == (1, 1)
    assert gc.sum(s2, keepdims=True).shape == (1, 1) and gc.sum(s2).shape == ()
    feeds = {"s0": np.ones(()), "s1": np.ones((1,)), "s2": np.ones((1, 1))}
    values = gc.evaluate([s0 * 2, s1 * 2, s2 * 2], at=feeds)
    assert [v.shape for v in values] == [(), (1,), (1, 1)]


@pytest.mark.parametrize("name, declared", [("s0", "()"), ("s1", "(1,)"), ("s2", "(1, 1)")])
@pytest.mark.parametrize("fed", [(), (1,), (1, 1)])
def test_a_feed_of_one_of_the_other_size_one_shapes_is_refused(name, declared, fed):
    g = gc.Graph("t")
    nodes = {"s0": g.input("s0", shape=()), "s1": g.input("s1", shape=(1,)),
             "s2": g.input("s2", shape=(1, 1))}
    if gc.shapes.fmt(fed) == declared:
        assert gc.evaluate(nodes[name], at={name: np.ones(fed)}).shape == fed
        return
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(nodes[name], at={name: np.ones(fed)})
    check(excinfo, ValueError, repr(name), gc.shapes.fmt(fed), declared)


def test_a_loss_has_shape_scalar():
    g, z, y, ce = classifier()
    p = g.input("p", shape=(1, 1))
    t = g.input("t", shape=(1, 1))
    losses = [ce, gc.mse(p, t), gc.bce(gc.sigmoid(p), t), gc.bce_with_logits(p, t)]
    assert [loss.shape for loss in losses] == [()] * 4
    feeds = {"z": np.zeros((2, 3)), "y": [0, 1], "p": [[0.5]], "t": [[1.0]]}
    assert [np.ndim(v) for v in gc.evaluate(losses, at=feeds)] == [0] * 4


@pytest.mark.parametrize("shape", [(1,), (1, 1)])
def test_a_size_one_tensor_is_not_a_scalar_loss(shape):
    g = gc.Graph("t")
    x = g.input("x", shape=shape)
    y = (x * 2).named("y")
    with pytest.raises(gc.DifferentiationError) as excinfo:
        gc.grad(y, [x])
    check(excinfo, ValueError, "'y'", "mul", gc.shapes.fmt(shape))


@pytest.mark.parametrize("labels, bad", [([0, 3], "3"), ([-1, 0], "-1"), ([5, 9], "5")])
def test_class_labels_out_of_range_name_the_bad_label_and_the_node(labels, bad):
    g, z, y, loss = classifier()
    with pytest.raises(gc.DomainError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": labels})
    check(excinfo, ValueError, "'loss'", "cross_entropy", f"label {bad}", "[0, 3)")


def test_class_labels_out_of_range_in_the_gradient_name_the_labels_input():
    g, z, y, loss = classifier()
    dz = gc.grad(loss, z)
    with pytest.raises(gc.DomainError) as excinfo:
        gc.evaluate(dz, at={"z": np.zeros((2, 3)), "y": [0, 3]})
    check(excinfo, ValueError, "'y'", "label 3", "[0, 3)")


def test_a_single_example_with_a_label_out_of_range():
    g = gc.Graph("t")
    z = g.input("z", shape=(3,))
    y = g.input("y", shape=(), dtype="int64")
    loss = gc.cross_entropy(z, y).named("loss")
    with pytest.raises(gc.DomainError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros(3), "y": 3})
    check(excinfo, ValueError, "'loss'", "label 3", "[0, 3)")
    np.testing.assert_allclose(gc.evaluate(loss, at={"z": np.zeros(3), "y": 2}), np.log(3))


@pytest.mark.parametrize("shape, dtype", [(("N",), "float64"), (("N", 3), "int64"),
                                          (("N", 2), "float64"), (("N", 1), "int64")])
def test_labels_neither_integer_indices_nor_one_hot_rows(shape, dtype):
    g = gc.Graph("t")
    z = g.input("z", shape=("N", 3))
    t = g.input("t", shape=shape, dtype=dtype)
    with pytest.raises(gc.ShapeError) as excinfo:
        gc.cross_entropy(z, t)
    check(excinfo, ValueError, "cross_entropy", "'z' (N, 3)",
          f"'t' {gc.shapes.fmt(shape)}", "(N,)")


def test_float_values_fed_as_integer_labels_are_refused():
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": [0.0, 1.5]})
    check(excinfo, ValueError, "'y'", "int64", "float64")


def test_gradient_with_respect_to_an_integer_input_is_an_error():
    g, z, y, loss = classifier()
    with pytest.raises(gc.DTypeError) as excinfo:
        gc.grad(loss, [z, y])
    check(excinfo, TypeError, "'y'", "int64", "input")


def test_integer_labels_are_fine_as_inputs():
    g, z, y, loss = classifier()
    (dz,) = gc.grad(loss, [z])
    logits = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = np.array([2, 0])
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected = (e / e.sum(axis=1, keepdims=True) - np.eye(3)[labels]) / 2
    np.testing.assert_allclose(gc.evaluate(dz, at={"z": logits, "y": labels}), expected)


def test_a_float64_feed_into_a_float32_graph_is_cast():
    g = gc.Graph("f32")
    x = g.input("x", shape=(3,), dtype="float32")
    w = g.param("w", shape=(3,), dtype="float32")
    loss = gc.sum(gc.sigmoid(w * x) * 2.0).named("loss")
    (dw,) = gc.grad(loss, [w])
    fed = np.array([1.0, -2.0, 0.5])
    assert fed.dtype == np.float64
    values = gc.evaluate([x, loss, dw], at={"x": fed, "w": np.ones(3)})
    assert [v.dtype for v in values] == [np.float32] * 3
    np.testing.assert_allclose(values[0], fed)
    s = 1 / (1 + np.exp(-fed))
    np.testing.assert_allclose(values[2], 2 * s * (1 - s) * fed, rtol=1e-5)


@pytest.mark.parametrize("value, piece", [
    ([[1.0, 2.0, 3.0], [4.0, 5.0]], "rectangular"),
    ([1.0, [2.0, 3.0], 4.0], "rectangular"),
    (np.array([1.0, 2.0, None], dtype=object), "object"),
    (np.array([1.0, 2.0, 3.0], dtype=object), "object"),
])
def test_object_arrays_ragged_lists_and_text_are_refused_as_feeds(value, piece):
    g = gc.Graph("t")
    x = g.input("x", shape=("N", 3) if piece == "rectangular" and len(value) == 2 else (3,))
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(x * 2, at={"x": value})
    check(excinfo, ValueError, "'x'", piece, gc.shapes.fmt(x.shape))


def test_text_that_is_no_number_is_refused_as_a_feed():
    """Texts are exact numbers (``"sqrt(2)/2"``); any other text names the feed and itself."""
    x = gc.Graph("t").input("x", shape=(3,))
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(x * 2, at={"x": ["a", "b", "c"]})
    check(excinfo, ValueError, "feed 'x'", "value 'a'", "unknown name 'a'")


# ---- Feeds and calls (the reference interpreter) ----------------------------------------


def test_a_missing_feed_names_the_input_and_its_shape():
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros((2, 3))})
    message = check(excinfo, ValueError, "missing", "'y' (N,)")
    assert "'z'" not in message


def test_every_missing_feed_is_named():
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={})
    check(excinfo, ValueError, "'z' (N, 3)", "'y' (N,)")


def test_a_feed_for_an_unknown_name_suggests_the_closest():
    g, z, y, loss = classifier()
    w = g.param("weights", shape=(3,))
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": [0, 1], "weigths": np.ones(3)})
    check(excinfo, ValueError, "'weigths'", "did you mean 'weights'?", "'clf'")
    assert w.name == "weights"


def test_a_feed_for_a_node_that_is_not_an_input_or_parameter():
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": [0, 1], "loss": 1.0})
    check(excinfo, ValueError, "'loss'", "cross_entropy", "not an input")


@pytest.mark.parametrize("value, fed", [(np.zeros((2, 4)), "(2, 4)"), (np.zeros(3), "(3,)"),
                                        (np.zeros((1, 2, 3)), "(1, 2, 3)"), (0.0, "()")])
def test_a_feed_of_the_wrong_shape_names_the_input_and_both_shapes(value, fed):
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={"z": value, "y": [0, 1]})
    check(excinfo, ValueError, "'z'", fed, "(N, 3)")


def test_a_feed_that_contradicts_a_named_dimension_names_both_inputs():
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={"z": np.zeros((2, 3)), "y": [0, 1, 2]})
    check(excinfo, ValueError, "'y'", "(3,)", "N = 3", "'z' (N, 3)", "N = 2")


def test_feeds_keyed_by_node_are_checked_the_same_way():
    g, z, y, loss = classifier()
    with pytest.raises(gc.FeedError) as excinfo:
        gc.evaluate(loss, at={z: np.zeros((2, 4)), y: [0, 1]})
    check(excinfo, ValueError, "'z'", "(2, 4)", "(N, 3)")


def test_read_only_feeds_work_are_not_written_and_give_the_same_result_every_time():
    g = gc.Graph("t")
    x = g.input("x", shape=("N", 3))
    w = g.param("w", shape=(3,))
    b = g.param("b")
    loss = gc.mean(gc.relu(x @ w + b) ** 2).named("loss")
    grads = gc.grad(loss, [w, b])
    feeds = {"x": np.arange(6.0).reshape(2, 3) - 2.0, "w": np.array([0.5, -1.0, 2.0]),
             "b": np.array(0.25)}
    before = {k: v.copy() for k, v in feeds.items()}
    for v in feeds.values():
        v.flags.writeable = False
    first = gc.evaluate([loss, x, *grads], at=feeds)
    second = gc.evaluate([loss, x, *grads], at=feeds)
    for k, v in feeds.items():
        np.testing.assert_array_equal(v, before[k])
    for a, c in zip(first, second):
        np.testing.assert_array_equal(a, c)
    assert gc.gradcheck(loss, [w, b], at=feeds)


def test_nan_and_inf_in_feeds_follow_ieee_rules():
    g = gc.Graph("t")
    x = g.input("x", shape=(4,))
    fed = np.array([np.nan, np.inf, -np.inf, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shifted, doubled, squashed, total = gc.evaluate(
            [x + 1, x * 2, gc.sigmoid(x), gc.sum(x)], at={"x": fed})
    np.testing.assert_array_equal(shifted, [np.nan, np.inf, -np.inf, 2.0])
    np.testing.assert_array_equal(doubled, [np.nan, np.inf, -np.inf, 2.0])
    np.testing.assert_array_equal(squashed[1:3], [1.0, 0.0])
    assert np.isnan(squashed[0]) and np.isnan(total)


# ---- Differentiation ------------------------------------------------------------------


def test_a_non_scalar_loss_is_an_error_with_the_hint_to_reduce_it():
    g = gc.Graph("t")
    v = g.input("v", shape=(3,))
    out = (v * 2).named("out")
    with pytest.raises(gc.DifferentiationError) as excinfo:
        gc.grad(out, [v])
    check(excinfo, ValueError, "'out'", "mul", "(3,)", "gc.sum(out)", "gc.mean(out)")


def test_a_node_the_loss_does_not_depend_on_gets_zeros_of_its_shape():
    g = gc.Graph("t")
    v = g.input("v", shape=(3,))
    u = g.param("u", shape=(2, 2))
    loss = gc.sum(v * v).named("loss")
    dv, du = gc.grad(loss, [v, u])
    assert du.shape == (2, 2) and du.dtype == "float64"
    values = gc.evaluate([dv, du], at={"v": [1.0, 2.0, 3.0], "u": np.ones((2, 2))})
    np.testing.assert_allclose(values[0], [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(values[1], np.zeros((2, 2)))


def test_a_node_the_loss_does_not_depend_on_is_an_error_on_request():
    g = gc.Graph("t")
    v = g.input("v", shape=(3,))
    u = g.param("u", shape=(2, 2))
    loss = gc.sum(v).named("loss")
    with pytest.raises(gc.DifferentiationError) as excinfo:
        gc.grad(loss, [v, u], unused="error")
    message = check(excinfo, ValueError, "'loss'", "'u'", "does not depend")
    assert "no gradient:" not in message  # not the "op has no gradient" error
    with pytest.raises(ValueError, match="unused"):
        gc.grad(loss, [v], unused="ignore")


def test_an_op_without_a_gradient_is_an_error_naming_the_op_not_a_zero(private_registry):
    registry.register(registry.OpDef(
        name="floor_nograd", family="elementwise", arity=1,
        infer=lambda attrs, args: (tuple(args[0].shape), args[0].dtype),
        reference=lambda attrs, x: np.floor(x), vjp=None, test=None, doc="floor"))
    g = gc.Graph("t")
    x = g.input("x", shape=(3,))
    floored = g.apply("floor_nograd", [x], name="floored")
    loss = gc.sum(floored).named("loss")
    for unused in ("zero", "error"):
        with pytest.raises(gc.DifferentiationError) as excinfo:
            gc.grad(loss, [x], unused=unused)
        message = check(excinfo, ValueError, "'floor_nograd'", "'floored'", "no gradient")
        assert "does not depend" not in message


@pytest.mark.parametrize("op, expected", [
    ("relu", [0.0, 0.0, 1.0]),    # relu'(0) = 0
    ("abs", [-1.0, 0.0, 1.0]),    # abs'(0) = 0
])
def test_kinks_have_the_pytorch_derivative(op, expected):
    g = gc.Graph("t")
    x = g.input("x", shape=(3,))
    loss = gc.sum(getattr(gc, op)(x)).named("loss")
    dx = gc.grad(loss, x)
    np.testing.assert_array_equal(gc.evaluate(dx, at={"x": [-2.0, 0.0, 2.0]}), expected)
    s = g.input("s")
    ds = gc.grad(getattr(gc, op)(s).named(f"{op}_s"), s)
    assert float(gc.evaluate(ds, at={"s": 0.0})) == 0.0


def test_the_perceptron_step_has_gradient_zero():
    g = gc.Graph("t")
    x = g.input("x", shape=(3,))
    fired = g.apply("elementwise", [x], {"expr": step(arg(0))}, name="fired")
    loss = gc.sum(fired * 3.0).named("loss")
    at = {"x": [-1.0, 0.0, 1.0]}
    np.testing.assert_array_equal(gc.evaluate(fired, at=at), [0.0, 0.0, 1.0])
    for unused in ("zero", "error"):  # the loss does depend on x: its gradient is 0
        dx = gc.grad(loss, x, unused=unused)
        assert dx.shape == (3,)
        np.testing.assert_array_equal(gc.evaluate(dx, at=at), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("build, expected", [
    (lambda a: a + a, 2.0),
    (lambda a: a * a, 2 * 1.5),
    (lambda a: a * a + a, 2 * 1.5 + 1),
    (lambda a: (a + a) * a - a, 4 * 1.5 - 1),
])
def test_fan_out_sums_the_gradients(build, expected):
    g = gc.Graph("t")
    a = g.input("a")
    da = gc.grad(build(a).named("y"), a)
    assert float(gc.evaluate(da, at={"a": 1.5})) == pytest.approx(expected)


def test_fan_out_of_a_vector_into_a_broadcast_and_a_reduction():
    g = gc.Graph("t")
    a = g.input("a", shape=(3,))
    m = g.input("m", shape=(2, 3))
    loss = (gc.sum(a + a) + gc.sum(m * a) + gc.sum(a)).named("loss")
    da = gc.grad(loss, a)
    mv = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    value = gc.evaluate(da, at={"a": np.zeros(3), "m": mv})
    np.testing.assert_allclose(value, 3.0 + mv.sum(axis=0))


def test_second_derivatives_work():
    g = gc.Graph("t")
    x = g.input("x")
    cube = (x ** 3).named("cube")
    d1 = gc.grad(cube, x)
    d2 = gc.grad(d1, x)
    d3 = gc.grad(d2, x)
    values = [float(v) for v in gc.evaluate([cube, d1, d2, d3], at={"x": 2.0})]
    assert values == pytest.approx([8.0, 12.0, 12.0, 6.0])


def test_second_derivative_of_a_vector_function_through_a_reduction():
    g = gc.Graph("t")
    x = g.input("x", shape=(3,))
    loss = gc.sum(gc.sigmoid(x)).named("loss")
    dx = gc.grad(loss, x)
    # d/dx of sum(dx) is the diagonal of the Hessian: s (1 - s) (1 - 2 s)
    dd = gc.grad(gc.sum(dx).named("total"), x)
    xv = np.array([-1.0, 0.0, 2.0])
    s = 1 / (1 + np.exp(-xv))
    np.testing.assert_allclose(gc.evaluate(dd, at={"x": xv}), s * (1 - s) * (1 - 2 * s))


def test_a_custom_elementwise_op_with_foreign_symbols_fails_when_registered(
        private_registry):
    k = sp.Symbol("k", real=True)
    test = registry.TestSpec(inputs=(("float", (3,), -1.0, 1.0),))
    with pytest.raises(gc.GraphError) as excinfo:
        elementwise.define("scaled", lambda a: k * a, lambda a: 2 * a, test, "k a")
    check(excinfo, ValueError, "'scaled'", "k", "a0")
    assert "scaled" not in registry._REGISTRY
    ok = elementwise.define("cubed", lambda a: a ** 3, lambda a: a ** 3, test, "a ** 3")
    assert ok.name == "cubed"


def test_an_elementwise_formula_with_foreign_symbols_fails_when_built():
    g = gc.Graph("t")
    x = g.input("x", shape=(3,))
    expr = arg(0) * sp.Symbol("k") + arg(1)
    with pytest.raises(gc.GraphError) as excinfo:
        g.apply("elementwise", [x, x], {"expr": expr}, name="custom")
    check(excinfo, ValueError, "'custom'", "elementwise", "k", "a0 .. a1")
