"""The step-by-step backprop trace of a scalar loss, laid out as the slides do it.

``explain(loss, at)`` shows the forward value of each step, then, from the loss backwards,
each step's upstream gradient, and along each edge back to an operand the local derivative
(formula and value) and the product upstream * local; where a node fans out, the sum of
what flows back to it. Along a tensor edge the local derivative is a Jacobian, so the trace
shows the vector-Jacobian product instead, as a formula in the upstream gradient.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x, w = g.input("x"), g.param("w")
>>> loss = gc.sigmoid(w * x).named("loss")
>>> trace = gc.explain(loss, at={"x": 1, "w": 0})
>>> [(r.step, r.label, str(r.exact)) for r in trace.backward[:3]]
[('upstream', 'dloss/dloss', '1'), ('local', 'dloss/dw', '1/4'), ('product', 'dloss/dw', '1/4')]
>>> trace.backward[1].formula
loss*x*(1 - loss)

The steps are the leaves, the nodes the user named, the loss, and every node used more than
once; an unnamed node used once is folded into the step that uses it, so
``(w1*x1 + w2*x2).named("z")`` is one step and ``dz/dw1`` reads ``x1``, as on the slide
(``steps="all"`` makes every node a step). Everything is computed on a copy of the graph:
the gradients of every node on a path from ``wrt`` (the parameters by default, or the
inputs of a graph without any) to the loss, evaluated exactly (``graphc.symbolic.exact_values``) and by the
reference interpreter.
"""

from collections import namedtuple

import numpy as np
import sympy as sp

from .. import ops
from ..autodiff import grad
from ..errors import DifferentiationError, GraphError
from ..evaluate import evaluate as evaluate_numeric
from ..graph import LEAVES, Node
from ..ops.elementwise import formula as scalar_formula
from ..ops.scalar import arg
from ..shapes import FLOATS
from ..symbolic import exact_number, exact_values, formula, symbol
from .formats import EXACT_LIMIT, BackwardRow, ForwardRow, Trace, at_text

_Edge = namedtuple("_Edge", "v m k u text")


def explain(loss, at=None, wrt=None, exact=None, steps="named"):
    """The backprop trace of the scalar node ``loss`` at the point ``at``.

    ``wrt``: the nodes whose gradients are traced, with every node on a path from them to
    the loss (default: the parameters, or the inputs of a graph without any). ``exact``: compute exact SymPy
    values (default: when no value has more than ``EXACT_LIMIT`` elements). ``steps``:
    "named" folds unnamed nodes used once into the step that uses them; "all" shows each.
    The user's graph is not changed.

    >>> print(gc.explain(loss, at={"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}))
    ... # doctest: +SKIP
    """
    if not isinstance(loss, Node):
        raise TypeError(f"explain takes a graph node, got {loss!r}")
    if steps not in ("named", "all"):
        raise ValueError(f"steps must be 'named' or 'all', got {steps!r}")
    work = _Work(loss, wrt, steps)
    numeric = dict(zip(work.evaluated, evaluate_numeric(work.nodes(work.evaluated), at)))
    if exact is None:
        exact = max(np.size(a) for a in numeric.values()) <= EXACT_LIMIT
    exacts = {}
    if exact:
        exacts = dict(zip(work.evaluated, exact_values(work.nodes(work.evaluated), at)))
    forward = [_forward_row(work, v, exacts, numeric) for v in work.steps]
    return Trace(loss.name, at_text(at), tuple(forward),
                 tuple(_backward_rows(work, exacts, numeric)))


# ---- the working copy -----------------------------------------------------------------------

class _Work:
    """The copy of the graph with every gradient taken, and its steps and edges."""

    def __init__(self, loss, wrt, steps):
        graph = loss.graph.copy()
        self.graph, self.loss = graph, loss.id
        forward = graph.upstream([loss.id])
        self.folded = _folded(graph, forward, loss.id) if steps == "named" else set()
        self.steps = [v for v in sorted(forward) if v not in self.folded
                      and not _plain_number(graph.nx.nodes[v])]
        self.diff = _on_paths(graph, _wrt_ids(loss, wrt, forward), loss.id, forward)
        start = graph._next_id
        totals = grad(Node(graph, loss.id), self.nodes(sorted(self.diff)))
        self.total = {v: t.id for v, t in zip(sorted(self.diff), totals)}
        self.flows = _contributions(graph, loss.id, start)
        self.edges = {v: _edges(self, v) for v in self.steps if v in self.diff}
        self.evaluated = list(dict.fromkeys(
            self.steps + [self.total[v] for v in sorted(self.diff)]
            + [self.flows[e.m, e.k] for v in sorted(self.edges) for e in self.edges[v]]))

    def nodes(self, ids):
        return [Node(self.graph, v) for v in ids]

    def name(self, v):
        return self.graph.nx.nodes[v]["name"]

    def shape(self, v):
        return self.graph.nx.nodes[v]["shape"]

    def symbol(self, v):
        return symbol(self.graph.nx.nodes[v])


