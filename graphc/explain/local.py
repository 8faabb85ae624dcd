"""Local derivatives of a scalar step of a trace, read from the gradient graph: the ones the
generated code computes.

Along an edge into the step ``v``, autodiff made a node ``c`` carrying what flows back
(``Gradients.contributions``); ``c`` is linear in ``v``'s upstream gradient ``t``. With
``t`` read as one symbol and the steps kept as theirs, the formula of ``c`` differentiated
by that symbol is d v / d operand, in the lecture's form over the steps' symbols (sigmoid'
reads ``yhat*(1 - yhat)``, as its gradient node computes it). An operand used twice has a
local derivative per edge, since each edge has its own node.
"""

import sympy as sp

from ..symbolic import formulas


def upstream_symbol(work, v):
    """The symbol standing for the upstream gradient of the step ``v``: ``dloss_dv``."""
    return sp.Symbol(f"d{work.names[work.loss]}_d{work.names[v]}", real=True)


def upstream_ids(work, v):
    """The nodes holding ``v``'s upstream gradient: its total, and the node that total was
    made from where ``grad`` gave it a node of its own."""
    return list(dict.fromkeys([work.total[v], work.inner.get(v, work.total[v])]))


def flow_formula(work, v, c):
    """The formula of ``c`` (what flows back from the step ``v``) over ``v``'s upstream
    gradient (``dloss_dv``), ``v`` and the steps it reads."""
    up = upstream_symbol(work, v)
    given = {t: up for t in upstream_ids(work, v)}
    return formulas(work.graph, [c], keep=work.reads(v) | {v}, given=given)[0]


def local_formulas(work, v):
    """(m, k) -> d v / d (operand k of m), over the steps' symbols, for each scalar edge of
    the scalar step ``v``; an edge whose derivative needs a tensor has none (it shows a
    vector-Jacobian product instead)."""
    if work.shape(v) != ():
        return {}
    up = upstream_symbol(work, v)
    local = {}
    for u, m, k in work.edges[v]:
        c = work.flows[m, k]
        if work.shape(c) != () or work.shape(u) != ():
            continue
        try:
            dv = derivative(flow_formula(work, v, c), up)
        except (AttributeError, TypeError, ValueError):  # notation SymPy cannot differentiate
            continue
        if not dv.has(sp.Derivative, sp.Subs) and dv.free_symbols <= work.scalar_symbols:
            local[m, k] = sp.factor_terms(dv)
    return local


def derivative(flow, up):
    """d ``flow`` / d ``up`` for a flow linear in ``up``: the other factors of a product with
    ``up`` once (most edges: read off, where ``sympy.diff`` and its assumptions took
    milliseconds an edge), else by ``sympy.diff``."""
    if flow == up:
        return sp.S.One
    if isinstance(flow, sp.Mul) and flow.args.count(up) == 1:
        rest = [f for f in flow.args if f != up]
        if not any(f.has(up) for f in rest):
            return sp.Mul(*rest)
    return sp.diff(flow, up)
