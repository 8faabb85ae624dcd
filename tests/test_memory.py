"""opt=2's memory reuse (graphc/compile/memory.py): the levels agree on every example and on
random graphs; a result is computed in place only in a temporary of the function's own,
never in a feed, an output, a constant or a view of one (read-only feeds make any such
write raise; writable ones are compared afterwards); reuse adds no sharing of memory
between outputs and feeds; the MLP's generated code does reuse."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import graphc as gc
import graphs
import test_codegen
from graphc import passes
from graphc.compile import memory
from graphs import compute_of, oracle
from test_golden import GOLDEN, matches
from test_passes import EXAMPLES, feeds_of, outputs_of


def frozen(f, feeds):
    """The feeds of ``f`` as read-only arrays of their own dtypes: the checked call passes
    such an array on as it is, so a write into one raises."""
    arrays = {}
    for name, _, dtype in f.inputs:
        arrays[name] = np.array(feeds[name], dtype=dtype)
        arrays[name].flags.writeable = False
    return arrays


def sharing(values, feeds):
    """Which outputs share memory with which outputs and feeds: (i, j) pairs."""
    others = list(values) + list(feeds)
    return {(i, j) for i, a in enumerate(values) for j, b in enumerate(others)
            if i != j and np.shares_memory(a, b)}


def agree(nodes, feeds, reference=None, rtol=1e-12):
    """Compile ``nodes`` at every level; each agrees with opt=1 to ``rtol`` (and with
    ``reference`` to 1e-9) from read-only feeds; opt=2 leaves writable feeds unchanged,
    checked and unchecked, and its outputs share memory with nothing opt=1's do not (the
    float path of a tiny graph builds every output afresh, so it may share less)."""
    fs = {opt: gc.compile(nodes, opt=opt, unused="ignore") for opt in passes.LEVELS}
    at = frozen(fs[1], feeds)
    expected = fs[1](**at)
    for opt, f in fs.items():
        for got, want, ref in zip(f(**at), expected, reference or expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14)
            np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    writable = {k: v.copy() for k, v in at.items()}
    fs[2](**writable)
    arrays = fs[2].check(**writable)
    fast = fs[2].unchecked(*arrays)
    for name, value in writable.items():
        np.testing.assert_array_equal(value, at[name], err_msg=f"feed {name!r} was written")
    plain = fs[1].unchecked(*fs[1].check(**at))
    assert sharing(fast, arrays) <= sharing(plain, fs[1].check(**at))  # floats share none
    assert not sharing(fs[2](**writable), arrays)  # the checked call: all distinct
    return fs


@pytest.fixture(params=[memory.ROLES, ("op", "grad")], ids=["forward", "gradients too"])
def roles(request, monkeypatch):
    """opt=2 as it is, and with gradients computed in place too: not faster (memory.ROLES
    says why), but the safety of reuse must not rest on that choice."""
    monkeypatch.setattr(memory, "ROLES", request.param)
    return request.param


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_agrees_at_every_level_from_read_only_feeds(name, roles):
    module = graphs.load(name)
    graph, nodes = outputs_of(module)
    at = feeds_of(module, graph)
    agree(nodes, at, oracle(nodes, at=at))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(test_codegen.random_graph(), st.integers(0, 2 ** 16))
def test_random_graphs_agree_at_every_level_from_read_only_feeds(roles, case, seed):
    nodes, feeds = test_codegen.nodes_and_feeds(case, seed)
    agree(nodes, feeds, oracle(nodes, at=feeds), rtol=1e-10)


def test_the_mlp_at_opt_2_computes_in_place_and_reads_as_it_does():
    g, nodes = graphs.mlp()
    source = gc.compile(nodes, opt=2).source
    compute = compute_of(source)
    for line in ("add = matmul  # reuses matmul's buffer", "add += b1",
                 "logits = matmul_1  # add; reuses matmul_1's buffer", "logits += b2",
                 "dloss_dadd = dloss_dH * (add > 0)  # relu'(add) = step(add)"):
        assert f"    {line}\n" in compute  # gradients keep their own (memory.ROLES)
    plain = compute_of(gc.compile(nodes, opt=1).source)
    assert not any(op in plain for op in ("+=", "-=", "*=", "/=", "out=", "reuses"))
    assert max(len(line) for line in source.splitlines()) <= 100
    matches(GOLDEN / "opt2" / "mlp.py", source)


def test_a_ufunc_is_computed_in_place_with_out_and_a_formula_step_by_step():
    g = gc.Graph("chain")
    x, w = g.input("x", shape=("N", 4)), g.param("w", shape=(4, 4))
    z = (x @ w + 1.0).named("z")
    h = gc.tanh(z).named("h")
    fused = gc.tanh(x @ w * 2.0 - 1.0).named("fused")
    nodes = [gc.sum(gc.exp(h)).named("s"), gc.sum(fused).named("f"), h]
    compute = compute_of(gc.compile(nodes, opt=2).source)
    for line in ("h = np.tanh(z, out=z)  # tanh; reuses z's buffer",
                 "fused = matmul  # reuses matmul's buffer",
                 "fused *= 2", "fused -= 1", "np.tanh(fused, out=fused)"):
        assert f"    {line}\n" in compute
    rng = np.random.default_rng(0)
    agree(nodes, {"x": rng.normal(size=(3, 4)), "w": rng.normal(size=(4, 4))})


def tempting():
    """Graphs with a value that would be a wrong donor: a view of a feed, a temporary with a
    live view (an output reshape, a transpose used twice), an output, a constant, a full
    reduction, an operand broadcast to the result's shape."""
    g = gc.Graph("tempting")
    x, r = g.input("x", shape=(2, 3)), g.input("r", shape=(3,))
    c = g.const("c", np.arange(6.0).reshape(2, 3))
    a = (x * 2.0).named("a")
    view = gc.reshape(a, (3, 2)).named("view")        # an output aliasing a
    t = (x * 3.0).named("t")
    tt = gc.transpose(t).named("tt")                  # a view used twice: a line of its own
    both = (tt @ x + tt @ c).named("both")
    out = (x + 1.0).named("out")                      # an output, then read once more
    s = gc.sum(x * x).named("s")                      # shape (): a NumPy scalar
    vx = gc.reshape(x, (3, 2)).named("vx")            # a view of a feed, used twice
    nodes = [view, gc.tanh(a) + gc.sum(gc.exp(t)), both, out, gc.tanh(out),
             gc.tanh(gc.reshape(x, (3, 2))), gc.exp(x.T), gc.tanh(c) * 2.0,
             s * 2.0 + s, (r * 2.0) + x, gc.sum(a * c), gc.tanh(vx), vx * 2.0]
    loss = sum((gc.sum(n) for n in nodes[1:]), gc.sum(nodes[0]))
    return nodes + [loss] + gc.grad(loss, [x, r])


