"""Formulas: the SymPy expression of any node, and its LaTeX.

A formula is built by the interpreter with the ``Formulas`` rule table, one node at a time:
element-wise ops apply their scalar formula to their operands' formulas, structural ops
their matrix notation (``graphc.ops.notation``), so a tensor stays one symbol and SymPy
never sees its elements. Leaves are symbols named after their nodes; tensors the user named
(``H``, ``logits``) stay symbols too, so a gradient reads in the lecture's matrix form, and
so do named constants (``g.const("sqrt_d", np.sqrt(8))`` reads ``sqrt_d``; ``where`` gives
their values to show beside), while unnamed ones (``x ** 2``, ``g.literal(0.5)``) are numbers.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x1, w1, y = g.input("x1"), g.param("w1"), g.input("y")
>>> loss = gc.bce(gc.sigmoid(w1 * x1), y).named("loss")
>>> (dw1,) = gc.grad(loss, [w1])
>>> formula(dw1)
x1*(-y + sigmoid(w1*x1))
"""

import functools

import sympy as sp
from sympy.printing.str import StrPrinter

from .. import ops, text
from ..errors import GraphError
from ..graph import LEAVES, Node, walk
from ..interpret import Interpreter, Rules
from ..ops.elementwise import formula as scalar_formula
from ..ops.scalar import arg
from .exact import exact_number
from .latex import TensorLatexPrinter


def symbol(record):
    """The symbol standing for a node (its record): its name, real-valued."""
    return sp.Symbol(record.name, real=True)


#: The largest formula written out in full: its size (terms, counting a shared subformula
#: at each place it appears) and its depth (levels of nesting). The formula of an unrolled
#: network's gradient grows by a factor a step (an LSTM's about 5), so without a budget ten
#: steps never finished printing; and SymPy's printers and ``diff`` recurse, five to seven
#: Python frames a level, so a chain of 200 sigmoids raised RecursionError.
FORMULA_TERMS = 20_000
FORMULA_DEPTH = 50

#: Past the budget a formula is written as a program is: over the names of its operands,
#: each defined in a ``where`` list by its own formula over its operands' names
#: (``formula_parts``), so no formula grows with the graph. ``formula_text`` and ``latex``
#: show the first WHERE_LINES definitions and say how many more there are.
WHERE_LINES = 100


class Unbounded(Exception):
    """A formula past FORMULA_TERMS or FORMULA_DEPTH, to be written with names instead."""


class Formulas(Rules):
    """Formulas: an op's ``notation`` over its operands' formulas, else its scalar formula;
    leaves, kept nodes and constant tensors are their symbols, scalar constants numbers. A
    formula past FORMULA_TERMS terms or FORMULA_DEPTH levels raises ``Unbounded``."""

    fed = False

    def __init__(self):
        self._size = {}  # formula -> (terms, depth), measured once and never walked again

    def _budgeted(self, record, expr):
        terms, depth = self._measure(expr)
        if terms > FORMULA_TERMS or depth > FORMULA_DEPTH:
            raise Unbounded(f"the formula of {record.name!r} passes its budget")
        return expr

    def _measure(self, expr):
        """(terms, depth) of ``expr``, from its arguments' (each measured once): no walk
        goes further than the new parts of a formula, and none recurses."""
        known, stack = self._size, [expr]
        while stack:
            e = stack[-1]
            if e in known:
                stack.pop()
                continue
            args = e.args if isinstance(e, sp.Basic) else ()
            todo = [a for a in args if a not in known]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            known[e] = (1 + sum(known[a][0] for a in args),
                        1 + max((known[a][1] for a in args), default=0))
        return known[expr]

    def leaf(self, record):
        return symbol(record)

    def kept(self, record):
        return symbol(record)

    def const(self, record):
        if record.value.ndim == 0:
            return exact_number(record.value.item())
        return symbol(record)

    def rule(self, opdef):
        def apply(record, shapes, args):
            if opdef.notation is not None:
                return self._budgeted(record, opdef.notation(record.attrs, shapes, *args))
            f = _template(opdef, record.attrs, len(args))
            return self._budgeted(record, f.xreplace({arg(i): a for i, a in enumerate(args)}))
        return apply


