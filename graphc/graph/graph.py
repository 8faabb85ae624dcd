"""The graph a user builds: ``Graph`` and its ``Node`` handles, scopes, the text listing.

Nodes are keyed by an integer id given in creation order; each holds a frozen
``NodeRecord`` (graphc/graph/node.py): its ``name``, ``op``, ``role`` (input, param, const,
op or grad), ``shape``, ``dtype``, ``attrs`` and the rest. Each edge carries the operand
``slot`` it feeds (parallel edges for ``a * a``), so operand order never depends on
NetworkX's adjacency order. Shapes and dtypes are inferred, and checked, as each node is
added.

>>> g = Graph("neuron")
>>> x, w = g.input("x", shape=(2,)), g.param("w", shape=(2,))
>>> (w @ x).named("z").shape
()
"""

import contextlib
import difflib

import numpy as np
import sympy as sp

from .. import display, ops, text
from ..errors import DTypeError, GraphcError, GraphError, ShapeError
from ..ops.shape import index_key
from ..ops.scalar import arg
from ..shapes import fmt, normalize_dtype, normalize_shape
from . import arraylike, walk
from .node import NodeRecord, NodeStore, infer
from .params import check_init, initial_values, summarize


class Graph(NodeStore):
    """A computational graph; build it with ``input``, ``param``, ``const`` and ops."""

    def __init__(self, name="graph"):
        super().__init__(name)
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
        return self._leaf("param", name, shape, dtype, init=init)

    def initial_params(self, seed=0):
        """Starting values of every param, ``{name: array}`` in creation order, drawn by
        each param's ``init`` (graphc/graph/params.py); the same seed gives the same values.

        >>> params = g.initial_params(seed=0)                # doctest: +SKIP
        """
        specs = [(n.name, n.shape, n.dtype, n.record.init) for n in self.params]
        return initial_values(specs, seed)

    def const(self, name, value, dtype=None):
        """A named constant: ``g.const("half", 0.5)``."""
        self._check_name(name)
        return self.literal(value, dtype, name)

    def literal(self, value, dtype=None, name=None):
        """A constant as a plain number or array in an expression makes it (unnamed unless
        ``name`` is given). A plain Python number is "weak": it never widens the dtype of a
        tensor it meets, so float32 graphs stay float32.

        >>> half = g.literal(0.5)                             # doctest: +SKIP
        """
        weak = isinstance(value, (int, float)) and not isinstance(value, bool) and dtype is None
        try:
            array = np.array(value)
        except ValueError as err:  # ragged nested lists
            raise DTypeError(f"constant {name or value!r}: value {value!r} is not a number "
                             f"or rectangular numeric array ({err})") from None
        if array.dtype.kind not in "iuf":
            raise DTypeError(f"constant {name or value!r}: value {value!r} is not a number "
                             f"or numeric array (dtype {array.dtype})")
        dtype = normalize_dtype(dtype or ("int64" if array.dtype.kind in "iu" else
                                          array.dtype.name))
        array = array.astype(dtype)
        array.setflags(write=False)
        return self._new(name, op="const", role="const", shape=array.shape, dtype=dtype,
                         value=array, weak=weak)

    def _leaf(self, role, name, shape, dtype, init=None):
        self._check_name(name)
        shape = normalize_shape(shape, f"shape of {name!r}")
        return self._new(name, op=role, role=role, shape=shape, dtype=normalize_dtype(dtype),
                         init=init)

    # ---- ops ----------------------------------------------------------------------------

    def apply(self, op, operands, attrs=None, name=None):
        """Add an ``op`` node over ``operands`` (nodes or numbers); shapes checked here."""
        ops.get(op)  # an unknown op fails before any number becomes a constant
        operands = [self._operand(o) for o in operands]
        args = [o.record.arg for o in operands]
        try:
            attrs, shape, dtype = infer(op, args, attrs)
        except ShapeError as err:
            err.graph, err.op, err.operands = self, op, tuple(a.name for a in args)
            raise _at_node(err, name)
        except GraphcError as err:
            raise _at_node(err, name)
        if name is not None:
            self._check_name(name)
        return self._new(name, [o.id for o in operands], op=op, role="op", shape=shape,
                         dtype=dtype, attrs=attrs)

    def _operand(self, value):
        if isinstance(value, Node):
            if value.graph is not self:
                raise GraphError(f"node {value.name!r} belongs to graph "
                                 f"{value.graph.name!r}, not to {self.name!r}")
            return value
        return self.literal(value)

    # ---- names and nodes ----------------------------------------------------------------

    def _check_name(self, name):
        if not isinstance(name, str) or not name:
            raise GraphError(f"a node name must be a non-empty string, got {name!r}")
        if name in self:
            raise GraphError(f"duplicate node name {name!r}: names must be unique in "
                             f"graph {self.name!r}")

    def _new(self, name, operands=(), **fields):
        """Add a node; an unnamed one is named after its op and id (``add2``)."""
        named = name is not None
        if name is None:
            name = f"{fields['op']}{self.next_id}"
            while name in self:
                name += "_"
        record = NodeRecord(name=name, named=named, scope="/".join(self._scopes), **fields)
        return Node(self, self.add(record, operands))

    def rename(self, node, name, named=True):
        """Give ``node`` (a Node or an id) a new unique name (``node.named(name)`` calls
        this); returns the node."""
        if name != self.record(node).name:
            self._check_name(name)
        super().rename(node, name, named)
        return node if isinstance(node, Node) else Node(self, node)

    def node(self, name):
        """The node called ``name``; GraphError with a did-you-mean if there is none."""
        v = self.id_of(name)
        if v is not None:
            return Node(self, v)
        close = difflib.get_close_matches(str(name), [n.name for n in self], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise GraphError(f"graph {self.name!r} has no node {name!r}{hint}")

    __getitem__ = node

    def __contains__(self, name):
        return self.id_of(name) is not None

    def __len__(self):
        return self.nx.number_of_nodes()

    def __iter__(self):
        return (Node(self, i) for i in walk.order(self))

    def nodes(self, role=None):
        """The nodes in graph order (creation order; a node a pass added ``before``
        another sits just before it), optionally only those of one ``role``."""
        return [n for n in self if role is None or n.role == role]

    @property
    def inputs(self):
        return self.nodes("input")

    @property
    def params(self):
        return self.nodes("param")

    def upstream(self, ids, stop=()):
        """``ids`` and every node they depend on (``graphc.graph.walk.upstream``)."""
        return walk.upstream(self, ids, stop)

    def order(self, ids=None):
        """Node ids in a deterministic topological order (``graphc.graph.walk.order``)."""
        return walk.order(self, ids)

    @contextlib.contextmanager
    def scope(self, name):
        """Nodes built inside ``with g.scope("layer1"):`` belong to that scope."""
        self._scopes.append(str(name))
        try:
            yield self
        finally:
            self._scopes.pop()

    # ---- text ---------------------------------------------------------------------------

    def __str__(self):
        rows = [self._row(n) for n in self]
        lines = text.table([r[:4] + ["= " + r[4] if r[4] else ""] for r in rows], indent="  ")
        return "\n".join([f"Graph {self.name!r}: {len(rows)} nodes"] + lines)

    def _row(self, node):
        record = node.record
        if record.role in ("input", "param"):
            rhs = ""
        elif record.op == "const":
            rhs = text.array(record.value, precision=None, threshold=6, edgeitems=3,
                             separator=" ")
        elif record.op == "elementwise":
            rhs = f"{elementwise_expr(node)}  (elementwise)"
        else:
            names = ", ".join(o.name for o in node.operands)
            rhs = f"{record.op}{_attr_text(record.attrs)}({names})"
        return [record.role, record.name, fmt(record.shape), record.dtype, rhs]

    def line(self, node):
        """The line of the listing (``str(graph)``) that shows ``node`` (a Node or an id)."""
        row = self._row(node if isinstance(node, Node) else Node(self, node))
        return text.table([row[:4] + ["= " + row[4] if row[4] else ""]], indent="  ")[0]

    def __repr__(self):
        return f"<Graph {self.name!r}: {len(self)} nodes>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """What a notebook shows: the forward diagram as SVG and the listing as text
        (``graphc.display.bundle``)."""
        return display.bundle(self, include, exclude)

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

    def to_networkx(self):
        """A plain ``networkx.MultiDiGraph`` that ``Graph.from_networkx`` rebuilds: each
        node's documented attributes (a const's ``value`` too), each edge's ``slot``."""
        from .networkx import export
        return export(self)

    def save(self, path):
        """Save to ``path`` (``model.json``) and ``model.npz`` beside it; ``graphc.load``
        reads it back (graphc/graph/io.py). Returns the JSON path."""
        from .io import save
        return save(self, path)


