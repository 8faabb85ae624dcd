"""The pass pipeline: each pass alone on small graphs (its structure afterwards, and values
unchanged both interpreted and compiled), verify, optimize, origins, gc.compile's levels,
and every example compiled with verify after each pass."""

from pathlib import Path

import numpy as np
import pytest

import graphc as gc
import graphs
from graphc import passes
from graphc.compile.compiled import CompiledFunction
from graphc.compile.printer import generate
from graphc.compile.program import lower
from graphc.graph import Node
from graphc.graph.node import NodeRecord
from graphc.ops.scalar import arg
from graphs import oracle, vector_neuron

AT = {"x": [1.0, -1.0], "w": [1.0, 2.0], "y": 1.0}


def values(graph, ids, feeds):
    """The reference interpreter's values of ``ids`` in ``graph``, and the compiled code's
    (lowered as the graph is, no pass run)."""
    interpreted = oracle([Node(graph, v) for v in ids], at=feeds)
    f = CompiledFunction(generate(lower(graph, ids)), graph.name)
    return interpreted, f(**{k: v for k, v in feeds.items() if k in dict(
        (n, 0) for n, _, _ in f.inputs)})


def same_values(before, after, ids, feeds):
    """``after`` (a pass's result) computes what ``before`` did, interpreted and compiled."""
    reference = oracle([Node(before, v) for v in ids], at=feeds)
    for got in values(after, ids, feeds):
        for a, b in zip(got, reference):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def neuron_grads():
    g, x, w, y, z, yhat, loss = vector_neuron()
    dz, dw = gc.grad(loss, [z, w])
    return g, [loss.id, dz.id, dw.id]


# ---- autodiff: one node per vjp step, and where each came from ----------------------------

def test_grad_builds_one_node_per_vjp_step_with_its_origin():
    g, x, w, y, z, yhat, loss = vector_neuron()
    (dw,) = gc.grad(loss, [w])
    dyhat, dz = g["dloss_dyhat"], g["dloss_dz"]
    assert dz.operands[0] == dyhat and dyhat.op == dz.op == "elementwise"
    assert dyhat.record.origin == ((loss.id, 0),) and dz.record.origin == ((yhat.id, 0),)
    assert dw.record.origin == ((z.id, 0),)
    assert g["count7"].record.origin == ((loss.id, None),)  # a helper of bce's vjp
    assert g["dloss_dloss"].record.origin == () and x.record.origin == ()
    copy = g.copy()
    copy.replace(dz.id, "elementwise", [dyhat.id, yhat.id], {"expr": arg(0) * arg(1)})
    assert copy.record(dz.id).origin == ((yhat.id, 0),)


def test_helpers_of_a_vjp_have_no_slot():
    g, outputs = graphs.mlp()
    transposes = [n for n in g if n.op == "transpose" and n.role == "grad"]
    assert transposes and all(t.record.origin[0][1] is None for t in transposes)
    softmax = next(n for n in g if n.op == "softmax")
    assert softmax.record.origin == ((g["loss"].id, None),)


# ---- fold_constants ------------------------------------------------------------------------

def test_fold_puts_the_seed_and_a_count_of_one_into_the_formula():
    g, ids = neuron_grads()
    out = passes.fold_constants(g, ids)
    dyhat = g["dloss_dyhat"].id
    assert out.record(dyhat).attrs["expr"] == (arg(0) - arg(1)) / (arg(0) * (1 - arg(0)))
    assert not any(out.record(v).op == "count" for v in out.nx)
    assert "dloss_dloss" not in out and "count7" in g  # the graph given is unchanged
    same_values(g, out, ids, AT)


