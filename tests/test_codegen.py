"""Generated code against the reference interpreter: every op forward and backward, float32,
random graphs (Hypothesis), constants and literals, and graphs of thousands of nodes."""

import ast
import dataclasses
import functools
import operator

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import graphc as gc
from graphc import ops
from graphc.errors import GraphError
from graphc.ops import all_ops
from graphc.ops.scalar import arg, maximum, relu, sigmoid, step
from graphc.ops.templates import check_template

from opspecs import build, differentiable, scalar_of
from graphs import oracle

OPS = all_ops()
GRAD_OPS = [op for op in OPS if op.test is not None and op.test.grad]


def same(compiled, reference, rtol=1e-12, atol=1e-12):
    for c, r in zip(compiled, reference, strict=True):
        assert isinstance(c, np.ndarray) and c.dtype == r.dtype and c.shape == r.shape
        np.testing.assert_allclose(c, r, rtol=rtol, atol=atol)


# ---- the op table ------------------------------------------------------------------------------

@pytest.mark.parametrize("opdef", OPS, ids=lambda op: op.name)
def test_every_op_has_a_numpy_template(opdef):
    assert opdef.numpy, f"op {opdef.name!r} has no numpy template"
    template = opdef.numpy
    if callable(template):  # chosen by operand shapes: check the one for the test spec's
        template = template(dict(build(opdef)[1].attrs), [e[1] for e in opdef.test.inputs])
    check_template(opdef.name, template, opdef.arity, opdef.helpers)


@pytest.mark.parametrize("x,like,axes,expected", [
    (("N", 3), (3,), (), "{0}.sum(axis=0)"),
    ((2, "N", 3), (3,), (), "{0}.sum(axis=(0, 1))"),
    ((2, 3), (2, 1), (), "{0}.sum(axis=1, keepdims=True).reshape(np.shape({1}))"),
    ((2, 3), (2,), (1,), "{0}.sum(axis=1, keepdims=True).reshape(np.shape({1}))"),
    (("N", 3), ("N", 3), (), "np.reshape({0}, np.shape({1}))"),
])
def test_sum_to_prints_the_axes_it_sums(x, like, axes, expected):
    template = gc.ops.get("sum_to").numpy({"axes": axes}, [x, like])
    assert template == expected
    check_template("sum_to", template, 2, ())


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("opdef", OPS, ids=lambda op: op.name)
def test_every_op_forward_agrees_with_the_interpreter(opdef, seed):
    g, out, operands, feeds = build(opdef, seed)
    same(gc.compile([out])(**feeds), [oracle(out, at=feeds)])


@pytest.mark.parametrize("opdef", GRAD_OPS, ids=lambda op: op.name)
def test_every_op_backward_agrees_with_the_interpreter(opdef):
    g, out, operands, feeds = build(opdef, 3)
    loss = scalar_of(out, 3)
    nodes = [loss] + gc.grad(loss, differentiable(opdef, operands))
    same(gc.compile(nodes)(**feeds), oracle(nodes, at=feeds))


@pytest.mark.parametrize("opt", gc.passes.LEVELS)
@pytest.mark.parametrize("opdef", OPS, ids=lambda op: op.name)
def test_float32_stays_float32_forward_and_backward(opdef, opt):
    g, out, operands, feeds = build(opdef, 0, "float32")
    nodes = [out]
    if opdef.test.grad:
        loss = gc.sum(out * g.const("weights", np.linspace(0.5, 1.5, max(1, int(np.prod(
            [d for d in out.shape])))).reshape(out.shape), dtype="float32"))
        nodes += [loss] + gc.grad(loss, differentiable(opdef, operands))
    compiled = gc.compile(nodes, opt=opt)(**feeds)  # every level within 1e-5 of the oracle
    for node, value in zip(nodes, compiled):
        assert value.dtype == np.dtype(node.dtype) == np.float32 or node.dtype != "float32"
    same(compiled, oracle(nodes, at=feeds), rtol=1e-5, atol=1e-6)