def _plain_number(data):
    """An unnamed scalar constant: formulas show it as a number, not as a step."""
    return data["op"] == "const" and data["shape"] == () and not data["named"]


def _folded(graph, forward, loss):
    """Unnamed op nodes used exactly once (one edge) by the forward graph of the loss."""
    folded = set()
    for v in forward:
        data = graph.nx.nodes[v]
        if v == loss or data["role"] != "op" or data["named"]:
            continue
        users = [w for _, w in graph.nx.out_edges(v) if w in forward]
        if len(users) == 1:
            folded.add(v)
    return folded


def _wrt_ids(loss, wrt, forward):
    if wrt is None:  # the slides trace the parameters; a graph without any, its inputs
        nodes = loss.graph.nx.nodes
        params = [v for v in forward if nodes[v]["role"] == "param"]
        return params or [v for v in forward if nodes[v]["role"] == "input"]
    nodes = [wrt] if isinstance(wrt, Node) else list(wrt)
    for node in nodes:
        if not isinstance(node, Node) or node.graph is not loss.graph:
            raise GraphError(f"explain: wrt must hold nodes of the graph of {loss.name!r}, "
                             f"got {node!r}")
        if node.id not in forward:
            raise DifferentiationError(f"{loss.name!r} does not depend on {node.name!r}: "
                                       f"no gradient flows to it")
    return [n.id for n in nodes]


def _on_paths(graph, sources, loss, forward):
    """Float nodes on a path from one of ``sources`` to the loss, and the loss itself."""
    nodes = graph.nx.nodes
    down, stack = set(), [v for v in sources if v in forward]
    while stack:
        v = stack.pop()
        if v in down or nodes[v]["dtype"] not in FLOATS or nodes[v]["role"] == "const":
            continue
        down.add(v)
        stack.extend(w for w in graph.nx.successors(v) if w in forward)
    return down | {loss}


def _contributions(graph, loss, start):
    """(m, k) -> the node that carries what flows back along the edge into slot k of m."""
    flows = {}
    for v in sorted(graph.nx.nodes):
        if v >= start:
            for of, m, k in graph.nx.nodes[v].get("flows", ()):
                if of == loss:
                    flows.setdefault((m, k), v)
    return flows


def _edges(work, v):
    """The edges that carry a gradient back from the step ``v`` to the steps it reads,
    in slot order (depth first through folded nodes)."""
    graph, found = work.graph, []
    stack = [(v, k, u) for k, u in reversed(list(enumerate(graph.operands(v))))]
    while stack:
        m, k, u = stack.pop()
        if u in work.folded:
            stack.extend((u, j, o) for j, o in reversed(list(enumerate(graph.operands(u)))))
        elif (m, k) in work.flows:
            found.append((m, k, u))
    return [_Edge(v, m, k, u, _edge_text(work, v, m, k, u, found)) for m, k, u in found]


def _edge_text(work, v, m, k, u, found):
    text = f"{work.name(u)} -> {work.name(v)}"
    if sum(1 for _, _, o in found if o == u) > 1:
        text += f" (operand {k}" + ("" if m == v else f" of {work.name(m)}") + ")"
    return text


# ---- rows -----------------------------------------------------------------------------------

def _forward_row(work, v, exacts, numeric):
    data = work.graph.nx.nodes[v]
    expr = None
    if data["op"] not in LEAVES:
        expr = formula(Node(work.graph, v), keep=work.nodes(s for s in work.steps if s != v))
    return ForwardRow(data["name"], data["op"], data["shape"], expr, exacts.get(v),
                      numeric[v])


def _backward_rows(work, exacts, numeric):
    incoming = {}
    for v in work.edges:
        for e in work.edges[v]:
            incoming.setdefault(e.u, []).append(e)
    rows, L = [], work.name(work.loss)
    for v in reversed(sorted(work.edges)):
        t = work.total[v]
        if len(incoming.get(v, ())) > 1:
            parts = [exacts.get(work.flows[e.m, e.k]) for e in incoming[v]]
            expr = sp.Add(*parts, evaluate=False) if _all_scalar(parts) else None
            rows.append(BackwardRow("sum", work.name(v), "", L, work.name(v), expr,
                                    exacts.get(t), numeric[t]))
        else:
            rows.append(BackwardRow("upstream", work.name(v), "", L, work.name(v), None,
                                    exacts.get(t), numeric[t]))
        local = _local_formulas(work, v) if work.edges[v] and work.shape(v) == () else {}
        for e in work.edges[v]:
            rows.extend(_edge_rows(work, e, local.get((e.m, e.k)), exacts, numeric))
    return rows