def test_fold_leaves_counts_over_named_dimensions_literals_and_named_constants():
    g = gc.Graph()
    x = g.input("x", shape=("N", 3))
    half = g.const("half", 0.5)
    out_nodes = [gc.mean(x * 2).named("m"), (x * half).named("h")]
    ids = [n.id for n in out_nodes] + [n.id for n in gc.grad(out_nodes[0], [x])]
    out = passes.fold_constants(g, ids)
    assert any(out.record(v).op == "count" for v in out.nx)  # N is not known
    assert out.record(g["h"].id).op == "mul" and "half" in out
    assert any(out.record(v).op == "mul" and out.record(v).role == "op" for v in out.nx)
    same_values(g, out, ids, {"x": np.arange(6.0).reshape(2, 3)})


def test_fold_computes_ops_over_constants_and_bypasses_a_bare_operand():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    five = g.literal(2.0) + 3  # an op over constants only
    y = (x * five).named("y")
    one = g.literal(1.0)
    keep = g.apply("elementwise", [x, one], {"expr": arg(0) * arg(1)})
    z = gc.exp(keep).named("z")
    out = passes.fold_constants(g, [y.id, z.id])
    assert out.record(y.id).op == "elementwise"
    assert out.record(y.id).attrs["expr"] == 5 * arg(0)
    assert keep.id not in out.nx and out.operands(z.id) == [x.id]
    same_values(g, out, [y.id, z.id], {"x": [0.5, -1.0, 2.0]})
    assert passes.fold_constants(g, [keep.id]).record(keep.id).attrs["expr"] == arg(0)


def test_fold_returns_the_same_graph_when_nothing_is_known():
    g = gc.Graph()
    s = gc.sigmoid(g.input("x")).named("s")
    assert passes.fold_constants(g, [s.id]) is g


def test_count_over_static_shapes_folds_in_a_mean():
    g = gc.Graph()
    x, w = g.input("x", shape=(2, 3)), g.param("w", shape=(2,))
    loss = gc.sum(gc.mean(x, axis=1) * w).named("loss")
    (dx,) = gc.grad(loss, [x])
    assert any(n.op == "count" for n in g)
    out = passes.fold_constants(g, [loss.id, dx.id])
    assert not any(out.record(v).op == "count" for v in out.nx)
    same_values(g, out, [loss.id, dx.id],
                {"x": np.linspace(-1, 1, 6).reshape(2, 3), "w": [0.5, -2.0]})


# ---- fuse_elementwise ----------------------------------------------------------------------

def test_fuse_makes_one_node_of_a_region_keeping_the_consumers_id_and_name():
    g = gc.Graph()
    x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
    s = gc.sigmoid(gc.tanh(x * w) + 1).named("s")
    out = passes.fuse_elementwise(g, [s.id])
    assert out.record(s.id).op == "elementwise" and out.record(s.id).name == "s"
    assert out.operands(s.id) == [x.id, w.id] and len(out) == 3
    same_values(g, out, [s.id], {"x": [0.5, -1.0, 2.0], "w": [1.0, 2.0, 3.0]})


def test_fuse_keeps_named_tensors_outputs_shared_values_and_integers():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    named = gc.tanh(x).named("t")
    shared = gc.exp(x)
    out_node = gc.sigmoid(x)
    total = (gc.sigmoid(named) + shared * 3 + out_node + gc.tanh(shared)).named("total")
    labels = g.input("k", shape=(3,), dtype="int64")
    ints = ((labels + 1) * 2).named("ints")
    ids = [total.id, out_node.id, ints.id]
    out = passes.fuse_elementwise(g, ids)
    assert named.id in out.nx and shared.id in out.nx and out_node.id in out.nx
    assert out.record(ints.id).op == "mul"  # integers are not fused
    same_values(g, out, ids, {"x": [0.5, -1.0, 2.0], "k": [1, 2, 3]})


def test_fuse_cancels_bce_into_sigmoid_and_keeps_the_slides_steps():
    g, ids = neuron_grads()
    folded = passes.fold_constants(g, ids)
    out = passes.fuse_elementwise(folded, ids)
    dz = g["dloss_dz"].id
    assert out.record(dz).attrs["expr"] == arg(0) - arg(1)
    assert [out.record(u).name for u in out.operands(dz)] == ["yhat", "y"]
    assert out.record(dz).origin == ((g["loss"].id, 0), (g["yhat"].id, 0))
    assert out.record(g["dloss_dw"].id).op == "mul"  # dloss_dz stays a step of its own
    same_values(g, out, ids, AT)