def test_float64_feeds_are_cast_into_a_float32_graph():
    g = gc.Graph()
    x = g.input("x", shape=(3,), dtype="float32")
    (y,) = gc.compile([gc.exp(x) * 2.0])(x=np.array([0.1, 0.2, 0.3]))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, 2 * np.exp(np.float32([0.1, 0.2, 0.3])), rtol=1e-6)


@pytest.mark.parametrize("build_node,dtype", [
    (lambda x, i: gc.sum(i), "int32"),                      # NumPy would sum in int64
    (lambda x, i: i / i, "float64"),
    (lambda x, i: gc.mean(i), "float64"),
    (lambda x, i: x + i, "float32"),                        # NumPy would give float64
    (lambda x, i: x @ i, "float32"),
    (lambda x, i: gc.relu(i), "int32"),
    (lambda x, i: i.graph.apply("elementwise", [i], {"expr": arg(0) * 2}), "float64"),
    (lambda x, i: x * np.float64(0.5), "float32"),          # a Python float is weak
    (lambda x, i: x * x.graph.const("c", 0.5, dtype="float64"), "float64"),
])
def test_mixed_dtypes_give_the_graphs_dtype(build_node, dtype):
    g = gc.Graph()
    x = g.input("x", shape=(3,), dtype="float32")
    i = g.input("i", shape=(3,), dtype="int32")
    node = build_node(x, i)
    assert node.dtype == dtype
    feeds = {"x": np.float32([0.5, -1.5, 2.0]), "i": np.int32([1, 2, 3])}
    (value,) = gc.compile([node], unused="ignore")(**feeds)
    same([value], [oracle(node, at=feeds)], rtol=1e-6)


# ---- element-wise formulas ---------------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    arg(0) * sigmoid(arg(1)) + arg(0) ** 2 * sp.tanh(arg(1)),
    maximum(sp.log(arg(0) ** 2 + 1), -100) + relu(arg(1)) * step(arg(0)),
    sp.Float(1 / 3) * arg(0) + sp.Rational(1, 7) / (1 + arg(1) ** 2),
    sp.Abs(arg(0)) * sp.sign(arg(1)) + sp.exp(-arg(0) ** 2) + sp.pi + sp.E,
    1 / arg(0) + sp.sqrt(arg(1) ** 2 + 1) + arg(0) ** sp.Rational(3, 2) * 0,
])
def test_elementwise_formulas_agree_with_the_interpreter(expr):
    g = gc.Graph()
    a, b = g.input("a", shape=(4,)), g.input("b", shape=(2, 4))
    node = g.apply("elementwise", [a, b], {"expr": expr})
    feeds = {"a": [0.5, 1.5, -2.0, 3.0], "b": np.linspace(-2, 2, 8).reshape(2, 4)}
    f = gc.compile([node], unused="ignore")
    same(f(**feeds), [oracle(node, at=feeds)], rtol=1e-15)
    assert "numpy." not in f.source and "functools" not in f.source


def test_a_formula_that_leaves_out_an_operand_keeps_the_broadcast_shape():
    g = gc.Graph()
    a, b = g.input("a", shape=(3,)), g.input("b", shape=(2, 3))
    node = g.apply("elementwise", [a, b], {"expr": arg(0) * 2})
    feeds = {"a": [1.0, 2.0, 3.0], "b": np.ones((2, 3))}
    value = gc.compile([node])(**feeds)[0]
    assert value.shape == (2, 3) == oracle(node, at=feeds).shape
    np.testing.assert_array_equal(value, [[2.0, 4.0, 6.0]] * 2)


def test_a_formula_numpy_cannot_compute_is_an_error_at_compile():
    g = gc.Graph()
    a = g.input("a", shape=(3,))
    node = g.apply("elementwise", [a], {"expr": sp.besselj(0, arg(0))})
    with pytest.raises(GraphError, match="NumPy lacks"):
        gc.compile([node])


