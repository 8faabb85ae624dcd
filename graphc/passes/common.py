"""Common-subexpression elimination: one node for each computation.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x", shape=(3,))
>>> total = (gc.exp(x) + gc.exp(x)).named("total")
>>> out = eliminate_common(g, [total.id])
>>> [out.record(u).name for u in out.operands(total.id)]
['exp1', 'exp1']
"""

from ..graph import LEAVES, walk
from .edit import Writable, prune, rewire_users


def eliminate_common(graph, outputs):
    """A graph in which no two nodes compute the same op with the same attributes on the
    same operands (in the same slots), and no two unnamed constants hold the same value.

    Of each such group the first in graph order stays; the users of the others read it
    instead and the others are removed, except an output, which stays as it is (its users
    still read the first). Inputs and params are never merged, nor constants the user
    named. Outputs keep their ids, names and values; the graph given is not changed (a
    copy is returned, or the same graph when nothing repeats).
    """
    keep = set(outputs)
    work, first, merged = Writable(graph), {}, set()
    for v in walk.order(graph):
        key = _key(work.graph, v)
        if key is None:
            continue
        if key not in first:
            first[key] = v
            continue
        rewire_users(work.edit(), v, first[key])
        merged.add(v)
    if not merged:
        return graph
    prune(work.graph, merged, keep)
    return work.graph


def _key(graph, v):
    """What node ``v`` computes, as a hashable key; None for a node never merged."""
    record = graph.record(v)
    if record.op == "const":
        if record.named:
            return None
        value = record.value
        return ("const", record.dtype, record.weak, value.shape, value.tobytes())
    if record.op in LEAVES:
        return None
    attrs = tuple((k, _hashable(a)) for k, a in record.attrs.items())
    return (record.op, attrs, tuple(graph.operands(v)))


def _hashable(value):
    """An attribute value as a key: itself when hashable, else its repr."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
