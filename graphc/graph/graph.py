"""The graph a user builds: a ``networkx.MultiDiGraph`` of named, shaped nodes.

Nodes are keyed by an integer id given in creation order; each node holds its ``name``,
``op``, ``role`` (input, param, const, op or grad), ``shape``, ``dtype`` and ``attrs``.
Each edge carries the operand ``slot`` it feeds (parallel edges for ``a * a``), so operand
order never depends on NetworkX's adjacency order. Shapes and dtypes are inferred, and
checked, as each node is added.

>>> g = Graph("neuron")
>>> x, w = g.input("x", shape=(2,)), g.param("w", shape=(2,))
>>> (w @ x).named("z").shape
()
"""

import contextlib
import difflib

import networkx as nx
import numpy as np
import sympy as sp

from .. import ops
from ..errors import DTypeError, GraphcError, GraphError, ShapeError
from .params import check_init, initial_values, summarize
from ..ops.shape import index_key
from ..ops.scalar import arg
from ..shapes import Arg, fmt, normalize_dtype, normalize_shape

LEAVES = ("input", "param", "const")


class Graph:
    """A computational graph; build it with ``input``, ``param``, ``const`` and ops."""

    def __init__(self, name="graph"):
        self.name = str(name)
        self.nx = nx.MultiDiGraph(name=self.name)
        self._by_name = {}
        self._next_id = 0
        self._scopes = []

    # ---- leaves -------------------------------------------------------------------------

    def input(self, name, shape=(), dtype="float64"):
        """A value fed on every call: ``g.input("X", shape=("N", 784))``."""
        return self._leaf("input", name, shape, dtype)

    def param(self, name, shape=(), dtype="float64", init=None):
        """A trainable parameter; its value is fed like an input's.

        ``init`` is its starting value for ``initial_params``: an array of its shape
        (checked here) or "zeros", "ones", "xavier" (Glorot uniform) or "he" (Kaiming
        normal); None means "zeros" for 0-D and 1-D params (biases), "xavier" for the rest.

        >>> W = g.param("W1", shape=(784, 256), init="he")  # doctest: +SKIP
        """
        shape = normalize_shape(shape, f"shape of {name!r}")
        init = check_init(name, shape, normalize_dtype(dtype), init)
        node = self._leaf("param", name, shape, dtype)
        self.nx.nodes[node.id]["init"] = init
        return node

    def initial_params(self, seed=0):
        """Starting values of every param, ``{name: array}`` in creation order, drawn by
        each param's ``init`` (graphc/graph/params.py); the same seed gives the same values.

        >>> params = g.initial_params(seed=0)                # doctest: +SKIP
        """
        specs = [(n.name, n.shape, n.dtype, self.nx.nodes[n.id].get("init"))
                 for n in self.params]
        return initial_values(specs, seed)

    def const(self, name, value, dtype=None):
        """A named constant: ``g.const("half", 0.5)``."""
        return self._constant(value, dtype, name)

    def _leaf(self, role, name, shape, dtype):
        self._check_name(name)
        shape = normalize_shape(shape, f"shape of {name!r}")
        return self._add(name, op=role, role=role, shape=shape, dtype=normalize_dtype(dtype),
                         attrs={})

    def _constant(self, value, dtype=None, name=None):
        weak = isinstance(value, (int, float)) and not isinstance(value, bool) and dtype is None
        array = np.array(value)
        if array.dtype.kind not in "iuf":
            raise DTypeError(f"constant {name or value!r}: value {value!r} is not a number "
                             f"or numeric array (dtype {array.dtype})")
        dtype = normalize_dtype(dtype or ("int64" if array.dtype.kind in "iu" else
                                          array.dtype.name))
        if name is not None:
            self._check_name(name)
        return self._add(name, op="const", role="const", shape=array.shape, dtype=dtype,
                         attrs={}, value=array.astype(dtype), weak=weak)

    # ---- ops ----------------------------------------------------------------------------

    def apply(self, op, operands, attrs=None, name=None):
        """Add an ``op`` node over ``operands`` (nodes or numbers); shapes checked here."""
        opdef = ops.get(op)
        operands = [self._operand(o) for o in operands]
        self._check_arity(opdef, operands)
        attrs = dict(attrs or {})
        unknown = sorted(set(attrs) - set(opdef.attrs))
        if unknown:
            accepted = ", ".join(opdef.attrs) or "none"
            raise GraphError(f"op {op!r} got unknown attributes {unknown}; it accepts: "
                             f"{accepted}")
        args = [self._arg(o) for o in operands]
        try:
            if opdef.prepare:
                attrs = opdef.prepare(attrs, args)
            shape, dtype = opdef.infer(attrs, args)
        except ShapeError as err:
            err.graph, err.op, err.operands = self, op, tuple(a.name for a in args)
            raise _at_node(err, name)
        except GraphcError as err:
            raise _at_node(err, name)
        if name is not None:
            self._check_name(name)
        node = self._add(name, op=op, role="op", shape=tuple(shape), dtype=dtype, attrs=attrs)
        for slot, operand in enumerate(operands):
            self.nx.add_edge(operand.id, node.id, key=slot, slot=slot)
        return node

    def _check_arity(self, opdef, operands):
        n = len(operands)
        if (opdef.arity is None and n < 1) or (opdef.arity is not None and n != opdef.arity):
            expected = "one or more" if opdef.arity is None else str(opdef.arity)
            raise GraphError(f"op {opdef.name!r} takes {expected} operands, got {n}")

    def _operand(self, value):
        if isinstance(value, Node):
            if value.graph is not self:
                raise GraphError(f"node {value.name!r} belongs to graph "
                                 f"{value.graph.name!r}, not to {self.name!r}")
            return value
        return self._constant(value)

    def _arg(self, node):
        data = self.nx.nodes[node.id]
        return Arg(data["name"], data["op"], data["shape"], data["dtype"],
                   data.get("weak", False))

    # ---- names and nodes ----------------------------------------------------------------

    def _check_name(self, name):
        if not isinstance(name, str) or not name:
            raise GraphError(f"a node name must be a non-empty string, got {name!r}")
        if name in self._by_name:
            raise GraphError(f"duplicate node name {name!r}: names must be unique in "
                             f"graph {self.name!r}")

    def _add(self, name, **data):
        node_id = self._next_id
        self._next_id += 1
        chosen = name is not None  # named by the user, not after its op
        if name is None:
            name = f"{data['op']}{node_id}"
            while name in self._by_name:
                name += "_"
        self.nx.add_node(node_id, name=name, named=chosen, scope="/".join(self._scopes),
                         **data)
        self._by_name[name] = node_id
        return Node(self, node_id)

    def rename(self, node, name):
        """Give ``node`` a new unique name (``node.named(name)`` calls this)."""
        old = self.nx.nodes[node.id]["name"]
        if name == old:
            return node
        self._check_name(name)
        del self._by_name[old]
        self._by_name[name] = node.id
        self.nx.nodes[node.id].update(name=name, named=True)
        return node

    def node(self, name):
        """The node called ``name``; GraphError with a did-you-mean if there is none."""
        if name in self._by_name:
            return Node(self, self._by_name[name])
        close = difflib.get_close_matches(str(name), list(self._by_name), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise GraphError(f"graph {self.name!r} has no node {name!r}{hint}")

    __getitem__ = node

    def __contains__(self, name):
        return name in self._by_name

    def __len__(self):
        return self.nx.number_of_nodes()

    def __iter__(self):
        return (Node(self, i) for i in sorted(self.nx.nodes))

    def nodes(self, role=None):
        """The nodes in creation order, optionally only those of one ``role``."""
        return [n for n in self if role is None or n.role == role]

    @property
    def inputs(self):
        return self.nodes("input")

    @property
    def params(self):
        return self.nodes("param")

    def operands(self, node_id):
        """The operand ids of a node, in slot order."""
        slots = [(data["slot"], u) for u, edges in self.nx.pred[node_id].items()
                 for data in edges.values()]
        return [u for _, u in sorted(slots)]

    def upstream(self, ids, stop=()):
        """``ids`` and every node they depend on (without recursion); nodes in ``stop`` are
        included when reached, but what they depend on is not."""
        seen, stack = set(ids), list(ids)
        while stack:
            v = stack.pop()
            if v in stop:
                continue
            for u in self.nx.predecessors(v):
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
        return seen

    def order(self, ids=None):
        """Node ids in a deterministic topological order (ties broken by creation).

        An operand always exists before the node that uses it, so every edge runs from a
        smaller id to a larger one and creation order is already the lexicographical
        topological order that ``networkx.lexicographical_topological_sort`` would give.
        """
        return sorted(self.nx.nodes if ids is None else ids)

    @contextlib.contextmanager
    def scope(self, name):
        """Nodes built inside ``with g.scope("layer1"):`` belong to that scope."""
        self._scopes.append(str(name))
        try:
            yield self
        finally:
            self._scopes.pop()

    def copy(self):
        """An independent copy with the same ids and names."""
        other = Graph(self.name)
        other.nx = self.nx.copy()
        for _, data in other.nx.nodes(data=True):
            if "flows" in data:  # NetworkX copies attribute dicts, not the lists inside
                data["flows"] = list(data["flows"])
        other._by_name = dict(self._by_name)
        other._next_id = self._next_id
        return other

    # ---- internal edits, for autodiff and passes ------------------------------------------

    def _remove(self, node_id):
        del self._by_name[self.nx.nodes[node_id]["name"]]
        self.nx.remove_node(node_id)

    def _rewire(self, node_id, op, operands, attrs):
        """Make an existing node compute ``op`` over ``operands`` (ids); shape must stay."""
        data = self.nx.nodes[node_id]
        if any(u >= node_id for u in operands):
            raise GraphError(f"rewriting {data['name']!r}: an operand must come before it")
        opdef = ops.get(op)
        args = [self._arg(Node(self, u)) for u in operands]
        shape, dtype = opdef.infer(attrs, args)
        if (tuple(shape), dtype) != (data["shape"], data["dtype"]):
            raise GraphError(f"rewriting {data['name']!r} as {op} would change its shape")
        self.nx.remove_edges_from(list(self.nx.in_edges(node_id, keys=True)))
        for slot, u in enumerate(operands):
            self.nx.add_edge(u, node_id, key=slot, slot=slot)
        data.update(op=op, attrs=attrs)

    # ---- text ---------------------------------------------------------------------------

    def __str__(self):
        rows = [self._row(n) for n in self]
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(4)]
        lines = [f"Graph {self.name!r}: {len(rows)} nodes"]
        for r in rows:
            cells = [c.ljust(w) for c, w in zip(r, widths)]
            lines.append(("  " + "  ".join(cells) + ("  = " + r[4] if r[4] else "")).rstrip())
        return "\n".join(lines)

    def _row(self, node):
        data = self.nx.nodes[node.id]
        if data["role"] in ("input", "param"):
            rhs = ""
        elif data["op"] == "const":
            rhs = np.array2string(data["value"], threshold=6)
        elif data["op"] == "elementwise":
            rhs = f"{_formula_text(data['attrs']['expr'], node.operands)}  (elementwise)"
        else:
            names = ", ".join(o.name for o in node.operands)
            rhs = f"{data['op']}{_attr_text(data['attrs'])}({names})"
        return [data["role"], data["name"], fmt(data["shape"]), data["dtype"], rhs]

    def __repr__(self):
        return f"<Graph {self.name!r}: {len(self)} nodes>"

    def summary(self, grads=False):
        """A table of the nodes (name, role, op, shape, parameter count) whose ``.total`` is
        the number of parameters, weights and biases; gradient nodes only if ``grads``.

        >>> g.summary().total                                # doctest: +SKIP
        529411
        """
        return summarize(self, grads)

    # ---- NetworkX in ----------------------------------------------------------------------

    @classmethod
    def from_networkx(cls, G, name="graph"):
        """Build a Graph from a DAG made directly with NetworkX.

        Node attributes: ``op`` ("input", "param", "const" or an op name), optional
        ``name``, ``shape``, ``dtype``, ``value`` (const) and ``attrs``; each edge has the
        ``slot`` of the operand it feeds. Everything is checked as the graph is rebuilt.
        """
        from .networkx import build
        return build(cls(name), G)


