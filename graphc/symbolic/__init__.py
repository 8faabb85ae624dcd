"""The symbolic side of graphc: formulas of nodes, their LaTeX, and exact values; their rule
tables (``Exact``, ``Formulas``) run on the one walk of ``graphc.interpret``."""

from .exact import (Exact, exact_array, exact_number, exact_values, plain_feeds,
                    why_numeric)
from .formula import Formulas, formula, formula_text, formulas, latex, symbol, where

__all__ = ["Exact", "Formulas", "exact_array", "exact_number", "exact_values", "formula",
           "formula_text", "formulas", "latex", "plain_feeds", "symbol", "where",
           "why_numeric"]
