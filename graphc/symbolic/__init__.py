"""The symbolic side of graphc: formulas of nodes, their LaTeX, and exact values; their rule
tables (``Exact``, ``Formulas``) run on the one walk of ``graphc.interpret``."""

from .exact import (Exact, exact_array, exact_number, exact_values, plain_feeds,
                    why_numeric)
from .formula import Formulas, formula, formulas, latex, symbol

__all__ = ["Exact", "Formulas", "exact_array", "exact_number", "exact_values", "formula",
           "formulas", "latex", "plain_feeds", "symbol", "why_numeric"]
