"""The comment of each generated gradient line: the rule it computes, from the registration
of the op whose gradient it is (its ``rules``, or its formula's derivative by SymPy).

A rule is a template over names, ``("d({0} @ {1})/d{0} = ct @ {1}.T", ("H", "W2"))``:
names are the graph's, filled in with the module's identifiers when printed, and ``ct`` is
what flows back into the op. A gradient node says which edges ``(node, slot)`` it is the
gradient along in its record's ``origin``; a fused node lists each step, from the output
back, and its rule reads ``d bce(sigmoid(z), y)/dz = yhat - y``.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> s = gc.sigmoid(x).named("s")
>>> (dx,) = gc.grad(s, [x])
>>> template, names = rule(g, dx.id)
>>> template.format(*names)
"sigmoid'(x) = s*(1 - s)"
"""

import functools

import sympy as sp

from .. import ops
from ..text import number as shown
from ..ops import losses
from ..ops.adjoint import count_notation
from ..ops.elementwise import OUT, CT, derivative
from ..ops.scalar import arg


def rule(graph, v, source=None):
    """``(template, names)`` stating what gradient node ``v`` of ``graph`` computes, or
    None when its record says nothing of where it came from. The forward nodes it names
    are read from ``source`` (the graph before the passes, with the same ids) if given."""
    record, source = graph.record(v), source or graph
    origin = [(m, k) for m, k in record.origin if m in source.nx]
    if not origin:
        return None
    edges = [(m, k) for m, k in origin if k is not None]  # a helper of a vjp has no slot
    if not edges or _within_step(graph, v, record.origin):
        return _part(source, origin[0][0])
    found = _step(source, *edges[0]) if len(edges) == 1 else _chain(source, graph, v, edges)
    if record.op == "sum_to":  # the step's value, summed to the operand's shape
        found = (found[0] + ", summed over the broadcast axes", found[1])
    return found


def _within_step(graph, v, origin):
    """True when what ``v`` computes is only a part of its step: a user of it continues
    the same step (bce's ``(p - y)/(p (1 - p))`` before its sum to the operand's shape)."""
    return any(graph.record(u).origin == origin for u in graph.users(v))


def _names(graph, m):
    """The names of ``m``'s operands, then ``m``'s own; a plain number as itself."""
    return tuple(_name(graph, u) for u in graph.operands(m)) + (_name(graph, m),)


def _name(graph, u):
    record = graph.record(u)
    if record.plain_number:
        return Number(shown(record.value))
    return Ref(record.name, record.name if record.named else record.op)


class Number(str):
    """A plain number among a rule's names (the 2 of ``x ** 2``): written as itself."""


class Ref(str):
    """A node's name among a rule's names, with what its variable would be named after
    (``base``), for a node the passes fused away."""

    def __new__(cls, name, base):
        ref = super().__new__(cls, name)
        ref.base = base
        return ref


def _step(graph, m, k):
    """The rule of the gradient of node ``m`` along its operand slot ``k``."""
    record, opdef = graph.record(m), ops.get(graph.record(m).op)
    names, n = _names(graph, m), len(graph.operands(m))
    if opdef.family == "losses" and opdef.scalar is not None:
        shapes = [graph.record(u).shape for u in graph.operands(m)]
        return _loss_rule(record.op, k, shapes), names
    if opdef.scalar is not None:
        numbers = {arg(i): sp.sympify(name) for i, name in enumerate(names[:n])
                   if isinstance(name, Number)}
        return _derived(record, opdef, n, k, numbers), names
    rules = opdef.rules
    if callable(rules):
        rules = rules(dict(record.attrs), [graph.record(u).shape for u in graph.operands(m)])
    rules = [r for r in rules if r]
    if not rules:
        return f"d {_call(record.op, n)}/d{{{k}}}", names
    text = rules[min(k, len(rules) - 1)]
    return text.format(*[f"{{{i}}}" for i in range(n)], x=f"{{{k}}}", out=f"{{{n}}}"), names


def _derived(record, opdef, n, k, numbers):
    """An element-wise op's rule from its formula: ``relu'({0}) = step({0})`` for one
    operand, ``d({0}*{1})/d{0} = ct*{1}`` for more; plain numbers among the operands
    written in (``d({0}**2)/d{0} = 2*ct*{0}``)."""
    d = derivative(record.op, tuple(sorted(record.attrs.items())), n, k).xreplace(numbers)
    if n == 1:
        return f"{record.op}'({{0}}) = {_text(d, n)}"
    f = ops.elementwise.formula(opdef, dict(record.attrs), n).xreplace(numbers)
    return f"d({_text(f, n)})/d{{{k}}} = {_text(CT * d, n)}"


def _loss_rule(op, k, shapes):
    """A mean loss's rule: its formula's derivative (as the loss's vjp takes it), times ct,
    over the number of elements averaged (``3*N`` for a ``("N", 3)`` operand)."""
    d = losses.derivative(op, k).xreplace({losses.P: arg(0), losses.Y: arg(1)})
    rank = max(len(s) for s in shapes)
    count = count_notation({"axes": tuple(range(rank))}, shapes)  # the vjp's count
    return f"d {_call(op, 2)}/d{{{k}}} = {_text(sp.factor_terms(CT * d / count), 2)}"


@functools.lru_cache(maxsize=4096)
def _text(expr, n):
    """``expr`` over a0 .. a{n-1} (and OUT, placeholder n) as template text (cached: every
    layer of a deep net states the same rule, and SymPy's printer is slow)."""
    places = {arg(i): sp.Symbol(f"{{{i}}}") for i in range(n)}
    places[OUT] = sp.Symbol(f"{{{n}}}")
    return str(expr.xreplace(places))


def _call(op, n):
    return f"{op}({', '.join(f'{{{i}}}' for i in range(n))})"


def _part(graph, m):
    """The rule of a node built inside ``m``'s gradient, not itself one of its results."""
    n = len(graph.operands(m))
    return f"in the gradient of {_call(graph.record(m).op, n)}", _names(graph, m)


def _chain(graph, fused, v, origin):
    """A fused chain of steps: ``d f(g(x), y)/dx = <the fused formula>``."""
    names, text, previous = [], None, None
    for m, k in reversed(origin):  # the step nearest the operand first
        if previous is not None and graph.operands(m)[k] != previous:  # not one chain
            steps = ", ".join(graph.record(n).op for n, _ in origin)
            return f"the gradient steps of {steps}, fused", ()
        previous, start = m, len(names)
        operands = [_name(graph, u) for u in graph.operands(m)]
        names += operands
        args = [f"{{{start + i}}}" for i in range(len(operands))]
        if text is not None:
            args[k] = text
        else:
            wrt = f"{{{start + k}}}"
        text = f"{graph.record(m).op}({', '.join(args)})"
    lhs, record = f"d {text}/d{wrt}", fused.record(v)
    if record.op != "elementwise":
        return lhs, tuple(names)
    operands = [fused.record(u).name for u in fused.operands(v)]
    text = _placed(record.attrs["expr"], len(names), len(operands))
    return f"{lhs} = {text}", tuple(names + operands)


@functools.lru_cache(maxsize=4096)
def _placed(expr, start, n):
    """``expr`` over a0 .. a{n-1} as template text, a{i} as placeholder ``start + i``."""
    places = {arg(i): sp.Symbol(f"{{{start + i}}}") for i in range(n)}
    return str(expr.xreplace(places))
