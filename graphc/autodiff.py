"""Reverse mode: add the gradient graph of a scalar node to the same graph.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> (dx,) = gc.grad(gc.sigmoid(x).named("s"), [x])
>>> dx.name
'ds_dx'

Gradients are ordinary nodes (role "grad"), so they can be shown, compiled and
differentiated again. Each node's total gradient is named ``d{of}_d{node}``; where a node
fans out, it is the ``add_n`` of what flows back along each edge. ``differentiate`` returns,
beside the gradient nodes, a ``Gradients`` record of the whole pass by node ids: each
node's total and what flows back along each edge ``(node, operand slot)``. Nothing of it
is written onto the graph. Only nodes on a path from ``wrt`` to the output are visited,
every walk is iterative, and nodes the result does not need are removed again.

Each vjp step is a node of its own: fusing element-wise steps (sigmoid after bce gives the
slide's ``yhat - y``) is a pass, ``passes.fuse_elementwise``, that ``gc.compile`` runs. A
node made inside an op's vjp records where it came from in its ``origin``: ``((m, k),)``
when it carries what flows back into operand ``k`` of forward node ``m`` (the node
returned for that operand and those between the cotangent and it), ``((m, None),)`` for a
helper of that vjp (a transpose, a count); seeds and ``add_n`` totals have ``()``.

>>> g.record(dx.id).origin == ((s.id, 0),)                      # doctest: +SKIP
True
"""

import functools
import re
import types
from dataclasses import dataclass

import sympy as sp

from . import ops
from .errors import DifferentiationError, DTypeError, GraphError
from .graph import LEAVES, Node, walk
from .ops.scalar import arg
from .shapes import FLOATS, fmt


@dataclass(frozen=True)
class Gradients:
    """What one backward pass added to a graph, by node ids.

    ``of``: the scalar node differentiated; ``wrt``: the nodes asked for; ``results``: the
    gradient node ``d{of}_d{w}`` of each, in the order of ``wrt``; ``totals``: node ->
    its total gradient (what flows back to it, summed); ``contributions``: ``(node, slot)``
    -> the node carrying what flows back along the edge into operand ``slot`` of ``node``
    (in the order the pass made them); ``added``: the ids of every node the pass added.

    Every node the gradient reaches has its total, and every edge it flows back along its
    contribution (a contribution that adds nothing, such as ``ct`` itself flowing back
    through ``add``, is the node it already is).

    >>> grads = differentiate(g, loss.id, [w.id])                 # doctest: +SKIP
    >>> g.record(grads.contributions[z.id, 0]).name               # doctest: +SKIP
    'dloss_dw'
    """

    of: int
    wrt: tuple
    results: tuple
    totals: types.MappingProxyType
    contributions: types.MappingProxyType
    added: tuple


class Builder:
    """What an op's vjp builds with; nodes made through it are 'fresh'."""

    def __init__(self, graph):
        self.graph = graph
        self.start = graph.next_id
        self.steps = []  # step nodes a gradient reached: their derivative is 0 everywhere

    def op(self, name, *operands, **attrs):
        return self.graph.apply(name, operands, attrs)

    def const(self, value, dtype=None):
        return self.graph.literal(value, dtype)

    def ew(self, expr, mapping):
        """An ``elementwise`` node computing ``expr``, its symbols bound by ``mapping``.

        Symbols bound to the same node are merged; ``a0`` alone returns that node. Where
        merging cancels every symbol (``p - y`` with p and y one node), the constant left
        keeps the operands, unused, for the broadcast shape.
        """
        canon, nodes = canonical(sp.sympify(expr), mapping)
        if canon == arg(0) and len(nodes) == 1:
            return nodes[0]
        if not nodes:
            nodes = list({n.id: n for n in mapping.values()}.values())
        return self.op("elementwise", *nodes, expr=canon)

    def sum_to(self, x, like, axes=()):
        """``x`` summed down to ``like``'s shape (undoing broadcasting); ``x`` if it fits."""
        if not axes and tuple(x.shape) == tuple(like.shape):
            return x
        return self.op("sum_to", x, like, axes=axes)

    def fresh(self, node):
        return node.id >= self.start


