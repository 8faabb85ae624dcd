"""Running graphs: feed checking and the slow reference interpreter.

The interpreter evaluates nodes one by one with each op's plain NumPy ``reference``; it is
the oracle the generated code is tested against. It runs on ``rewrite_stable(graph)``, so
``bce(sigmoid(z), y)`` is computed from ``z``.
"""

import difflib

import numpy as np

from . import ops
from .errors import DomainError, FeedError, GraphError
from .graph import Node
from .ops.shapes import FLOATS, fmt
from .passes import rewrite_stable


def check_feeds(graph, at, float64=False):
    """The values of ``at`` (keyed by name or node) as arrays by node id, all checked.

    Raises FeedError for an unknown name (with a did-you-mean), a node that is not an
    input or parameter, a ragged or non-numeric value, a wrong shape, or a value that
    contradicts a named dimension given by another feed.
    """
    if not hasattr(at, "items"):
        raise FeedError(f"feeds must be a mapping of names to values, got {type(at).__name__}")
    feeds, dims = {}, {}
    for key, value in at.items():
        node = _feed_node(graph, key)
        array = _as_array(node, value, float64)
        _bind(node, array, dims)
        feeds[node.id] = array
    return feeds


def _feed_node(graph, key):
    name = key.name if isinstance(key, Node) else key
    if not isinstance(name, str) or name not in graph:
        fed = [n.name for n in graph.inputs + graph.params]
        close = difflib.get_close_matches(str(name), fed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise FeedError(f"{name!r} is not an input or parameter of graph {graph.name!r}"
                        f"{hint} (inputs and parameters: {', '.join(fed) or 'none'})")
    node = graph.node(name)
    if node.role not in ("input", "param"):
        raise FeedError(f"{name!r} is a {node.op} node, not an input or parameter; only "
                        f"inputs and parameters are fed")
    return node


def _as_array(node, value, float64):
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise FeedError(f"feed for {node.name!r} is not a rectangular array of numbers "
                        f"(expected shape {fmt(node.shape)}): {err}") from None
    if array.dtype.kind not in "biuf":
        raise FeedError(f"feed for {node.name!r} has dtype {array.dtype}, not numbers "
                        f"(expected shape {fmt(node.shape)}, {node.dtype})")
    if node.dtype not in FLOATS and array.dtype.kind == "f":
        raise FeedError(f"feed for {node.name!r} must be integers ({node.dtype}), got "
                        f"{array.dtype} values")
    dtype = "float64" if float64 and node.dtype in FLOATS else node.dtype
    return array.astype(dtype, copy=False)


def _bind(node, array, dims):
    """Check ``array``'s shape against the node's, binding named dimensions in ``dims``."""
    expected = node.shape
    if array.ndim != len(expected) or any(
            isinstance(d, int) and d != n for d, n in zip(expected, array.shape)):
        raise FeedError(f"feed for {node.name!r} has shape {fmt(array.shape)}, expected "
                        f"{fmt(expected)}")
    for d, n in zip(expected, array.shape):
        if isinstance(d, str):
            if d in dims and dims[d][0] != n:
                size, other = dims[d]
                raise FeedError(
                    f"feed for {node.name!r} has shape {fmt(array.shape)}, so {d} = {n}, "
                    f"but {other.name!r} {fmt(other.shape)} was fed with {d} = {size}")
            dims.setdefault(d, (n, node))


class Interpreter:
    """Evaluates nodes of a graph with plain NumPy, one op at a time."""

    def __init__(self, graph, float64=False):
        self.graph = rewrite_stable(graph)
        self.float64 = float64
        self.position = {v: i for i, v in enumerate(self.graph.order())}

    def run(self, targets, feeds, overrides=None):
        """The values of the ``targets`` (node ids), from checked ``feeds`` by id."""
        values = {**feeds, **(overrides or {})}
        for v in sorted(self._needed(targets, values), key=self.position.__getitem__):
            values[v] = self._eval(v, values)
        return [values[v] for v in targets]

    def _needed(self, targets, known):
        needed, missing, stack = set(), [], list(targets)
        nodes = self.graph.nx.nodes
        while stack:
            v = stack.pop()
            if v in needed or v in known:
                continue
            if nodes[v]["role"] in ("input", "param"):
                missing.append(v)
                continue
            needed.add(v)
            stack.extend(self.graph.nx.predecessors(v))
        if missing:
            names = ", ".join(f"{nodes[v]['name']!r} {fmt(nodes[v]['shape'])}"
                              for v in sorted(set(missing)))
            raise FeedError(f"missing feed for {names}")
        return needed

    def _eval(self, v, values):
        data = self.graph.nx.nodes[v]
        dtype = "float64" if self.float64 and data["dtype"] in FLOATS else data["dtype"]
        if data["op"] == "const":
            return data["value"].astype(dtype, copy=False)
        args = [values[u] for u in self.graph.operands(v)]
        try:
            out = ops.get(data["op"]).reference(data["attrs"], *args)
        except DomainError as err:
            names = ", ".join(repr(self.graph.nx.nodes[u]["name"])
                              for u in self.graph.operands(v))
            raise DomainError(f"node {data['name']!r} ({data['op']} of {names}): "
                              f"{err}") from None
        return np.asarray(out).astype(dtype, copy=False)


def evaluate(nodes, at=None):
    """The value of a node (or a list of nodes) by the reference interpreter.

    >>> evaluate(loss, at={"x": [1, -1], "w": [1, 2], "y": 1})    # doctest: +SKIP
    array(1.31326169)
    """
    single = isinstance(nodes, Node)
    nodes = [nodes] if single else list(nodes)
    if not nodes:
        return []
    graph = nodes[0].graph
    if any(not isinstance(n, Node) or n.graph is not graph for n in nodes):
        raise GraphError("evaluate takes nodes of one graph")
    feeds = check_feeds(graph, at or {})
    values = Interpreter(graph).run([n.id for n in nodes], feeds)
    values = [np.array(v) for v in values]  # never a feed, a view of one, or a constant
    return values[0] if single else values
