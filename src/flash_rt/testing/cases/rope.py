"""RoPE / QKV split / KV-cache writes (SPEC 2.6.2) and gpu_fill_neginf_* (SPEC 2.6). as cases."""

from __future__ import annotations

from .base import Case

CASES: dict[str, Case] = {}
