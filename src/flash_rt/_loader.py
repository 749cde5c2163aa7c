"""Loading the sub-extensions: only those this wheel has, only where they cover the GPU.

`flash_rt.<module>` goes through `load(module)` on first access (PEP 562). The checks, in
order, each with its own message:
  1. the module is part of flash-rt at all (else AttributeError);
  2. this wheel built it (else ImportError naming the variants that ship it);
  3. the driver is new enough for CUDA 13 (else ImportError with the driver version);
  4. the module's compiled archs cover a visible GPU (else ImportError naming the wheel's
     variant and archs, the GPU and its capability, and the install command that fixes it).
With no GPU at all the module still loads: imports, validation and CPU-side tests work, and
a launch raises RuntimeError naming the missing device. FLASH_RT_SKIP_ARCH_CHECK=1 skips 3-4.
"""

from __future__ import annotations

import importlib
import os

from . import _cuda_driver, _variants
from ._build import build_info

KNOWN_MODULES = ("flash_rt_kernels", "flash_rt_fa2", "flash_rt_fp4")
# Plain shared libraries (not Python modules) a build may put next to the package; the
# manifest lists them in LIBRARIES_BUILT. flash_rt.jax loads this one with ctypes.
JAX_FFI_LIBRARY = "flash_rt_jax_ffi"
JAX_FFI_ENV = "FLASH_RT_JAX_FFI_SO"  # path override (a developer build outside the package)


class FlashRtImportError(ImportError):
    """A flash-rt sub-extension is missing from this wheel or does not fit this GPU."""


def _describe_wheel(info: dict) -> str:
    archs = ", ".join(info["archs"]) or "none"
    return f"flash-rt {info['version']} (variant {info['variant']}, archs {archs})"


def missing_module_message(name: str, info: dict | None = None) -> str:
    info = info or build_info()
    ships = _variants.MODULE_VARIANTS.get(name, ())
    where = ", ".join(f"{v} ({_variants.VARIANTS[v].gpus})" for v in ships)
    msg = f"flash_rt.{name} is not part of this wheel: {_describe_wheel(info)} built {', '.join(info['modules']) or 'no modules'}."
    if name in _variants.NOT_YET_IMPLEMENTED:
        msg += (f" {name} belongs to the {', '.join(ships)} variant(s) but is not implemented in flash-rt "
                f"{info['version'].split('+')[0]} yet; no wheel has it today.")
    else:
        msg += f" It ships in the variant(s): {where}."
        dev = _first_device()
        if dev is not None:
            v = _variants.variant_for(dev.capability)
            if v is not None and v.name in ships:
                msg += f" For your {dev.name}: {_variants.install_command(v.name, info['version'])}"
    return msg


def _first_device():
    info = _cuda_driver.driver_info()
    return info.devices[0] if info.devices else None


def coverage_error(name: str, info: dict | None = None) -> str | None:
    """The message for a GPU this module cannot run on, or None when it can (or no GPU)."""
    if os.environ.get("FLASH_RT_SKIP_ARCH_CHECK", "") not in ("", "0"):
        return None
    info = info or build_info()
    drv = _cuda_driver.driver_info()
    if drv.loaded and drv.version and drv.version < _cuda_driver.MIN_DRIVER:
        return (f"flash_rt.{name}: the NVIDIA driver supports CUDA {drv.version_str}, but flash-rt is built "
                f"with CUDA 13.0, which needs driver 580 or newer. Update the driver.")
    if not drv.devices:
        return None
    archs = info["module_archs"].get(name, ())
    if any(_variants.arch_covers(a, d.capability) for d in drv.devices for a in archs):
        return None
    dev = drv.devices[0]
    cc = f"{dev.capability[0]}.{dev.capability[1]}"
    msg = (f"flash_rt.{name} cannot run on this GPU: the installed wheel is {_describe_wheel(info)}, "
           f"and the GPU is {dev.name} (compute capability {cc}, sm_{dev.sm}).")
    v = _variants.variant_for(dev.capability)
    if v is None:
        msg += f" No flash-rt variant supports compute capability {cc} (SM80 or newer is needed)."
    elif info.get("arch_override") and v.name == info["variant"]:
        msg += (f" This is a developer build limited to {', '.join(archs)}; rebuild without "
                f"FLASH_RT_CUDA_ARCHS or with FLASH_RT_CUDA_ARCHS covering sm_{dev.sm}.")
    else:
        msg += f" The {v.name} variant covers it ({v.gpus}): {_variants.install_command(v.name, info['version'])}"
    return msg + " (Set FLASH_RT_SKIP_ARCH_CHECK=1 to load anyway.)"


def load(name: str):
    if name not in KNOWN_MODULES:
        raise AttributeError(f"module 'flash_rt' has no attribute {name!r}")
    info = build_info()
    if name not in info["modules"]:
        raise FlashRtImportError(missing_module_message(name, info), name=f"flash_rt.{name}")
    err = coverage_error(name, info)
    if err:
        raise FlashRtImportError(err, name=f"flash_rt.{name}")
    return importlib.import_module(f"flash_rt.{name}")


def jax_ffi_status() -> dict:
    """Whether this build has flash_rt_jax_ffi.so (SPEC 6) and where it is; imports neither jax nor
    the library. Keys: built, path, exists, status (CMake's words), jaxlib_at_build, ffi_api, override.

    A manifest without the field (a build from before the library existed, or no build at all)
    reports it as not built. $FLASH_RT_JAX_FFI_SO names a library to use instead of the package's.
    """
    try:
        b = importlib.import_module("flash_rt._build_info")
    except ImportError:
        b = None
    built = JAX_FFI_LIBRARY in tuple(getattr(b, "LIBRARIES_BUILT", ()))
    status = getattr(b, "JAX_FFI_STATUS", "") or (
        "not built: no build manifest (source checkout)" if b is None
        else "not built: this build predates the JAX FFI library")
    override = os.environ.get(JAX_FFI_ENV, "").strip()
    path = override or (os.path.join(os.path.dirname(os.path.abspath(__file__)), JAX_FFI_LIBRARY + ".so")
                        if built else None)
    return {
        "built": built,
        "path": path,
        "exists": bool(path) and os.path.isfile(path),
        "status": status,
        "jaxlib_at_build": getattr(b, "JAX_FFI_JAXLIB", ""),
        "ffi_api": getattr(b, "JAX_FFI_API", ""),
        "override": bool(override),
    }
