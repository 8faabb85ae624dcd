"""Saved graphs and parameters: ``Graph.save`` / ``graphc.load`` and ``save_params`` /
``load_params``.

A graph is saved as ``model.json`` (graphc's own versioned schema: nodes with id, op,
name, role, attrs, shape, dtype, scope; edges with slots) beside ``model.npz`` (constants'
values and params' initial arrays, written with ``np.savez``). Loading reads the JSON
strictly (no duplicate keys, no NaN/Infinity tokens, a size cap), checks the schema, ids,
slots and cycles, then rebuilds the graph through the normal graph API, so every shape and
attribute check runs. Nothing loaded is ever executed: no pickle (``allow_pickle=False``),
no eval; each .npz array's header is checked (dtype, size) before its data is read
(graphc/graph/saved_arrays.py). The generic "elementwise" op's SymPy ``expr`` is saved as
``srepr`` text and read back through an allowlist of SymPy classes (saved_expr.py).

>>> g.save("out/model.json")                       # doctest: +SKIP
>>> g2 = graphc.load("out/model.json")             # doctest: +SKIP
"""

import contextlib
import difflib
import io
import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import sympy as sp

from ..errors import GraphcError, GraphError
from ..files import write_atomic
from .. import ops
from . import saved_arrays, saved_expr
from .networkx import check_acyclic
from .node import LEAVES, ROLES

#: The schema's name and the versions this graphc reads.
SCHEMA, VERSION = "graphc.graph", 1
#: The largest JSON (or .npz) file ``load`` reads: a saved course model is far smaller.
MAX_BYTES = 64 * 1024 * 1024
#: How deep attribute values may nest (an index of slices nests three levels).
MAX_DEPTH = 8
_INITS = ("zeros", "ones", "xavier", "he")


class SavedGraphError(GraphError):
    """A saved graph or parameter file that graphc cannot read back."""


# ---- saving --------------------------------------------------------------------------------

def save(graph, path):
    """Write ``graph`` to ``path`` (``.json``) and its arrays to the ``.npz`` beside it;
    both atomically. Returns the JSON path."""
    path = Path(path)
    if path.suffix != ".json":
        raise SavedGraphError(f"save: the path must end in .json, got {str(path)!r}")
    arrays, nodes = {}, []
    for v in graph.order():
        nodes.append(_node_entry(graph, v, arrays))
    edges = [{"from": u, "to": v, "slot": slot} for v in graph.order()
             for slot, u in enumerate(graph.operands(v))]
    doc = {"schema": SCHEMA, "version": VERSION, "name": graph.name,
           "arrays": _sidecar(path).name, "arrays_sha256": saved_arrays.digest(arrays),
           "nodes": nodes, "edges": edges}
    data = json.dumps(doc, indent=1, allow_nan=False).encode() + b"\n"
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(_sidecar(path), lambda f: f.write(buffer.getvalue()))
    return write_atomic(path, lambda f: f.write(data))


def _node_entry(graph, v, arrays):
    record = graph.record(v)
    entry = {"id": v, "op": record.op, "name": record.name, "named": record.named,
             "role": record.role, "shape": list(record.shape), "dtype": record.dtype,
             "scope": record.scope,
             "attrs": {k: _attr_out(record, k, a) for k, a in record.attrs.items()}}
    if record.note:
        entry["note"] = record.note
    if record.origin:
        entry["origin"] = [list(pair) for pair in record.origin]
    if record.op == "const":
        entry["weak"] = record.weak
        arrays[f"value{v}"] = record.value
        entry["value"] = f"value{v}"
    elif record.role == "param" or record.op == "param":
        if isinstance(record.init, str) or record.init is None:
            entry["init"] = record.init
        else:
            arrays[f"init{v}"] = np.asarray(record.init)
            entry["init"] = {"array": f"init{v}"}
    return entry


