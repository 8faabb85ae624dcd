"""Every public tool on a 10,000-node chain: grad, compile, evaluate, formula, latex and
explain do bounded work (no RecursionError, formulas with names past their budget instead
of nesting 10,000 deep, a trace of one row per node) and give the right values."""

import re

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.symbolic.formula import WHERE_LINES, formula_parts

N = 10_000
X, W = 0.3, 0.5


def sigmoid_chain(n=N):
    """x and n - 1 sigmoids: loss = sigmoid(sigmoid(... sigmoid(x)))."""
    g = gc.Graph("sigmoids")
    v = x = g.input("x")
    for _ in range(n - 2):
        v = gc.sigmoid(v)
    return g, x, gc.sigmoid(v).named("loss")


def mixed_chain(n=N):
    """x, w and n - 2 ops taking turns: tanh, a product with w, a sum with x; a tanh last."""
    g = gc.Graph("mixed")
    x, w = g.input("x"), g.param("w")
    v = x
    for i in range(n - 3):
        v = (gc.tanh, lambda a: a * w, lambda a: a + x)[i % 3](v)
    return g, x, w, gc.tanh(v).named("loss")


def mixed_numbers(x=X, w=W, n=N - 2):
    """The mixed chain's loss and its gradients for x and w, by hand in NumPy."""
    values, v = [], x
    for i in range(n):
        values.append(v)
        v = np.tanh(v) if i % 3 == 0 or i == n - 1 else v * w if i % 3 == 1 else v + x
    ct, dx, dw = 1.0, 0.0, 0.0
    for i in reversed(range(n)):
        a = values[i]
        if i % 3 == 0 or i == n - 1:
            ct *= 1 - np.tanh(a) ** 2
        elif i % 3 == 1:
            dw, ct = dw + ct * a, ct * w
        else:
            dx += ct
    return v, dx + ct, dw


@pytest.fixture(scope="module")
def sigmoids():
    g, x, loss = sigmoid_chain()
    (dx,) = gc.grad(loss, [x])
    return g, x, loss, dx


@pytest.fixture(scope="module")
def mixed():
    g, x, w, loss = mixed_chain()
    dx, dw = gc.grad(loss, [x, w])
    return g, x, w, loss, dx, dw


def nesting(text, opening="(", closing=")"):
    """The deepest nesting of brackets in ``text``."""
    deepest = depth = 0
    for c in text:
        depth += (c in opening) - (c in closing)
        deepest = max(deepest, depth)
    return deepest


def expression_depth(expr):
    """The depth of a SymPy expression, without recursion."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        e, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((a, d + 1) for a in e.args)
    return deepest


def numeric(node, at):
    """``node``'s formula evaluated in floats through all its parts, bottom up."""
    expr, parts, more = formula_parts(node)
    assert more == 0
    values = {sp.Symbol(k, real=True): sp.Float(v) for k, v in at.items()}
    for part, formula in reversed(parts):
        values[sp.Symbol(part.name, real=True)] = sp.Float(formula.xreplace(values).evalf())
    return float(expr.xreplace(values).evalf())


# ---- grad, evaluate, compile --------------------------------------------------------------

def test_grad_and_evaluate_of_a_10000_node_sigmoid_chain(sigmoids):
    g, x, loss, dx = sigmoids
    assert len(g) >= 2 * N
    s, d = X, 1.0
    for _ in range(N - 1):
        s = 1 / (1 + np.exp(-s))
        d *= s * (1 - s)
    value, grad = gc.evaluate([loss, dx], at={"x": X})
    np.testing.assert_allclose([value, grad], [s, d], rtol=1e-12)


def test_grad_evaluate_and_compile_of_a_10000_node_mixed_chain(mixed):
    g, x, w, loss, dx, dw = mixed
    expected = mixed_numbers()
    at = {"x": X, "w": W}
    np.testing.assert_allclose(gc.evaluate([loss, dx, dw], at=at), expected, rtol=1e-10)
    f = gc.compile([loss, dx, dw])
    np.testing.assert_allclose(f(**at), expected, rtol=1e-10)
    assert nesting(f.source) < 20


def test_the_hand_written_numbers_are_the_formulas_on_a_short_prefix():
    g, x, w, loss = mixed_chain(7)
    dx, dw = gc.grad(loss, [x, w])
    t, v = sp.symbols("x w", real=True)
    h = sp.tanh(sp.tanh(sp.tanh(t) * v + t))
    expected = [h, sp.diff(h, t), sp.diff(h, v)]
    assert [sp.simplify(gc.formula(n) - e) for n, e in zip([loss, dx, dw], expected)] == [0] * 3
    at = {t: X, v: W}
    np.testing.assert_allclose(mixed_numbers(n=5), [float(e.subs(at)) for e in expected],
                               rtol=1e-12)


# ---- formula and LaTeX ----------------------------------------------------------------------

