"""gpu_fill_neginf_fp16's fill under other kernels, timed with the benchmark's timer.

Times the variants of benchmarks/probe_fill.cu next to the entry and torch.compile on the
benchmark's case (warm L2), each byte-checked against the entry first and timed in --captures
separate CUDA graphs (min-max).

    nvcc -O3 -std=c++20 --expt-relaxed-constexpr -arch=sm_90a -shared -Xcompiler -fPIC \\
      -I src/cpp/include -I src/cpp benchmarks/probe_fill.cu src/cpp/ops/core/launch.cu \\
      -o .exp/libprobe_fill.so
    python benchmarks/probe_fill.py --lib .exp/libprobe_fill.so [--S 1024,4096] [--D 2048]
"""

from __future__ import annotations

import argparse
import ctypes
import sys

import probe_variants  # benchmarks/, next to this script
import torch

from flash_rt.testing.bench import environment
from flash_rt.testing.cases import ALL_CASES as CASES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--S", default="1024,4096")
    ap.add_argument("--D", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--captures", type=int, default=3)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_fill: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    P = ctypes.c_void_p
    lib, names = probe_variants.load(args.lib, [ctypes.c_int, P, ctypes.c_longlong, P])
    case = CASES["gpu_fill_neginf_fp16"]
    dst = case.outputs[0].name
    print(f"# fill plans, us per call (median of {args.repeats} replays; min-max over {args.captures} captures),"
          f" D = {args.D}, on {environment()['gpu']}")
    print("# columns: compile, entry, " + ", ".join(f"v{v} {n}" for v, n in names.items()))
    for S in (int(x) for x in args.S.split(",")):
        def launch(v, t, stream, S=S) -> int:
            return lib.probe_launch(v, t[dst].data_ptr(), S * args.D, stream)
        cols = probe_variants.time_row(case, S, args.D, fvk, names, launch, repeats=args.repeats,
                                       captures=args.captures)
        print(f"  gpu_fill_neginf_fp16 S={S:<5d} " + probe_variants.format_cols(cols), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
