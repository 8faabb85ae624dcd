"""Exact values: an interpreter over NumPy arrays of SymPy numbers.

Floats fed to it are taken as the decimals they print as (0.1 is 1/10), so the lecture's
``dl/dw1 = sigmoid(-1) - 1`` comes out as that expression, not as -0.7311.

>>> exact_number(0.1)
1/10
"""

import numpy as np
import sympy as sp

from .. import ops
from ..graph import walk
from ..graph.feeds import check_feeds, needed
from ..ops.elementwise import formula as scalar_formula
from ..ops.notation import emap
from ..ops.scalar import arg


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
    for v in walk.order(graph, needed(graph, [n.id for n in nodes], values)):
        values[v] = _exact_of(graph, v, values)
    return [_as_sympy(values[n.id]) for n in nodes]


def _exact_of(graph, v, values):
    record = graph.record(v)
    if record.op == "const":
        return exact_array(record.value)
    opdef = ops.get(record.op)
    args = [values[u] for u in graph.operands(v)]
    if opdef.exact is not None:
        return opdef.exact(record.attrs, *args)
    if opdef.scalar is not None:
        f = scalar_formula(opdef, record.attrs, len(args))
        symbols = [arg(i) for i in range(len(args))]
        return emap(lambda *xs: f.xreplace(dict(zip(symbols, map(sp.sympify, xs)))), *args)
    return np.asarray(opdef.reference(record.attrs, *args), dtype=object)


def _as_sympy(value):
    value = np.asarray(value)
    if value.ndim == 0:
        return sp.sympify(value.item())
    return sp.Array(value.tolist())
