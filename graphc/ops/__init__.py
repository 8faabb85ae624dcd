"""The op registry and its families; importing this package registers every op."""

from . import elementwise, linalg, reduce, shape, nn, losses  # noqa: F401  (registration)
from . import adjoint, conv, pool  # noqa: F401  (registration)
from . import arrange  # noqa: F401  (registration: stack, pad, tile, ...)
from . import reduce_stats  # noqa: F401  (registration)
from . import dropout  # noqa: F401  (registration)
from .registry import OpDef, TestSpec, all_ops, get, register

__all__ = ["OpDef", "TestSpec", "all_ops", "get", "register"]
