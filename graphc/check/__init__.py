"""Checking: a student's claims parsed by an allowlist (claims.py, with the size limits of
guards.py) and proved or refuted (check.py); ``--at`` values parsed the same way (values.py);
gradients against finite differences (gradcheck.py)."""

from .check import CheckReport, check
from .gradcheck import GradcheckReport, gradcheck

__all__ = ["CheckReport", "GradcheckReport", "check", "gradcheck"]
