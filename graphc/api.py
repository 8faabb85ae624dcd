"""Public functions that wire two stages together (the stages never import each other)."""

from .errors import GraphError
from .graph import Node
from .runtime import evaluate as evaluate_numeric
from .symbolic import exact_values


def evaluate(nodes, at=None, exact=False):
    """The value of a node (or a list of nodes) at the point ``at``.

    By default the reference interpreter computes it as a NumPy array. With ``exact=True``
    it is a SymPy expression, such as ``sigmoid(-1) - 1`` (``sp.Array`` for a tensor);
    floats in ``at`` are taken as the decimals they print as, so 0.1 is 1/10.

    >>> evaluate(dloss_dz, at={"x": [1, -1], "w": [1, 2], "y": 1}, exact=True)  # doctest: +SKIP
    -1 + sigmoid(-1)
    """
    if not exact:
        return evaluate_numeric(nodes, at)
    single = isinstance(nodes, Node)
    nodes = [nodes] if single else list(nodes)
    if not nodes:
        return []
    if any(not isinstance(n, Node) or n.graph is not nodes[0].graph for n in nodes):
        raise GraphError("evaluate takes nodes of one graph")
    values = exact_values(nodes, at)
    return values[0] if single else values
