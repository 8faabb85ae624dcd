"""Checking: a student's claims parsed (claims.py, its formulas by the allowlist reader of
graphc.symbolic.reader) and proved or refuted (check.py); ``--at`` values parsed the same
way (values.py);
gradients against finite differences (gradcheck.py)."""

from .check import CheckReport, check
from .gradcheck import GradcheckReport, gradcheck

__all__ = ["CheckReport", "GradcheckReport", "check", "gradcheck"]