def canonical(expr, mapping):
    """``expr`` over a0, a1, ... in the order of ``mapping``, and the nodes they stand for."""
    symbols = tuple(mapping)
    ids = [mapping[s].id for s in symbols]
    canon, picks = _canonical(expr, symbols, tuple(ids.index(i) for i in ids))
    return canon, [mapping[symbols[k]] for k in picks]


@functools.lru_cache(maxsize=8192)
def _canonical(expr, symbols, same):
    """Cached by formula and by which symbols share a node (``same[i]``: the first of them)."""
    used = expr.free_symbols
    merge = {s: symbols[same[i]] for i, s in enumerate(symbols) if same[i] != i and s in used}
    if merge:
        expr = expr.xreplace(merge)
    used = expr.free_symbols
    picks = tuple(i for i, s in enumerate(symbols) if same[i] == i and s in used)
    canon = expr.xreplace({symbols[k]: arg(j) for j, k in enumerate(picks)})
    return canon, picks


def grad(y, wrt, unused="zero"):
    """The gradients of the scalar node ``y`` with respect to each node in ``wrt``.

    Returns a list of gradient nodes (a single node when ``wrt`` is a node), named
    ``d{y}_d{w}``. A node ``y`` does not depend on gets zeros of its shape, or raises
    DifferentiationError when ``unused="error"``; one it depends on only through zero
    derivatives gets zeros either way, except through a ``step`` op (the perceptron's),
    which raises DifferentiationError naming the step.

    >>> (dw,) = grad(loss, [w])       # doctest: +SKIP
    """
    single = isinstance(wrt, Node)
    nodes = [wrt] if single else list(wrt)
    for node in [y] + nodes:
        if not isinstance(node, Node):
            raise TypeError(f"grad takes graph nodes, got {node!r}")
        if node.graph is not y.graph:
            raise GraphError(f"{node.name!r} and {y.name!r} belong to different graphs")
    grads = differentiate(y.graph, y.id, [n.id for n in nodes], unused)
    results = [Node(y.graph, v) for v in grads.results]
    return results[0] if single else results


def taken(graph, y, w):
    """The id of the gradient node ``grad`` already made for d ``y`` / d ``w`` (ids), found
    by the name and role it gave it, ``d{y}_d{w}``; None when there is none."""
    v = graph.id_of(f"d{graph.record(y).name}_d{graph.record(w).name}")
    return v if v is not None and graph.record(v).role == "grad" else None


def gradient_of(graph, v):
    """``(y, x)`` when node ``v`` is the gradient ``grad`` named ``d{y}_d{x}`` (or
    ``d{y}_d{x}_2`` when that name was taken), by the name and role it gave it; else None.

    >>> g.record(gradient_of(g, dw.id)[1]).name                  # doctest: +SKIP
    'w'
    """
    record = graph.record(v)
    if record.role != "grad" or not record.name.startswith("d"):
        return None
    name = record.name
    for i in range(2, len(name) - 2):
        if name[i:i + 2] != "_d":
            continue
        y, rest = graph.id_of(name[1:i]), name[i + 2:]
        x = graph.id_of(rest)
        if x is None and re.fullmatch(r".+_[0-9]+", rest):
            x = graph.id_of(rest.rsplit("_", 1)[0])
        if y is not None and x is not None:
            return y, x
    return None


def differentiate(graph, y, wrt, unused="zero", vjps=None):
    """Add to ``graph`` the gradients of its scalar node ``y`` (an id) with respect to the
    nodes ``wrt`` (ids) and return the ``Gradients`` record; ``unused`` as in ``grad``.

    ``vjps`` (node id -> a function ``(builder, node, ct, needs) -> grads``, as an op's
    vjp) replaces those nodes' own vjps for this pass alone: how ``gc.check`` plants a
    slip of hand backprop (a local derivative left out) to see whether it explains a
    wrong claim (``graphc.check.slips``).

    >>> work = g.copy()                                           # doctest: +SKIP
    >>> grads = differentiate(work, loss.id, [w.id])                   # doctest: +SKIP
    """
    _check(graph, y, wrt, unused)
    start = graph.next_id
    try:
        return _Pass(graph, y, wrt, unused, vjps or {}).run()
    except BaseException:
        for v in reversed(range(start, graph.next_id)):  # nothing half-built stays behind
            if v in graph.nx:
                graph.remove(v)
        raise


