"""The node record, and the editing API every stage changes a graph through.

Each node of ``graph.nx`` holds one frozen ``NodeRecord`` under the key ``"record"``; graphc
reads a node's fields only from it (``graph.record(v).shape``, or ``node.shape`` on a
handle). Beside it the node carries the documented attributes a user of NetworkX reads
(``name``, ``op``, ``role``, ``shape``, ``dtype``, ``attrs``, ``scope``): a view of the
record, written whenever the record is, never read back by graphc.

A record changes only through ``NodeStore``: ``add`` a node (at the end, or just before
a node, as a pass that shares a value between a loss and its gradient does), ``replace``
what a node computes (its shape and name stay), ``remove`` one nothing uses, ``rename``
one, or ``update`` its role, note or meta. Autodiff and the passes use these and nothing
else.

>>> store = NodeStore("g")
>>> x = store.add(NodeRecord(op="input", role="input", name="x", shape=(2,),
...                          dtype="float64"))
>>> store.record(x).shape, store.nx.nodes[x]["name"]
((2,), 'x')
"""

import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import networkx as nx

from .. import ops
from ..errors import GraphError
from ..shapes import Arg

#: The node attributes a user of NetworkX finds on ``graph.nx``: a view of the record.
VIEW = ("name", "op", "role", "shape", "dtype", "attrs", "scope")

#: The fields ``update`` may change: none of them changes what a node computes.
UPDATABLE = ("role", "note", "meta", "origin")

#: What a node is: fed (input, param), a constant, an op, or an op autodiff added.
ROLES = ("input", "param", "const", "op", "grad")
LEAVES = ("input", "param", "const")

_EMPTY = types.MappingProxyType({})


def frozen(mapping):
    """A read-only copy of ``mapping`` (attributes and meta never change in place)."""
    return types.MappingProxyType(dict(mapping)) if mapping else _EMPTY


def infer(op, args, attrs):
    """``(attrs, shape, dtype)`` of ``op`` over operands ``args`` (what its rules see of
    each, ``Arg``): the operand count and attribute names checked, then the op's own
    ``prepare`` and ``infer`` rules (which raise ShapeError naming every shape)."""
    opdef = ops.get(op)
    n = len(args)
    if (opdef.arity is None and n < 1) or (opdef.arity is not None and n != opdef.arity):
        expected = "one or more" if opdef.arity is None else str(opdef.arity)
        raise GraphError(f"op {op!r} takes {expected} operands, got {n}")
    if attrs is not None and not isinstance(attrs, Mapping):
        raise GraphError(f"op {op!r}: attrs must be a dict of attribute name: value, got "
                         f"{attrs!r}; it accepts: {', '.join(opdef.attrs) or 'none'}")
    attrs = dict(attrs or {})
    unknown = sorted(set(attrs) - set(opdef.attrs))
    if unknown:
        raise GraphError(f"op {op!r} got unknown attributes {unknown}; it accepts: "
                         f"{', '.join(opdef.attrs) or 'none'}")
    if opdef.prepare:
        attrs = opdef.prepare(attrs, args)
    shape, dtype = opdef.infer(attrs, args)
    return attrs, tuple(shape), dtype


@dataclass(frozen=True)
class NodeRecord:
    """Every field of one node.

    ``role`` is input, param, const, op or grad; ``named`` says the user chose the name
    (else it was made from the op); ``value`` is a constant's read-only array and ``weak``
    marks one that came from a plain Python number; ``init`` is a param's initializer;
    ``note`` is what a rewrite says of the node (generated code's comment); ``meta`` is
    what a user attaches with ``graph.update(node, meta=...)``; ``origin`` says which vjp
    made a gradient node: ``((m, k),)`` for what flows back into operand slot ``k`` of
    forward node ``m`` (an id), ``((m, None),)`` for a helper of that vjp, one pair per
    node fused into it (producer first), ``()`` for every other node.
    """

    op: str
    role: str
    name: str
    shape: tuple
    dtype: str
    attrs: types.MappingProxyType = field(default_factory=dict)
    scope: str = ""
    named: bool = False
    value: object = None
    weak: bool = False
    init: object = None
    note: str = ""
    meta: types.MappingProxyType = field(default_factory=dict)
    origin: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "attrs", frozen(self.attrs))
        object.__setattr__(self, "meta", frozen(self.meta))
        object.__setattr__(self, "shape", tuple(self.shape))
        object.__setattr__(self, "origin", tuple(self.origin))

    def evolve(self, **changes):
        """A copy with ``changes``; like ``dataclasses.replace``, without rebuilding what
        does not change (a 10,000-node gradient renames and re-roles every node it adds)."""
        stray = sorted(set(changes) - FIELDS)
        if stray:
            raise TypeError(f"NodeRecord has no field {', '.join(stray)}")
        for key in ("attrs", "meta"):
            if key in changes:
                changes[key] = frozen(changes[key])
        for key in ("shape", "origin"):
            if key in changes:
                changes[key] = tuple(changes[key])
        new = object.__new__(NodeRecord)
        new.__dict__.update(self.__dict__, **changes)
        return new

    @property
    def plain_number(self):
        """An unnamed scalar constant (the 2 of ``x ** 2``): formulas show it as a number."""
        return self.op == "const" and self.shape == () and not self.named

    @property
    def arg(self):
        """What an op's shape rule sees of this node as an operand."""
        return Arg(self.name, self.op, self.shape, self.dtype, self.weak)