def _attr_out(record, key, value):
    """An attribute value in JSON: tuples, slices and non-finite floats tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": [_attr_out(record, key, a) for a in value]}
    if isinstance(value, list):
        return [_attr_out(record, key, a) for a in value]
    if isinstance(value, slice):
        return {"slice": [_attr_out(record, key, a) for a in (value.start, value.stop,
                                                               value.step)]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, sp.Basic):
        return {"sympy": saved_expr.to_text(value)}
    raise SavedGraphError(f"node {record.name!r} ({record.op}): attribute {key!r} holds a "
                          f"{type(value).__name__} ({value!r}), which cannot be saved")


def _sidecar(path):
    return Path(path).with_suffix(".npz")


# ---- reading JSON strictly -----------------------------------------------------------------

def read_json(path):
    """The JSON document at ``path``: size capped, duplicate keys and NaN/Infinity refused."""
    data = _read_capped(path)
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_float=_finite)
    except SavedGraphError as err:
        raise SavedGraphError(f"{path}: {err}") from None
    except (ValueError, RecursionError) as err:
        raise SavedGraphError(f"{path} is not valid JSON: {err}") from None


def _read_capped(path):
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise SavedGraphError(f"cannot read {str(path)!r}: {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise SavedGraphError(f"{path} is larger than {MAX_BYTES} bytes (graphc.graph.io."
                              f"MAX_BYTES); it is not a graph graphc saved")
    return data


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise SavedGraphError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _finite(token):
    value = float(token)
    if not math.isfinite(value):
        raise SavedGraphError(f"the number {token[:20]}... is too large for a float")
    return value


def _no_constant(token):
    raise SavedGraphError(f"the token {token} is not a number JSON allows (graphc writes "
                          f"non-finite attribute values as {{\"float\": \"inf\"}})")


# ---- loading -------------------------------------------------------------------------------

def load(path):
    """The graph saved at ``path`` by ``Graph.save``, rebuilt and checked; every error
    is a SavedGraphError that names the file and the node."""
    path = Path(path)
    try:
        return _load(path)
    except SavedGraphError as err:
        if str(err).startswith(str(path)):
            raise
        raise SavedGraphError(f"{path}: {err}") from None


def _load(path):
    from .graph import Graph
    doc = read_json(path)
    nodes, edges, name = _check_document(doc, path)
    operands = _operands(nodes, edges)
    order = _topological(nodes, operands)
    arrays = _read_arrays(_sidecar(path), nodes)
    graph = Graph(name)
    built = {}
    for key in order:
        entry = nodes[key]
        try:
            built[key] = _build(graph, entry, [built[u] for u in operands[key]], arrays)
        except SavedGraphError:
            raise
        except GraphcError as err:
            raise SavedGraphError(f"node {entry['name']!r} ({entry['op']}): {err}") from None
    # after building, so that an array a node lacks is named by that node first
    if doc.get("arrays_sha256", saved_arrays.digest(arrays)) != saved_arrays.digest(arrays):
        raise SavedGraphError(f"{_sidecar(path)} does not hold the arrays saved with {path} (one "
                              f"of the two was replaced, or a save was cut short): save it again")
    for key in order:
        if "origin" in nodes[key]:
            graph.update(built[key], origin=_origin(nodes[key], built))
    return graph


def _origin(entry, built):
    """A gradient node's ``origin`` pairs, the forward ids mapped to the rebuilt graph's."""
    pairs = entry["origin"]
    ok = isinstance(pairs, list) and all(
        isinstance(p, list) and len(p) == 2 and type(p[0]) is int and p[0] in built
        and (p[1] is None or (isinstance(p[1], int) and not isinstance(p[1], bool)))
        for p in pairs)
    if not ok:
        raise SavedGraphError(f"node {entry['name']!r}: 'origin' must be a list of "
                              f"[node id, slot or null] pairs, got {pairs!r}")
    return tuple((built[m].id, k) for m, k in pairs)


def _check_document(doc, path):
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise SavedGraphError(f"{path} is not a graph saved by graphc (no \"schema\": "
                              f"{SCHEMA!r})")
    if doc.get("version") != VERSION:
        raise SavedGraphError(f"{path}: schema version {doc.get('version')!r} is not one "
                              f"this graphc reads (it reads version {VERSION})")
    _known_keys(doc, DOCUMENT_KEYS, f"{path}")
    _expect(doc, "arrays_sha256", str, "the graph", optional=True)
    _expect(doc, "name", str, "the graph")
    _expect(doc, "nodes", list, "the graph")
    _expect(doc, "edges", list, "the graph")
    nodes = {}
    for entry in doc["nodes"]:
        entry = _check_node(entry)
        if entry["id"] in nodes:
            raise SavedGraphError(f"node {entry['name']!r}: id {entry['id']} is used twice")
        nodes[entry["id"]] = entry
    return nodes, doc["edges"], doc["name"]


#: Every key a saved document, node or edge may hold: anything else is refused, not skipped.
DOCUMENT_KEYS = ("schema", "version", "name", "arrays", "arrays_sha256", "nodes", "edges")
NODE_KEYS = ("id", "op", "name", "named", "role", "shape", "dtype", "scope", "attrs", "note",
             "origin", "weak", "value", "init")
EDGE_KEYS = ("from", "to", "slot")


def _known_keys(entry, known, what):
    unknown = [k for k in entry if k not in known]
    if unknown:
        kind = what.split()[0] if what.startswith(("node", "edge")) else "document"
        raise SavedGraphError(f"{what}: unknown keys {unknown} (a saved {kind} holds only "
                              f"{', '.join(known)})")


def _expect(entry, key, kind, what, optional=False):
    if key not in entry and optional:
        return
    value = entry.get(key)
    bad = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if bad:
        raise SavedGraphError(f"{what}: {key!r} must be {kind.__name__}, got {value!r}")


def _check_node(entry):
    if not isinstance(entry, dict):
        raise SavedGraphError(f"each node must be an object, got {entry!r}")
    what = f"node {entry.get('name')!r}"
    _known_keys(entry, NODE_KEYS, what)
    for key, kind in (("name", str), ("id", int), ("op", str), ("role", str),
                      ("dtype", str), ("scope", str), ("shape", list), ("attrs", dict),
                      ("named", bool)):
        _expect(entry, key, kind, what)
    _expect(entry, "note", str, what, optional=True)
    if entry["role"] not in ROLES:
        raise SavedGraphError(f"{what}: role {entry['role']!r} is not one of "
                              f"{', '.join(ROLES)}")
    if entry["op"] not in LEAVES and entry["op"] not in {o.name for o in ops.all_ops()}:
        close = difflib.get_close_matches(entry["op"], [o.name for o in ops.all_ops()], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SavedGraphError(f"{what}: unknown op {entry['op']!r}{hint} (an op made by "
                              f"gc.elementwise_op must be defined again before loading)")
    if entry["op"] in LEAVES and entry["role"] not in (entry["op"], "grad"):
        raise SavedGraphError(f"{what}: op {entry['op']!r} needs role {entry['op']!r}, got "
                              f"{entry['role']!r}")
    return entry


def _operands(nodes, edges):
    """Each node's operand ids in slot order; every slot given once, no stray edge."""
    slots = {key: {} for key in nodes}
    for edge in edges:
        if not isinstance(edge, dict):
            raise SavedGraphError(f"each edge must be an object, got {edge!r}")
        _known_keys(edge, EDGE_KEYS, f"edge {edge!r}")
        for key in EDGE_KEYS:
            _expect(edge, key, int, f"edge {edge!r}")
        source, target, slot = edge["from"], edge["to"], edge["slot"]
        for end in (source, target):
            if end not in nodes:
                raise SavedGraphError(f"edge {edge!r}: there is no node with id {end}")
        name = nodes[target]["name"]
        if slot in slots[target]:
            raise SavedGraphError(f"node {name!r}: operand slot {slot} is given twice")
        slots[target][slot] = source
    operands = {}
    for key, found in slots.items():
        if sorted(found) != list(range(len(found))):
            raise SavedGraphError(f"node {nodes[key]['name']!r} ({nodes[key]['op']}): "
                                  f"operand slots must be 0, 1, ..., got {sorted(found)}")
        operands[key] = [found[i] for i in range(len(found))]
    return operands


