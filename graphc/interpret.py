"""The reference interpreter: a graph evaluated node by node with each op's plain NumPy
``reference``. It is the oracle the generated code is tested against.

It runs the graph it is given; ``gc.evaluate`` and ``gc.gradcheck`` hand it
``passes.rewrite_stable(graph)``, so that ``bce(sigmoid(z), y)`` is computed from ``z``.

>>> import graphc as gc
>>> g = gc.Graph()
>>> x = g.input("x")
>>> y = gc.exp(x)
>>> Interpreter(g).run([y.id], {x.id: np.asarray(0.0)})
[array(1.)]
"""

import numpy as np

from . import ops
from .errors import DomainError
from .graph import walk
from .graph.feeds import needed
from .shapes import FLOATS


class Interpreter:
    """Evaluates nodes of a graph with plain NumPy, one op at a time."""

    def __init__(self, graph, float64=False):
        self.graph = graph
        self.float64 = float64

    def run(self, targets, feeds, overrides=None):
        """The values of the ``targets`` (node ids), from checked ``feeds`` by id."""
        values = {**feeds, **(overrides or {})}
        for v in walk.order(self.graph, needed(self.graph, targets, values)):
            values[v] = self._eval(v, values)
        return [values[v] for v in targets]

    def _eval(self, v, values):
        record = self.graph.record(v)
        dtype = "float64" if self.float64 and record.dtype in FLOATS else record.dtype
        if record.op == "const":
            return record.value.astype(dtype, copy=False)
        args = [values[u] for u in self.graph.operands(v)]
        try:
            out = ops.get(record.op).reference(record.attrs, *args)
        except DomainError as err:
            names = ", ".join(repr(self.graph.record(u).name) for u in self.graph.operands(v))
            raise DomainError(f"node {record.name!r} ({record.op} of {names}): "
                              f"{err}") from None
        return np.asarray(out).astype(dtype, copy=False)
