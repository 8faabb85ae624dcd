"""How graphc's objects show themselves in a notebook and as a report, while graphc draws
nothing itself.

Graphs and nodes answer IPython's ``_repr_mimebundle_`` through ``bundle``, and ``report`` is
``gc.report``. Both are made by a provider that a package registers under the entry-point
group ``graphc.present`` (pyproject.toml: ``visualize.present``, which draws with
Graphviz), the way pandas finds its plotting backends: graphc never imports the package
that draws, and ``import graphc`` loads nothing of it until a picture is asked for.
"""

import functools

from .errors import GraphcError

#: The entry-point group a drawing package registers its provider under.
GROUP = "graphc.present"


@functools.lru_cache(maxsize=None)
def provider():
    """The registered provider (the first by name), or None when no package registers one."""
    from importlib.metadata import entry_points  # ~20 ms: only when a picture is asked for
    found = sorted(entry_points(group=GROUP), key=lambda e: e.name)
    return found[0].load() if found else None


def bundle(obj, include=None, exclude=None):
    """IPython's MIME bundle (``{mime type: data}``) of a Graph or a Node; None (IPython then
    shows the plain repr) when no drawing package is installed."""
    present = provider()
    return None if present is None else present.bundle(obj, include, exclude)


def report(loss, at=None, claims=None, path=None, **options):
    """The interactive backprop report of the scalar node ``loss`` at the point ``at``: one
    self-contained HTML page (see ``visualize.present.report``)."""
    present = provider()
    if present is None:
        raise GraphcError(f"gc.report needs the package that draws graphc's pages, registered "
                          f"under the entry point group {GROUP!r}: install graphc with pip "
                          f"(pip install -e . in a checkout), which registers visualize's")
    return present.report(loss, at=at, claims=claims, path=path, **options)