def _topological(nodes, operands):
    """Node ids, each after its operands, otherwise in the file's order; a cycle refused
    as a path of node names."""
    dag = nx.DiGraph()
    dag.add_nodes_from((key, {"name": entry["name"]}) for key, entry in nodes.items())
    dag.add_edges_from((u, key) for key, ops in operands.items() for u in ops)
    check_acyclic(dag, SavedGraphError)
    position = {key: i for i, key in enumerate(nodes)}
    return list(nx.lexicographical_topological_sort(dag, key=position.get))


def _read_arrays(path, nodes):
    """The arrays the nodes name, from the .npz beside the JSON: each header is checked
    before its data is read (saved_arrays), and a key no node names is refused."""
    wanted = [e["value"] if e["op"] == "const" else e["init"]["array"]
              for e in nodes.values()
              if (e["op"] == "const" and isinstance(e.get("value"), str))
              or (isinstance(e.get("init"), dict) and isinstance(e["init"].get("array"), str))]
    if not wanted:
        return {}
    _read_capped(path)
    try:
        present = saved_arrays.keys(path)
        unknown = [k for k in present if k not in wanted]
        if unknown:
            raise saved_arrays.ArrayFileError(f"no node names the arrays {unknown}")
        # A key a node names but the file lacks is reported by _array, with the node.
        return saved_arrays.read(path, [k for k in dict.fromkeys(wanted) if k in present])
    except saved_arrays.ArrayFileError as err:
        raise SavedGraphError(f"cannot read the arrays of the graph from {path}: "
                              f"{err}") from None


