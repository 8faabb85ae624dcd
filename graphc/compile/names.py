"""Identifiers for generated code: every node name as a legal, unique, deterministic
Python identifier (never a keyword, a builtin, ``np`` or a name the module defines).

>>> sanitize("x; import os")
'x_import_os'
"""

import builtins
import functools
import keyword
import re

from .. import ops
from ..graph import feeds, finite
from ..ops.scalar import NUMPY_TEMPLATES

#: Names the module itself defines; no variable may take them.
MODULE_NAMES = ("np", "difflib", "math", "GRAPH", "INPUTS", "OUTPUTS", "UNUSED", "FeedError",
                "DomainError", "NonFiniteError", "compute", "compute_numpy", "run")


@functools.lru_cache(maxsize=1)
def _builtin_names():
    return frozenset(MODULE_NAMES) | frozenset(dir(builtins)) | frozenset(
        keyword.kwlist + keyword.softkwlist) | {
            f.__name__ for f in feeds.FUNCTIONS + finite.FUNCTIONS}


def reserved_names():
    """Every name a generated module may define or use besides its variables."""
    names = set(_builtin_names())
    for opdef in ops.all_ops():
        names.update(h.__name__ for h in opdef.helpers)
    names.update(h.__name__ for _, helpers in NUMPY_TEMPLATES.values() for h in helpers)
    return names


def sanitize(name):
    """``name`` as a plain ASCII identifier: other characters become ``_``; never empty,
    never starting with a digit or ``_`` (module helpers and dunders start with ``_``)."""
    if name.isascii() and name.isidentifier() and name[0] != "_" and name[-1] != "_":
        return name  # already one, as most names are: no regex needed
    text = re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_") or "v"
    return "v" + text if text[0].isdigit() else text


class Namespace:
    """Hands out legal, unique, deterministic identifiers for node names (as torch.fx does).

    >>> ns = Namespace()
    >>> [ns.add(n) for n in ["x; import os", "class", "np", "x_import_os", "\\u0445"]]
    ['x_import_os', 'class_', 'np_', 'x_import_os_1', 'v']

    ``add(name, base)`` gives ``name`` an identifier made from ``base`` (an unnamed node's
    op), so that unnamed nodes read ``matmul``, ``matmul_1``, ... in the order they come.
    """

    def __init__(self, reserved=None):
        self._reserved = reserved_names() if reserved is None else set(reserved)
        self._used = set(self._reserved)
        self._names = {}
        self._next = {}  # base -> the suffix to try next, so many alike names stay linear

    def add(self, name, base=None):
        """A new identifier for ``name`` (the same one if ``name`` was added before), made
        from ``base`` when given."""
        if name in self._names:
            return self._names[name]
        base = sanitize(name if base is None else base)
        if base in self._reserved:
            base += "_"
        ident, k = base, self._next.get(base, 1)
        while ident in self._used:
            ident, k = f"{base}_{k}", k + 1
        self._next[base] = k
        self._used.add(ident)
        self._names[name] = ident
        return ident

    def __getitem__(self, name):
        return self._names[name]
