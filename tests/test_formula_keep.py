"""``gc.formula(node, keep=...)`` and ``gc.latex``: the nodes kept as symbols, as nodes or
as their names."""

import pytest
import sympy as sp

import graphc as gc
import graphs
from graphc.errors import GraphError


def neuron():
    n = graphs.scalar_neuron()  # z = w1 x1 + w2 x2, yhat = sigmoid(z), bce: the slide's
    return n.g, n.z, n.yhat, n.loss


def test_keep_takes_names_as_well_as_nodes():
    g, z, yhat, loss = neuron()
    (dw1,) = gc.grad(loss, [g["w1"]])
    z_sym = sp.Symbol("z", real=True)
    by_name = gc.formula(dw1, keep=("z",))
    assert by_name == gc.formula(dw1, keep=[z]) == gc.formula(dw1, keep="z")
    assert z_sym in by_name.free_symbols and sp.Symbol("w2", real=True) not in by_name.free_symbols
    w1, x1, w2, x2 = sp.symbols("w1 x1 w2 x2", real=True)
    assert sp.simplify(by_name.subs(z_sym, w1 * x1 + w2 * x2) - gc.formula(dw1)) == 0
    both = gc.formula(loss, keep=["yhat", z])
    assert both.free_symbols == {sp.Symbol("yhat", real=True), sp.Symbol("y", real=True)}
    assert gc.latex(dw1, keep=("z",)) == sp.latex(by_name)


def test_an_unknown_name_in_keep_is_a_graph_error_with_a_did_you_mean():
    g, z, yhat, loss = neuron()
    with pytest.raises(GraphError, match=r"no node 'zz'; did you mean 'z'\?"):
        gc.formula(loss, keep=("zz",))
    with pytest.raises(GraphError, match="keep= takes nodes or node names, got 3"):
        gc.formula(loss, keep=(3,))
    other, *_ = neuron()
    with pytest.raises(GraphError, match="node 'z' is of another graph"):
        gc.formula(loss, keep=[other["z"]])