def _template(opdef, attrs, n):
    """The op's scalar formula over a0 .. a{n-1}, made once for each op and attributes."""
    try:
        return _cached_template(opdef.name, tuple(sorted(attrs.items())), n)
    except TypeError:  # an attribute that is not hashable
        return scalar_formula(opdef, attrs, n)


@functools.lru_cache(maxsize=4096)
def _cached_template(name, attr_items, n):
    return scalar_formula(ops.get(name), dict(attr_items), n)


def formulas(graph, ids, keep=(), given=None):
    """The formulas of the nodes ``ids`` of ``graph``: nodes in ``keep`` (ids) stay symbols
    (a target is never kept), and nodes in ``given`` (id -> expression) read as given.
    Past the budget (``FORMULA_TERMS``, ``FORMULA_DEPTH``) each is written over its
    operands' names instead (``local``)."""
    kept = set(keep) - set(ids)
    try:
        return Interpreter(graph, Formulas()).run(list(ids), given, keep=kept)
    except Unbounded:
        return [local(graph, v, kept, given) for v in ids]


def local(graph, v, keep=(), given=None):
    """The formula of the node ``v`` over its operands: leaves, constants and operands in
    ``given`` as ``formulas`` writes them, every other operand by its name."""
    given = given or {}
    named = {u for u in graph.operands(v) if u not in given and (
        u in keep or graph.record(u).op not in LEAVES)}
    return Interpreter(graph, Formulas()).run([v], {u: given[u] for u in graph.operands(v)
                                                    if u in given}, keep=named - {v})[0]


def formula(node, keep=None):
    """The SymPy expression of ``node`` (forward or gradient) in terms of the graph's leaves.

    Nodes in ``keep`` (nodes or their names) stay symbols; by default these are the tensors
    (not scalars) that the user named, and the named constants. ``keep=()`` expands
    everything down to the leaves, named constants to their values. A formula past its
    budget (``FORMULA_TERMS`` terms or ``FORMULA_DEPTH`` levels, as a deep chain's) is
    written over its operands' names; ``formula_parts`` gives their formulas.

    >>> import graphc as gc
    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> x, w = g.input("x"), g.param("w")
    >>> z = (w * x).named("z")
    >>> formula(gc.tanh(z)), formula(gc.tanh(z), keep=("z",)), formula(gc.tanh(z), keep=[z])
    (tanh(w*x), tanh(z), tanh(z))
    """
    return formula_parts(node, keep, lines=0)[0]


def formula_parts(node, keep=None, lines=None):
    """``(formula(node, keep), parts, more)``: within the budget, no parts; past it,
    ``parts`` lists ``(n, formula of n over its operands' names)`` for each node ``n`` that
    the formula is written with, directly or through another part, the last in graph order
    first, and ``more`` counts those left out past ``lines`` of them (None: none left out).

    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> v = x = g.input("x")
    >>> for _ in range(100):
    ...     v = gc.sigmoid(v)
    >>> expr, parts, more = formula_parts(v)
    >>> expr, parts[0], len(parts), more
    (sigmoid(sigmoid99), (<Node 'sigmoid99': sigmoid () float64>, sigmoid(sigmoid98)), 99, 0)
    """
    graph = node.graph
    kept = _default_kept(graph) if keep is None else kept_ids(graph, keep)
    try:
        return Interpreter(graph, Formulas()).run([node.id], keep=kept - {node.id})[0], [], 0
    except Unbounded:
        pass
    stop = kept - {node.id}
    inside = walk.upstream(graph, [node.id], stop=stop) - stop - {node.id}
    named = sorted((u for u in inside if graph.record(u).op not in LEAVES), reverse=True)
    shown = named if lines is None else named[:lines]
    parts = [(Node(graph, u), local(graph, u, kept)) for u in shown]
    return local(graph, node.id, kept), parts, len(named) - len(shown)


