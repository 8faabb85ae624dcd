"""Local derivatives of a scalar step of a trace: d step / d operand, along each edge, in
the lecture's form over the steps' symbols (sigmoid' reads ``yhat*(1 - yhat)``).

A step is a node with the unnamed nodes folded into it; each edge that carries a gradient
into the step gets its own symbol while SymPy differentiates, so an operand used twice has
a local derivative per edge.
"""

import sympy as sp

from .. import ops
from ..graph import walk
from ..ops.elementwise import formula as scalar_formula
from ..ops.scalar import arg
from ..symbolic import exact_number


def local_formulas(work, v):
    """(m, k) -> d v / d (operand k of m), over the steps' symbols, for each scalar edge of
    the step ``v``; empty when a tensor takes part (its edges show a vjp instead)."""
    region = _region(work, v)
    graph = work.graph
    if any(graph.record(u).shape != () for n in region for u in [n] + graph.operands(n)):
        return {}
    expr, dummies = _step_formula(work, v, region)
    back = {d: work.symbol(e[2]) for d, e in dummies.items()}
    scalars = {work.symbol(s) for s in work.steps if graph.record(s).shape == ()}
    local = {}
    for d, (m, k, _) in dummies.items():
        try:
            dv = sp.diff(expr, d)
        except (AttributeError, TypeError, ValueError):  # notation SymPy cannot differentiate
            continue
        if not expr.is_Atom:
            dv = dv.xreplace({expr: work.symbol(v)})  # a copy of v's own formula: v
        dv = dv.xreplace(back)
        if not dv.has(sp.Derivative, sp.Subs) and dv.free_symbols <= scalars:
            local[m, k] = dv
    return local


def _region(work, v):
    """The step ``v`` and the folded nodes it is computed from, in topological order."""
    up = walk.upstream(work.graph, [v], stop=set(work.steps) - {v})
    return [u for u in walk.order(work.graph, up) if u == v or u in work.folded]


def _step_formula(work, v, region):
    """v's formula over its folded nodes, with one dummy symbol per gradient edge."""
    graph, exprs, dummies = work.graph, {}, {}
    for n in region:
        args = []
        for k, u in enumerate(graph.operands(n)):
            if u in exprs:
                args.append(exprs[u])
            elif (n, k) in work.flows and u in work.diff:
                args.append(sp.Dummy(f"e{n}_{k}", real=True))
                dummies[args[-1]] = (n, k, u)
            elif graph.record(u).plain_number:
                args.append(exact_number(graph.record(u).value.item()))
            else:
                args.append(work.symbol(u))
        exprs[n] = _op_formula(graph, n).xreplace({arg(i): a for i, a in enumerate(args)})
    return exprs[v], dummies


def _op_formula(graph, n):
    """The op of node ``n`` over the symbols a0, a1, ... of its operands."""
    record, operands = graph.record(n), graph.operands(n)
    opdef = ops.get(record.op)
    if opdef.notation is not None:
        shapes = [graph.record(u).shape for u in operands]
        return opdef.notation(record.attrs, shapes, *[arg(i) for i in range(len(operands))])
    return scalar_formula(opdef, record.attrs, len(operands))
