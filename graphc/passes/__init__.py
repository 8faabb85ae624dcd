"""Graph rewrites. Each pass is a function ``pass_name(graph, outputs) -> graph`` (outputs:
the node ids that must survive with their ids, names and values); it never changes the
graph it is given, and its docstring says what holds afterwards.

``PIPELINE`` lists them in order, each with the lowest optimisation level that runs it;
``optimize`` runs the passes of a level, checking the graph after each with ``verify``
when ``debug`` is true.

>>> [name for name, _, level in PIPELINE if level == 0]
['rewrite_stable', 'fold_constants', 'fuse_cancelling', 'guard_quotients']
"""

import time

from . import stable
from .common import eliminate_common
from .dead import eliminate_dead_code
from .fold import fold_constants
from .fuse import fuse_cancelling, fuse_elementwise
from .softmax import share_softmax
from .stable import guard_quotients, rewrite_stable
from .verify import verify

#: The optimisation levels ``optimize`` (and ``gc.compile``) accept.
LEVELS = (0, 1, 2)


def stable_rewrites(graph, outputs):
    """``stable.rewrite_stable(graph)`` as a pipeline pass (its rewrites keep every id)."""
    return stable.rewrite_stable(graph)


#: (name, pass, the lowest opt level that runs it), in the order they run.
PIPELINE = (
    ("rewrite_stable", stable_rewrites, 0),          # no log or exp of an unbounded value
    ("fold_constants", fold_constants, 0),           # known scalars become numbers
    ("fuse_cancelling", fuse_cancelling, 0),         # quotients SymPy cancels: yhat - y
    ("guard_quotients", guard_quotients, 0),         # those left: from the logits
    ("share_softmax", share_softmax, 1),             # cross_entropy: one log_softmax, no one-hot
    ("fuse_elementwise", fuse_elementwise, 1),       # one node per element-wise region
    ("eliminate_common", eliminate_common, 1),       # one node per computation
    ("eliminate_dead_code", eliminate_dead_code, 1),  # only what the outputs need
)


def optimize(graph, outputs, opt=1, debug=False, report=None):
    """The graph after the passes of level ``opt`` (0: the stable rewrites, constant
    folding and the fusions SymPy cancels, one statement a node otherwise; 1, the default,
    and 2: all of PIPELINE; 2 adds only code generation's choices), each timed into
    ``report`` when given and checked by ``verify`` when ``debug`` is true. ``graph`` is
    not changed.

    >>> import graphc as gc
    >>> g = gc.Graph()
    >>> s = gc.sigmoid(gc.tanh(g.input("x"))).named("s")
    >>> optimize(g, [s.id], debug=True).record(s.id).op
    'elementwise'
    """
    if isinstance(opt, bool) or opt not in LEVELS:
        raise ValueError(f"opt must be one of {', '.join(map(str, LEVELS))}, got {opt!r}")
    outputs = list(outputs)
    for name, run, level in PIPELINE:
        if level <= opt:
            start, before = time.perf_counter(), len(graph)
            graph = run(graph, outputs)
            if report is not None:  # anything with add(stage, seconds, before, after)
                report.add(name, time.perf_counter() - start, before, len(graph))
            if debug:
                verify(graph, after=name)
    return graph


__all__ = ["PIPELINE", "LEVELS", "optimize", "verify", "rewrite_stable", "stable_rewrites",
           "fold_constants", "fuse_cancelling", "guard_quotients", "share_softmax",
           "fuse_elementwise",           "eliminate_common", "eliminate_dead_code"]
