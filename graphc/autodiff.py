"""Reverse mode: add the gradient graph of a scalar node to the same graph.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> (dx,) = gc.grad(gc.sigmoid(x).named("s"), [x])
>>> dx.name
'ds_dx'

Gradients are ordinary nodes (role "grad"), so they can be shown, compiled and
differentiated again. Each node's total gradient is named ``d{of}_d{node}`` (its attribute
``grad_of`` is ``(of, node)``); where a node fans out, it is the ``add_n`` of what flows
back along each edge. A node carrying what flows back along the edge from operand slot
``k`` of node ``v`` lists ``(of, v, k)`` in its attribute ``flows``. Only nodes on a path from
``wrt`` to the output are visited, every walk is iterative, and nodes the result does not
need are removed again.

An element-wise gradient step is fused into the step before it when SymPy's automatic
simplification makes the fused formula no larger: sigmoid after bce then gives
``ct*(p - y)/n``, the slide's ``yhat - y``, instead of a quotient by ``p (1 - p)``.
"""

import functools

import networkx as nx
import sympy as sp

from . import ops
from .errors import DifferentiationError, DTypeError, GraphError
from .graph import LEAVES, Node
from .ops.scalar import arg
from .shapes import FLOATS, fmt


class Builder:
    """What an op's vjp builds with; nodes made through it are 'fresh'."""

    def __init__(self, graph):
        self.graph = graph
        self.start = graph._next_id
        self.steps = []  # step nodes a gradient reached: their derivative is 0 everywhere

    def op(self, name, *operands, **attrs):
        return self.graph.apply(name, operands, attrs)

    def const(self, value, dtype=None):
        return self.graph._constant(value, dtype)

    def ew(self, expr, mapping):
        """An ``elementwise`` node computing ``expr``, its symbols bound by ``mapping``.

        Symbols bound to the same node are merged; ``a0`` alone returns that node.
        """
        canon, nodes = canonical(sp.sympify(expr), mapping)
        if canon == arg(0) and len(nodes) == 1:
            return nodes[0]
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
    _check(y, nodes, unused)
    b = Builder(y.graph)
    relevant = _relevant(y, nodes)
    cts = _backward(b, y, relevant, wanted={w.id for w in nodes})
    results = [_result(b, y, w, cts, unused, relevant) for w in nodes]
    _sweep(b, keep={r.id for r in results})
    for v in y.graph.nx.nodes:
        if v >= b.start:
            y.graph.nx.nodes[v]["role"] = "grad"
    return results[0] if single else results


def _check(y, nodes, unused):
    if unused not in ("zero", "error"):
        raise ValueError(f"unused must be 'zero' or 'error', got {unused!r}")
    for node in [y] + nodes:
        if not isinstance(node, Node):
            raise TypeError(f"grad takes graph nodes, got {node!r}")
        if node.graph is not y.graph:
            raise GraphError(f"{node.name!r} and {y.name!r} belong to different graphs")
    if y.shape != ():
        raise DifferentiationError(
            f"cannot differentiate {y.name!r} ({y.op}, shape {fmt(y.shape)}): the output "
            f"must be a scalar of shape (); reduce it first, e.g. gc.sum({y.name}) or "
            f"gc.mean({y.name})")
    for node in [y] + nodes:
        if node.dtype not in FLOATS:
            raise DTypeError(
                f"cannot differentiate with respect to {node.name!r} ({node.op}, "
                f"{node.dtype}): integers have no gradient (labels are fine as inputs)")


def _relevant(y, wrt):
    """Nodes on a path from some node of ``wrt`` to ``y``, found without recursion."""
    graph = y.graph.nx
    up = y.graph.upstream([y.id])
    down, stack = set(), [w.id for w in wrt]
    while stack:
        v = stack.pop()
        if v in down or v not in up:
            continue
        down.add(v)
        stack.extend(graph.successors(v))
    return down


def _backward(b, y, relevant, wanted):
    """Visit ``relevant`` in reverse topological order; return each node's gradient."""
    graph = y.graph
    parts = {y.id: [b.const(1.0, y.dtype)]}
    cts = {}
    for v in reversed(graph.order(relevant)):
        incoming = parts.pop(v, None)
        if not incoming:
            continue
        node = Node(graph, v)
        ct = incoming[0] if len(incoming) == 1 else b.op("add_n", *incoming)
        _name(b, y, node, ct)
        cts[v] = ct
        if node.op not in LEAVES:
            _propagate(b, y, node, ct, (relevant, parts), fuse=v not in wanted)
    return cts


