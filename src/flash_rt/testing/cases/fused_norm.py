"""Residual-fused norms (SPEC 2.3, the normalising half). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