def test_a_template_typo_fails_when_the_op_is_registered():
    typo = dataclasses.replace(ops.get("matmul"), name="matmul_typo", numpy="np.matmull({0}, {1})")
    with pytest.raises(GraphError, match=r"matmul_typo.*np\.matmull, which NumPy lacks"):
        ops.register(typo)
    assert "matmul_typo" not in [op.name for op in all_ops()]
    with pytest.raises(GraphError, match="not a Python expression"):
        check_template("mm", "{0} @@ {1}", 2, ())
    with pytest.raises(GraphError, match=r"operand \{2\}, but the op has 2"):
        check_template("mm", "{0} @ {2}", 2, ())
    with pytest.raises(GraphError, match="neither np nor one of its helpers"):
        check_template("mm", "_np_nothing({0})", 1, ())
    with pytest.raises(GraphError, match="bad placeholder"):
        check_template("mm", "{0!r}", 1, ())


def test_a_users_elementwise_op_gets_its_code_from_its_formula(monkeypatch):
    from graphc.ops import elementwise, registry
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    elementwise.define("softplus_test", lambda a: sp.log(1 + sp.exp(a)),
                       lambda x: np.logaddexp(0, x), None, "log(1 + e^a)")
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    y = g.apply("softplus_test", [x], name="y")
    loss = gc.sum(y)
    f = gc.compile([y, loss] + gc.grad(loss, [x]))
    assert "y = np.log(np.exp(x) + 1)  # softplus_test" in f.source
    feeds = {"x": [-1.0, 0.0, 2.0]}
    same(f(**feeds), oracle([y, loss] + gc.grad(loss, [x]), at=feeds))


def test_an_op_without_template_or_formula_is_an_error_at_compile(monkeypatch):
    from graphc.ops import registry
    bare = dataclasses.replace(ops.get("identity"), name="bare_test", numpy=None)
    monkeypatch.setitem(registry._REGISTRY, "bare_test", bare)
    g = gc.Graph()
    node = g.apply("bare_test", [g.input("x")], name="out")
    with pytest.raises(GraphError, match="op 'bare_test' .*'out'.* no NumPy template"):
        gc.compile([node])


@pytest.mark.parametrize("nodes,error", [([], GraphError), (["loss"], TypeError)])
def test_compile_takes_nodes(nodes, error):
    with pytest.raises(error):
        gc.compile(nodes)
    g1, g2 = gc.Graph("one"), gc.Graph("two")
    with pytest.raises(GraphError, match="one graph"):
        gc.compile([g1.input("a"), g2.input("b")])


# ---- constants and literals --------------------------------------------------------------------

def test_constants_inline_scalars_module_arrays_and_special_floats():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    table = g.const("table", [[1.0, -np.inf], [np.nan, 2.5]])
    out = [x * -0.5 + 3, (x - 1) ** 2, gc.sum(table), g.const("k", np.arange(20.0)),
           x * g.const("third", 1 / 3, dtype="float32"), gc.exp(x * -np.inf)]
    f = gc.compile(out, opt=0)  # one statement a node: each constant where the user put it
    assert "(-0.5)" in f.source and "np.inf" in f.source and "np.nan" in f.source
    assert "0.3333333" in f.source
    feeds = {"x": [1.0, 2.0, -3.0]}
    same(f(**feeds), oracle(out, at=feeds))
    same(gc.compile(out)(**feeds), oracle(out, at=feeds))


# ---- random graphs -----------------------------------------------------------------------------

SHAPES = [(), (3,), (2, 3)]
UNARY = [gc.sigmoid, gc.tanh, gc.relu, gc.neg, gc.abs,
         lambda v: gc.softmax(v) if v.shape else gc.tanh(v),
         lambda v: gc.log_softmax(v) if v.shape else gc.sigmoid(v),
         lambda v: gc.sum(v, axis=0) if len(v.shape) == 2 else gc.mean(v),
         lambda v: v.graph.apply("elementwise", [v], {"expr": sp.log(1 + arg(0) ** 2)}),
         lambda v: v.graph.apply("elementwise", [v],  # its derivative shares two sigmoids
                                 {"expr": arg(0) * sigmoid(arg(0)) + sigmoid(2 * arg(0))}),
         lambda v: v * 0.5 - 1,
         lambda v: v / (v * v + 1)]
BINARY = [gc.add, gc.sub, gc.mul,
          lambda a, b: a @ b if a.shape == b.shape == (3,) else a * b,
          lambda a, b: a.graph.apply("elementwise", [a, b],
                                     {"expr": arg(0) * sigmoid(arg(1)) + sp.exp(sp.tanh(arg(0)))}),
          lambda a, b: a.graph.apply("add_n", [a, b, a])]