def test_views_outputs_constants_and_scalars_are_never_donors(roles):
    nodes = tempting()
    rng = np.random.default_rng(1)
    feeds = {"x": rng.normal(size=(2, 3)), "r": rng.normal(size=3)}
    fs = agree(nodes, feeds, oracle(nodes, at=feeds))
    compute = compute_of(fs[2].source)
    assert "reuses" in compute  # reuse happens here, only not where it would be wrong
    for name in ("x", "r", "c", "a", "t", "out", "s", "vx"):
        assert f"out={name})" not in compute and f" = {name}  # reuses" not in compute
    assert not np.any(fs[2]._module.c != np.arange(6.0).reshape(2, 3))  # the constant
    first = fs[2](**feeds)
    for again, then in zip(fs[2](**feeds), first):  # a second call computes the same
        np.testing.assert_array_equal(again, then)


@pytest.mark.parametrize("text,donor,expected", [
    ("a + b", "a", ["t += b"]),
    ("b + a", "a", ["t += b"]),                          # + and * commute exactly
    ("b - a", "a", None),
    ("a @ b", "a", None),                                # no in-place product
    ("dh * (z > 0)", "dh", ["t *= (z > 0)"]),
    ("np.tanh(a)", "a", ["np.tanh(t, out=t)"]),
    ("np.frexp(a)", "a", None),                          # two results
    ("np.tanh(a.T)", "a", None),                         # a view of the donor
    ("np.tanh(a) * 2.0", "a", ["np.tanh(t, out=t)", "t *= 2.0"]),
    ("a * (a - 1)", "a", ["t *= a - 1"]),                # one step: the right side first
    ("(a - 1) * a", "a", None),                          # a second step would read the first
    ("(a - b) / a.size", "a", ["t -= b", "t /= a.size"]),  # a shape is no read of data
    ("np.sum(a, axis=0)", "a", None),
    ("_np_softmax(a, axis=1)", "a", None),
])
def test_in_place_steps_follow_the_left_spine(text, donor, expected):
    assert memory.steps(text, donor, "t") == expected
