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
inputs of a graph without any) to the loss, evaluated exactly and by the reference
interpreter. A local derivative is read from the gradient node autodiff made for its edge
(``local.py``), so it is the one the generated code computes.

Rows hold node ids and edges as ``(node, slot)``; names are attached when a row is shown
(``row.node``, ``row.edge``, ``row.label``), from the trace's table of names.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from ..autodiff import differentiate
from ..errors import DifferentiationError, ExactBudgetError, GraphError
from ..evaluate import evaluate as evaluate_numeric
from ..graph import LEAVES, Node, walk
from ..symbolic import exact_values, formulas, symbol, why_numeric
from ..symbolic.exact import numeric_note, tidy
from . import formats
from .formats import EXACT_LIMIT, at_text
from .local import flow_formula, local_formulas, upstream_symbol


class Names:
    """The names of a trace's nodes, attached when it is shown, and which operands feed a
    step more than once (their edges then say which operand they are)."""

    def __init__(self, graph, ids, repeated=()):
        self._names = {v: graph.record(v).name for v in ids}
        self._repeated = frozenset(repeated)  # (step, operand) pairs

    @classmethod
    def of_edges(cls, graph, pairs):
        """The names of every node of ``graph``, for edges given as ``(step, operand)``
        pairs: an operand in more than one pair of a step is repeated."""
        counts = Counter(pairs)
        return cls(graph, graph.nx.nodes, {p for p, n in counts.items() if n > 1})

    def __getitem__(self, v):
        return self._names[v]

    def edge(self, step, operand, key):
        """``z -> yhat``; ``b -> f (operand 1 of mul3)`` when ``b`` feeds ``f`` twice."""
        text = f"{self[operand]} -> {self[step]}"
        if (step, operand) in self._repeated:
            m, k = key
            text += f" (operand {k}" + ("" if m == step else f" of {self[m]}") + ")"
        return text


@dataclass(frozen=True, eq=False)
class ForwardRow:
    """One step of the forward pass: ``formula`` (None for a leaf) over the steps it reads."""

    node_id: int
    op: str
    shape: tuple
    formula: object
    exact: object
    value: np.ndarray
    names: Names = field(repr=False)

    @property
    def node(self):
        return self.names[self.node_id]


@dataclass(frozen=True, eq=False)
class BackwardRow:
    """One line of the backward pass: the derivative of ``of_id`` with respect to ``wrt_id``.

    ``step`` is upstream, local, product, vjp or sum (``formats.STEPS``); ``node_id`` is the
    step being visited; ``edge_key`` is ``(m, slot)`` for the edge from ``wrt_id`` into
    operand ``slot`` of ``m`` that a local, product or vjp row belongs to (``m`` is the step
    itself, or a node folded into it), None for upstream and sum rows.
    """

    step: str
    node_id: int
    edge_key: tuple | None
    of_id: int
    wrt_id: int
    formula: object
    exact: object
    value: np.ndarray
    names: Names = field(repr=False)

    node = property(lambda self: self.names[self.node_id], doc="the step's name")
    of = property(lambda self: self.names[self.of_id], doc="the name of what is derived")
    wrt = property(lambda self: self.names[self.wrt_id], doc="the name it is derived for")

    @property
    def edge(self):
        """``z -> yhat``: the edge a local, product or vjp row belongs to ("" otherwise)."""
        if self.edge_key is None:
            return ""
        return self.names.edge(self.node_id, self.wrt_id, self.edge_key)

    @property
    def label(self):
        """``dloss/dyhat``, as the slides write it."""
        return f"d{self.of}/d{self.wrt}"


