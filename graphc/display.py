"""How graphc's objects show themselves in a notebook and as a report, while graphc's core
draws nothing itself.

Graphs and nodes answer IPython's ``_repr_mimebundle_`` through ``bundle``, and ``report`` is
``gc.report``. Both are made by the application layer, ``graphc.present`` (which draws with
``visualize``), imported by its name on first use, the way pandas loads its plotting
backend: ``import graphc`` imports neither, and no module of the core imports them, so the
tiers of ARCHITECTURE.md hold. This module is the one place that names it.
"""

import importlib

#: The application layer that makes pictures and reports (imported on first use).
PRESENT = "graphc.present"


def _present():
    return importlib.import_module(PRESENT)


def bundle(obj, include=None, exclude=None):
    """IPython's MIME bundle (``{mime type: data}``) of a Graph or a Node."""
    return _present().bundle(obj, include, exclude)


def report(loss, at=None, claims=None, path=None, **options):
    """The interactive backprop report of the scalar node ``loss`` at the point ``at``: one
    self-contained HTML page (see ``graphc.present.report``)."""
    return _present().report(loss, at=at, claims=claims, path=path, **options)
