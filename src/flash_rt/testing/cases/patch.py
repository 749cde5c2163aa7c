"""Vision patch embedding (SPEC 2.7). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