@dataclass(frozen=True, eq=False)
class Trace:
    """A backprop trace: ``forward`` and ``backward`` rows; prints as plain text.

    >>> trace.to_markdown(); trace.to_latex(); trace.to_csv()  # doctest: +SKIP
    """

    loss_id: int
    at: str
    forward: tuple
    backward: tuple
    names: Names = field(repr=False)
    note: str = ""  # why the values are numbers, where exact ones were not used
    ranks: dict = field(default_factory=dict, repr=False)  # symbol name -> its axes (LaTeX)

    @property
    def loss(self):
        return self.names[self.loss_id]

    def gradient(self, name):
        """The upstream (or sum) row giving d loss / d ``name``."""
        for row in self.backward:
            if row.step in ("upstream", "sum") and row.wrt == name:
                return row
        raise KeyError(f"the trace has no gradient of {self.loss!r} for {name!r}")

    def __str__(self):
        return formats.plain(self)

    def to_markdown(self):
        """Two Markdown tables, forward and backward."""
        return formats.markdown(self)

    def _repr_html_(self):
        """The two tables in a notebook (``formats.hypertext``)."""
        return formats.hypertext(self)

    def _repr_markdown_(self):
        return formats.markdown(self)

    def _repr_pretty_(self, printer, cycle):
        """IPython's text/plain of a trace: the text, not the dataclass's fields."""
        printer.text(str(self))

    def to_latex(self):
        """A LaTeX ``tabular`` of the forward pass and an ``align*`` of the backward pass."""
        return formats.latex(self)

    def to_csv(self):
        """One CSV row per line of the trace (see ``formats.comma_separated``)."""
        return formats.comma_separated(self)


def explain(loss, at=None, wrt=None, exact=None, steps="named"):
    """The backprop trace of the scalar node ``loss`` at the point ``at``.

    ``wrt``: the nodes whose gradients are traced, with every node on a path from them to
    the loss (default: the parameters, or the inputs of a graph without any). ``exact``:
    compute exact SymPy values (default: when no value has more than ``EXACT_LIMIT``
    elements and every fed value is an integer, a decimal of at most 6 significant digits,
    a fraction or a SymPy value: ``graphc.symbolic.exact.why_numeric``; the trace's
    ``note`` says why not). Exact values past their budget (``graphc.symbolic.exact``) fall
    back to numbers, the note saying so: never a hang. ``steps``: "named" folds unnamed
    nodes used once into the step that uses them; "all" shows each. The user's graph is not changed.

    >>> print(gc.explain(loss, at={"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}))
    ... # doctest: +SKIP
    """
    if not isinstance(loss, Node):
        raise TypeError(f"explain takes a graph node, got {loss!r}")
    if steps not in ("named", "all"):
        raise ValueError(f"steps must be 'named' or 'all', got {steps!r}")
    work = _Work(loss, wrt, steps)
    numeric = dict(zip(work.evaluated, evaluate_numeric(work.nodes(work.evaluated), at)))
    exacts, note = _exact_values(work, at, exact, numeric)
    forward = [_forward_row(work, v, exacts, numeric) for v in work.steps]
    return Trace(loss.id, at_text(at), tuple(forward),
                 tuple(_backward_rows(work, exacts, numeric)), work.names, note, _ranks(work))


def _ranks(work):
    """The rank of each symbol a trace's formulas hold: the steps and their upstream
    gradients (for ``A \\odot B`` against ``A B`` in LaTeX)."""
    ranks = {work.names[v]: len(work.shape(v)) for v in work.steps}
    ranks.update({upstream_symbol(work, v).name: len(work.shape(v)) for v in work.edges})
    return ranks


def _exact_values(work, at, exact, numeric):
    """The exact values by node id (empty when numbers are used) and the note saying why
    numbers are used, where that is not because the tensors are large."""
    note = ""
    if exact is None:
        why = why_numeric(at)
        exact = why is None and max(np.size(a) for a in numeric.values()) <= EXACT_LIMIT
        if why is not None:
            note = numeric_note(why)
    if not exact:
        return {}, note
    try:
        return dict(zip(work.evaluated, exact_values(work.nodes(work.evaluated), at))), ""
    except ExactBudgetError as err:
        return {}, f"numeric values: {err} (the budget of exact values)"



