"""Checking: a student's claims parsed by an allowlist (claims.py) and proved or refuted
(check.py); gradients against finite differences (gradcheck.py)."""

from .check import CheckReport, check
from .gradcheck import GradcheckReport, gradcheck

__all__ = ["CheckReport", "GradcheckReport", "check", "gradcheck"]
