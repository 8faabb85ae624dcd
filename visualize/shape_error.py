"""A shape error, drawn: the graph as built, and the op that could not be added.

The op that failed is not in the graph (it was never added), so it is drawn as a red,
dashed ghost node with the error's message; its operands are outlined in red, and each
red dashed edge into the ghost carries the operand's shape.

>>> try:
...     g.input("a", (3, 4)) @ g.input("b", (5, 2))
... except gc.ShapeError as err:
...     d = draw_error(err)                            # doctest: +SKIP
"""

import textwrap

from graphc.errors import ShapeError
from graphc.shapes import fmt

from .canvas import add_edges, add_nodes, diagram, node_id
from .style import ERROR_COLOR, label

GHOST = "error"  # the ghost's DOT id: never n{id}, so it cannot clash with a graph node
WRAP = 40


def draw_error(err):
    """A ``graphviz.Digraph`` of ``err.graph`` with the failed ``err.op`` as a red ghost.

    >>> visualize.export(visualize.draw_error(err), "error.svg")   # doctest: +SKIP
    """
    if not isinstance(err, ShapeError):
        raise TypeError(f"draw_error takes a graphc ShapeError, got {err!r}")
    graph = err.graph
    if graph is None:
        raise ValueError(f"this ShapeError carries no graph to draw: {err}")
    message = str(err).splitlines()[0] if str(err) else "shapes do not fit"
    operands = [graph.node(name).id for name in err.operands if name in graph]
    red = {"color": ERROR_COLOR, "penwidth": "2.5", "class": "operand"}
    dot = diagram([f"{graph.name}: shape error", *textwrap.wrap(message, 2 * WRAP)])
    ids = sorted(graph.nx.nodes)
    add_nodes(dot, graph, ids, overrides={v: red for v in operands})
    add_edges(dot, graph, ids)
    op = err.op or "op"
    dot.node(GHOST, label=label([f"{op} ?", *textwrap.wrap(message, WRAP)]), shape="box",
             style="dashed,rounded", color=ERROR_COLOR, fontcolor=ERROR_COLOR,
             penwidth="2", **{"class": "error"})
    for k, v in enumerate(operands):
        shape = fmt(graph.record(v).shape)
        text = shape if len(operands) == 1 else f"operand {k}: {shape}"
        dot.edge(node_id(v), GHOST, label=label([text]), color=ERROR_COLOR,
                 fontcolor=ERROR_COLOR, style="dashed", penwidth="2", **{"class": "error"})
    return dot
