"""Numerically stable rewrites."""

from ..graph import walk


def rewrite_stable(graph):
    """Return a graph in which every ``bce(sigmoid(z), y)`` is computed as
    ``bce_with_logits(z, y)``.

    Afterwards no binary cross-entropy takes the log of a probability that came from a
    sigmoid, so logits of any size give a finite loss. Node ids and names are kept; the
    graph given is not changed (a copy is made when there is something to rewrite).
    """
    targets = [v for v in walk.order(graph) if graph.record(v).op == "bce"
               and graph.record(graph.operands(v)[0]).op == "sigmoid"]
    if not targets:
        return graph
    out = graph.copy()
    for v in targets:
        p, y = out.operands(v)
        (z,) = out.operands(p)
        out.replace(v, "bce_with_logits", [z, y], out.record(v).attrs,
                    note="bce of a sigmoid, computed from its logits")
    return out
