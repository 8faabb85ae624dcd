"""Feed checking and output hand-back: the code at the boundary of every generated module.

The functions below are written once and used twice: ``check_feeds`` calls them, and
``graphc.compile.prelude`` copies their source, word for word, into each generated module
(``FUNCTIONS``), so a saved module, which cannot import graphc, raises the same messages.
They use only ``difflib``, ``numpy as np``, ``fmt`` and the name ``FeedError``: here that is
graphc's FeedError; a generated module binds it to ``ValueError`` (graphc's loader swaps in
its own FeedError, a ValueError too).

>>> check_named_feeds("g", (("x", (2,), "float64"),), {"x": [1, 2]})
(array([1., 2.]),)
"""

import difflib

import numpy as np

from ..errors import FeedError
from ..shapes import FLOATS, fmt
from . import walk
from .graph import Node


def unknown_feed(name, graph, names):
    """The error for a feed called ``name`` that is not among ``names`` (did-you-mean)."""
    close = difflib.get_close_matches(str(name), list(names), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return FeedError(f"{name!r} is not an input or parameter of graph {graph!r}"
                     f"{hint} (inputs and parameters: {', '.join(names) or 'none'})")


def missing_feeds(missing):
    """The error for the (name, shape) pairs in ``missing`` that were not fed."""
    names = ", ".join(f"{name!r} {fmt(shape)}" for name, shape in missing)
    return FeedError(f"missing feed for {names}")


def feed_array(name, shape, dtype, value, cast=None):
    """``value`` as an array of ``dtype`` (or of ``cast``); FeedError if it is ragged, not
    numbers, or floats fed to an integer input. Never copies a value that already fits."""
    if type(value) is np.ndarray and value.dtype == (cast or dtype):  # not .name: slow
        return value  # already fits: the common case in a loop
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise FeedError(f"feed for {name!r} is not a rectangular array of numbers "
                        f"(expected shape {fmt(shape)}): {err}") from None
    if array.dtype.kind not in "biuf":
        raise FeedError(f"feed for {name!r} has dtype {array.dtype}, not numbers "
                        f"(expected shape {fmt(shape)}, {dtype})")
    if not dtype.startswith("float") and array.dtype.kind == "f":
        raise FeedError(f"feed for {name!r} must be integers ({dtype}), got "
                        f"{array.dtype} values")
    if array.dtype.kind in "iu" and not np.can_cast(array.dtype, cast or dtype):
        check_int_range(name, array, np.dtype(cast or dtype))
    return array.astype(cast or dtype, copy=False)


def check_int_range(name, array, dtype):
    """FeedError naming the first integer of ``array`` that ``dtype`` cannot hold (a
    uint64 label past int64 would wrap round to a negative one), with its true value."""
    if dtype.kind not in "iu" or not array.size:
        return  # integers to floats round, they never wrap
    own, to = np.iinfo(array.dtype), np.iinfo(dtype)
    low, high = max(own.min, to.min), min(own.max, to.max)  # both fit array's dtype
    if int(array.min()) >= low and int(array.max()) <= high:
        return
    first = int(array.flat[int(np.argmax((array < low) | (array > high)))])
    raise FeedError(f"feed for {name!r} holds {first}, which {dtype} cannot hold (its range "
                    f"is [{to.min}, {to.max}]); feed {dtype} values")


def bind_shape(name, shape, array, dims):
    """Check ``array``'s shape against ``shape``; bind its named dimensions in ``dims``
    (name -> (size, fed name, fed shape)), FeedError where one contradicts another feed."""
    if array.shape == shape:  # every dimension static and right: nothing to bind
        return
    if array.ndim != len(shape) or any(
            isinstance(d, int) and d != n for d, n in zip(shape, array.shape)):
        raise FeedError(f"feed for {name!r} has shape {fmt(array.shape)}, expected "
                        f"{fmt(shape)}")
    for d, n in zip(shape, array.shape):
        if isinstance(d, str):
            if d in dims and dims[d][0] != n:
                size, other, other_shape = dims[d]
                raise FeedError(
                    f"feed for {name!r} has shape {fmt(array.shape)}, so {d} = {n}, "
                    f"but {other!r} {fmt(other_shape)} was fed with {d} = {size}")
            dims.setdefault(d, (n, name, shape))


def check_named_feeds(graph, inputs, feeds, unused=(), passed=None):
    """The arrays for ``inputs`` ((name, shape, dtype) triples), in that order, from the
    mapping ``feeds``; names in ``unused`` are accepted and ignored. ``passed`` (a set,
    kept by the caller) remembers the shapes of feeds that passed: feeds of those shapes,
    already arrays of their dtypes, are then accepted in a few comparisons each."""
    arrays = fitting_feeds(inputs, feeds, passed)
    if arrays is not None:  # the common case in a loop
        return arrays
    specs = {name: (shape, dtype) for name, shape, dtype in inputs}
    arrays, dims = {}, {}
    for name, value in feeds.items():
        if name in unused:
            continue
        if name not in specs:
            raise unknown_feed(name, graph, [n for n, _, _ in inputs] + list(unused))
        shape, dtype = specs[name]
        arrays[name] = feed_array(name, shape, dtype, value)
        bind_shape(name, shape, arrays[name], dims)
    missing = [(name, shape) for name, shape, _ in inputs if name not in arrays]
    if missing:
        raise missing_feeds(missing)
    arrays = tuple(arrays[name] for name, _, _ in inputs)
    if passed is not None and len(passed) < 16 and len(feeds) == len(inputs):
        passed.add(tuple(a.shape for a in arrays))  # a loop feeds a few: 16 at most kept
    return arrays


def fitting_feeds(inputs, feeds, passed):
    """The arrays for ``inputs`` when ``feeds`` holds exactly their names, each already an
    array of its dtype, with shapes that passed the full check before; else None."""
    if not passed or len(feeds) != len(inputs):
        return None
    arrays = []
    for name, _, dtype in inputs:
        value = feeds.get(name)
        if type(value) is not np.ndarray or value.dtype != dtype:
            return None
        arrays.append(value)
    return tuple(arrays) if tuple(a.shape for a in arrays) in passed else None


def fresh_outputs(values, shared):
    """``values`` as arrays, each copied where it may share memory with an array in
    ``shared`` (the feeds, the constants) or with an earlier output, so the caller owns
    what it gets and can never change a feed or a constant through it."""
    out, seen = [], set(map(id, shared))
    for value in values:
        array = value if type(value) is np.ndarray else np.asarray(value)
        # an array that owns its memory and is none of the others shares none with them
        # (they all existed before it); only a view needs NumPy's slower check
        if id(array) in seen or (array.base is not None and any(
                np.may_share_memory(array, other) for other in (*shared, *out))):
            array = array.copy()
        out.append(array)
        seen.add(id(array))
    return tuple(out)


#: What every generated module carries, in this order (see graphc.compile.prelude).
FUNCTIONS = (fmt, unknown_feed, missing_feeds, feed_array, check_int_range, bind_shape,
             fitting_feeds, check_named_feeds, fresh_outputs)


# ---- graphc's own checks of a graph's feeds (not copied into generated modules) ----------

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
    # The messages live above, in the functions generated modules copy word for word.
    cast = "float64" if float64 and node.dtype in FLOATS else None
    return feed_array(node.name, node.shape, node.dtype, value, cast)


def needed(graph, targets, known):
    """The nodes to compute for ``targets`` when the nodes in ``known`` have values;
    FeedError naming every input or parameter that is needed and not known."""
    todo = walk.upstream(graph, targets, stop=known) - set(known)
    missing = walk.fed(graph, todo)
    if missing:
        raise missing_feeds([(graph.record(v).name, graph.record(v).shape) for v in missing])
    return todo
