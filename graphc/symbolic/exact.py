"""Exact values: the interpreter's rule table over NumPy arrays of SymPy numbers.

Floats fed to it are taken as the decimals they print as (0.1 is 1/10), so the lecture's
``dl/dw1 = sigmoid(-1) - 1`` comes out as that expression, not as -0.7311.

>>> exact_number(0.1)
1/10
"""

import numpy as np
import sympy as sp

from ..graph.feeds import check_feeds
from ..interpret import Interpreter, Rules
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


class Exact(Rules):
    """Exact values: an op's ``exact`` rule, else its scalar formula element by element,
    else its ``reference`` over object arrays (NumPy's structural functions take them)."""

    def const(self, record):
        return exact_array(record.value)

    def rule(self, opdef):
        if opdef.exact is not None:
            return lambda record, shapes, args: opdef.exact(record.attrs, *args)
        if opdef.scalar is not None:
            return lambda record, shapes, args: _elementwise(opdef, record.attrs, args)
        return lambda record, shapes, args: np.asarray(
            opdef.reference(record.attrs, *args), dtype=object)


def _elementwise(opdef, attrs, args):
    f = scalar_formula(opdef, attrs, len(args))
    symbols = [arg(i) for i in range(len(args))]
    return emap(lambda *xs: f.xreplace(dict(zip(symbols, map(sp.sympify, xs)))), *args)


def exact_values(nodes, at):
    """The exact values of ``nodes`` (SymPy numbers, or ``sp.Array`` for tensors)."""
    graph = nodes[0].graph
    given = {v: exact_array(a) for v, a in check_feeds(graph, at or {}).items()}
    values = Interpreter(graph, Exact()).run([n.id for n in nodes], given)
    return [_as_sympy(value) for value in values]


def _as_sympy(value):
    value = np.asarray(value)
    if value.ndim == 0:
        return sp.sympify(value.item())
    return sp.Array(value.tolist())