def _check(graph, y, wrt, unused):
    if unused not in ("zero", "error"):
        raise ValueError(f"unused must be 'zero' or 'error', got {unused!r}")
    out = graph.record(y)
    if out.shape != ():
        raise DifferentiationError(
            f"cannot differentiate {out.name!r} ({out.op}, shape {fmt(out.shape)}): the "
            f"output must be a scalar of shape (); reduce it first, e.g. "
            f"gc.sum({out.name}) or gc.mean({out.name})")
    for v in [y] + list(wrt):
        record = graph.record(v)
        if record.dtype not in FLOATS:
            raise DTypeError(
                f"cannot differentiate with respect to {record.name!r} ({record.op}, "
                f"{record.dtype}): integers have no gradient (labels are fine as inputs)")


class _Pass:
    """One backward pass: its builder and what it learns, kept here, never on the graph."""

    def __init__(self, graph, y, wrt, unused, vjps):
        self.graph, self.y, self.wrt, self.unused = graph, y, list(wrt), unused
        self.vjps = vjps  # node id -> the vjp used in place of its op's (see differentiate)
        self.b = Builder(graph)
        self.relevant = walk.on_paths(graph, self.wrt, y)
        self.named = {}   # gradient node id -> the node it was named the total of
        self.totals = {}  # node id -> its total gradient's id
        self.flows = {}   # (node, slot) -> what flows back along that edge
        self.origins = {}  # node id made in a vjp -> its origin (see the module docstring)

    def run(self):
        self._visit()
        results = [self._result(w) for w in self.wrt]
        _sweep(self.b, keep=set(results))
        added = [v for v in range(self.b.start, self.graph.next_id) if v in self.graph.nx]
        for v in added:
            self.graph.update(v, role="grad", origin=self.origins.get(v, ()))
        alive = set(self.graph.nx.nodes)
        return Gradients(
            of=self.y, wrt=tuple(self.wrt), results=tuple(results),
            totals=_kept(self.totals, alive), contributions=_kept(self.flows, alive),
            added=tuple(added))

    def _visit(self):
        """Visit the relevant nodes in reverse topological order, from the output."""
        graph, b = self.graph, self.b
        parts = {self.y: [b.const(1.0, graph.record(self.y).dtype)]}
        for v in reversed(walk.order(graph, self.relevant)):
            incoming = parts.pop(v, None)
            if not incoming:
                continue
            ct = incoming[0] if len(incoming) == 1 else b.op("add_n", *incoming)
            self._name(v, ct)
            self.totals[v] = ct.id
            if graph.record(v).op not in LEAVES:
                self._propagate(Node(graph, v), ct, parts)

    def _propagate(self, node, ct, parts):
        b, opdef, operands = self.b, ops.get(node.op), node.operands
        needs = [o.id in self.relevant and o.dtype in FLOATS and slot not in opdef.nondiff
                 for slot, o in enumerate(operands)]
        if not any(needs):
            return
        if node.op in ZERO_DERIVATIVE:
            b.steps.append(node)
        vjp = self.vjps.get(node.id, opdef.vjp)
        if vjp is None:
            raise _no_gradient(self.graph, node)
        start = self.graph.next_id
        grads = vjp(b, node, ct, needs)
        kept = []
        for slot, (operand, need, g) in enumerate(zip(operands, needs, grads)):
            if need and g is not None:
                self.flows[node.id, slot] = g.id
                parts.setdefault(operand.id, []).append(g)
                kept.append((slot, g.id))
        self.origins.update(_origins(self.graph, node.id, start, ct.id, kept))

    def _name(self, v, ct):
        """Name a fresh gradient after what it is the gradient of: d{y}_d{node}."""
        if self.b.fresh(ct) and ct.id not in self.named:
            of, node = self.graph.record(self.y).name, self.graph.record(v).name
            self.graph.rename(ct.id, _gradient_name(self.graph, of, node))
            self.named[ct.id] = v

    def _result(self, w):
        """The gradient node of ``w``: its total when that was named for it, else a node of
        its own (an identity of the total, or zeros)."""
        b, ct = self.b, self.totals.get(w)
        if ct is not None and self.named.get(ct) == w:
            return ct
        node = Node(self.graph, w)
        if ct is None:
            if self.unused == "error" and w not in self.relevant:  # not a zero derivative
                raise DifferentiationError(
                    f"{self.graph.record(self.y).name!r} does not depend on {node.name!r}: "
                    f"no gradient flows to it")
            _check_steps(b, self.graph.record(self.y).name, node)
            result = b.op("zeros_like", node)
        else:
            result = b.op("identity", Node(self.graph, ct))
        name = _gradient_name(self.graph, self.graph.record(self.y).name, node.name)
        self.graph.rename(result.id, name)
        return result.id