def _propagate(b, y, node, ct, state, fuse):
    relevant, parts = state
    opdef = ops.get(node.op)
    operands = node.operands
    needs = [o.id in relevant and o.dtype in FLOATS and slot not in opdef.nondiff
             for slot, o in enumerate(operands)]
    if not any(needs):
        return
    if node.op == "step":
        b.steps.append(node)
    if opdef.vjp is None:
        raise DifferentiationError(f"op {node.op!r} has no gradient: cannot differentiate "
                                   f"through node {node.name!r}")
    for slot, (operand, need, g) in enumerate(zip(operands, needs, opdef.vjp(b, node, ct,
                                                                              needs))):
        if need and g is not None:
            g = _fuse(b, g, ct) if fuse else g
            # what flows back along the edge operand -> node: for traces and diagrams
            g._data.setdefault("flows", []).append((y.id, node.id, slot))
            parts.setdefault(operand.id, []).append(g)


def _fuse(b, g, ct):
    """``g`` with the element-wise ``ct`` folded in, when that makes the formula no larger."""
    graph = b.graph
    if not (b.fresh(g) and b.fresh(ct) and g.op == ct.op == "elementwise"):
        return g
    if set(graph.nx.successors(ct.id)) != {g.id}:
        return g
    operands = g.operands
    k = next((i for i, o in enumerate(operands) if o == ct), None)
    if k is None:
        return g
    fused = _substitute(g.attrs["expr"], k, ct.attrs["expr"], len(ct.operands))
    mapping = {arg(i): o for i, o in enumerate(operands) if i != k}
    mapping.update({_inner(j): o for j, o in enumerate(ct.operands)})
    canon, nodes = canonical(fused, mapping)
    if _size(canon) > _size(ct.attrs["expr"]):
        return g
    graph._remove(g.id)
    return b.op("elementwise", *nodes, expr=canon)


def _inner(j):
    return sp.Symbol(f"_c{j}", real=True)


@functools.lru_cache(maxsize=4096)
def _substitute(outer, k, inner, n):
    """``outer`` with its operand a{k} replaced by ``inner`` (over _c0 .. _c{n-1})."""
    return outer.xreplace({arg(k): inner.xreplace({arg(j): _inner(j) for j in range(n)})})


@functools.lru_cache(maxsize=4096)
def _size(expr):
    return sp.count_ops(expr)


def _unique(graph, base):
    name, k = base, 2
    while name in graph:
        name, k = f"{base}_{k}", k + 1
    return name


def _name(b, y, node, ct):
    """Name a fresh gradient after what it is the gradient of: d{y}_d{node}."""
    data = ct._data
    if b.fresh(ct) and "grad_of" not in data:
        b.graph.rename(ct, _unique(b.graph, f"d{y.name}_d{node.name}"))
        data["grad_of"] = (y.id, node.id)


def _result(b, y, w, cts, unused, relevant):
    ct = cts.get(w.id)
    if ct is not None and b.fresh(ct) and ct._data.get("grad_of") == (y.id, w.id):
        return ct
    if ct is None:
        if unused == "error" and w.id not in relevant:  # not a zero derivative (step)
            raise DifferentiationError(f"{y.name!r} does not depend on {w.name!r}: no "
                                       f"gradient flows to it")
        _check_steps(b, y, w)
        result = b.op("zeros_like", w)
    else:
        result = b.op("identity", ct)
    b.graph.rename(result, _unique(b.graph, f"d{y.name}_d{w.name}"))
    result._data["grad_of"] = (y.id, w.id)
    return result


def _check_steps(b, y, w):
    """DifferentiationError when ``w`` gets no gradient because a step op is on its way."""
    for step in b.steps:
        if nx.has_path(b.graph.nx, w.id, step.id):
            raise DifferentiationError(
                f"the gradient of {y.name!r} with respect to {w.name!r} passes through step "
                f"node {step.name!r}, whose derivative is 0 everywhere: gradient descent "
                f"would train nothing; the perceptron is trained with its own update rule "
                f"(gc.optim.perceptron_update)")


def _sweep(b, keep):
    """Remove fresh nodes that nothing uses and nobody asked for (fused-away steps)."""
    graph = b.graph
    stack = [v for v in graph.nx.nodes if v >= b.start]
    while stack:
        v = stack.pop()
        if v not in graph.nx or v in keep or graph.nx.out_degree(v) > 0:
            continue
        operands = set(graph.nx.predecessors(v))
        graph._remove(v)
        stack.extend(u for u in operands if u >= b.start)