def test_the_formula_of_a_short_chain_is_expanded_as_before():
    g = gc.Graph("short")
    v = x = g.input("x")
    for _ in range(4):
        v = gc.tanh(v) * g.param(f"w{len(g)}") if len(g) % 2 else gc.sigmoid(v)
    assert gc.formula(v) == formula_parts(v)[0]
    assert formula_parts(v)[1] == []
    assert "where" not in gc.symbolic.formula_text(v)
    assert str(gc.formula(v)).count("(") >= 4


def test_the_formula_of_a_10000_node_chain_is_written_over_names(sigmoids):
    g, x, loss, dx = sigmoids
    expr, parts, more = formula_parts(loss)
    assert more == 0 and len(parts) == N - 2
    assert expr == sp.Function("sigmoid")(sp.Symbol(parts[0][0].name)) or \
        str(expr) == f"sigmoid({parts[0][0].name})"
    assert all(expression_depth(f) <= 3 for _, f in parts)
    assert str(parts[-1][1]) == "sigmoid(x)" and gc.formula(loss) == expr
    s = X
    for _ in range(N - 1):
        s = 1 / (1 + np.exp(-s))
    assert numeric(loss, {"x": X}) == pytest.approx(s, rel=1e-12)
    text = gc.symbolic.formula_text(loss)
    lines = text.splitlines()
    assert lines[0] == f"{expr}, where" and len(lines) == WHERE_LINES + 2
    assert lines[-1] == f"  ... ({N - 2 - WHERE_LINES} more: graphc.symbolic.formula_parts " \
        "lists them)"
    assert len(text) < 50 * WHERE_LINES and nesting(text) <= 3


def test_the_formula_of_a_10000_node_chains_gradient_is_bounded(sigmoids, mixed):
    for node in (sigmoids[3], *mixed[3:]):
        text = gc.symbolic.formula_text(node)
        assert len(text) < 20 * N and nesting(text) <= 3
        assert len(text.splitlines()) == WHERE_LINES + 2


def test_the_formulas_of_a_chain_past_the_budget_give_the_right_values():
    g, x, w, loss = mixed_chain(300)
    dx, dw = gc.grad(loss, [x, w])
    at = {"x": X, "w": W}
    for node, expected in zip([loss, dx, dw], mixed_numbers(n=298)):
        assert formula_parts(node)[1]
        assert numeric(node, at) == pytest.approx(expected, rel=1e-9)


def test_the_latex_of_a_10000_node_chain_is_bounded(sigmoids, mixed):
    g, x, loss, dx = sigmoids
    for node in (loss, dx, mixed[3], mixed[5]):
        text = gc.latex(node)
        assert r", \quad \text{where } " in text and "more: graphc.symbolic" in text
        assert len(text) < 40 * N and nesting(text, "{", "}") <= 6
    short = gc.Graph("short")
    v = short.input("x")
    for _ in range(3):
        v = gc.sigmoid(v)
    assert gc.latex(v) == r"\sigma\left(\sigma\left(\sigma\left(x\right)\right)\right)"


# ---- explain --------------------------------------------------------------------------------

def test_explain_of_a_long_mixed_chain_has_a_row_per_node():
    g, x, w, loss = mixed_chain(1000)
    at = {"x": X + 1e-12, "w": W}  # numbers: 13 digits
    trace = gc.explain(loss, at=at, wrt=[x, w], steps="all")
    assert len(trace.forward) == 1000
    loss_v, dx_v, dw_v = mixed_numbers(x=X + 1e-12, n=998)
    assert trace.forward[-1].value == pytest.approx(loss_v, rel=1e-10)
    assert trace.gradient("x").value == pytest.approx(dx_v, rel=1e-10)
    assert trace.gradient("w").value == pytest.approx(dw_v, rel=1e-10)
    assert max(len(str(r.formula)) for r in trace.forward + trace.backward) < 60
    assert {r.step for r in trace.backward} == {"upstream", "local", "product", "sum"}
    lines = str(trace).splitlines()
    assert len(lines) < 6 * 1000 and max(map(len, lines)) < 200


def test_explain_of_a_long_unnamed_chain_folds_in_bounded_steps():
    g, x, loss = sigmoid_chain(2000)
    (dx,) = gc.grad(loss, [x])
    at = {"x": 0.3141592653589793}  # numbers: 16 digits
    trace = gc.explain(loss, at=at)
    assert trace.forward[0].node == "x" and trace.forward[-1].node == "loss"
    assert 2000 / 10 < len(trace.forward) < 2000 / 8
    assert max(len(str(r.formula)) for r in trace.forward + trace.backward) < 2000
    assert trace.gradient("x").value == pytest.approx(gc.evaluate(dx, at=at), rel=1e-10)
    for text in (str(trace), trace.to_latex(), trace.to_markdown(), trace.to_csv()):
        assert len(text) < 2000 * 2000
