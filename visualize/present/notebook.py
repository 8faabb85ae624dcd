r"""Graphs and nodes in a notebook: the MIME bundle IPython shows for each.

``Graph._repr_mimebundle_`` and ``Node._repr_mimebundle_`` hand themselves to
``graphc.display.bundle``, which finds this module through its entry point on first use,
so ``import graphc`` imports neither ``visualize`` nor IPython. A bundle holds

- ``text/plain``: the listing, ``str(graph)``, or the node's line of it;
- ``image/svg+xml``: the forward diagram (``visualize.draw``) rendered by ``dot``; for a
  node, the graph around it with the node highlighted (the backward view for a gradient
  node). Without Graphviz's ``dot`` program there is simply no SVG;
- ``text/latex``, for a gradient node: its formula,
  ``$\frac{\partial \mathrm{loss}}{\partial w} = ...$`` (``gc.latex``).

>>> bundle(g)["image/svg+xml"][:5]                    # doctest: +SKIP
'<?xml'
"""

import graphviz

import graphc as gc
import visualize
from graphc.autodiff import gradient_of
from graphc.errors import GraphcError
from graphc.graph import Graph, Node
from graphc.symbolic.latex import name_latex
from visualize.canvas import add_edges, add_nodes, diagram
from visualize.views import highlighted, title

#: A graph of at most this many nodes is drawn whole around a node; a larger one only as
#: far as ``AROUND`` steps along operands and users from it, up to this many nodes.
SMALL = 40
AROUND = 2
#: No diagram of a graph with more nodes than this: dot would take long, and a picture of
#: thousands of nodes shows nothing (``visualize.draw(g, collapse=True)`` shows scopes).
DRAW_LIMIT = 400
#: A gradient's formula is written only where it depends on at most this many nodes and
#: its LaTeX is at most this long: an unnamed deep chain expands into a formula of
#: megabytes (and minutes), which no one reads in a cell.
FORMULA_NODES = 100
LATEX_CHARS = 3000


def bundle(obj, include=None, exclude=None):
    """``{MIME type: data}`` of a Graph or a Node, limited to ``include`` and without
    ``exclude`` (collections of MIME types, as IPython passes them)."""
    if isinstance(obj, Graph):
        makers = {"text/plain": lambda: str(obj), "image/svg+xml": lambda: _graph_svg(obj)}
    elif isinstance(obj, Node):
        makers = {"text/plain": lambda: node_text(obj), "image/svg+xml": lambda: _node_svg(obj),
                  "text/latex": lambda: gradient_latex(obj)}
    else:
        raise TypeError(f"bundle takes a graphc Graph or Node, got {obj!r}")
    found = {}
    for mime, make in makers.items():
        if (include is None or mime in include) and mime not in (exclude or ()):
            data = make()
            if data is not None:
                found[mime] = data
    return found


def node_text(node):
    """``<Node 'z': matmul () float64>`` and the node's line of the graph's listing."""
    return f"{node!r}\n{node.graph.line(node)}"


def gradient_latex(node):
    r"""``$\frac{\partial y}{\partial x} = <formula>$`` for a gradient node ``dy_dx``; None
    for any other node, or where its formula cannot be written or is too large to read."""
    of = gradient_of(node.graph, node.id)
    if of is None or len(node.graph.upstream([node.id])) > FORMULA_NODES:
        return None
    y, x = (name_latex(node.graph.record(v).name) for v in of)  # TeX's specials escaped
    try:
        formula = gc.latex(node)
    except (GraphcError, RecursionError):  # SymPy recurses along a deep formula
        return None
    if len(formula) > LATEX_CHARS:
        return None
    return rf"$\frac{{\partial {y}}}{{\partial {x}}} = {formula}$"


def svg(dot):
    """The SVG text of a diagram, or None without the ``dot`` program (or if it fails)."""
    try:
        return visualize.render(dot, "svg").decode("utf-8")
    except (graphviz.ExecutableNotFound, visualize.RenderError):
        return None


def _graph_svg(graph):
    return svg(visualize.draw(graph)) if len(graph) <= DRAW_LIMIT else None


def _node_svg(node):
    graph, backward = node.graph, node.role == "grad"
    drawn = [v for v in graph.order() if backward or graph.record(v).role != "grad"]
    if len(drawn) <= SMALL:
        view = "backward" if backward else "forward"
        return svg(visualize.draw(graph, view=view, highlight=node))
    ids = neighbourhood(graph, node.id, set(drawn))
    dot = diagram(title(graph, f"around {node.name}"))
    add_nodes(dot, graph, ids, overrides=highlighted(graph, ids, [node.id]))
    add_edges(dot, graph, ids)
    return svg(dot)


def neighbourhood(graph, v, allowed, steps=AROUND, most=SMALL):
    """The ids at most ``steps`` operands or users away from ``v`` (nearest first, at most
    ``most`` of them, only ids in ``allowed``), sorted."""
    found, frontier = {v}, [v]
    for _ in range(steps):
        nearer = []
        for u in frontier:
            for w in list(graph.operands(u)) + list(graph.users(u)):
                if w in allowed and w not in found and len(found) < most:
                    found.add(w)
                    nearer.append(w)
        frontier = nearer
    return sorted(found)
