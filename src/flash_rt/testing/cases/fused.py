"""Fused elementwise gate / residual entries (SPEC 2.3, the non-normalising half). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
