"""``graph.summary()``: a table of a graph's nodes and how many parameters it has.

This module never imports graph.py: ``summarize`` reads the graph it is handed.

>>> print(g.summary())                                          # doctest: +SKIP
Graph 'mlp': 529,411 parameters
  name    role   op      shape      params
  X       input  input   (N, 2)
  W1      param  param   (2, 1024)   2,048
  ...
total parameters: 529,411 (weights and biases)
"""

from dataclasses import dataclass

from .errors import ShapeError
from .ops.shapes import fmt

HEADER = ("name", "role", "op", "shape", "params")


@dataclass(frozen=True)
class Summary:
    """The rows of a graph's summary; ``total`` counts every parameter element (weights and
    biases both). ``str()`` gives the table."""

    graph: str
    rows: tuple  # (name, role, op, shape, count or None) per node, in creation order
    total: int

    def __str__(self):
        cells = [HEADER] + [(n, r, o, fmt(s), "" if c is None else f"{c:,}")
                            for n, r, o, s, c in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
        lines = [f"Graph {self.graph!r}: {self.total:,} parameters"]
        for row in cells:
            left = [c.ljust(w) for c, w in zip(row[:-1], widths)]
            lines.append(("  " + "  ".join(left + [row[-1].rjust(widths[-1])])).rstrip())
        lines.append(f"total parameters: {self.total:,} (weights and biases)")
        return "\n".join(lines)

    __repr__ = __str__


def count(name, shape):
    """The number of elements of a param of ``shape``; named dimensions are an error."""
    named = [d for d in shape if isinstance(d, str)]
    if named:
        raise ShapeError(f"param {name!r} has shape {fmt(shape)} with named dimension(s) "
                         f"{', '.join(named)}: parameters need concrete shapes to be counted")
    total = 1
    for d in shape:
        total *= d
    return total


def summarize(graph, grads=False):
    """The Summary of ``graph``: forward nodes only, unless ``grads`` adds gradient nodes.

    >>> summarize(g).total                                      # doctest: +SKIP
    529411
    """
    rows = []
    for node in graph:
        if node.role == "grad" and not grads:
            continue
        n = count(node.name, node.shape) if node.role == "param" else None
        rows.append((node.name, node.role, node.op, node.shape, n))
    total = sum(r[-1] for r in rows if r[-1] is not None)
    return Summary(graph.name, tuple(rows), total)
