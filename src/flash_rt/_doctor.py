"""`python -m flash_rt`: what this install is and what it can do here."""

from __future__ import annotations

import json
import os
import platform
import sys

from . import _cuda_driver, _loader, _variants
from ._build import build_info


def _loaded_library(fragment: str) -> str | None:
    """Path of a shared library mapped into this process, from /proc/self/maps."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            for line in f:
                path = line.rstrip().split(" ")[-1]
                if fragment in os.path.basename(path):
                    return path
    except OSError:
        pass
    return None


def _jax_ffi_report() -> dict:
    """The JAX FFI library from the manifest and the file system; jax itself is not imported."""
    import importlib.metadata

    st = _loader.jax_ffi_status()
    try:
        st["jaxlib_installed"] = importlib.metadata.version("jaxlib")
    except importlib.metadata.PackageNotFoundError:
        st["jaxlib_installed"] = None
    return st


def report() -> dict:
    info = build_info()
    drv = _cuda_driver.driver_info()
    out: dict = {"python": sys.version.split()[0], "platform": platform.machine(), "build": info}
    out["driver"] = {"loaded": drv.loaded, "cuda_version": drv.version_str, "error": drv.error}
    out["devices"] = []
    for d in drv.devices:
        v = _variants.variant_for(d.capability)
        out["devices"].append({
            "index": d.index, "name": d.name, "capability": f"{d.capability[0]}.{d.capability[1]}",
            "sms": d.multiprocessors, "memory_gib": round(d.total_memory / 2**30, 1),
            "variant": v.name if v else None,
            "install": _variants.install_command(v.name, info["version"]) if v else None,
        })
    modules = {}
    for name in _loader.KNOWN_MODULES:
        try:
            _loader.load(name)
            modules[name] = "loaded"
        except ImportError as e:
            modules[name] = f"not loaded: {e}"
    out["modules"] = modules
    out["libraries"] = {_loader.JAX_FFI_LIBRARY: _jax_ffi_report()}
    # cuBLAS is a dependency of flash_rt_kernels (FvkContext); cuBLASLt joins once GEMM entries do.
    for lib in ("libcublas", "libcublasLt"):
        out[lib] = _loaded_library(lib + ".so") or "not loaded"
    if modules.get("flash_rt_kernels") == "loaded":
        import flash_rt
        out["probes"] = flash_rt.probes()
    return out


def main(argv: list[str]) -> int:
    r = report()
    if "--json" in argv:
        print(json.dumps(r, indent=2, default=str))
        return 0
    b = r["build"]
    print(f"flash-rt {b['version']}  (variant {b['variant']}, CUDA {b['cuda_version']}, git {b['git_sha']})")
    for m, archs in b["module_archs"].items():
        print(f"  built {m:<18} archs {', '.join(archs)}{'  [developer override]' if b['arch_override'] else ''}")
    print(f"python {r['python']} on {r['platform']}")
    drv = r["driver"]
    if not drv["loaded"] or not r["devices"]:
        print(f"GPU: none. {drv['error'] or 'The CUDA driver reports no device.'}")
        print("  Kernels cannot run here; import, validation and the CPU tests still work.")
    else:
        print(f"driver: CUDA {drv['cuda_version']}")
        for d in r["devices"]:
            print(f"GPU {d['index']}: {d['name']}  sm_{d['capability'].replace('.', '')}  "
                  f"{d['sms']} SMs  {d['memory_gib']} GiB  -> variant {d['variant'] or 'none'}")
        d0 = r["devices"][0]
        if d0["variant"] and d0["variant"] != b["variant"]:
            print(f"  this GPU needs the {d0['variant']} variant: {d0['install']}")
    for m, state in r["modules"].items():
        print(f"module {m}: {state}")
    jf = r["libraries"][_loader.JAX_FFI_LIBRARY]
    if jf["built"] or jf["override"]:
        where = jf["path"] if jf["exists"] else f"{jf['path']} (missing!)"
        line = f"{jf['status'] if jf['built'] else 'from $' + _loader.JAX_FFI_ENV}: {where}"
        if jf["jaxlib_installed"] is None:
            line += "; jaxlib is not installed here"
        elif jf["jaxlib_at_build"] and jf["jaxlib_installed"] != jf["jaxlib_at_build"]:
            line += f"; installed jaxlib is {jf['jaxlib_installed']} (XLA may refuse the handlers: rebuild)"
    else:
        line = jf["status"]
    print(f"library {_loader.JAX_FFI_LIBRARY} (JAX FFI, flash_rt.jax): {line}")
    print(f"libcublas: {r['libcublas']}\nlibcublasLt: {r['libcublasLt']}")
    if "probes" in r:
        print("probes: " + ", ".join(f"{k}={v}" for k, v in r["probes"].items() if not k.endswith("_error")))
    return 0
