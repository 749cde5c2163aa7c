"""scikit-build-core dynamic-metadata plugin: the version with its CUDA/variant label.

`X.Y.Z+cu130.sm80`: the base version lives in src/flash_rt/_version.py, the variant in the
FLASH_RT_VARIANT environment variable (sm80, sm100, sm110; default sm80), the CUDA tag in
FLASH_RT_CUDA_TAG (default cu130, the toolkit line every variant is built with). CMake reads
the same variable and checks the label against what it compiles (CMakeLists.txt).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

VARIANTS = ("sm80", "sm100", "sm110")


def _base_version() -> str:
    text = Path("src/flash_rt/_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M)
    if not match:
        raise ValueError("src/flash_rt/_version.py: no __version__ line")
    return match.group(1)


def dynamic_metadata(field: str, settings: dict[str, object] | None = None) -> str:
    if field != "version":
        raise ValueError(f"flash_rt_version only provides 'version', not {field!r}")
    variant = os.environ.get("FLASH_RT_VARIANT", "sm80").strip() or "sm80"
    if variant not in VARIANTS:
        raise ValueError(f"FLASH_RT_VARIANT: expected one of {VARIANTS}, got {variant!r}")
    cuda_tag = os.environ.get("FLASH_RT_CUDA_TAG", "cu130").strip()
    if not re.fullmatch(r"cu\d{3}", cuda_tag):
        raise ValueError(f"FLASH_RT_CUDA_TAG: expected like 'cu130', got {cuda_tag!r}")
    return f"{_base_version()}+{cuda_tag}.{variant}"


def get_requires_for_dynamic_metadata(settings: dict[str, object] | None = None) -> list[str]:
    return []
