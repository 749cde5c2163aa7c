"""Memory / utility entries (SPEC 2.8). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
