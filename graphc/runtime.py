"""Running graphs: feed checking and the slow reference interpreter.

The interpreter evaluates nodes one by one with each op's plain NumPy ``reference``; it is
the oracle the generated code is tested against. It runs on ``rewrite_stable(graph)``, so
``bce(sigmoid(z), y)`` is computed from ``z``.
"""

import hashlib
import linecache
import re
import types

import numpy as np

from . import ops
from .errors import DomainError, FeedError, GraphError
from .feeds import bind_shape, feed_array, missing_feeds, unknown_feed
from .graph import Node
from .ops.shapes import FLOATS
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
        bind_shape(node.name, node.shape, array, dims)
        feeds[node.id] = array
    return feeds


def _feed_node(graph, key):
    name = key.name if isinstance(key, Node) else key
    if not isinstance(name, str) or name not in graph:
        fed = [n.name for n in graph if n.role in ("input", "param")]  # creation order
        raise unknown_feed(name, graph.name, fed)
    node = graph.node(name)
    if node.role not in ("input", "param"):
        raise FeedError(f"{name!r} is a {node.op} node, not an input or parameter; only "
                        f"inputs and parameters are fed")
    return node


def _as_array(node, value, float64):
    # The messages live in graphc.feeds, which generated modules copy word for word.
    cast = "float64" if float64 and node.dtype in FLOATS else None
    return feed_array(node.name, node.shape, node.dtype, value, cast)


class Interpreter:
    """Evaluates nodes of a graph with plain NumPy, one op at a time."""

    def __init__(self, graph, float64=False):
        self.graph = rewrite_stable(graph)
        self.float64 = float64

    def run(self, targets, feeds, overrides=None):
        """The values of the ``targets`` (node ids), from checked ``feeds`` by id."""
        values = {**feeds, **(overrides or {})}
        for v in self.graph.order(self._needed(targets, values)):
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
            raise missing_feeds([(nodes[v]["name"], nodes[v]["shape"])
                                 for v in sorted(set(missing))])
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


# ---- the loader: generated source into a module -------------------------------------------

_MODULES = {}  # file name (with the source's hash) -> module: compiled once per process


def load_module(source, name="graphc"):
    """Compile generated ``source`` into a fresh module; its code shows in tracebacks.

    The file name is ``<graphc:NAME:HASH>``, registered with ``linecache`` so tracebacks and
    debuggers show the generated lines. The module's FeedError and DomainError (plain
    ValueErrors when it stands alone) become graphc's own.

    >>> module = load_module("import numpy as np\\ndef run(**feeds):\\n    return ()\\n")
    >>> module.run()
    ()
    """
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    label = re.sub(r"[^0-9A-Za-z_.-]+", "_", str(name))[:40] or "graphc"
    filename = f"<graphc:{label}:{digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    if filename not in _MODULES:
        module = types.ModuleType(f"graphc_generated_{label}", "generated by graphc")
        module.__file__ = filename
        exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102
        module.FeedError, module.DomainError = FeedError, DomainError
        if len(_MODULES) >= 256:
            del _MODULES[next(iter(_MODULES))]  # the oldest; its callers keep their module
        _MODULES[filename] = module
    return _MODULES[filename]
