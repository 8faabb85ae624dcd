"""Element-wise fusion: each maximal element-wise region becomes one ``elementwise`` node.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x, w = g.input("x", shape=(3,)), g.param("w", shape=(3,))
>>> s = gc.sigmoid(gc.tanh(x * w)).named("s")
>>> out = fuse_elementwise(g, [s.id])
>>> out.record(s.id).attrs["expr"], [out.record(u).name for u in out.operands(s.id)]
(sigmoid(tanh(a0*a1)), ['x', 'w'])
"""

import functools

import sympy as sp

from ..graph import walk
from ..ops.scalar import arg
from ..shapes import FLOATS
from .edit import Writable, as_elementwise, formula_of, number, prune, user_named

#: The largest fused formula, in SymPy operations and in nesting: a chain of 10,000 tanh
#: becomes lines of formulas this large, never one that SymPy (or Python's parser) would
#: have to recurse 10,000 deep into.
MAX_SIZE = 16
MAX_DEPTH = 8


def fuse_elementwise(graph, outputs):
    """A graph in which each maximal region of element-wise nodes is one ``elementwise``
    node, its formula built by substitution and simplified once by SymPy's automatic
    evaluation (cached by formula).

    A producer is merged into its consumer only when both are element-wise (an op of the
    elementwise family with a scalar formula, or ``elementwise``) of a floating dtype, the
    producer has that one user, is not an output, is not a forward node or constant the
    user named (those stay variables), and the fused formula is no larger than the two it
    replaces (so nothing is computed twice) and within MAX_SIZE and MAX_DEPTH; a gradient
    ``gc.grad`` named (``dloss_dz``) is merged only when the fused formula is smaller
    (``fuse_cancelling``, which runs first),
    where SymPy cancels it away (bce's gradient into sigmoid's gives ``yhat - y``), so
    gradient code keeps the slide's steps (``dloss_dz = yhat - y``, ``dloss_dw = dloss_dz
    * x``). The fused node keeps the
    consumer's id, name and note; its ``origin`` is its producers' followed by the
    consumer's. Unnamed scalar constants among its operands are put into its formula as
    numbers. Outputs keep their ids, names and values; the graph given is not changed (a
    copy is returned, or the same graph when nothing fuses).
    """
    return _fuse(graph, outputs, strict=False)


def fuse_cancelling(graph, outputs):
    """A graph in which each element-wise producer whose fused formula is smaller than it
    and its consumer together (where SymPy cancels: bce's gradient step into sigmoid's is
    ``ct*(yhat - y)/n``) is merged into its consumer, as ``fuse_elementwise`` merges.

    It runs at every level, the teaching form ``opt=0`` too: the quotient by
    ``yhat (1 - yhat)`` it cancels is 0/0 once a logit is large. Afterwards no gradient
    divides by a sigmoid's ``yhat (1 - yhat)`` that the next step multiplies back.
    """
    return _fuse(graph, outputs, strict=True)


def _fuse(graph, outputs, strict):
    keep, work = set(outputs), Writable(graph)
    for v in walk.order(graph):
        _fuse_into(work, v, keep, strict)
        if strict:
            _cancel_through(work, v, keep)
    return work.graph


def _cancel_through(work, v, keep):
    """Where a gradient ``v`` is linear in an operand that is a sum of contributions
    (``add_n``) or a gradient other nodes read too (an output: ``dloss_dyhat`` asked for),
    put into ``v``, term by term, each contribution whose formula cancels with ``v``'s
    (bce's ``ct*(p - y)/(p*(1 - p))`` times sigmoid's ``p*(1 - p)`` is ``ct*(p - y)``); the
    contributions stay for their other users. So the quotient never reaches ``v``."""
    graph = work.graph
    record = graph.record(v)
    expr = formula_of(record)
    if expr is None or record.role != "grad" or record.dtype not in FLOATS:
        return
    operands = graph.operands(v)
    for slot, u in enumerate(operands):
        terms = graph.operands(u) if graph.record(u).op == "add_n" else [u]
        found = _through(graph, expr, operands, slot, terms)
        rebuilt = found and as_elementwise(graph, v, *found[:2])
        if rebuilt:
            origin = [pair for t in found[2] for pair in graph.record(t).origin]
            graph = work.edit()
            graph.replace(v, "elementwise", rebuilt[1], {"expr": rebuilt[0]},
                          note=record.note)
            graph.update(v, origin=tuple(dict.fromkeys(origin + list(record.origin))))
            prune(graph, set(operands), keep)
            return


