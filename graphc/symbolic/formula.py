"""Formulas: the SymPy expression of any node, and its LaTeX.

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
"""

import sympy as sp

from .. import ops
from ..graph import walk
from ..ops.elementwise import formula as scalar_formula
from ..ops.scalar import arg
from .exact import exact_number


def formula(node, keep=None):
    """The SymPy expression of ``node`` (forward or gradient) in terms of the graph's leaves.

    Nodes in ``keep`` stay symbols; by default these are the tensors (not scalars) that
    the user named. ``keep=()`` expands everything down to the leaves.
    """
    graph = node.graph
    kept = _default_kept(graph) if keep is None else {k.id for k in keep}
    kept.discard(node.id)
    exprs = {}
    for v in walk.order(graph, walk.upstream(graph, [node.id], stop=kept)):
        exprs[v] = _formula_of(graph, v, exprs, kept)
    return exprs[node.id]


def latex(node, keep=None):
    """``formula(node)`` as LaTeX: ``\\sigma``, matrix products, transposes."""
    return sp.latex(formula(node, keep))


def _default_kept(graph):
    return {n.id for n in graph if n.role == "op" and n.shape != () and n.record.named}


def symbol(record):
    """The symbol standing for a node (its record): its name, real-valued."""
    return sp.Symbol(record.name, real=True)


def _formula_of(graph, v, exprs, kept):
    record = graph.record(v)
    if v in kept or record.op in ("input", "param"):
        return symbol(record)
    if record.op == "const":
        return exact_number(record.value.item()) if record.value.ndim == 0 \
            else symbol(record)
    operands = graph.operands(v)
    args = [exprs[u] for u in operands]
    opdef = ops.get(record.op)
    if opdef.notation is not None:
        shapes = [graph.record(u).shape for u in operands]
        return opdef.notation(record.attrs, shapes, *args)
    f = scalar_formula(opdef, record.attrs, len(args))
    return f.xreplace({arg(i): a for i, a in enumerate(args)})
