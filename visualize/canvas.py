"""The parts every view shares: a new diagram, nodes placed in scope clusters, edges.

DOT ids are generated from graph ids (``n0``, ``n1``, ...), never from user names, and
everything is emitted in graph order (ids, then operand slots), so the same graph gives
the same DOT text byte for byte.
"""

import textwrap

import graphviz

from graphc.graph import walk

from .style import (CLUSTER, FONT, GRAD_COLOR, PNG_DPI, check_dpi, label, layout, node_attrs,
                    node_lines, short)


SCOPE_WIDTH = 24  # characters of a line of the ops a collapsed scope holds


def node_id(v):
    """The DOT id of graph node ``v``: ``n{v}``."""
    return f"n{v}"


def diagram(title, rankdir="LR", slide=False, dpi=None):
    """An empty ``graphviz.Digraph`` titled with the lines ``title``, running ``rankdir``
    (left to right by default), fitted to a 16:9 slide with ``slide=True``.

    ``dpi`` (default ``PNG_DPI``) is the resolution of the diagram as a PNG. It is kept on
    the Python object (``diagram.dpi``), not in the DOT text, because Graphviz scales SVG
    by dpi / 72 as well: ``render`` hands it to dot for PNG only, so SVG (and a notebook's
    picture) stays in points.
    """
    dot = graphviz.Digraph(
        name="graphc",
        graph_attr={**layout(rankdir, slide), "label": label(title), "labelloc": "t",
                    "fontname": FONT, "fontsize": "12", "nodesep": "0.3"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "fontsize": "9"})
    dot.dpi = check_dpi(dpi)
    return dot


def png_dpi(diagram):
    """The resolution ``diagram`` is rendered at as a PNG (``PNG_DPI`` unless it says)."""
    return getattr(diagram, "dpi", None) or PNG_DPI


def edges(graph, ids):
    """The edges ``(u, v, slot)`` between nodes of ``ids``, by ``v`` then slot."""
    keep = set(ids)
    found = [(v, data["slot"], u) for u, v, data in graph.nx.in_edges(sorted(keep), data=True)
             if u in keep]
    return [(u, v, k) for v, k, u in sorted(found)]


def outputs(graph, ids):
    """The forward op nodes of ``ids`` that no forward node of ``ids`` uses (the loss)."""
    keep = set(ids)
    return {v for v in keep if graph.record(v).role == "op"
            and not any(w in keep for w in walk.forward_users(graph, v))}


def add_nodes(dot, graph, ids, values=None, extra=None, overrides=None, out=None):
    """Draw the nodes ``ids`` (values, extra label lines and attribute overrides by id),
    each inside the cluster of its scope; ``out``: the outputs, drawn doubled (by default
    those of ``ids``; a collapsed diagram gives those of every node it stands for)."""
    values, extra, overrides = values or {}, extra or {}, overrides or {}
    out = outputs(graph, ids) if out is None else out
    placed = []
    for v in sorted(ids):
        attrs = node_attrs(graph.record(v), output=v in out)
        attrs.update(overrides.get(v, {}))
        lines = node_lines(graph, v, values.get(v), extra.get(v, ()))
        placed.append((v, {"label": label(lines), **attrs}))
    place(dot, graph, placed)


def add_edges(dot, graph, ids):
    """Draw the edges between ``ids``; an edge into a gradient node in gradient colour."""
    for u, v, _ in edges(graph, ids):
        attrs = {}
        if graph.record(v).role == "grad":
            attrs = {"color": GRAD_COLOR, "class": "grad"}
        elif graph.record(u).role == "const":
            attrs = {"color": "#6b7280"}
        dot.edge(node_id(u), node_id(v), **attrs)


def scope_lines(graph, scope, members):
    """The label lines of a collapsed scope: its name, how many nodes and parameters it
    holds, and which ops."""
    records = [graph.record(v) for v in members]
    op_names = list(dict.fromkeys(r.op for r in records if r.role == "op"))
    params = sum(1 for r in records if r.role == "param")
    lines = [scope, f"{len(members)} node{'s' * (len(members) != 1)}"]
    if params:
        lines.append(f"{params} param{'s' * (params != 1)}")
    if op_names:  # a few ops a line, so that a box stays narrow
        lines += textwrap.wrap(short(", ".join(op_names), 3 * SCOPE_WIDTH), SCOPE_WIDTH)
    return lines


def top_scope(graph, v):
    """The top-level scope of node ``v`` (``""`` outside every scope)."""
    return graph.record(v).scope.split("/")[0]


def place(dot, graph, placed):
    """Add ``(id, attributes)`` nodes to ``dot``; nodes built inside ``g.scope("a")`` go
    into a cluster labelled ``a``, nested scopes (``a/b``) into nested clusters."""
    by_scope = {}
    for v, attrs in placed:
        by_scope.setdefault(graph.record(v).scope, []).append((v, attrs))
    paths = sorted({p for scope in by_scope if scope for p in _prefixes(scope)})
    clusters = {p: graphviz.Digraph(name=f"cluster_{i}",
                                    graph_attr={**CLUSTER, "label": label([_last(p)])})
                for i, p in enumerate(paths)}
    for scope, members in by_scope.items():
        target = clusters[scope] if scope else dot
        for v, attrs in members:
            target.node(node_id(v), **attrs)
    # graphviz copies a subgraph's body when it is attached: attach the deepest first
    for p in sorted(paths, key=lambda p: (-p.count("/"), p)):
        parent = clusters[p.rsplit("/", 1)[0]] if "/" in p else dot
        parent.subgraph(clusters[p])


def _prefixes(scope):
    parts = scope.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _last(path):
    return path.rsplit("/", 1)[-1]
