"""``gc.evaluate``: the value of nodes at a point, in numbers or exactly.

Numbers come from the reference interpreter, run on the stable rewrite of the graph (so
``bce(sigmoid(z), y)`` is computed from ``z``, as generated code computes it); exact values
from ``graphc.symbolic``.
"""

import numpy as np

from .errors import GraphError
from .graph import Node
from .graph.feeds import check_feeds
from .interpret import Interpreter
from .passes import rewrite_stable
from .symbolic import exact_values


def evaluate(nodes, at=None, exact=False):
    """The value of a node (or a list of nodes) at the point ``at``.

    By default the reference interpreter computes it as a NumPy array. With ``exact=True``
    it is a SymPy expression, such as ``sigmoid(-1) - 1`` (``sp.Array`` for a tensor);
    floats in ``at`` are taken as the decimals they print as, so 0.1 is 1/10.

    >>> evaluate(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})    # doctest: +SKIP
    array(1.31326169)
    >>> evaluate(dloss_dz, at={"x": [1, -1], "w": [1, 2], "y": 1}, exact=True)  # doctest: +SKIP
    -1 + sigmoid(-1)
    """
    single = isinstance(nodes, Node)
    nodes = [nodes] if single else list(nodes)
    if not nodes:
        return []
    graph = nodes[0].graph
    if any(not isinstance(n, Node) or n.graph is not graph for n in nodes):
        raise GraphError("evaluate takes nodes of one graph")
    if exact:
        values = exact_values(nodes, at)
    else:
        feeds = check_feeds(graph, at or {})
        values = Interpreter(rewrite_stable(graph)).run([n.id for n in nodes], feeds)
        values = [np.array(v) for v in values]  # never a feed, a view of one, or a constant
    return values[0] if single else values
