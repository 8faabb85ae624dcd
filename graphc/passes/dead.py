"""Dead-code elimination: only what the outputs need.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> s, unused = gc.sigmoid(x).named("s"), gc.exp(x)
>>> [n.name for n in eliminate_dead_code(g, [s.id])]
['x', 's']
"""

from ..graph import walk


def eliminate_dead_code(graph, outputs):
    """A graph in which every node is needed by an output (inputs and params stay, so the
    compiled function still knows every feed). Outputs keep their ids, names and values;
    the graph given is not changed (a copy is returned, or the same graph when every node
    is needed)."""
    needed = walk.upstream(graph, list(outputs))
    dead = [v for v in walk.order(graph) if v not in needed
            and graph.record(v).op not in walk.FED]
    if not dead:
        return graph
    out = graph.copy()
    for v in reversed(dead):
        out.remove(v)
    return out
