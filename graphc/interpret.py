"""The interpreter: one walk over a graph in graph order, parameterised by a rule table.

A rule table (``Rules``) says what a node evaluates to: a constant, a leaf that was not
given, a kept node, and each op, its rule built from the op's registration
(``graphc.ops``). The tables are

- ``Reference`` (here): numbers, from each op's plain NumPy ``reference``; the oracle the
  generated code is tested against;
- ``graphc.symbolic.exact.Exact``: exact SymPy values (``sigmoid(-1) - 1``);
- ``graphc.symbolic.formula.Formulas``: SymPy formulas over the leaves' symbols.

The interpreter runs the graph it is given and applies no pass, so comparing it with
generated code tests every pass. ``reference(nodes, at)`` is that oracle for a list of
nodes; ``gc.evaluate`` and ``gc.gradcheck`` hand the interpreter the graph as
``passes.optimize`` leaves it instead, so that ``bce(sigmoid(z), y)`` is computed from
``z`` there, and its gradient as ``yhat - y``, as generated code computes them.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> y = gc.exp(x)
>>> Interpreter(g).run([y.id], {x.id: np.asarray(0.0)})
[array(1.)]
>>> reference(y * 2, at={"x": 0})
array(2.)
"""

import numpy as np

from . import ops
from .errors import DomainError, GraphError
from .graph import Node, walk
from .graph.feeds import check_feeds, missing_feeds
from .graph.finite import check_finite, leaf_subject, subject
from .shapes import FLOATS


class Rules:
    """A rule table of the interpreter; each table is a subclass.

    ``rule(opdef)`` gives the rule of an op, ``(record, operand shapes, args) -> value``;
    the interpreter asks for it once per op and keeps it in its table. ``const(record)``
    is a constant's value, ``kept(record)`` the value of a node the walk does not enter,
    ``leaf(record)`` that of an input or parameter that was not given; ``fed`` says whether
    such a leaf is an error (a missing feed) rather than asked of ``leaf``.
    """

    fed = True

    def rule(self, opdef):
        raise NotImplementedError

    def const(self, record):
        return record.value

    def kept(self, record):
        raise NotImplementedError(f"{type(self).__name__} keeps no node")

    def leaf(self, record):
        raise NotImplementedError(f"{type(self).__name__} takes leaves as given values")


class Reference(Rules):
    """Numbers from each op's plain NumPy ``reference``, in each node's dtype (float64 for
    every float node with ``float64=True``)."""

    def __init__(self, float64=False):
        self.float64 = float64

    def dtype(self, record):
        return "float64" if self.float64 and record.dtype in FLOATS else record.dtype

    def const(self, record):
        return record.value.astype(self.dtype(record), copy=False)

    def rule(self, opdef):
        def run(record, shapes, args):
            out = opdef.reference(record.attrs, *args)
            return np.asarray(out).astype(self.dtype(record), copy=False)
        return run


