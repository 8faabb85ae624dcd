"""Numbers of SymPy expressions in bounded work, for comparing a claim with what is derived.

``value(expr, point)`` evaluates each distinct subexpression once, innermost first and
without recursion, each to ``DIGITS`` digits (SymPy's evalf on numbers, so mpmath at a
fixed precision): a formula of a 10,000-node chain shares its subexpressions, and its
number costs one evaluation per distinct node, not one per path through the tree. An
argument of a function past ``MAX_ARGUMENT`` (``exp(exp(exp(10)))`` is about 10**9565:
no precision evaluates exp of it) raises TooLarge rather than running without end.

>>> import sympy as sp
>>> z = sp.Symbol("z")
>>> value(sp.tanh(z) ** 2, {z: 1})
0.580025658385973930605503260958
"""

import sympy as sp

__all__ = ["DIGITS", "MAX_ARGUMENT", "TooLarge", "symbols_of", "value"]

#: The significant digits each value is computed to.
DIGITS = 30
#: The largest magnitude an argument of a function may have.
MAX_ARGUMENT = 10**30


class TooLarge(ArithmeticError):
    """A number that no bounded precision reaches (the message says which)."""


def _postorder(expr):
    """The distinct subexpressions of ``expr``, each after its arguments; no recursion."""
    done, order, todo = set(), [], [(expr, False)]
    while todo:
        node, expanded = todo.pop()
        if node in done:
            continue
        if expanded or not node.args:
            done.add(node)
            order.append(node)
            continue
        todo.append((node, True))
        todo += [(a, False) for a in node.args if a not in done]
    return order


def symbols_of(expr):
    """The free symbols of ``expr``, found without recursion, sorted by name."""
    return sorted((n for n in _postorder(expr) if n.is_Symbol), key=str)


def value(expr, point=None):
    """The number ``expr`` is at ``point`` (symbol -> number), to ``DIGITS`` digits; a
    SymPy number (complex where a log or root of a negative makes it so, ``zoo``/``nan``
    where it is undefined). TooLarge past ``MAX_ARGUMENT``."""
    point = point or {}
    values = {}
    for node in _postorder(sp.sympify(expr)):
        if not node.args:
            atom = sp.sympify(point.get(node, node))
            # integers stay exact: they are also axes and slice bounds; true/false stay
            keep = getattr(atom, "is_Integer", False) or not hasattr(atom, "evalf")
            values[node] = atom if keep else atom.evalf(DIGITS)
            continue
        args = [values[a] for a in node.args]
        if isinstance(node, sp.Function):
            for a in args:
                # `is sp.true`: a tensor's size stays an unevaluated relation
                if a.is_number and a.is_finite is not False and \
                        sp.sympify(abs(a) > MAX_ARGUMENT) is sp.true:
                    raise TooLarge(f"{node.func.__name__} of a number past 1e30")
        try:
            made = node.func(*args)
            values[node] = made.evalf(DIGITS) if isinstance(made, sp.Expr) else made
        except (OverflowError, RecursionError) as err:
            raise TooLarge(f"{node.func.__name__}: {type(err).__name__}") from None
    return values[sp.sympify(expr)]
