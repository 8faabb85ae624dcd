"""How long compilation took, stage by stage: ``gc.compile(..., report=True)``.

>>> report = Report()
>>> report.add("rewrite_stable", 0.0012, before=10, after=10)
>>> report.add("codegen", 0.0031)
>>> print(report)
stage           seconds  nodes
--------------  -------  --------
rewrite_stable   0.0012  10 -> 10
codegen          0.0031
total            0.0043
"""

import time
from contextlib import contextmanager

from .. import text


class Report:
    """The stages of one compilation: (stage, seconds, node counts before and after)."""

    def __init__(self):
        self.rows = []

    def add(self, stage, seconds, before=None, after=None):
        self.rows.append((stage, seconds, before, after))

    @contextmanager
    def timed(self, stage):
        """Time the block as ``stage``."""
        start = time.perf_counter()
        yield
        self.add(stage, time.perf_counter() - start)

    @property
    def total(self):
        return sum(seconds for _, seconds, _, _ in self.rows)

    def __str__(self):
        rows = [("stage", "seconds", "nodes")]
        rows += [(stage, f"{seconds:.4f}", "" if before is None else f"{before} -> {after}")
                 for stage, seconds, before, after in self.rows]
        rows.append(("total", f"{self.total:.4f}", ""))
        return "\n".join(text.table(rows, align="lr", rule=True))
