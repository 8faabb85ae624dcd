"""The one interpreter: one walk in graph order, a rule table per kind of value (reference
numbers, exact values, formulas), and the oracle that runs the graph as written."""

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.interpret import Interpreter, Reference, Rules, reference
from graphc.ops.scalar import sigmoid
from graphc.symbolic import Exact, Formulas, formulas

from graphs import oracle, scalar_neuron

AT = {"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}


def test_the_oracle_applies_no_pass_and_evaluate_gives_the_stable_result():
    g = gc.Graph()
    z, y = g.input("z"), g.input("y")
    loss = gc.bce(gc.sigmoid(z), y)
    at = {"z": 1000.0, "y": 0.0}
    with np.errstate(divide="ignore"):  # the formula as written: -log(1 - 1)
        assert float(reference(loss, at)) == np.inf
    assert float(gc.evaluate(loss, at=at)) == pytest.approx(1000.0)  # from the logit
    with np.errstate(divide="ignore"):
        assert oracle is not None and float(oracle(loss, at)) == float(reference(loss, at))


def test_reference_checks_feeds_as_evaluate_does_and_returns_fresh_arrays():
    n = scalar_neuron()
    with pytest.raises(gc.FeedError, match="did you mean 'w1'"):
        reference(n.loss, {**AT, "w_1": 1})
    with pytest.raises(gc.FeedError, match="missing feed for 'w2'"):
        reference([n.z], {"x1": 1, "x2": 1, "w1": 1})
    x = np.array([1.0, 2.0])
    g = gc.Graph()
    v = g.input("v", shape=(2,))
    (same,) = reference([v], {"v": x})
    assert np.array_equal(same, x) and not np.shares_memory(same, x)
    assert reference([], {}) == []
    with pytest.raises(gc.GraphError, match="reference takes nodes of one graph"):
        reference([v, n.z], AT)


def test_the_tables_agree_on_the_neuron():
    n = scalar_neuron()
    (dw1,) = gc.grad(n.loss, [n.w1])
    ids = [n.z.id, n.yhat.id, n.loss.id, dw1.id]
    given = {n.g.node(k).id: np.asarray(float(v)) for k, v in AT.items()}
    numbers = Interpreter(n.g).run(ids, given)
    exact = Interpreter(n.g, Exact()).run(ids, {v: np.asarray(sp.Integer(int(a)), dtype=object)
                                                for v, a in given.items()})
    expressions = Interpreter(n.g, Formulas()).run(ids)
    point = {sp.Symbol(k, real=True): v for k, v in AT.items()}
    for number, value, expr in zip(numbers, exact, expressions):
        assert float(sp.N(value.item())) == pytest.approx(float(number), abs=1e-12)
        assert float(sp.N(expr.xreplace(point))) == pytest.approx(float(number), abs=1e-12)
    assert exact[3].item() == sigmoid(-1) - 1


def test_the_table_of_rules_is_built_from_the_registry_once_per_op():
    g = gc.Graph()
    x = g.input("x", shape=(3,))
    out = gc.sum(gc.exp(x) * gc.exp(x + 1.0))
    interp = Interpreter(g, Reference(float64=True))
    (value,) = interp.run([out.id], {x.id: np.zeros(3, dtype="float32")})
    assert value.dtype == np.float64 and value == pytest.approx(3 * np.e)
    assert sorted(interp.table) == ["add", "exp", "mul", "sum"]


def test_kept_and_given_nodes_stop_the_walk():
    n = scalar_neuron()
    u = sp.Symbol("u", real=True)
    assert formulas(n.g, [n.loss.id], keep=[n.yhat.id]) == [
        gc.formula(n.loss, keep=[n.yhat])]
    (expr,) = formulas(n.g, [n.loss.id], given={n.z.id: u})
    assert expr.has(sigmoid(u)) and not expr.has(sp.Symbol("w1", real=True))
    (number,) = Interpreter(n.g).run([n.yhat.id], overrides={n.z.id: np.asarray(0.0)})
    assert float(number) == 0.5  # nothing upstream of z is fed or walked


def test_a_table_is_a_rules_subclass_and_errors_name_the_node():
    class Count(Rules):
        """Counts the ops a node is computed with."""
        fed = False

        def leaf(self, record):
            return 0

        def rule(self, opdef):
            return lambda record, shapes, args: 1 + sum(args)

    n = scalar_neuron()
    assert Interpreter(n.g, Count()).run([n.loss.id]) == [5]  # 2 muls, add, sigmoid, bce
    g = gc.Graph()
    logits, labels = g.input("logits", shape=(3,)), g.input("label", dtype="int64")
    loss = gc.cross_entropy(logits, labels).named("ce")
    with pytest.raises(gc.DomainError, match="node 'ce' \\(cross_entropy of 'logits'"):
        reference(loss, {"logits": [0, 0, 0], "label": 7})