class Interpreter:
    """Evaluates nodes of a graph with one rule table (``Reference()`` by default).

    Its errors name a node as ``walk.site`` does, by ``source`` where given (the graph the
    passes started from); ``check_finite`` raises NonFiniteError at the first fed or
    computed float value, in order, that is nan or infinite.

    >>> Interpreter(g, Formulas()).run([y.id], keep=[x.id])     # doctest: +SKIP
    [exp(x)]
    """

    def __init__(self, graph, rules=None, float64=False, source=None, check_finite=False):
        self.graph, self.source = graph, source  # source: what errors name nodes by
        self.check_finite = check_finite  # NonFiniteError at the first value not finite
        self.rules = Reference(float64) if rules is None else rules
        self.table = {}  # op name -> its rule, built from the registry when first needed

    def run(self, targets, given=None, overrides=None, keep=()):
        """The values of ``targets`` (node ids), in the walk's graph order.

        ``given`` and ``overrides`` (by id) hold known values (checked feeds, values to
        substitute); the walk does not enter a node with a known value, nor one in
        ``keep``, whose value is the table's ``kept``. FeedError names every input or
        parameter needed but not given, for a table whose leaves must be fed.
        """
        graph, rules = self.graph, self.rules
        values = {**(given or {}), **(overrides or {})}
        keep = set(keep) - set(values)
        reached = walk.upstream(graph, targets, stop=set(values) | keep)
        todo = reached - set(values)
        missing = [v for v in walk.fed(graph, todo) if v not in keep] if rules.fed else []
        if missing:
            raise missing_feeds([(graph.record(v).name, graph.record(v).shape)
                                 for v in missing])
        if self.check_finite:
            self._check_fed(reached & set(values), values)
        for v in walk.order(graph, todo):
            values[v] = self._value(v, values, v in keep)
            if self.check_finite and graph.record(v).dtype in FLOATS and \
                    graph.record(v).op != "const":  # a constant is as written (a -inf mask)
                check_finite(values[v], subject(walk.site(graph, v, self.source)))
        return [values[v] for v in targets]

    def _check_fed(self, known, values):
        """The finite check of the fed values among ``known``, in order, as compiled code
        checks its feeds before its first line."""
        for v in walk.order(self.graph, known):
            record = self.graph.record(v)
            if record.op in walk.FED and record.dtype in FLOATS:
                check_finite(values[v], leaf_subject(record.op, record.name))

    def _value(self, v, values, kept):
        record = self.graph.record(v)
        if kept:
            return self.rules.kept(record)
        if record.op == "const":
            return self.rules.const(record)
        if record.op in walk.FED:
            return self.rules.leaf(record)
        operands = self.graph.operands(v)
        shapes = [self.graph.record(u).shape for u in operands]
        try:
            return self._rule(record.op)(record, shapes, [values[u] for u in operands])
        except DomainError as err:
            raise DomainError(f"{walk.site(self.graph, v, self.source)}: {err}") from None

    def _rule(self, op):
        if op not in self.table:
            self.table[op] = self.rules.rule(ops.get(op))
        return self.table[op]


def nodes_of(nodes, what):
    """``(single, nodes, graph)`` for a node or a list of nodes of one graph; GraphError
    naming ``what`` (the function called) for anything else."""
    single = isinstance(nodes, Node)
    nodes = [nodes] if single else list(nodes)
    graph = nodes[0].graph if nodes and isinstance(nodes[0], Node) else None
    if any(not isinstance(n, Node) or n.graph is not graph for n in nodes):
        raise GraphError(f"{what} takes nodes of one graph")
    return single, nodes, graph


def numbers(graph, ids, at, run_on=None, float64=False, check_finite=False):
    """The values of the nodes ``ids`` of ``graph`` at the point ``at`` (checked as feeds),
    by ``Reference``, run on ``run_on`` (a graph with the same ids; ``graph`` itself by
    default), with the finite check if asked (``Interpreter``). Each value is a fresh
    array, never a feed, a view of one, or a constant."""
    feeds = check_feeds(graph, at or {}, float64)
    values = Interpreter(graph if run_on is None else run_on, float64=float64,
                         source=graph, check_finite=check_finite).run(ids, feeds)
    return [np.array(v) for v in values]


def reference(nodes, at=None, float64=False):
    """The value of a node (or a list of nodes) at ``at``, by the op references, on the
    graph as written: no pass is applied (the oracle of the tests; ``gc.evaluate`` gives
    the stable results). Feeds are checked as ``gc.evaluate`` checks them.

    >>> reference([x, gc.sigmoid(x)], at={"x": 0})              # doctest: +SKIP
    [array(0.), array(0.5)]
    """
    single, nodes, graph = nodes_of(nodes, "reference")
    if not nodes:
        return []
    values = numbers(graph, [n.id for n in nodes], at, float64=float64)
    return values[0] if single else values
