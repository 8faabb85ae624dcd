"""The SymPy bridge: the formula of any node, its LaTeX, and exact values.

A formula is built from the graph, one node at a time: element-wise ops apply their scalar
formula to their operands' formulas, structural ops their matrix notation
(``graphc.ops.notation``), so a tensor stays one symbol and SymPy never sees its elements.
Leaves are symbols named after their nodes; tensors the user named (``H``, ``logits``) stay
symbols too, so a gradient reads in the lecture's matrix form.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x1, w1, y = g.input("x1"), g.param("w1"), g.input("y")
>>> loss = gc.bce(gc.sigmoid(w1 * x1), y).named("loss")
>>> (dw1,) = gc.grad(loss, [w1])
>>> formula(dw1)
x1*(-y + sigmoid(w1*x1))

Exact values come from an interpreter over NumPy arrays of SymPy numbers; floats fed to it
are taken as the decimals they print as (0.1 is 1/10).
"""

import numpy as np
import sympy as sp

from . import ops
from .ops.elementwise import formula as scalar_formula
from .ops.notation import emap
from .ops.scalar import arg
from .feeds import check_feeds, needed


def formula(node, keep=None):
    """The SymPy expression of ``node`` (forward or gradient) in terms of the graph's leaves.

    Nodes in ``keep`` stay symbols; by default these are the tensors (not scalars) that
    the user named. ``keep=()`` expands everything down to the leaves.
    """
    graph = node.graph
    kept = _default_kept(graph) if keep is None else {k.id for k in keep}
    kept.discard(node.id)
    exprs = {}
    for v in graph.order(graph.upstream([node.id], stop=kept)):
        exprs[v] = _formula_of(graph, v, exprs, kept)
    return exprs[node.id]


def latex(node, keep=None):
    """``formula(node)`` as LaTeX: ``\\sigma``, matrix products, transposes."""
    return sp.latex(formula(node, keep))


def _default_kept(graph):
    return {n.id for n in graph if n.role == "op" and n.shape != ()
            and n._data.get("named", False)}


def symbol(data):
    """The symbol standing for a node: its name, real-valued."""
    return sp.Symbol(data["name"], real=True)


def _formula_of(graph, v, exprs, kept):
    data = graph.nx.nodes[v]
    if v in kept or data["op"] in ("input", "param"):
        return symbol(data)
    if data["op"] == "const":
        return exact_number(data["value"].item()) if data["value"].ndim == 0 \
            else symbol(data)
    operands = graph.operands(v)
    args = [exprs[u] for u in operands]
    opdef = ops.get(data["op"])
    if opdef.notation is not None:
        shapes = [graph.nx.nodes[u]["shape"] for u in operands]
        return opdef.notation(data["attrs"], shapes, *args)
    f = scalar_formula(opdef, data["attrs"], len(args))
    return f.xreplace({arg(i): a for i, a in enumerate(args)})


# ---- exact values -------------------------------------------------------------------------

def exact_number(value):
    """A number as SymPy holds it exactly: a float as the decimal it prints as."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return sp.Integer(int(value))
    value = float(value)
    if np.isnan(value):
        return sp.nan
    if np.isinf(value):
        return sp.oo if value > 0 else -sp.oo
    return sp.Rational(repr(value))


def exact_array(array):
    """Floats become an object array of exact SymPy numbers; integers stay integers."""
    array = np.asarray(array)
    if array.dtype.kind in "iub":
        return array
    return emap(exact_number, array) if array.ndim else np.asarray(
        exact_number(array.item()), dtype=object)


def exact_values(nodes, at):
    """The exact values of ``nodes`` (SymPy numbers, or ``sp.Array`` for tensors)."""
    graph = nodes[0].graph
    values = {v: exact_array(a) for v, a in check_feeds(graph, at or {}).items()}
    for v in graph.order(needed(graph, [n.id for n in nodes], values)):
        values[v] = _exact_of(graph, v, values)
    return [_as_sympy(values[n.id]) for n in nodes]


def _exact_of(graph, v, values):
    data = graph.nx.nodes[v]
    if data["op"] == "const":
        return exact_array(data["value"])
    opdef = ops.get(data["op"])
    args = [values[u] for u in graph.operands(v)]
    if opdef.exact is not None:
        return opdef.exact(data["attrs"], *args)
    if opdef.scalar is not None:
        f = scalar_formula(opdef, data["attrs"], len(args))
        symbols = [arg(i) for i in range(len(args))]
        return emap(lambda *xs: f.xreplace(dict(zip(symbols, map(sp.sympify, xs)))), *args)
    return np.asarray(opdef.reference(data["attrs"], *args), dtype=object)


def _as_sympy(value):
    value = np.asarray(value)
    if value.ndim == 0:
        return sp.sympify(value.item())
    return sp.Array(value.tolist())