def _through(graph, expr, operands, slot, terms):
    """(formula, {symbol: node}, the terms put in) of ``expr`` with a{slot} the sum of
    ``terms``, those that cancel put in; None when none cancels or ``expr`` is not linear
    in a{slot}."""
    a = arg(slot)
    if expr.subs(a, 0) != 0 or sp.diff(expr, a, 2) != 0:
        return None
    symbols = {u: arg(i) for i, u in reversed(list(enumerate(operands))) if i != slot}
    parts, cancelled = [], []
    for t in terms:
        inner, record = formula_of(graph.record(t)), graph.record(t)
        if inner is not None and record.role == "grad" and record.dtype in FLOATS:
            own = inner.xreplace({arg(j): _symbol(symbols, w)
                                  for j, w in enumerate(graph.operands(t))})
            part = expr.xreplace({a: own})  # a node read twice is one symbol: it cancels
            if size(part) < size(expr) + size(inner):
                parts.append(part)
                cancelled.append(t)
                continue
        parts.append(expr.xreplace({a: _symbol(symbols, t)}))
    if not cancelled or any(depth(p) > MAX_DEPTH for p in parts):
        return None
    return sp.Add(*parts), {s: u for u, s in symbols.items()}, cancelled


def _symbol(symbols, node):
    """The symbol standing for ``node`` in ``symbols`` ({node: symbol}), a new one if none."""
    if node not in symbols:
        symbols[node] = sp.Dummy(real=True)
    return symbols[node]


def _fuse_into(work, v, keep, strict):
    """Fuse into node ``v`` every producer that may be; True when one was."""
    graph = work.graph
    record = graph.record(v)
    expr = formula_of(record)
    if expr is None or record.dtype not in FLOATS:
        return False
    operands, fused, tried = graph.operands(v), [], set()
    seen = set(operands)  # every operand id involved: those left unused are removed
    while True:
        p = next((u for u in operands if u not in tried and _producer(graph, u, v, keep)),
                 None)
        if p is None:
            break
        tried.add(p)
        merged = _merged(graph, v, expr, operands, p, strict)
        if merged is not None:
            seen.update(graph.operands(p))
            (expr, operands), fused = merged, fused + [p]
    if not fused:
        return False
    graph = work.edit()
    graph.replace(v, "elementwise", operands, {"expr": expr}, note=record.note)
    origin = [pair for p in fused for pair in graph.record(p).origin] + list(record.origin)
    graph.update(v, origin=tuple(dict.fromkeys(origin)))
    prune(graph, seen, keep)
    return True


def _producer(graph, u, v, keep):
    """Node ``u`` may be fused into its user ``v``."""
    record = graph.record(u)
    return (u not in keep and record.dtype in FLOATS and not user_named(record)
            and formula_of(record) is not None and graph.users(u) == [v])


def _merged(graph, v, expr, operands, p, strict):
    """``(expr, operands)`` of ``v`` with producer ``p`` substituted, its scalar constants
    put in as numbers; None when that is larger or changes ``v``'s shape or dtype."""
    inner, inner_operands = formula_of(graph.record(p)), graph.operands(p)
    n, m = len(operands), len(inner_operands)
    slots = tuple(i for i, u in enumerate(operands) if u == p)
    fused = _substitute(expr, n, slots, inner, m)
    mapping = {arg(i): u for i, u in enumerate(operands) if i not in slots}
    mapping.update({arg(n + j): u for j, u in enumerate(inner_operands)})
    numbers = {s: number(graph.record(u).value) for s, u in mapping.items()
               if _plain(graph.record(u))}
    if numbers:
        fused = fused.xreplace(numbers)
        mapping = {s: u for s, u in mapping.items() if s not in numbers}
    rebuilt = as_elementwise(graph, v, fused, mapping) if mapping else None
    smaller = strict or graph.record(p).named
    limit = min(size(expr) + size(inner) - (1 if smaller else 0), MAX_SIZE)
    if rebuilt is None or size(rebuilt[0]) > limit or depth(rebuilt[0]) > MAX_DEPTH:
        return None  # larger, or a named gradient that does not simplify away
    return rebuilt


def _plain(record):
    """A scalar constant a formula may hold as a number."""
    return record.op == "const" and record.shape == () and not user_named(record)


@functools.lru_cache(maxsize=4096)
def _substitute(outer, n, slots, inner, m):
    """``outer`` (over a0 .. a{n-1}) with each a{i} of ``slots`` replaced by ``inner``,
    whose operands a0 .. a{m-1} become a{n} .. a{n+m-1}."""
    shifted = inner.xreplace({arg(j): arg(n + j) for j in range(m)})
    return outer.xreplace({arg(i): shifted for i in slots})


@functools.lru_cache(maxsize=8192)
def size(expr):
    """How large a formula is: SymPy's count of its operations."""
    return sp.count_ops(expr)


@functools.lru_cache(maxsize=8192)
def depth(expr):
    """How deeply a formula nests: 0 for a symbol or number, 1 for ``tanh(a0)``."""
    deepest, stack = 0, [(expr, 0)]
    while stack:
        e, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((a, d + 1) for a in e.args)
    return deepest
