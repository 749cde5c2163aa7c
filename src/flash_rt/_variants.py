"""The wheel variants, which GPUs each covers, and how to install one.

One table for the loader, the doctor and the error messages. It mirrors
cmake/FlashRtVariant.cmake (the arch lists) and PACKAGING in the README.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ._version import __version__

CUDA_TAG = "cu130"
# Release wheels are served per variant from `<index>/<cuda>-<variant>/` (the PyTorch /
# FlashInfer scheme: PyPI refuses local version labels). Override for a mirror.
WHEEL_INDEX = os.environ.get("FLASH_RT_WHEEL_INDEX", "https://flash-rt.github.io/whl").rstrip("/")


@dataclass(frozen=True)
class Variant:
    name: str
    platform: str
    archs: tuple[str, ...]
    gpus: str
    modules: tuple[str, ...]


VARIANTS: dict[str, Variant] = {
    "sm80": Variant(
        "sm80", "x86_64", ("80-real", "86-real", "89-real", "90a-real"),
        "A100/A10/RTX 30 (SM80/86), RTX 40/L4/L40 (SM89), H100/H200 (SM90)",
        ("flash_rt_kernels", "flash_rt_fa2"),
    ),
    "sm100": Variant(
        "sm100", "x86_64", ("100f-real", "120f-real"),
        "B200/GB200/B300 (SM100/103), RTX 50/RTX PRO Blackwell (SM120/121)",
        ("flash_rt_kernels", "flash_rt_fp4", "flash_rt_fa2"),
    ),
    "sm110": Variant(
        "sm110", "aarch64", ("110f-real",), "Jetson Thor (SM110)",
        ("flash_rt_kernels", "flash_rt_fp4"),
    ),
}

# Which variants carry each optional module, and what is still to come.
MODULE_VARIANTS: dict[str, tuple[str, ...]] = {
    "flash_rt_kernels": ("sm80", "sm100", "sm110"),
    "flash_rt_fa2": ("sm80", "sm100"),
    "flash_rt_fp4": ("sm100", "sm110"),
}
NOT_YET_IMPLEMENTED = {"flash_rt_fa2", "flash_rt_fp4"}

_ARCH = re.compile(r"^(\d+)([af]?)(?:-(real|virtual))?$")


def parse_arch(spec: str) -> tuple[int, int, str, str]:
    """'90a-real' -> (9, 0, 'a', 'real'). No suffix means SASS plus PTX."""
    m = _ARCH.match(spec.strip())
    if not m:
        raise ValueError(f"not a CUDA arch spec: {spec!r}")
    num, kind, part = m.group(1), m.group(2), m.group(3) or "both"
    return int(num[:-1]), int(num[-1]), kind, part


def arch_covers(spec: str, cc: tuple[int, int]) -> bool:
    """Does code compiled for `spec` run on a device of compute capability `cc`?

    NN-real: same major, minor >= N's minor. NNa: exactly NN. NNf: the family (same major,
    minor >= N's minor: 100f runs on 10.0 and 10.3, 120f on 12.0 and 12.1). PTX (no suffix or
    -virtual, plain arch only) is JIT-compiled for any newer device.
    """
    major, minor, kind, part = parse_arch(spec)
    dev_major, dev_minor = cc
    if kind == "a":
        return (dev_major, dev_minor) == (major, minor)
    same_family = dev_major == major and dev_minor >= minor
    if kind == "f":
        return same_family
    if part in ("virtual", "both") and (dev_major, dev_minor) >= (major, minor):
        return True
    return part != "virtual" and same_family


def variant_for(cc: tuple[int, int]) -> Variant | None:
    """The released variant whose arch list covers `cc`, if any."""
    for v in VARIANTS.values():
        if any(arch_covers(a, cc) for a in v.archs):
            return v
    return None


def install_command(variant: str, version: str = __version__) -> str:
    base = version.split("+", 1)[0]
    return (
        f'pip install --force-reinstall "flash-rt=={base}+{CUDA_TAG}.{variant}" '
        f"--extra-index-url {WHEEL_INDEX}/{CUDA_TAG}-{variant}/"
    )