def _all_scalar(values):
    return all(isinstance(x, sp.Basic) and not isinstance(x, sp.NDimArray) for x in values)


def _edge_rows(work, e, local, exacts, numeric):
    """local and product rows for a scalar edge; a vjp row for a tensor edge."""
    c, L = work.flows[e.m, e.k], work.name(work.loss)
    v, u = work.name(e.v), work.name(e.u)
    if local is None:
        return [BackwardRow("vjp", v, e.text, L, u, _vjp_formula(work, e), exacts.get(c),
                            numeric[c])]
    exact, value = _local_values(work, local, exacts, numeric)
    return [BackwardRow("local", v, e.text, v, u, local, exact, value),
            BackwardRow("product", v, e.text, L, u, None, exacts.get(c), numeric[c])]


def _local_values(work, local, exacts, numeric):
    """A local derivative's exact value (None without exact values) and its float."""
    scalars = [s for s in work.steps if work.shape(s) == ()]
    exact = local.xreplace({work.symbol(s): exacts[s] for s in scalars}) if exacts else None
    floats = local.xreplace({work.symbol(s): sp.Float(float(numeric[s])) for s in scalars})
    try:
        value = float(sp.N(floats))
    except (TypeError, ValueError):  # complex, or not a number
        value = float("nan")
    return exact, np.asarray(value)


def _vjp_formula(work, e):
    """What flows back along ``e``, over the upstream gradient (``dloss_dv``) and steps."""
    c, t = work.flows[e.m, e.k], Node(work.graph, work.total[e.v])
    ups = [t] + (t.operands if t.op == "identity" else [])  # grad's result may wrap the ct
    up = sp.Symbol(f"d{work.name(work.loss)}_d{work.name(e.v)}", real=True)
    if c in [n.id for n in ups]:
        return up
    expr = formula(Node(work.graph, c), keep=ups + work.nodes(work.steps))
    return expr.xreplace({work.symbol(n.id): up for n in ups})


# ---- local derivatives of a scalar step -------------------------------------------------------

def _local_formulas(work, v):
    """(m, k) -> d v / d (operand k of m), over the steps' symbols, for each scalar edge.

    Each edge gets its own symbol while differentiating, so an operand used twice has a
    local derivative per edge; a copy of v's own formula becomes v's symbol (sigmoid'
    reads ``yhat*(1 - yhat)``). Empty when a tensor takes part: its edges show a vjp.
    """
    region = _region(work, v)
    if any(work.shape(u) != () for n in region for u in [n] + work.graph.operands(n)):
        return {}
    expr, dummies = _step_formula(work, v, region)
    back = {d: work.symbol(e[2]) for d, e in dummies.items()}
    scalars = {work.symbol(s) for s in work.steps if work.shape(s) == ()}
    local = {}
    for d, (m, k, _) in dummies.items():
        try:
            dv = sp.diff(expr, d)
        except (AttributeError, TypeError, ValueError):  # notation SymPy cannot differentiate
            continue
        if not expr.is_Atom:
            dv = dv.xreplace({expr: work.symbol(v)})
        dv = dv.xreplace(back)
        if not dv.has(sp.Derivative, sp.Subs) and dv.free_symbols <= scalars:
            local[m, k] = dv
    return local


def _region(work, v):
    """The step ``v`` and the folded nodes it is computed from, in topological order."""
    up = work.graph.upstream([v], stop=set(work.steps) - {v})
    return [u for u in sorted(up) if u == v or u in work.folded]


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
            elif _plain_number(graph.nx.nodes[u]):
                args.append(exact_number(graph.nx.nodes[u]["value"].item()))
            else:
                args.append(work.symbol(u))
        exprs[n] = _op_formula(graph, n).xreplace({arg(i): a for i, a in enumerate(args)})
    return exprs[v], dummies


def _op_formula(graph, n):
    """The op of node ``n`` over the symbols a0, a1, ... of its operands."""
    data = graph.nx.nodes[n]
    operands = graph.operands(n)
    opdef = ops.get(data["op"])
    if opdef.notation is not None:
        shapes = [graph.nx.nodes[u]["shape"] for u in operands]
        return opdef.notation(data["attrs"], shapes, *[arg(i) for i in range(len(operands))])
    return scalar_formula(opdef, data["attrs"], len(operands))
