"""Graph rewrites. Each pass takes a graph and returns a graph; its docstring says what
holds afterwards."""

from .stable import rewrite_stable

__all__ = ["rewrite_stable"]
