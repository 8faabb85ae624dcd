"""The symbolic side of graphc: formulas of nodes, their LaTeX, and exact values; their rule
tables (``Exact``, ``Formulas``) run on the one walk of ``graphc.interpret``; and the one
reader of formulas a user types (``reader.py``, by an allowlist, with guards.py and
tensors.py), which claims and exact feeds share."""

from .exact import (Exact, exact_array, exact_number, exact_values, plain_feeds,
                    why_numeric)
from .formula import (Formulas, formula, formula_parts, formula_text, formulas, latex, symbol,
                      where)
from .latex import name_latex

__all__ = ["Exact", "Formulas", "exact_array", "exact_number", "exact_values", "formula",
           "formula_parts", "formula_text", "formulas", "latex", "name_latex", "plain_feeds",
           "symbol", "where", "why_numeric"]
