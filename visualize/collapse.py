"""Collapsed diagrams: which nodes are drawn as one box, so a big graph stays drawable.

A diagram of more than ``COLLAPSE_ALL`` nodes is drawn collapsed by default
(``collapse=None``): each top-level scope is one box (as ``collapse=True`` draws it), and
so are repeated blocks: nodes of the same kind (role, op, shape, dtype) at the same depth
(the longest path to them from a leaf) are one box, such as the 5,000 parameters of
5,000 parallel branches, and a run of such boxes, each feeding only the next, is one box
too: a chain of 10,000 tanh reads ``tanh x 9,999`` (its last, the loss, drawn itself).
Where that still leaves more than ``DRAWN_MAX`` boxes, scopes are left out (1,000 scoped
layers are repeated blocks too), and then depths are taken in bands twice as wide (a
residual chain, say) until it does not.
Each walk is linear in the graph's size, and ids are kept in graph order, so the same
graph gives the same boxes.

>>> boxes = collapsed(g, ids, runs=True)                      # doctest: +SKIP
>>> boxes.note(len(ids))                                      # doctest: +SKIP
'collapsed: 1 block, scopes and repeated blocks (10,003 nodes drawn as 4; ...)'
"""

from dataclasses import dataclass

from graphc.graph import walk
from graphc.shapes import fmt

from .canvas import node_id, outputs, scope_lines, top_scope
from .style import short

#: With ``collapse=None`` a diagram of more nodes than this collapses its scopes and its
#: repeated blocks (dot takes minutes and gigabytes on a few thousand nodes).
COLLAPSE_ALL = 300
#: The most boxes and nodes a collapsed diagram aims to draw.
DRAWN_MAX = 120


@dataclass(frozen=True)
class Boxes:
    """``where``: graph id -> the DOT id it is drawn as (its own ``n{id}``, or a box
    ``s{i}``); ``boxes``: ``(dot id, member ids, label lines)`` of each box, in graph
    order; ``runs``: whether repeated blocks were collapsed too (not only scopes)."""

    where: dict
    boxes: tuple
    runs: bool

    def drawn(self):
        """How many nodes and boxes the diagram draws."""
        return len(set(self.where.values()))

    def note(self, nodes, why=""):
        """The title line saying what was collapsed, out of ``nodes`` nodes, and ``why``."""
        n = len(self.boxes)
        what = "scopes and repeated blocks" if self.runs else "one box per scope"
        why = f"; {why}" if why else ""
        return (f"collapsed: {n:,} block{'s' * (n != 1)}, {what} ({nodes:,} nodes drawn as "
                f"{self.drawn():,}{why}; collapse=False draws every node)")


def plan(graph, ids, collapse, scoped_past=None):
    """The ``Boxes`` to draw the nodes ``ids`` with, or None to draw every node:
    ``collapse=False`` draws all; past ``COLLAPSE_ALL`` nodes (``collapse`` None or True)
    scopes and repeated blocks collapse; ``collapse=True`` collapses scopes, and so does
    ``collapse=None`` past ``scoped_past`` nodes (the gradient flow's 40)."""
    if collapse is False:
        return None
    if len(ids) > COLLAPSE_ALL:
        return collapsed(graph, ids, runs=True)
    if collapse or (scoped_past is not None and len(ids) > scoped_past):
        return collapsed(graph, ids, runs=False)
    return None


def collapsed(graph, ids, runs, apart=()):
    """The ``Boxes`` of the nodes ``ids``: a box per top-level scope, and with ``runs``
    a box per repeated block as the module says (bands of depth widened until at most
    ``DRAWN_MAX`` are drawn); the outputs and the nodes of ``apart`` are drawn alone."""
    ordered = walk.order(graph, ids)
    keep = set(ordered)
    singles = outputs(graph, keep) | set(apart)
    depth = _depths(graph, ordered, keep) if runs else {}
    band, scopes = 1, True
    while True:
        key = _keys(graph, ordered, singles, depth, band if runs else None, scopes)
        if runs:
            key = _merge_runs(graph, ordered, keep, key)
        groups = {}
        for v in ordered:
            groups.setdefault(key[v], []).append(v)
        if not runs or len(groups) <= DRAWN_MAX or band > len(ordered):
            return _boxes(graph, groups, runs)
        if scopes:  # too many scopes (1,000 layers): their nodes are repeated blocks too
            scopes = False
        else:
            band *= 2


def _depths(graph, ordered, keep):
    """id -> the longest path to it from a node of ``keep`` with no operand in it."""
    depth = {}
    for v in ordered:
        depth[v] = 1 + max((depth[u] for u in graph.nx.predecessors(v) if u in keep),
                           default=-1)
    return depth


def _keys(graph, ordered, singles, depth, band, scopes=True):
    """id -> the key of its group: its top-level scope (with ``scopes``), itself (an
    output, or every node outside a scope when runs are not collapsed), or its kind and
    band of depth."""
    key = {}
    for v in ordered:
        scope = top_scope(graph, v) if scopes else ""
        if v in singles and band is not None:
            key[v] = ("node", v)
        elif scope:
            key[v] = ("scope", scope)
        elif band is None or v in singles:
            key[v] = ("node", v)
        else:
            key[v] = ("run", *_kind(graph.record(v)), depth[v] // band)
    return key


def _kind(record):
    return (record.role, record.op, record.shape, record.dtype)


def _merge_runs(graph, ordered, keep, key):
    """The keys with each run group merged into the one before it where that is of the
    same kind, is its only operand group of that kind, and feeds no other group of that
    kind (a chain of tanh whose gradients read each tanh is still one run)."""
    succ, pred = {}, {}
    for v in ordered:
        for u in graph.nx.predecessors(v):
            if u in keep and key[u] != key[v]:
                succ.setdefault(key[u], set()).add(key[v])
                pred.setdefault(key[v], set()).add(key[u])
    merged = {}
    for group in dict.fromkeys(key[v] for v in ordered):  # first use: operands come first
        merged[group] = group
        if group[0] != "run":
            continue
        same = [h for h in pred.get(group, ()) if _alike(h, group)]
        if len(same) == 1 and [h for h in succ[same[0]] if _alike(h, group)] == [group]:
            merged[group] = merged[same[0]]
    return {v: merged[key[v]] for v in ordered}


def _alike(a, b):
    """Whether the groups ``a`` and ``b`` are run groups of one kind."""
    return a[0] == b[0] == "run" and a[1:5] == b[1:5]


def _boxes(graph, groups, runs):
    where, boxes = {}, []
    for group, members in groups.items():
        if group[0] != "scope" and len(members) == 1:
            where[members[0]] = node_id(members[0])
            continue
        box = f"s{len(boxes)}"
        where.update({v: box for v in members})
        lines = (scope_lines(graph, group[1], members) if group[0] == "scope"
                 else run_lines(graph, members))
        boxes.append((box, tuple(members), lines))
    return Boxes(where, tuple(boxes), runs)


def run_lines(graph, members):
    """The label lines of a box of repeated nodes: ``tanh x 9,998``, the first and the
    last name, the shape each has."""
    first, last = graph.record(members[0]), graph.record(members[-1])
    what = first.role if first.role in ("input", "param", "const") else first.op
    what += " (gradients)" if first.role == "grad" else ""
    lines = [f"{what} x {len(members):,}", short(f"{first.name} ... {last.name}", 40),
             f"each {_shape(first)}"]
    return lines


def _shape(record):
    return fmt(record.shape) + ("" if record.dtype == "float64" else f" {record.dtype}")
