#!/usr/bin/env python3
"""Compile the device code of variants this machine cannot build or run, without a GPU.

    python ci/compile_check.py [--variant sm100 --variant sm110] [--jobs 2] [--nvcc PATH]

For every `src/cpp/ops/*/*.cu` and each variant, runs `nvcc -c` with real SASS targets for the
variant's archs (so ptxas compiles the device code for them, not only the front end) and the
include dirs and CUDA flags of CMakeLists.txt (read from its `FLASH_RT_CUDA_FLAGS`, so the two
cannot drift). Objects go to a temporary directory and are thrown away.

The sm110 variant is aarch64-only (Jetson Thor), sm100 is built for `100f`/`120f`: neither is
covered by an x86_64 developer build for one arch, which is why CI runs this.

CUTLASS kernels (src/cpp/ops/gemm/cutlass/): sm90_*.cu for the variant archs matching 90a,
sm100_*.cu for those matching 100f/110f (as cmake/FlashRtCutlass.cmake builds them), with the
CUTLASS headers of FLASH_RT_CUTLASS_DIR or the `nvidia-cutlass` wheel (found, not imported).

cuBLAS headers: FLASH_RT_CUBLAS_ROOT/include, else the CUDA toolkit's include dir if it has
cublasLt.h, else the `nvidia-cublas` wheel of the running Python (`nvidia/cu13/include`).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# nvcc 13.0 spelling of the variant arch lists (cmake/FlashRtVariant.cmake): `NNf-real` is
# `-gencode arch=compute_NNf,code=sm_NNf`. nvcc 13.0 knows sm_110 and has no sm_101.
VARIANT_ARCHS = {
    "sm80": ("80", "86", "89", "90a"),
    "sm100": ("100f", "120f"),
    "sm110": ("110f",),
}


def gencode(arch: str) -> list[str]:
    return ["-gencode", f"arch=compute_{arch},code=sm_{arch}"]


def cmake_cuda_flags(cmakelists: Path) -> list[str]:
    """The FLASH_RT_CUDA_FLAGS list of CMakeLists.txt."""
    text = cmakelists.read_text(encoding="utf-8")
    m = re.search(r"set\(\s*FLASH_RT_CUDA_FLAGS\s+(.*?)\)", text, re.S)
    if not m:
        raise SystemExit(f"compile_check: no set(FLASH_RT_CUDA_FLAGS ...) in {cmakelists}")
    body = "\n".join(line.split("#", 1)[0] for line in m.group(1).splitlines())
    flags = shlex.split(body)
    if any("${" in f or "$<" in f for f in flags):
        raise SystemExit(f"compile_check: FLASH_RT_CUDA_FLAGS uses CMake expressions, update {__file__}")
    return flags


def find_nvcc(explicit: str | None) -> str:
    for cand in (explicit, os.environ.get("CUDACXX"), shutil.which("nvcc"),
                 os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", "nvcc")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise SystemExit("compile_check: nvcc not found (set CUDACXX, CUDA_HOME or PATH)")


def cublas_include(nvcc: str) -> str | None:
    root = os.environ.get("FLASH_RT_CUBLAS_ROOT")
    if root:
        return os.path.join(root, "include")
    toolkit_inc = Path(nvcc).resolve().parent.parent / "include"
    if (toolkit_inc / "cublasLt.h").is_file():
        return None  # nvcc searches its own include dir already
    try:
        inc = Path(str(importlib.metadata.distribution("nvidia-cublas").locate_file("nvidia/cu13/include")))
    except importlib.metadata.PackageNotFoundError:
        print("compile_check: warning: no cuBLAS headers (no FLASH_RT_CUBLAS_ROOT, none in the toolkit, "
              "no nvidia-cublas wheel); sources that include them will fail", file=sys.stderr)
        return None
    return str(inc)


def cutlass_includes() -> list[str]:
    root = os.environ.get("FLASH_RT_CUTLASS_DIR")
    if not root:
        import importlib.util
        spec = importlib.util.find_spec("cutlass_library")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("compile_check: CUTLASS headers not found: pip install --no-deps nvidia-cutlass==4.2.0.0 "
                             "or set FLASH_RT_CUTLASS_DIR")
        root = os.path.join(spec.submodule_search_locations[0], "source")
    return ["-isystem", os.path.join(root, "include"), "-isystem", os.path.join(root, "tools", "util", "include")]


# Which CUTLASS kernel files each arch gets (cmake/FlashRtCutlass.cmake), and their extra flags.
CUTLASS_GLOBS = ((re.compile(r"^90a"), "sm90_*.cu"), (re.compile(r"^1(00|03|10)[af]"), "sm100_*.cu"))
CUTLASS_FLAGS = ["-diag-suppress=2908"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", action="append", choices=sorted(VARIANT_ARCHS),
                    help="variant to check (repeatable; default: sm100 and sm110)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel nvcc processes (default 2)")
    ap.add_argument("--nvcc", help="nvcc to use (default: CUDACXX, PATH, CUDA_HOME/bin)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each nvcc command line")
    args = ap.parse_args(argv)
    variants = args.variant or ["sm100", "sm110"]

    nvcc = find_nvcc(args.nvcc)
    sources = sorted((ROOT / "src/cpp/ops").glob("*/*.cu"))
    if not sources:
        print("compile_check: no src/cpp/ops/*/*.cu files", file=sys.stderr)
        return 1
    includes = ["-I", str(ROOT / "src/cpp/include"), "-I", str(ROOT / "src/cpp/ops")]
    cutlass = cutlass_includes()
    cublas = cublas_include(nvcc)
    if cublas:
        includes += ["-isystem", cublas]
    # Release builds (scikit-build-core's default CMAKE_BUILD_TYPE=Release) add -DNDEBUG.
    flags = ["-std=c++20", "-DNDEBUG", *cmake_cuda_flags(ROOT / "CMakeLists.txt")]

    version = subprocess.run([nvcc, "--version"], capture_output=True, text=True, check=True).stdout
    print(f"compile_check: {nvcc}: {version.strip().splitlines()[-1]}")
    known = set(subprocess.run([nvcc, "--list-gpu-code"], capture_output=True, text=True,
                               check=True).stdout.split())
    for v in variants:
        missing = [a for a in VARIANT_ARCHS[v] if f"sm_{a.rstrip('af')}" not in known]
        if missing:
            print(f"compile_check: this nvcc does not know {missing} (variant {v})", file=sys.stderr)
            return 1

    jobs = []
    with tempfile.TemporaryDirectory(prefix="flash_rt_compile_check_") as tmp:
        for v in variants:
            arch_flags = [f for a in VARIANT_ARCHS[v] for f in gencode(a)]
            for src in sources:
                obj = Path(tmp) / v / (src.parent.name + "_" + src.stem + ".o")
                obj.parent.mkdir(parents=True, exist_ok=True)
                cmd = [nvcc, "-c", *flags, *arch_flags, *includes, str(src), "-o", str(obj)]
                jobs.append((v, src.relative_to(ROOT), cmd))
            for pattern, glob in CUTLASS_GLOBS:
                archs = [a for a in VARIANT_ARCHS[v] if pattern.match(a)]
                for src in sorted((ROOT / "src/cpp/ops/gemm/cutlass").glob(glob)) if archs else ():
                    obj = Path(tmp) / v / ("cutlass_" + src.stem + ".o")
                    cmd = [nvcc, "-c", *flags, *CUTLASS_FLAGS, *[f for a in archs for f in gencode(a)], *includes,
                           *cutlass, str(src), "-o", str(obj)]
                    jobs.append((v, src.relative_to(ROOT), cmd))

        def run(job):
            v, src, cmd = job
            if args.verbose:
                print(shlex.join(cmd), flush=True)
            t0 = time.monotonic()
            p = subprocess.run(cmd, capture_output=True, text=True)
            return v, src, p, time.monotonic() - t0

        jobs.sort(key=lambda j: "cutlass" not in str(j[1]))  # the slow ones first: the pool stays full
        t0 = time.monotonic()
        failed = 0
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for v, src, p, dt in pool.map(run, jobs):
                status = "ok" if p.returncode == 0 else f"FAILED (exit {p.returncode})"
                print(f"  {v:6} {','.join(VARIANT_ARCHS[v]):12} {src}  {dt:5.1f}s  {status}", flush=True)
                out = (p.stdout + p.stderr).strip()
                if out:  # warnings too: device code for these archs is built nowhere else
                    print(out, flush=True)
                failed += p.returncode != 0
    total = time.monotonic() - t0
    print(f"compile_check: {len(jobs) - failed}/{len(jobs)} compiled for {', '.join(variants)} "
          f"in {total:.1f}s with {args.jobs} job(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