FIELDS = frozenset(f.name for f in fields(NodeRecord))


class NodeStore:
    """Node records keyed by id in a ``networkx.MultiDiGraph``, edited through its methods.

    Ids are given in creation order and every edge runs from an operand to a later node,
    carrying the operand ``slot`` it feeds (parallel edges for ``a * a``). "Later" is by
    ``position``: a node's id, but for one added ``before`` another, which sits just
    before it (``walk.order`` sorts by position).
    """

    def __init__(self, name="graph"):
        self.name = str(name)
        self.nx = nx.MultiDiGraph(name=self.name)
        self._records = {}  # id -> the record each networkx node holds: the index reads use
        self._operands = {}  # id -> operand ids in slot order, as the edges say: read often
        self._by_name = {}
        self._next_id = 0
        self._placed = {}  # id -> position, of the nodes added before another (few)

    @property
    def next_id(self):
        """The id the next node added will get: nodes with ids from here on are new."""
        return self._next_id

    @property
    def in_creation_order(self):
        """True when every node's position is its id (no node was added before another)."""
        return not self._placed

    def position(self, v):
        """Where node ``v`` comes in graph order: its id, or for a node added ``before``
        another, a number between that node's and the one before it."""
        v = _id(v)
        return self._placed.get(v, v)

    def record(self, v):
        """The NodeRecord of node ``v`` (an id, or a Node handle: every method takes both)."""
        return self._records[v if v.__class__ is int else _id(v)]  # inlined: read often

    def id_of(self, name):
        """The id of the node called ``name``, or None."""
        return self._by_name.get(name)

    def operands(self, v):
        """The operand ids of node ``v``, in slot order."""
        return list(self._operands[v if v.__class__ is int else _id(v)])

    def users(self, v):
        """The ids of the nodes that use ``v``, in creation order."""
        return sorted(set(self.nx.successors(_id(v))))

    # ---- the editing API ------------------------------------------------------------------

    def add(self, record, operands=(), before=None):
        """Add a node holding ``record`` over ``operands`` (ids, in slot order); its id.

        The record is stored as given, its shape too (``Graph.apply`` is the way that
        infers one); its role, its op and the operands are checked. With ``before`` (a
        node), the new node comes just before that one in graph order, so that node may
        be given it as an operand; its operands must come before ``before``.
        """
        operands = [_id(u) for u in operands]
        self._check_record(record, operands)
        if record.name in self._by_name:
            raise GraphError(f"duplicate node name {record.name!r}: names must be unique in "
                             f"graph {self.name!r}")
        place = None if before is None else self._place_before(record, operands, before)
        v = self._next_id
        self._next_id += 1
        if place is not None:
            self._placed[v] = place
        self._write(v, record)
        self._by_name[record.name] = v
        self._connect(v, operands)
        return v

    def _place_before(self, record, operands, before):
        """The position between node ``before`` and the node just before it."""
        hi = self.position(before)
        if any(self.position(u) >= hi for u in operands):
            raise GraphError(f"adding {record.name!r} before {self.record(before).name!r}: "
                             f"an operand comes after it")
        lo = max((p for p in map(self.position, self.nx.nodes) if p < hi), default=hi - 1)
        place = (lo + hi) / 2
        if not lo < place < hi:  # floats halve about 50 times before they run out
            raise GraphError(f"adding {record.name!r} before {self.record(before).name!r}: "
                             f"too many nodes were placed there already")
        return place

    def _check_record(self, record, operands):
        if record.role not in ROLES:
            raise GraphError(f"node {record.name!r}: role {record.role!r} is not one of "
                             f"{', '.join(ROLES)}")
        missing = [u for u in operands if u not in self._records]
        if missing:
            raise GraphError(f"node {record.name!r}: operands {missing} are not nodes of "
                             f"graph {self.name!r}")
        arity = 0 if record.op in LEAVES else ops.get(record.op).arity
        if (arity is None and not operands) or (arity is not None and len(operands) != arity):
            raise GraphError(f"node {record.name!r}: op {record.op!r} takes "
                             f"{'one or more' if arity is None else arity} operands, got "
                             f"{len(operands)}")

    def replace(self, v, op, operands, attrs, note=""):
        """Make node ``v`` compute ``op[attrs](*operands)``; its shape, dtype and name stay.

        Its users see the new computation. An operand must come before ``v``.
        """
        v, operands = _id(v), [_id(u) for u in operands]
        record = self.record(v)
        if any(self.position(u) >= self.position(v) for u in operands):
            raise GraphError(f"replacing {record.name!r}: an operand must come before it")
        attrs, shape, dtype = infer(op, [self.record(u).arg for u in operands], attrs)
        if (shape, dtype) != (record.shape, record.dtype):
            raise GraphError(f"replacing {record.name!r} by {op} would change its shape or "
                             f"dtype")
        self.nx.remove_edges_from(list(self.nx.in_edges(v, keys=True)))
        self._connect(v, operands)
        self._write(v, record.evolve(op=op, attrs=attrs, note=note), "op", "attrs")

    def remove(self, v):
        """Remove node ``v``, which nothing may use."""
        v = _id(v)
        record = self.record(v)
        if self.nx.out_degree(v):
            users = ", ".join(repr(self.record(w).name) for w in self.users(v))
            raise GraphError(f"cannot remove {record.name!r}: it is used by {users}")
        del self._by_name[record.name]
        del self._records[v]
        self._placed.pop(v, None)
        del self._operands[v]
        self.nx.remove_node(v)

    def rename(self, v, name, named=True):
        """Give node ``v`` the new unique ``name`` (``named``: chosen by the user)."""
        v = _id(v)
        record = self.record(v)
        if name == record.name:
            return
        if name in self._by_name:
            raise GraphError(f"duplicate node name {name!r}: names must be unique in "
                             f"graph {self.name!r}")
        del self._by_name[record.name]
        self._by_name[name] = v
        self._write(v, record.evolve(name=name, named=named), "name")

    def update(self, v, **changes):
        """Change node ``v``'s ``role``, ``note``, ``meta`` or ``origin`` (what it computes
        stays)."""
        stray = sorted(set(changes) - set(UPDATABLE))
        if stray:
            raise GraphError(f"update changes only {', '.join(UPDATABLE)}, not "
                             f"{', '.join(stray)}")
        if changes.get("role", ROLES[0]) not in ROLES:
            raise GraphError(f"role {changes['role']!r} is not one of {', '.join(ROLES)}")
        v = _id(v)
        self._write(v, self.record(v).evolve(**changes), "role")

    def copy(self):
        """An independent copy with the same ids, names and records."""
        other = type(self)(self.name)
        other.nx = copy_multidigraph(self.nx)
        other._records = dict(self._records)
        other._operands = dict(self._operands)
        other._by_name = dict(self._by_name)
        other._next_id = self._next_id
        other._placed = dict(self._placed)
        return other

    def _write(self, v, record, *changed):
        """Store ``record`` for node ``v``, with the view's ``changed`` keys (all when none
        are named: a new node)."""
        view = {key: getattr(record, key) for key in changed or VIEW}
        if "attrs" in view:
            view["attrs"] = dict(record.attrs)
        self._records[v] = record
        if changed:
            self.nx.nodes[v].update(record=record, **view)
        else:
            self.nx.add_node(v, record=record, **view)

    def _connect(self, v, operands):
        self._operands[v] = tuple(operands)
        for slot, u in enumerate(operands):
            self.nx.add_edge(u, v, key=slot, slot=slot)


def copy_multidigraph(G):
    """What ``G.copy()`` gives (the same nodes, edges, keys and data, each data dict copied,
    in the same order) for a ``networkx.MultiDiGraph``, four times as fast: it fills the
    adjacency dicts directly, where NetworkX adds each edge through ``add_edge`` (a pass
    copies the graph it edits, so a compile makes several copies)."""
    if type(G) is not nx.MultiDiGraph:
        return G.copy()
    H = nx.MultiDiGraph()
    H.graph.update(G.graph)
    H._node.update((n, data.copy()) for n, data in G._node.items())
    succ, pred = H._succ, H._pred
    for n in G._node:
        succ[n], pred[n] = {}, {}
    for u, nbrs in G._succ.items():
        out = succ[u]
        for v, keys in nbrs.items():
            out[v] = pred[v][u] = {key: data.copy() for key, data in keys.items()}
    return H


def _id(v):
    """A node id from an id or a handle (anything with ``.id``)."""
    return v if v.__class__ is int else getattr(v, "id", v)