def _at_node(err, name):
    """``err`` with the name of the node being built, when it has one, put in front."""
    if name is not None:
        err.args = (f"node {name!r}: {err}",) + err.args[1:]
    return err


def _attr_text(attrs):
    shown = [f"{k}={v}" for k, v in attrs.items() if v is not False]
    return "[" + ", ".join(shown) + "]" if shown else ""


def elementwise_expr(node):
    """An ``elementwise`` node's formula over its operands' names instead of a0, a1, ...:
    ``dloss_dH*step(add7)``."""
    names = {arg(i): sp.Symbol(o.name) for i, o in enumerate(node.operands)}
    return node.record.attrs["expr"].xreplace(names)


class Node:
    """A handle on one node of a Graph, with NumPy-style operators.

    ``+ - * / @ **``, unary ``-``, ``abs()`` and ``.T`` add nodes; plain numbers and NumPy
    arrays become constants, on either side (``np.ones(2) + x``). ``shape``, ``ndim``,
    ``size`` and ``len()`` read as NumPy's; NumPy's own functions (``np.sum(x)``) raise a
    TypeError naming the graphc function to use (graphc/graph/arraylike.py).
    """

    __slots__ = ("graph", "id")

    def __init__(self, graph, node_id):
        self.graph = graph
        self.id = node_id

    @property
    def record(self):
        """The node's NodeRecord: every field of it, read-only."""
        return self.graph.record(self.id)

    name = property(lambda self: self.record.name, doc="the node's unique name")
    op = property(lambda self: self.record.op, doc="the op, or input/param/const")
    role = property(lambda self: self.record.role, doc="input, param, const, op or grad")
    shape = property(lambda self: self.record.shape, doc="a tuple of ints and names")
    dtype = property(lambda self: self.record.dtype, doc="float64, float32, int64, ...")
    attrs = property(lambda self: dict(self.record.attrs), doc="the op's attributes")
    scope = property(lambda self: self.record.scope, doc="the scope built in")
    meta = property(lambda self: dict(self.record.meta), doc="what the user attached")

    @property
    def value(self):
        """A constant's value, read-only (None for other nodes)."""
        return self.record.value

    @property
    def operands(self):
        return [Node(self.graph, u) for u in self.graph.operands(self.id)]

    @property
    def users(self):
        return [Node(self.graph, v) for v in self.graph.users(self.id)]

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
    def __abs__(self): return self._apply("abs", self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.ones(2) + x`` builds the add, as ``x.__radd__`` would; ``np.exp(x)`` and
        every other ufunc raise a TypeError naming the graphc function (gc.exp)."""
        return arraylike.ufunc(self, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """``np.sum(x)``, ``np.dot(x, y)``, ...: a TypeError naming the graphc function."""
        raise arraylike.refusal(arraylike.numpy_name(func), args)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(x)``: a TypeError, since a node has no value until the graph runs."""
        raise TypeError(f"node {self.name!r} has no value until the graph runs: "
                        f"gc.evaluate({self.name}, at={{...}}) computes it")

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

    def max(self, axis=None, keepdims=False):
        """The largest element, or along ``axis``, as ``gc.max``."""
        return self._apply("max", self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        """The smallest element, or along ``axis``, as ``gc.min``."""
        return self._apply("min", self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        """The variance, as ``gc.var`` (ddof=0 as NumPy's ``x.var()``)."""
        return self._apply("var", self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        """The standard deviation, as ``gc.std``."""
        return self._apply("std", self, axis=axis, keepdims=keepdims, ddof=ddof)

    def prod(self, axis=None, keepdims=False):
        """The product of the elements, or along ``axis``, as ``gc.prod``."""
        return self._apply("prod", self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=-1):
        """As ``gc.argmax``: along the last axis unless told (NumPy flattens instead)."""
        return self._apply("argmax", self, axis=axis)

    def squeeze(self, axis=None):
        """Without its size-1 axes (all, or those of ``axis``), as ``gc.squeeze``."""
        return self._apply("squeeze", self, axis=axis)

    def clip(self, min=None, max=None):  # noqa: A002 (NumPy's names: x.clip(min, max))
        """As ``gc.clip(x, lo, hi)``."""
        return self._apply("clip", self, lo=min, hi=max)

    def reshape(self, *shape):
        """As NumPy's: ``x.reshape(2, 3)`` or ``x.reshape((2, 3))``; one -1 is inferred."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._apply("reshape", self, shape=shape)

    ndim = property(lambda self: len(self.record.shape), doc="the number of axes")
    size = property(arraylike.size, doc="the number of elements, an int (ShapeError when a "
                                        "dimension is named: unknown until the graph runs)")

    def __len__(self):
        """The first dimension, as ``len`` of a NumPy array (TypeError for a scalar)."""
        return arraylike.length(self)

    def __eq__(self, other):
        return isinstance(other, Node) and other.graph is self.graph and other.id == self.id

    def __hash__(self):
        return hash((id(self.graph), self.id))

    def __bool__(self):
        raise TypeError(f"node {self.name!r} has no truth value until the graph is run")

    def __repr__(self):
        return f"<Node {self.name!r}: {self.op} {fmt(self.shape)} {self.dtype}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """What a notebook shows: the graph around the node, the node highlighted, as SVG;
        its line of the listing as text; for a gradient node its formula as LaTeX."""
        return display.bundle(self, include, exclude)