def _kept(mapping, alive):
    """``mapping`` without the entries whose node was removed again (read-only)."""
    return types.MappingProxyType({k: v for k, v in mapping.items() if v in alive})


def _no_gradient(graph, node):
    """The DifferentiationError for ``node``, whose op has no vjp: a gradient node made by a
    forward node's vjp (its origin) makes it the second derivative of that node's op."""
    forward = [m for m, _ in graph.record(node.id).origin if m in graph.nx]
    if graph.record(node.id).role != "grad" or not forward:
        return DifferentiationError(f"op {node.op!r} has no gradient: cannot differentiate "
                                    f"through node {node.name!r}")
    m = graph.record(forward[0])
    return DifferentiationError(
        f"second derivative of op {m.op!r} (node {m.name!r}) is not supported: its "
        f"gradient, node {node.name!r} (op {node.op!r}), has no gradient of its own")


def _origins(graph, m, start, ct, kept):
    """The origin of each node the vjp of forward node ``m`` made (ids from ``start``):
    ``((m, k),)`` for those carrying ``ct`` into the contribution ``kept`` gives for operand
    ``k`` (the contribution itself included), ``((m, None),)`` for the rest."""
    fresh = {v for v in range(start, graph.next_id) if v in graph.nx}
    if not fresh:
        return {}
    carrying = walk.downstream(graph, [ct], within=fresh | {ct})
    slots = {v: set() for v in fresh}
    for k, g in kept:
        if g in fresh:
            for v in (walk.upstream(graph, [g], carries=fresh.__contains__) & carrying) | {g}:
                slots[v].add(k)
    return {v: ((m, ks.pop() if len(ks) == 1 else None),) for v, ks in slots.items()}


def _gradient_name(graph, of, node):
    """``d{of}_d{node}``, or with ``_2``, ``_3``, ... where that is taken. A suffix that
    would read as another node (``dloss_dw_2`` where ``w_2`` is a node) is passed over, so
    ``gradient_of`` reads every name back to what it is the gradient of."""
    name, k = f"d{of}_d{node}", 2
    while name in graph:
        while f"{node}_{k}" in graph:
            k += 1
        name, k = f"d{of}_d{node}_{k}", k + 1
    return name


#: The ops whose derivative is 0 everywhere, and what to do instead: a gradient that gets
#: nothing but through one of them is an error, not a silent zero.
ZERO_DERIVATIVE = {
    "step": "the perceptron is trained with its own update rule (gc.optim.perceptron_update)",
    "sign": "sign'(0) = 0 too, as PyTorch takes it; for a gradient use a smooth stand-in "
            "such as gc.tanh(k * x)",
}


def _check_steps(b, y_name, w):
    """DifferentiationError when ``w`` gets no gradient because a step op (or another op of
    ZERO_DERIVATIVE) is on its way."""
    for step in b.steps:
        if w.id in walk.upstream(b.graph, [step.id]):
            raise DifferentiationError(
                f"the gradient of {y_name!r} with respect to {w.name!r} passes through "
                f"{step.op} node {step.name!r}, whose derivative is 0 everywhere: gradient "
                f"descent would train nothing; {ZERO_DERIVATIVE[step.op]}")


def _sweep(b, keep):
    """Remove fresh nodes that nothing uses and nobody asked for (a helper a vjp made for
    an operand that needs no gradient)."""
    graph = b.graph
    stack = [v for v in graph.nx.nodes if v >= b.start]
    while stack:
        v = stack.pop()
        if v not in graph.nx or v in keep or graph.nx.out_degree(v) > 0:
            continue
        operands = set(graph.nx.predecessors(v))
        graph.remove(v)
        stack.extend(u for u in operands if u >= b.start)
