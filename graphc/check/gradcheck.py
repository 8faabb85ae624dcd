"""gradcheck: symbolic gradients against central finite differences, in float64."""

from dataclasses import dataclass

import numpy as np

from .. import text
from ..autodiff import grad
from ..graph import Node
from ..graph.feeds import check_feeds
from ..interpret import Interpreter
from ..passes import optimize
from ..shapes import fmt


@dataclass(frozen=True)
class GradcheckRow:
    """One node's check: the worst absolute and relative error over its elements."""

    name: str
    shape: tuple
    abs_error: float
    rel_error: float
    passed: bool


class GradcheckReport:
    """Truthy when every node passes; prints as a table; ``worst`` maps names to errors."""

    def __init__(self, rows, tol):
        self.rows = list(rows)
        self.tol = tol

    def __bool__(self):
        return all(r.passed for r in self.rows)

    @property
    def worst(self):
        return {r.name: r.rel_error for r in self.rows}

    def __str__(self):
        lines = text.table([HEADER] + self._cells(), align="llrr", indent="  ",
                           widths=(4, 10, 10, 10))
        return "\n".join([self._title()] + lines)

    __repr__ = __str__

    def _repr_html_(self):
        """The table in a notebook, each node's verdict green (ok) or red (FAIL)."""
        return text.html_table(HEADER[:4] + ("verdict",), self._cells(), align="llrr",
                               caption=self._title(),
                               classes=lambda row: ["", "", "", "", row[-1].lower()])

    def _title(self):
        return (f"gradcheck (central differences, float64, tolerance {self.tol:g}): "
                f"{'PASS' if self else 'FAIL'}")

    def _cells(self):
        return [[r.name, fmt(r.shape), f"{r.rel_error:.2e}", f"{r.abs_error:.2e}",
                 "ok" if r.passed else "FAIL"] for r in self.rows]


HEADER = ("node", "shape", "rel error", "abs error", "")


def gradcheck(y, wrt, at, eps=1e-6, tol=1e-6):
    """Check ``gc.grad(y, wrt)`` against central finite differences at the point ``at``.

    Works on a copy of the graph (yours is not changed), in float64. The relative error
    of a node is max |analytic - numeric| / max(|analytic|, |numeric|, 1e-3).

    >>> report = gradcheck(loss, [W1, b1], at=feeds)    # doctest: +SKIP
    >>> assert report, str(report)                      # doctest: +SKIP
    """
    nodes = [wrt] if isinstance(wrt, Node) else list(wrt)
    work = y.graph.copy()
    target = Node(work, y.id)  # the copy keeps the ids
    inner = [Node(work, w.id) for w in nodes]
    grads = grad(target, inner)
    kept = [g.id for g in grads] + [target.id] + [w.id for w in inner]
    interp = Interpreter(optimize(work, kept, opt=0), float64=True)  # as compiled at opt=0
    feeds = check_feeds(work, at, float64=True)
    analytic = interp.run([g.id for g in grads], feeds)
    rows = []
    for w, a in zip(inner, analytic):
        base = feeds[w.id] if w.id in feeds else interp.run([w.id], feeds)[0]
        numeric = _numeric(interp, target.id, w.id, base, feeds, eps)
        rows.append(_row(w, a, numeric, tol))
    return GradcheckReport(rows, tol)


def _numeric(interp, y, w, base, feeds, eps):
    point = np.array(base, dtype=np.float64)
    out = np.empty(point.size)
    for i in range(point.size):
        values = []
        for step in (eps, -eps):
            moved = point.copy()
            moved.flat[i] += step
            values.append(float(interp.run([y], feeds, {w: moved})[0]))
        out[i] = (values[0] - values[1]) / (2 * eps)
    return out.reshape(point.shape)


def _row(w, analytic, numeric, tol):
    diff = float(np.max(np.abs(analytic - numeric), initial=0.0))
    scale = max(float(np.max(np.abs(analytic), initial=0.0)),
                float(np.max(np.abs(numeric), initial=0.0)), 1e-3)
    rel = diff / scale
    return GradcheckRow(w.name, tuple(w.shape), diff, rel, bool(rel <= tol))
