"""The build manifest (flash_rt/_build_info.py, written by CMake) as a plain dict."""

from __future__ import annotations

import functools

from ._version import __version__


@functools.lru_cache(maxsize=1)
def build_info() -> dict:
    """variant, version, archs, per-module archs, modules built, CUDA version, git sha.

    A source checkout that was never built has no manifest: it reports no modules.
    """
    try:
        from . import _build_info as b
    except ImportError:
        return {
            "version": __version__, "variant": "none (not built)", "archs": (), "module_archs": {},
            "modules": (), "cuda_version": "", "git_sha": "", "arch_override": False,
            "cublas_at_build": "",
        }
    archs: list[str] = []
    for module_archs in b.MODULE_ARCHS.values():
        archs += [a for a in module_archs if a not in archs]
    return {
        "version": b.VERSION,
        "variant": b.VARIANT,
        "archs": tuple(archs),
        "module_archs": {k: tuple(v) for k, v in b.MODULE_ARCHS.items()},
        "modules": tuple(b.MODULES_BUILT),
        "cuda_version": b.CUDA_VERSION,
        "git_sha": b.GIT_SHA,
        "arch_override": bool(b.ARCH_OVERRIDE),
        "cublas_at_build": b.CUBLAS_AT_BUILD,
    }
