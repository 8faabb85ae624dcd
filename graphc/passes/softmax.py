"""Cross-entropy's loss and gradient from one log_softmax, and its gradient with no one-hot
array (opt >= 1).

The rule autodiff writes for ``cross_entropy(z, labels)`` is the slide's,
``(softmax(z) - one_hot(labels)) / N``: a softmax of its own (a second row max, exp and
row sum of z besides the loss's) and a one-hot array. ``share_softmax`` rewrites, for each
cross_entropy node whose gradient computes a softmax of its logits z:

  softmax(z) - one_hot(labels)    ->  softmax_minus_one_hot(softmax(z), labels)
  cross_entropy(z, t)             ->  nll(log_softmax(z), t)   (log_softmax added before it)
  softmax(z) in its gradient      ->  exp(log_softmax(z))

so z's row max and row sum are computed once and its exp twice, as hand-written NumPy
does, and finite for logits of any size (log_softmax subtracts the row max; its exp is at
most 1). Where the forward computes softmax(z) itself, the gradient reads that one
(``eliminate_common``) and the loss keeps its own log_softmax. Each rewritten node keeps
its id, so the generated code's comments still state cross_entropy's rule.
"""

import sympy as sp

from ..graph import walk
from ..graph.node import NodeRecord, infer
from ..ops.scalar import arg
from .edit import Writable, as_elementwise, prune


def share_softmax(graph, outputs):
    """A graph in which no one-hot array is subtracted from a cross-entropy gradient's
    softmax (``softmax_minus_one_hot`` subtracts one at the labels instead), and each
    cross_entropy whose gradient computes softmax(z), where the forward does not, is
    ``nll`` of a log_softmax(z) the gradient's softmax is the exp of.

    Outputs keep their ids, names and values; the graph given is not changed (a copy is
    returned, or the same graph when no cross_entropy has a gradient here).

    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> z = g.input("z", shape=("N", 3))
    >>> loss = gc.cross_entropy(z, g.input("labels", shape=("N",), dtype="int64"))
    >>> (dz,) = gc.grad(loss, [z])
    >>> out = share_softmax(g, [loss.id, dz.id])
    >>> out.record(loss.id).op, [out.record(u).op for u in out.operands(loss.id)]
    ('nll', ['log_softmax', 'input'])
    >>> sorted({out.record(u).op for u in out.nx} & {"one_hot", "softmax_minus_one_hot"})
    ['softmax_minus_one_hot']
    """
    work, keep = Writable(graph), set(outputs)
    for v in walk.order(graph):
        if graph.record(v).op == "cross_entropy":
            _share(work, v, keep)
    return work.graph


def _share(work, v, keep):
    """Rewrite cross_entropy node ``v`` and its gradient's softmax and one-hot, if any."""
    graph = work.graph
    z, target = graph.operands(v)
    axis = len(graph.record(z).shape) - 1
    helpers = [u for u in graph.users(z) if (v, None) in graph.record(u).origin]
    softmax = next((u for u in helpers if _softmax(graph, u, axis)), None)
    if softmax is None:
        return
    for u in helpers:
        if graph.record(u).op == "one_hot":
            _subtract_one_hot(work, u, softmax, keep)
    if any(_softmax(graph, u, axis) and graph.record(u).role != "grad"
           for u in graph.users(z)):
        return  # the forward's own softmax, which eliminate_common gives the gradient
    graph = work.edit()
    record = graph.record(v)
    attrs, shape, dtype = infer("log_softmax", [graph.record(z).arg], {"axis": axis})
    log_p = graph.add(NodeRecord(
        op="log_softmax", role="op", name=_fresh(graph, "log_softmax"), shape=shape,
        dtype=dtype, attrs=attrs, scope=record.scope,
        note="shared by cross_entropy and its gradient"), [z], before=v)
    graph.replace(v, "nll", [log_p, target], {}, note="cross_entropy from its log_softmax")
    graph.replace(softmax, "exp", [log_p], {})
    if softmax not in keep and graph.id_of("softmax") is None:  # its variable, not exp
        graph.rename(softmax, "softmax")


def _softmax(graph, u, axis):
    record = graph.record(u)
    return record.op == "softmax" and record.attrs["axis"] == axis


def _subtract_one_hot(work, hot, softmax, keep):
    """Make the gradient node reading ``softmax - hot`` read ``softmax_minus_one_hot``.

    Its formula, with the one-hot y written as p - y (y now stands for p - one_hot), must
    no longer need p; the node becomes softmax_minus_one_hot itself when that leaves y
    alone, and the one-hot node becomes it otherwise (the node divides it by N)."""
    graph = work.graph
    users = graph.users(hot)
    if hot in keep or len(users) != 1 or graph.record(users[0]).op != "elementwise":
        return
    (grad,) = users
    operands = graph.operands(grad)
    if softmax not in operands:
        return
    p, y = arg(operands.index(softmax)), arg(operands.index(hot))
    expr = graph.record(grad).attrs["expr"].xreplace({y: p - y})
    if p in expr.free_symbols:
        expr = sp.expand(expr)
    labels = graph.operands(hot)[0]
    if p in expr.free_symbols:
        return
    if expr == y:  # the gradient is softmax - one_hot itself (one example: N = 1)
        graph = work.edit()
        graph.replace(grad, "softmax_minus_one_hot", [softmax, labels], {},
                      note=graph.record(grad).note)
        prune(graph, [hot], keep)
        return
    rebuilt = as_elementwise(graph, grad, expr, {arg(i): u for i, u in enumerate(operands)})
    if rebuilt is None:
        return
    graph = work.edit()
    graph.replace(hot, "softmax_minus_one_hot", [softmax, labels], {})
    graph.replace(grad, "elementwise", rebuilt[1], {"expr": rebuilt[0]},
                  note=graph.record(grad).note)


def _fresh(graph, base):
    """A node name not yet taken, made from ``base`` and the next id (``log_softmax12``)."""
    name = f"{base}{graph.next_id}"
    while graph.id_of(name) is not None:
        name += "_"
    return name