# ---- the working copy -----------------------------------------------------------------------

class _Work:
    """The copy of the graph with every gradient taken, and its steps and edges."""

    def __init__(self, loss, wrt, steps):
        graph = loss.graph.copy()
        self.graph, self.loss = graph, loss.id
        forward = walk.upstream(graph, [loss.id])
        self.folded = _folded(graph, forward, loss.id) if steps == "named" else set()
        self.steps = [v for v in walk.order(graph, forward) if v not in self.folded
                      and not graph.record(v).plain_number]
        self.step_set = frozenset(self.steps)
        sources = _wrt_ids(loss, wrt, forward)
        self.diff = walk.on_paths(graph, sources, loss.id,
                                  walk.can_carry_gradient(graph)) | {loss.id}
        grads = differentiate(graph, loss.id, sorted(self.diff))
        self.total = dict(zip(sorted(self.diff), grads.results))
        self.inner = grads.totals  # a node's total before grad gave it a node of its own
        self.flows = grads.contributions
        self.edges = {v: _edges(self, v) for v in self.steps if v in self.diff}
        self.evaluated = list(dict.fromkeys(
            self.steps + [self.total[v] for v in sorted(self.diff)]
            + [self.flows[m, k] for v in sorted(self.edges) for _, m, k in self.edges[v]]))
        self.names = Names.of_edges(graph, [(v, u) for v, found in self.edges.items()
                                            for u, _, _ in found])

    def nodes(self, ids):
        return [Node(self.graph, v) for v in ids]

    def shape(self, v):
        return self.graph.record(v).shape

    def symbol(self, v):
        return symbol(self.graph.record(v))

    def reads(self, v):
        """The steps that the step ``v`` reads, directly or through the nodes folded into
        it: the symbols its formula is written over."""
        found, stack = set(), list(self.graph.operands(v))
        while stack:
            u = stack.pop()
            if u in self.folded:
                stack.extend(self.graph.operands(u))
            elif u in self.step_set:
                found.add(u)
        return found

    @cached_property
    def scalar_symbols(self):
        """The symbols of the scalar steps, made once (not once per step that asks)."""
        return frozenset(self.symbol(s) for s in self.steps if self.shape(s) == ())


#: The most nodes folded into one step: the node that would fold more becomes a step of its
#: own, so that a long unnamed chain is shown in steps whose formulas stay short.
FOLD_NODES = 8


def _folded(graph, forward, loss):
    """Unnamed op nodes used exactly once (one edge) by the forward graph of the loss, at
    most ``FOLD_NODES`` of them (with itself) folded into each node that uses them."""
    folded, size = set(), {}
    for v in walk.order(graph, forward):
        record = graph.record(v)
        if v == loss or record.role != "op" or record.named:
            continue
        users = [w for _, w in graph.nx.out_edges(v) if w in forward]
        size[v] = 1 + sum(size[u] for u in graph.operands(v) if u in folded)
        if len(users) == 1 and size[v] <= FOLD_NODES:
            folded.add(v)
    return folded


def _wrt_ids(loss, wrt, forward):
    if wrt is None:  # the slides trace the parameters; a graph without any, its inputs
        return walk.default_wrt(loss.graph, loss.id)
    nodes = [wrt] if isinstance(wrt, Node) else list(wrt)
    for node in nodes:
        if not isinstance(node, Node) or node.graph is not loss.graph:
            raise GraphError(f"explain: wrt must hold nodes of the graph of {loss.name!r}, "
                             f"got {node!r}")
        if node.id not in forward:
            raise DifferentiationError(f"{loss.name!r} does not depend on {node.name!r}: "
                                       f"no gradient flows to it")
    return [n.id for n in nodes]