def test_fuse_bounds_the_formulas_of_a_long_chain():
    g = gc.Graph()
    v = g.input("x", shape=(2,))
    for _ in range(40):
        v = gc.tanh(v)
    out = passes.fuse_elementwise(g, [v.id])
    assert 1 < len(out) < 12
    same_values(g, out, [v.id], {"x": [0.5, -2.0]})


# ---- eliminate_common and eliminate_dead_code ------------------------------------------------

def test_common_subexpressions_are_computed_once_and_outputs_keep_their_ids():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    a, b = gc.exp(x), gc.exp(x)
    total = (a + b).named("total")
    out = passes.eliminate_common(g, [total.id, b.id])
    assert out.operands(total.id) == [a.id, a.id] and b.id in out.nx
    out2 = passes.eliminate_common(g, [total.id])
    assert b.id not in out2.nx and a.id in out2.nx
    same_values(g, out2, [total.id], {"x": [0.5, -1.0, 2.0]})
    assert passes.eliminate_common(out2, [total.id]) is out2


def test_dead_code_goes_and_inputs_stay():
    g = gc.Graph()
    x, unused = g.input("x"), g.input("u")
    s = gc.sigmoid(x).named("s")
    gc.exp(gc.tanh(x))
    out = passes.eliminate_dead_code(g, [s.id])
    assert [n.name for n in out] == ["x", "u", "s"] and len(g) == 5
    assert passes.eliminate_dead_code(out, [s.id]) is out
    same_values(g, out, [s.id], {"x": 0.3})


# ---- verify ----------------------------------------------------------------------------------

def test_verify_names_the_pass_and_the_node():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    s = gc.sigmoid(x).named("s")
    assert passes.verify(g, after="fold_constants") is g
    bad = g.copy()
    bad.add(NodeRecord(op="exp", role="op", name="wrong", shape=(7,), dtype="float64"), [x.id])
    with pytest.raises(gc.GraphError, match=r"after pass 'fuse_elementwise': node 'wrong' "
                                            r"\(exp, shape \(7,\) float64 of x \(3,\)\)"):
        passes.verify(bad, after="fuse_elementwise")
    slots = g.copy()
    slots.nx.edges[x.id, s.id, 0]["slot"] = 1
    with pytest.raises(gc.GraphError, match="'s'.*slots are \\[1\\]"):
        passes.verify(slots, after="p")
    moved = g.copy()  # an edge changed behind the editing API's back
    y = moved.input("y", shape=(3,))
    moved.nx.remove_edge(x.id, s.id)
    moved.nx.add_edge(y.id, s.id, key=0, slot=0)
    with pytest.raises(gc.GraphError, match="'s'.*edges give the operands 'y', its record "
                                            "store 'x'"):
        passes.verify(moved, after="p")
    cycle = g.copy()
    cycle.nx.add_edge(s.id, x.id, key=0, slot=0)
    with pytest.raises(gc.GraphError, match="after pass 'p': the graph has a cycle"):
        passes.verify(cycle, after="p")


# ---- optimize, the pipeline and gc.compile ---------------------------------------------------

def test_the_pipeline_is_data_in_order_with_levels():
    assert [(name, level) for name, _, level in passes.PIPELINE] == [
        ("rewrite_stable", 0), ("fold_constants", 0), ("fuse_cancelling", 0),
        ("guard_quotients", 0), ("share_softmax", 1), ("fuse_elementwise", 1),
        ("eliminate_common", 1), ("eliminate_dead_code", 1)]


