#!/usr/bin/env python3
"""Check, without a GPU, that no elementwise kernel waits for its loads before its late PDL trigger.

    python ci/check_pdl_schedule.py [--nvcc PATH] [--jobs 2] [--allow-missing-tools]

The elementwise template (src/cpp/include/flash_rt/device/elementwise.cuh) lets the next grid
launch once a thread's loads are issued (pdl_trigger, PREEXIT in SASS) when its grid fills the
GPU. If the compiler schedules any use of the loaded data in front of PREEXIT, the trigger waits
for the loads to return: session 14 found bf16 pairs split by a PRMT there, which cost 0.17-0.2 us
a call at S = 16 (docs/RESULTS-2026-12-07-H100-session14.md section 5); the fix is
device::fence_packed. This script compiles the sources that instantiate the template for sm_90a,
disassembles them (cuobjdump and nvdisasm from the `nvidia-cuda-cuobjdump` and
`nvidia-cuda-nvdisasm` wheels, or the toolkit), and fails when an instruction reads a register
loaded by an LDG (directly or through another instruction) between the loads and a later PREEXIT,
in the one-item instances (elementwise_kernel<Op, VEC, 1>: since session 15 the only ones the
launchers instantiate). The norms (whose trigger follows their statistics by design) are not checked.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compile_check import ROOT, cmake_cuda_flags, find_nvcc  # noqa: E402

SOURCES = ("activation/activation.cu", "fused/gate.cu", "fused/residual.cu")  # the template's users
# elementwise_kernel<Op, VEC, 1> (VEC 2, 4 or 8): the mangled name ends in "Li<VEC>ELi1EEEvT_".
ONE_ITEM = re.compile(r"elementwise_kernel.*Li[248]ELi1EEEvT_")


def find_tool(name: str) -> str | None:
    """`name` from PATH, the CUDA toolkit, or an nvidia-cuda-* wheel of this Python."""
    found = shutil.which(name) or shutil.which(os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", name))
    if found:
        return found
    spec = importlib.util.find_spec("nvidia")
    for base in (spec.submodule_search_locations or []) if spec else []:
        for cand in sorted(Path(base).glob(f"cu*/bin/{name}")):
            if not os.access(cand, os.X_OK):
                cand.chmod(cand.stat().st_mode | 0o111)  # some wheel installs drop the mode bits
            return str(cand)
    return None


def late_uses(sass: str) -> dict[str, list[str]]:
    """Per kernel: instructions that read loaded data between its first loads and a later PREEXIT."""
    out = {}
    for block in sass.split("Function : ")[1:]:
        name = block.split("\n", 1)[0].strip()
        ins = [re.sub(r"^\s+/\*[0-9a-f]+\*/\s*", "", line).split(" /*")[0].strip().rstrip(" ;")
               for line in block.splitlines() if re.match(r"^\s+/\*[0-9a-f]{4}\*/", line)]
        loads = [i for i, x in enumerate(ins) if "LDG" in x]
        hits = []
        for p in (i for i, x in enumerate(ins) if "PREEXIT" in x):
            before = [i for i in loads if i < p]
            if not before:
                continue
            tainted: set[int] = set()
            for x in ins[before[0]:p]:
                parts = re.sub(r"^@!?U?P\d+\s+", "", x).split(None, 1)
                if len(parts) < 2:
                    continue
                op, operands = parts
                dst, *srcs = [o.strip() for o in operands.split(",")]
                m = re.match(r"R(\d+)", dst)
                if op.startswith("LDG"):
                    if m:
                        width = 4 if ".128" in op else 2 if ".64" in op else 1
                        tainted |= {int(m.group(1)) + k for k in range(width)}
                    continue
                if op.startswith(("STG", "BSSY", "BSYNC", "BRA")):
                    continue
                if {int(r) for s in srcs for r in re.findall(r"\bR(\d+)\b", s)} & tainted:
                    hits.append(x)
                    if m:
                        tainted.add(int(m.group(1)))
        if hits:
            out[name] = hits
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nvcc", help="nvcc to use (default: CUDACXX, PATH, CUDA_HOME/bin)")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--allow-missing-tools", action="store_true",
                    help="exit 0 with a notice when cuobjdump / nvdisasm are not installed (offline machines)")
    args = ap.parse_args(argv)
    nvcc = find_nvcc(args.nvcc)
    cuobjdump, nvdisasm = find_tool("cuobjdump"), find_tool("nvdisasm")
    if not (cuobjdump and nvdisasm):
        msg = ("check_pdl_schedule: cuobjdump / nvdisasm not found: pip install nvidia-cuda-cuobjdump "
               "nvidia-cuda-nvdisasm (or a CUDA toolkit with them)")
        print(msg + ("; skipped" if args.allow_missing_tools else ""), file=sys.stderr)
        return 0 if args.allow_missing_tools else 1
    env = dict(os.environ, NVDISASM_PATH=str(Path(nvdisasm).parent))
    flags = ["-std=c++20", "-DNDEBUG", *cmake_cuda_flags(ROOT / "CMakeLists.txt"), "-arch=sm_90a", "-cubin",
             "-I", str(ROOT / "src/cpp/include"), "-I", str(ROOT / "src/cpp/ops")]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="flash_rt_pdl_schedule_") as tmp:
        def build(src: str) -> tuple[str, Path, subprocess.CompletedProcess]:
            cubin = Path(tmp) / (src.replace("/", "_") + ".cubin")
            return src, cubin, subprocess.run([nvcc, *flags, str(ROOT / "src/cpp/ops" / src), "-o", str(cubin)],
                                              capture_output=True, text=True)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            built = list(pool.map(build, SOURCES))
        for src, cubin, res in built:
            if res.returncode != 0:
                print(f"check_pdl_schedule: {src}: nvcc failed\n{res.stderr}", file=sys.stderr)
                failures += 1
                continue
            sass = subprocess.run([cuobjdump, "-sass", str(cubin)], capture_output=True, text=True, env=env, check=True).stdout
            kernels = [k for k in re.findall(r"Function : (\S+)", sass) if ONE_ITEM.search(k)]
            bad = {k: v for k, v in late_uses(sass).items() if ONE_ITEM.search(k)}
            print(f"  {src:28s} {len(kernels):3d} one-item elementwise kernels, {len(bad)} waiting for loads before PREEXIT")
            for k, hits in bad.items():
                print(f"    {k}: {hits[:3]}", file=sys.stderr)
            failures += len(bad)
    if failures:
        print(f"check_pdl_schedule: {failures} failure(s): see device::fence_packed (device/vec.cuh)", file=sys.stderr)
        return 1
    print("check_pdl_schedule: no one-item elementwise kernel waits for its loads before its late PDL trigger")
    return 0


if __name__ == "__main__":
    sys.exit(main())
