"""The opt-in finite check: the first value that is nan or infinite, named.

``check_finite`` is written once and used twice, as the feed checks are
(``graphc.graph.feeds``): the interpreter calls it after each node
(``gc.evaluate(..., check_finite=True)``), and ``graphc.compile.printer`` copies its source
into a module compiled with ``check_finite=True``, which calls it after each statement,
so a saved module raises the same message (a FloatingPointError there; graphc's loader
swaps in its NonFiniteError, a FloatingPointError too). It uses only ``numpy as np``,
``first_bad`` and the name ``NonFiniteError``.

>>> check_finite(np.array([1.0, np.nan]), subject("node 'y' (log of 'x')"))
Traceback (most recent call last):
...
graphc.errors.NonFiniteError: node 'y' (log of 'x') produced nan at index 1 (1 of 2 elements)
"""

import numpy as np

from ..errors import NonFiniteError
from ..ops.nn import first_bad


def check_finite(value, what):
    """NonFiniteError unless every element of ``value`` is finite; ``what`` begins the
    message ("node 'y' (log of 'x') produced", "input 'x' holds"), which goes on to say
    what was found (nan, inf, -inf), where first, and how many of how many elements."""
    if np.isfinite(value).all():
        return  # one pass over the value: the common case
    value = np.asarray(value)
    bad = ~np.isfinite(value)
    found = [kind for kind, mask in (("nan", np.isnan(value)), ("inf", value == np.inf),
                                     ("-inf", value == -np.inf)) if mask.any()]
    _, at = first_bad(value, bad)
    raise NonFiniteError(f"{what} {' and '.join(found)}{at} ({int(bad.sum())} of "
                         f"{value.size} elements)")


def subject(site):
    """How a finite check's message begins for a node named by ``site`` (``walk.site``)."""
    return f"{site} produced"


def leaf_subject(role, name):
    """How it begins for a fed value: ``input 'x' holds``, ``param 'w' holds``."""
    return f"{role} {name!r} holds"


#: What a module compiled with check_finite=True carries (see graphc.compile.printer).
FUNCTIONS = (check_finite, first_bad)
