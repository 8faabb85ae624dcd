"""The backprop trace: ``gc.explain`` (trace.py) and its text, Markdown, LaTeX and CSV
(formats.py)."""

from .trace import explain

__all__ = ["explain"]