def _edges(work, v):
    """The edges ``(u, m, k)`` that carry a gradient back from the step ``v`` to the steps
    it reads, in slot order (depth first through folded nodes)."""
    graph, found = work.graph, []
    stack = [(v, k, u) for k, u in reversed(list(enumerate(graph.operands(v))))]
    while stack:
        m, k, u = stack.pop()
        if u in work.folded:
            stack.extend((u, j, o) for j, o in reversed(list(enumerate(graph.operands(u)))))
        elif (m, k) in work.flows:
            found.append((u, m, k))
    return found


# ---- rows -----------------------------------------------------------------------------------

def _forward_row(work, v, exacts, numeric):
    record, expr = work.graph.record(v), None
    if record.op not in LEAVES:
        expr = formulas(work.graph, [v], keep=work.reads(v))[0]  # the steps stay symbols
    return ForwardRow(v, record.op, record.shape, expr, exacts.get(v), numeric[v],
                      work.names)


def _backward_rows(work, exacts, numeric):
    incoming = {}
    for v in work.edges:
        for u, m, k in work.edges[v]:
            incoming.setdefault(u, []).append((m, k))
    rows, L = [], work.loss
    values = _step_values(work, exacts, numeric)  # once: a map per edge would be quadratic
    for v in reversed(sorted(work.edges)):
        t = work.total[v]
        if len(incoming.get(v, ())) > 1:
            parts = [exacts.get(work.flows[key]) for key in incoming[v]]
            expr = sp.Add(*parts, evaluate=False) if _all_scalar(parts) else None
            rows.append(BackwardRow("sum", v, None, L, v, expr, exacts.get(t), numeric[t],
                                    work.names))
        else:
            rows.append(BackwardRow("upstream", v, None, L, v, None, exacts.get(t),
                                    numeric[t], work.names))
        local = local_formulas(work, v) if work.edges[v] and work.shape(v) == () else {}
        for u, m, k in work.edges[v]:
            rows.extend(_edge_rows(work, (v, u, m, k), local.get((m, k)), values,
                                   (exacts, numeric)))
    return rows


def _all_scalar(values):
    return all(isinstance(x, sp.Basic) and not isinstance(x, sp.NDimArray) for x in values)


def _edge_rows(work, edge, local, values, found):
    """local and product rows for a scalar edge; a vjp row for a tensor edge. ``values``:
    the scalar steps' values by symbol (``_step_values``); ``found``: (exacts, numeric)."""
    v, u, m, k = edge
    exacts, numeric = found
    c, L, names = work.flows[m, k], work.loss, work.names
    if local is None:
        return [BackwardRow("vjp", v, (m, k), L, u, flow_formula(work, v, c), exacts.get(c),
                            numeric[c], names)]
    exact, value = _local_values(local, values)
    upstream, product = numeric[work.total[v]], numeric[c]
    if not np.isfinite(value) and np.isfinite(product) and np.all(upstream != 0):
        # the formula over rounded steps is 0/0 (bce's 1/(p (1 - p)) at p = 1.0): the
        # generated code's product, computed stably, divided by the upstream gradient
        value = np.asarray(float(product) / float(upstream))
    return [BackwardRow("local", v, (m, k), v, u, local, exact, value, names),
            BackwardRow("product", v, (m, k), L, u, None, exacts.get(c), numeric[c], names)]


def _step_values(work, exacts, numeric):
    """The scalar steps' exact values (None without exact values) and floats, keyed by
    their symbols: the substitutions every local derivative's value is read with."""
    scalars = [s for s in work.steps if work.shape(s) == ()]
    exact = {work.symbol(s): exacts[s] for s in scalars} if exacts else None
    return exact, {work.symbol(s): sp.Float(float(numeric[s])) for s in scalars}


def _local_values(local, values):
    """A local derivative's exact value (None without exact values) and its float, read
    with the steps' values (``_step_values``)."""
    exacts, floats = values
    exact = tidy(local.xreplace(exacts)) if exacts is not None else None
    try:
        value = float(sp.N(local.xreplace(floats)))
    except (TypeError, ValueError):  # complex, or not a number
        value = float("nan")
    return exact, np.asarray(value)
