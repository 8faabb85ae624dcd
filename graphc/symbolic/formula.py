"""Formulas: the SymPy expression of any node, and its LaTeX.

A formula is built by the interpreter with the ``Formulas`` rule table, one node at a time:
element-wise ops apply their scalar formula to their operands' formulas, structural ops
their matrix notation (``graphc.ops.notation``), so a tensor stays one symbol and SymPy
never sees its elements. Leaves are symbols named after their nodes; tensors the user named
(``H``, ``logits``) stay symbols too, so a gradient reads in the lecture's matrix form.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x1, w1, y = g.input("x1"), g.param("w1"), g.input("y")
>>> loss = gc.bce(gc.sigmoid(w1 * x1), y).named("loss")
>>> (dw1,) = gc.grad(loss, [w1])
>>> formula(dw1)
x1*(-y + sigmoid(w1*x1))
"""

import sympy as sp

from ..errors import GraphError
from ..graph import Node
from ..interpret import Interpreter, Rules
from ..ops.elementwise import formula as scalar_formula
from ..ops.scalar import arg
from .exact import exact_number


def symbol(record):
    """The symbol standing for a node (its record): its name, real-valued."""
    return sp.Symbol(record.name, real=True)


class Formulas(Rules):
    """Formulas: an op's ``notation`` over its operands' formulas, else its scalar formula;
    leaves, kept nodes and constant tensors are their symbols, scalar constants numbers."""

    fed = False

    def leaf(self, record):
        return symbol(record)

    def kept(self, record):
        return symbol(record)

    def const(self, record):
        if record.value.ndim == 0:
            return exact_number(record.value.item())
        return symbol(record)

    def rule(self, opdef):
        if opdef.notation is not None:
            return lambda record, shapes, args: opdef.notation(record.attrs, shapes, *args)

        def apply(record, shapes, args):
            f = scalar_formula(opdef, record.attrs, len(args))
            return f.xreplace({arg(i): a for i, a in enumerate(args)})
        return apply


def formulas(graph, ids, keep=(), given=None):
    """The formulas of the nodes ``ids`` of ``graph``: nodes in ``keep`` (ids) stay symbols
    (a target is never kept), and nodes in ``given`` (id -> expression) read as given."""
    kept = set(keep) - set(ids)
    return Interpreter(graph, Formulas()).run(list(ids), given, keep=kept)


def formula(node, keep=None):
    """The SymPy expression of ``node`` (forward or gradient) in terms of the graph's leaves.

    Nodes in ``keep`` (nodes or their names) stay symbols; by default these are the tensors
    (not scalars) that the user named. ``keep=()`` expands everything down to the leaves.

    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> x, w = g.input("x"), g.param("w")
    >>> z = (w * x).named("z")
    >>> formula(gc.tanh(z)), formula(gc.tanh(z), keep=("z",)), formula(gc.tanh(z), keep=[z])
    (tanh(w*x), tanh(z), tanh(z))
    """
    graph = node.graph
    kept = _default_kept(graph) if keep is None else kept_ids(graph, keep)
    return formulas(graph, [node.id], kept)[0]


def kept_ids(graph, keep):
    """The ids of the nodes in ``keep``: nodes of ``graph`` or their names (one alone
    counts as a tuple of one); GraphError, with a did-you-mean, for a name it lacks."""
    if isinstance(keep, (str, Node)):
        keep = (keep,)
    ids = set()
    for item in keep:
        if isinstance(item, str):
            item = graph.node(item)    # GraphError: "has no node 'zz'; did you mean 'z'?"
        elif not isinstance(item, Node):
            raise GraphError(f"keep= takes nodes or node names, got {item!r}")
        elif item.graph is not graph:
            raise GraphError(f"keep= takes nodes of graph {graph.name!r}; node {item.name!r} "
                             f"is of another graph")
        ids.add(item.id)
    return ids


def latex(node, keep=None):
    """``formula(node)`` as LaTeX: ``\\sigma``, matrix products, transposes."""
    return sp.latex(formula(node, keep))


def _default_kept(graph):
    return {n.id for n in graph if n.role == "op" and n.shape != () and n.record.named}