@st.composite
def random_graph(draw_):
    g = gc.Graph("random")
    pool = [g.input(f"in{i}", shape=s) for i, s in enumerate(SHAPES)]
    pool.append(g.param("p", shape=(3,)))
    for _ in range(draw_(st.integers(1, 10))):
        if draw_(st.booleans()):
            node = draw_(st.sampled_from(UNARY))(draw_(st.sampled_from(pool)))
        else:
            a, b = draw_(st.sampled_from(pool)), draw_(st.sampled_from(pool))
            node = draw_(st.sampled_from(BINARY))(a, b)
        pool.append(node)
    outputs = draw_(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
    return g, pool, outputs


@settings(max_examples=40, deadline=None)
@given(random_graph(), st.integers(0, 2 ** 16))
def test_random_graphs_agree_with_the_interpreter_forward_and_backward(case, seed):
    agrees_with_the_oracle(case, seed)


def agrees_with_the_oracle(case, seed, opt=1, debug=False):
    """A random graph's outputs, a weighted sum of its last node and that sum's gradients,
    compiled, against the reference interpreter on the graph as written; the compiled
    function and its feeds (``make fuzz`` checks more with them)."""
    nodes, feeds = nodes_and_feeds(case, seed)
    f = gc.compile(nodes, unused="ignore", opt=opt, debug=debug)
    same(f(**feeds), oracle(nodes, at=feeds), rtol=1e-10, atol=1e-12)
    return f, feeds


def nodes_and_feeds(case, seed):
    """What a random graph's test compiles (its outputs, a weighted sum of its last node
    and that sum's gradients) and the feeds it computes them at."""
    g, pool, outputs = case
    rng = np.random.default_rng(seed)
    feeds = {n.name: rng.uniform(-2, 2, size=n.shape) for n in pool[:4]}
    loss = gc.sum(pool[-1] * rng.uniform(0.5, 1.5, size=pool[-1].shape))
    return outputs + [loss] + gc.grad(loss, pool[:4]), feeds


# ---- scale -------------------------------------------------------------------------------------

def depth(tree):
    """The deepest nesting of expressions in a syntax tree, without recursion."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


def test_a_chain_of_10000_nodes_compiles_and_runs_forward_and_backward():
    g = gc.Graph("chain")
    v = x = g.input("x", shape=(3,))
    for _ in range(9999):
        v = gc.tanh(v)
    assert len(g) == 10000
    f = gc.compile([v])
    expected = np.array([0.5, -1.0, 2.0])
    for _ in range(9999):
        expected = np.tanh(expected)
    np.testing.assert_allclose(f(x=[0.5, -1.0, 2.0])[0], expected, rtol=1e-12)
    assert depth(ast.parse(f.source)) < 20
    loss = gc.sum(v)
    nodes = [loss] + gc.grad(loss, [x])
    assert len(g) > 20000
    feeds = {"x": [0.5, -1.0, 2.0]}
    same(gc.compile(nodes)(**feeds), oracle(nodes, at=feeds))


def test_a_sum_of_4000_terms_compiles_with_bounded_nesting_forward_and_backward():
    g = gc.Graph("many")
    x = g.input("x", shape=(2,))
    terms = [x * float(i) for i in range(4000)]
    total = g.apply("add_n", terms, name="total")
    chain = functools.reduce(operator.add, terms[:1500]).named("chain")
    loss = gc.sum(total + chain).named("loss")
    nodes = [total, chain, loss] + gc.grad(loss, [x])
    f = gc.compile(nodes)
    tree = ast.parse(f.source)
    assert depth(tree) < 30
    assert max(len(line) for line in f.source.splitlines()) < 200
    n = 4000 * 3999 / 2 + 1500 * 1499 / 2
    total_v, chain_v, loss_v, dx = f(x=[1.0, 2.0])
    np.testing.assert_allclose(total_v, [4000 * 3999 / 2, 4000 * 3999])
    np.testing.assert_allclose(loss_v, 3 * n)
    np.testing.assert_allclose(dx, [n, n])
