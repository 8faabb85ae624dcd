"""Compilation: a graph -> stable rewrites -> a Program of equations -> NumPy source -> a
callable (``gc.compile``)."""

from .compiled import CompiledFunction, compile
from .loader import load_module
from .printer import generate
from .program import lower

__all__ = ["CompiledFunction", "compile", "generate", "load_module", "lower"]
