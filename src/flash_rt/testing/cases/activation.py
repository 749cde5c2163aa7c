"""Activation group (SPEC 2.2). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
