"""flash-rt: fused, validated, CUDA-graph-safe kernels for small-batch transformer inference.

    import flash_rt
    fvk = flash_rt.flash_rt_kernels          # loaded on first access
    fvk.rms_norm_fp16(x, w, out, S, D)       # torch/JAX/CuPy tensors or int addresses

`import flash_rt` needs neither a GPU nor torch. Sub-extensions (`flash_rt_kernels`,
`flash_rt_fa2`, `flash_rt_fp4`) load on first access, only when this wheel built them and
they cover the GPU; otherwise the ImportError says which wheel variant to install.
`python -m flash_rt` prints what was built, what the GPU is and what loaded.
"""

from __future__ import annotations

from . import _loader
from ._build import build_info
from ._loader import FlashRtImportError
from ._version import __version__

__all__ = [
    "FlashRtImportError",
    "__version__",
    "build_info",
    "get_sm_version",
    "has_cutlass_fmha",
    "has_cutlass_sm100",
    "has_nvfp4",
    "probes",
]


def __getattr__(name: str):
    if name in _loader.KNOWN_MODULES:
        module = _loader.load(name)
        globals()[name] = module  # later accesses skip __getattr__
        return module
    raise AttributeError(f"module 'flash_rt' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_loader.KNOWN_MODULES))


def get_sm_version() -> int:
    """10 * major + minor of the current CUDA device (SPEC 2.9)."""
    return __getattr__("flash_rt_kernels").get_sm_version()


def has_nvfp4() -> bool:
    """True if this build has the cuBLASLt NVFP4 entries and the device runs them."""
    return _probe("has_nvfp4")


def has_cutlass_sm100() -> bool:
    """True if this build has the cutlass_fp8_* entries and the device runs them."""
    return _probe("has_cutlass_sm100")


def has_cutlass_fmha() -> bool:
    """True once an FMHA library was loaded in this process."""
    return _probe("has_cutlass_fmha")


def _probe(name: str) -> bool:
    try:
        module = __getattr__("flash_rt_kernels")
    except ImportError:
        return False
    return bool(getattr(module, name)())


def probes() -> dict:
    """Every capability probe at once; never raises."""
    out: dict = {}
    try:
        out["sm_version"] = get_sm_version()
    except (ImportError, RuntimeError) as e:
        out["sm_version"] = None
        out["sm_version_error"] = str(e)
    for name in ("has_nvfp4", "has_cutlass_sm100", "has_cutlass_fmha"):
        out[name] = _probe(name)
    return out
