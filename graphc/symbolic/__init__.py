"""The symbolic side of graphc: formulas of nodes, their LaTeX, and exact values."""

from .exact import exact_array, exact_number, exact_values
from .formula import formula, latex, symbol

__all__ = ["exact_array", "exact_number", "exact_values", "formula", "latex", "symbol"]