def kept_ids(graph, keep):
    """The ids of the nodes in ``keep``: nodes of ``graph`` or their names (one alone
    counts as a tuple of one); GraphError, with a did-you-mean, for a name it lacks."""
    if isinstance(keep, (str, Node)):
        keep = (keep,)
    ids = set()
    for item in keep:
        if isinstance(item, str):
            item = graph.node(item)    # GraphError: "has no node 'zz'; did you mean 'z'?"
        elif not isinstance(item, Node):
            raise GraphError(f"keep= takes nodes or node names, got {item!r}")
        elif item.graph is not graph:
            raise GraphError(f"keep= takes nodes of graph {graph.name!r}; node {item.name!r} "
                             f"is of another graph")
        ids.add(item.id)
    return ids


def latex(node, keep=None):
    r"""``formula(node)`` as LaTeX, as the lecture writes it (``graphc.symbolic.latex``):
    ``\sigma``, ``A \odot B`` for element-wise products of tensors, ``A B`` and
    ``A^{\top}`` for matrix products, ``w^{\top} x`` for dot products, ``\mathrm{loss}``;
    named constants in it are followed by their values, and past its budget the nodes it
    names by their formulas (the first ``WHERE_LINES``): ``\frac{A}{\mathrm{sqrt}_{d}},
    \quad \text{where } \mathrm{sqrt}_{d} = 2.82843``.
    """
    expr, parts, more = formula_parts(node, keep, WHERE_LINES)
    shown = TensorLatexPrinter({n.name: len(n.shape) for n in node.graph},
                               _settings(parts)).doprint
    defined = [rf"{shown(symbol(n.record))} = {shown(f)}" for n, f in parts]
    defined += [rf"{shown(symbol(n.record))} = {value}"
                for n, value in where(node, expr, *[f for _, f in parts])]
    defined += [rf"\ldots \text{{ ({more} more: graphc.symbolic.formula\_parts)}}"] * bool(more)
    beside = r", \quad \text{where } " + ", ".join(defined) if defined else ""
    return shown(expr) + beside


def formula_text(node, keep=None):
    """``formula(node)`` as text, followed by the values of the named constants in it:
    ``A/sqrt_d, where sqrt_d = 2.82843`` (what ``graphc grad`` prints); past its budget,
    by the formulas of the nodes it names too (the first ``WHERE_LINES``), one a line:
    ``sigmoid(sigmoid99), where\n  sigmoid99 = sigmoid(sigmoid98)\n  ...``."""
    expr, parts, more = formula_parts(node, keep, WHERE_LINES)
    shown = [f"{n.name} = {value}" for n, value in where(node, expr, *[f for _, f in parts])]
    if not parts:
        return str(expr) + (", where " + ", ".join(shown) if shown else "")
    written = StrPrinter(_settings(parts)).doprint
    lines = [f"{n.name} = {written(f)}" for n, f in parts] + shown
    lines += [f"... ({more} more: graphc.symbolic.formula_parts lists them)"] * bool(more)
    return f"{written(expr)}, where\n" + "\n".join(f"  {line}" for line in lines)


def _settings(parts):
    """The printers' settings: a formula written over names (it has ``parts``) keeps its
    terms in SymPy's order, since sorting them for print is quadratic (a node summing 3,000
    gradients took seconds); a formula written in full is printed as SymPy prints it."""
    return {"order": "none"} if parts else None


def where(node, *exprs):
    """The named constants of ``node``'s graph that are symbols in ``exprs`` (formulas of
    it), with their values as text, in graph order: what to show beside a formula.

    >>> where(node, formula(node))                              # doctest: +SKIP
    [(<Node 'sqrt_d': const () float64>, '2.82843')]
    """
    names = {s.name for expr in exprs for s in sp.sympify(expr).free_symbols}
    return [(n, text.value(n.record.value)) for n in node.graph
            if n.role == "const" and n.record.named and n.name in names]


def _default_kept(graph):
    return {n.id for n in graph if n.record.named and (
        n.role == "const" or n.role == "op" and n.shape != ())}