def _array(arrays, key, name):
    if not isinstance(key, str) or key not in arrays:
        raise SavedGraphError(f"node {name!r}: its array {key!r} is not in the .npz file")
    return arrays[key]


def _build(graph, entry, operands, arrays):
    """Add the node ``entry`` through the graph API; its Node."""
    name, op = entry["name"], entry["op"]
    if operands and op in LEAVES:
        raise SavedGraphError(f"node {name!r}: a {op} takes no operands")
    with contextlib.ExitStack() as stack:
        for part in filter(None, entry["scope"].split("/")):
            stack.enter_context(graph.scope(part))
        node = _add(graph, entry, operands, arrays)
    shape = tuple(entry["shape"])
    if (node.shape, node.dtype) != (shape, entry["dtype"]):
        raise SavedGraphError(f"node {name!r} ({op}): the file says shape {shape} "
                              f"{entry['dtype']}, it is {node.shape} {node.dtype} as built")
    if not entry["named"]:
        graph.rename(node, name, named=False)
    if entry["role"] not in ("input", "param", "const", "op") or entry.get("note"):
        graph.update(node, role=entry["role"], note=entry.get("note", ""))
    return node


def _add(graph, entry, operands, arrays):
    name, op = entry["name"], entry["op"]
    given = name if entry["named"] else None
    if op in ("input", "param") and "attrs" in entry and entry["attrs"]:
        raise SavedGraphError(f"node {name!r}: a {op} has no attributes")
    if op == "input":
        return graph.input(name, entry["shape"], entry["dtype"])
    if op == "param":
        return graph.param(name, entry["shape"], entry["dtype"], _init(entry, arrays))
    if op == "const":
        value = _array(arrays, entry.get("value"), name)
        if entry.get("weak") is True and value.shape == ():
            value = value.item()
            return graph.literal(value, None, given)
        return graph.literal(value, entry["dtype"], given)
    attrs = {k: _attr_in(a, name, k, 0) for k, a in entry["attrs"].items()}
    return graph.apply(op, operands, attrs, name=given)


def _init(entry, arrays):
    init = entry.get("init")
    if init is None or init in _INITS:
        return init
    if isinstance(init, dict) and set(init) == {"array"}:
        return _array(arrays, init["array"], entry["name"])
    raise SavedGraphError(f"param {entry['name']!r}: init must be one of "
                          f"{', '.join(_INITS)}, null or {{\"array\": KEY}}, got {init!r}")