def test_optimize_runs_the_levels_passes_and_calls_rewrite_stable_by_module(monkeypatch):
    calls = []
    real = passes.stable.rewrite_stable
    monkeypatch.setattr(passes.stable, "rewrite_stable",
                        lambda graph: calls.append(graph) or real(graph))
    g = gc.Graph()
    s = gc.sigmoid(gc.tanh(g.input("x"))).named("s")
    low = passes.optimize(g, [s.id], opt=0)
    assert low.record(s.id).op == "sigmoid" and calls == [g]  # one statement a step
    high = passes.optimize(g, [s.id], opt=1, debug=True)
    assert high.record(s.id).op == "elementwise" and len(calls) == 2
    with pytest.raises(ValueError, match="opt must be one of 0, 1, 2, got 3"):
        passes.optimize(g, [s.id], opt=3)


def test_debug_catches_a_pass_that_breaks_the_graph(monkeypatch):
    def broken(graph, outputs):
        bad = graph.copy()
        bad.add(NodeRecord(op="exp", role="op", name="oops", shape=(5,), dtype="float64"),
                [outputs[0]])
        return bad
    monkeypatch.setattr(passes, "PIPELINE", passes.PIPELINE + (("broken", broken, 1),))
    g, ids = neuron_grads()
    passes.optimize(g, ids)  # unchecked, it passes
    with pytest.raises(gc.GraphError, match="after pass 'broken': node 'oops'"):
        passes.optimize(g, ids, debug=True)


def test_compile_takes_an_opt_level_and_a_debug_mode():
    g, x, w, y, z, yhat, loss = vector_neuron()
    (dw,) = gc.grad(loss, [w])
    teaching = gc.compile([loss, dw], opt=0, debug=True)
    fused = gc.compile([loss, dw], debug=True)
    # bce's step cancels into sigmoid's at every level: finite for logits of any size
    for f in (teaching, fused):
        assert "dloss_dyhat" not in f.source and "count" not in f.source
        assert "dloss_dz = yhat - y" in f.source
    for a, b in zip(teaching(**AT), fused(**AT)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match="opt must be one of 0, 1, 2, got 3"):
        gc.compile([loss], opt=3)


def test_a_planted_wrong_fusion_makes_compiled_and_interpreted_disagree(monkeypatch):
    g, ids = neuron_grads()
    nodes = [Node(g, v) for v in ids]
    real = passes.fuse._substitute
    monkeypatch.setattr(passes.fuse, "_substitute",
                        lambda outer, n, slots, inner, m: 2 * real(outer, n, slots, inner, m))
    wrong = gc.compile(nodes)(**AT)
    reference = oracle(nodes, at=AT)
    assert not all(np.allclose(a, b) for a, b in zip(wrong, reference))


EXAMPLES = sorted(p.stem for p in Path(graphs.EXAMPLES).glob("*.py"))


def feeds_of(module, graph):
    """The example's own point, else small values of every input and param."""
    at = getattr(module, "AT", None) or getattr(module, "at", None)
    if at:
        return at
    rng = np.random.default_rng(0)
    sized = {}
    for leaf in graph.inputs + graph.params:
        shape = tuple(2 if isinstance(d, str) else d for d in leaf.shape)
        sized[leaf.name] = (np.zeros(shape, dtype=leaf.dtype) if "int" in leaf.dtype
                            else rng.uniform(-1, 1, shape))
    return sized


def outputs_of(module):
    """The example's loss and its gradients (what ``graphc compile`` writes), or, for a
    graph with no loss to differentiate (the perceptron's step), its final nodes."""
    from graphc.cli import UsageError, find_loss, gradients
    try:
        loss = find_loss(vars(module), module.__name__)
        return loss.graph, [loss] + gradients(loss)
    except (UsageError, gc.DifferentiationError):
        graph = next(v for v in vars(module).values() if isinstance(v, gc.Graph))
        return graph, [n for n in graph if n.role == "op" and not n.users]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_compiles_with_verify_after_each_pass(name):
    module = graphs.load(name)
    graph, nodes = outputs_of(module)
    at = feeds_of(module, graph)
    reference = oracle(nodes, at=at)
    for opt in passes.LEVELS:
        got = gc.compile(nodes, opt=opt, debug=True, unused="ignore")(**at)
        for a, b in zip(got, reference):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