def _at_node(err, name):
    """``err`` with the name of the node being built, when it has one, put in front."""
    if name is not None:
        err.args = (f"node {name!r}: {err}",) + err.args[1:]
    return err


def _attr_text(attrs):
    shown = [f"{k}={v}" for k, v in attrs.items() if v is not False]
    return "[" + ", ".join(shown) + "]" if shown else ""


def _formula_text(expr, operands):
    """An element-wise formula written over its operands' names instead of a0, a1, ..."""
    names = {arg(i): sp.Symbol(o.name) for i, o in enumerate(operands)}
    return str(expr.xreplace(names))


class Node:
    """A handle on one node of a Graph, with NumPy-style operators.

    ``+ - * / @ **``, unary ``-`` and ``.T`` add nodes; plain numbers become constants.
    """

    __slots__ = ("graph", "id")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: np.float64(2) * x

    def __init__(self, graph, node_id):
        self.graph = graph
        self.id = node_id

    @property
    def _data(self):
        return self.graph.nx.nodes[self.id]

    name = property(lambda self: self._data["name"], doc="the node's unique name")
    op = property(lambda self: self._data["op"], doc="the op, or input/param/const")
    role = property(lambda self: self._data["role"], doc="input, param, const, op or grad")
    shape = property(lambda self: self._data["shape"], doc="a tuple of ints and names")
    dtype = property(lambda self: self._data["dtype"], doc="float64, float32, int64, ...")
    attrs = property(lambda self: dict(self._data["attrs"]), doc="the op's attributes")
    scope = property(lambda self: self._data.get("scope", ""), doc="the scope built in")

    @property
    def value(self):
        """A constant's value (None for other nodes)."""
        return self._data.get("value")

    @property
    def operands(self):
        return [Node(self.graph, u) for u in self.graph.operands(self.id)]

    @property
    def users(self):
        return [Node(self.graph, v) for v in sorted(set(self.graph.nx.successors(self.id)))]

    def named(self, name):
        """Rename this node and return it: ``z = (w @ x).named("z")``."""
        return self.graph.rename(self, name)

    def _apply(self, op, *operands, **attrs):
        return self.graph.apply(op, operands, attrs)

    def __add__(self, other): return self._apply("add", self, other)
    def __radd__(self, other): return self._apply("add", other, self)
    def __sub__(self, other): return self._apply("sub", self, other)
    def __rsub__(self, other): return self._apply("sub", other, self)
    def __mul__(self, other): return self._apply("mul", self, other)
    def __rmul__(self, other): return self._apply("mul", other, self)
    def __truediv__(self, other): return self._apply("div", self, other)
    def __rtruediv__(self, other): return self._apply("div", other, self)
    def __pow__(self, other): return self._apply("pow", self, other)
    def __rpow__(self, other): return self._apply("pow", other, self)
    def __matmul__(self, other): return self._apply("matmul", self, other)
    def __rmatmul__(self, other): return self._apply("matmul", other, self)
    def __neg__(self): return self._apply("neg", self)
    def __pos__(self): return self

    def __getitem__(self, index):
        """Basic indexing, as in NumPy: ints, slices with steps, ``...`` and None.

        >>> first, last_col = X[0], X[:, -1]                      # doctest: +SKIP
        """
        what = f"{self.name!r} {fmt(self.shape)}"
        return self._apply("getitem", self, index=index_key(index, what))

    def __iter__(self):
        raise TypeError(f"node {self.name!r} cannot be iterated over while the graph is "
                        f"built; index it instead: {self.name}[0]")

    @property
    def T(self):
        """The transpose (axes reversed)."""
        return self._apply("transpose", self)

    def sum(self, axis=None, keepdims=False):
        return self._apply("sum", self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return self._apply("mean", self, axis=axis, keepdims=keepdims)

    def __eq__(self, other):
        return isinstance(other, Node) and other.graph is self.graph and other.id == self.id

    def __hash__(self):
        return hash((id(self.graph), self.id))

    def __bool__(self):
        raise TypeError(f"node {self.name!r} has no truth value until the graph is run")

    def __repr__(self):
        return f"<Node {self.name!r}: {self.op} {fmt(self.shape)} {self.dtype}>"