def _attr_in(value, name, key, depth):
    """An attribute value read back: the inverse of ``_attr_out``."""
    if depth > MAX_DEPTH:
        raise SavedGraphError(f"node {name!r}: attribute {key!r} nests deeper than "
                              f"{MAX_DEPTH} levels")
    if not isinstance(value, (dict, list)):
        return value
    if isinstance(value, list):
        return [_attr_in(a, name, key, depth + 1) for a in value]
    tag = next(iter(value), None) if len(value) == 1 else None
    inner = value.get(tag)
    if tag == "tuple" and isinstance(inner, list):
        return tuple(_attr_in(a, name, key, depth + 1) for a in inner)
    if tag == "slice" and isinstance(inner, list) and len(inner) == 3:
        return slice(*(_attr_in(a, name, key, depth + 1) for a in inner))
    if tag == "ellipsis" and inner is True:
        return Ellipsis
    if tag == "sympy":
        try:
            return saved_expr.from_text(inner, name)
        except GraphError as err:
            raise SavedGraphError(str(err)) from None
    if tag == "float" and inner in ("inf", "-inf", "nan"):
        return float(inner)
    raise SavedGraphError(f"node {name!r}: attribute {key!r} has a value graphc does not "
                          f"read: {value!r}")


# ---- parameters ----------------------------------------------------------------------------

def save_params(path, params):
    """Write ``{name: array}`` to the ``.npz`` at ``path``, atomically; returns the path."""
    path = Path(path)
    if path.suffix != ".npz":
        raise SavedGraphError(f"save_params: the path must end in .npz, got {str(path)!r}")
    if not hasattr(params, "items"):
        raise SavedGraphError(f"save_params: params must be a dict of name: array, got "
                              f"{type(params).__name__}")
    arrays = {}
    for name, value in params.items():
        try:
            array = np.asarray(value)
        except ValueError:  # a ragged list such as [[1], [1, 2]]
            raise SavedGraphError(f"save_params: param {name!r} must be a numeric array; "
                                  f"its rows have different lengths: {value!r:.80}") from None
        if not isinstance(name, str) or array.dtype.kind not in "iuf":
            raise SavedGraphError(f"save_params: param {name!r} must be a name and a numeric "
                                  f"array, got {type(value).__name__} of dtype {array.dtype}")
        arrays[name] = array
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return write_atomic(path, lambda f: f.write(buffer.getvalue()))


def load_params(path, graph=None):
    """The ``{name: array}`` saved at ``path``; with ``graph``, the names and shapes are
    checked against its params (every param present, none extra, shapes equal)."""
    path = Path(path)
    _read_capped(path)
    try:
        names = saved_arrays.keys(path)
        if graph is not None:
            _check_names(path, names, graph)
        params = saved_arrays.read(path, names)
    except saved_arrays.ArrayFileError as err:
        raise SavedGraphError(f"cannot read parameters from {path}: {err}") from None
    if graph is not None:
        _check_shapes(path, params, graph)
    return params


def _check_names(path, names, graph):
    """Before any array is read: the file holds exactly the graph's params."""
    expected = [p.name for p in graph.params]
    missing = [n for n in expected if n not in names]
    extra = [n for n in names if n not in expected]
    if missing or extra:
        raise SavedGraphError(f"{path}: the params of graph {graph.name!r} are "
                              f"{', '.join(expected) or 'none'}; the file lacks "
                              f"{missing or 'none'} and has extra {extra or 'none'}")


def _check_shapes(path, params, graph):
    for node in graph.params:
        shape = params[node.name].shape
        if len(shape) != len(node.shape) or any(
                isinstance(d, int) and d != n for d, n in zip(node.shape, shape)):
            raise SavedGraphError(f"{path}: param {node.name!r} has shape {shape} in the "
                                  f"file, the graph's is {node.shape}")
