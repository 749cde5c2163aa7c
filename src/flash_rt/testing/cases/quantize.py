"""FP8 quantize group (SPEC 2.4.1). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
