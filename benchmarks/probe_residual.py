"""The fused residual entries' kernels under forced launch plans, timed with the benchmark's timer.

Times the variants of benchmarks/probe_residual.cu (launcher plan, then VEC 8 / 4 / 2 / 1 x PDL
trigger early / late) next to the package entry and torch.compile, on the benchmark's inputs
(Case.make), warm L2. Each variant's output is compared byte for byte with the entry's before it
is timed; each column is timed in --captures separate CUDA graphs and printed as min-max, since
these sizes have timed in two modes decided per capture (benchmarks/probe_capture_spread.py).

    nvcc -O3 -std=c++20 --ftz=true --prec-div=false --prec-sqrt=false --expt-relaxed-constexpr \\
      -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \\
      benchmarks/probe_residual.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_residual.so
    python benchmarks/probe_residual.py --lib .exp/libprobe_residual.so [--S 16,64,128,256] [--D 2048]
"""

from __future__ import annotations

import argparse
import ctypes
import sys

import probe_variants  # benchmarks/, next to this script
import torch

from flash_rt.testing.bench import environment
from flash_rt.testing.cases import ALL_CASES as CASES

ENTRIES = ("residual_add", "residual_add_fp16", "bias_residual", "bias_residual_fp16", "cfg_combine_into_residual",
           "cfg_combine_into_residual_fp16")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--S", default="16,64,128,256")
    ap.add_argument("--D", type=int, default=2048)
    ap.add_argument("--entries", default=",".join(ENTRIES))
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--captures", type=int, default=3)
    ap.add_argument("--every", action="store_true", help="print every capture's time, not min-max")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_residual: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    P = ctypes.c_void_p
    lib, names = probe_variants.load(args.lib, [ctypes.c_int, ctypes.c_int, ctypes.POINTER(P), ctypes.c_int,
                                                ctypes.c_int, ctypes.c_float, P])
    print(f"# residual plans, us per call (median of {args.repeats} replays; min-max over {args.captures} captures),"
          f" D = {args.D}, on {environment()['gpu']}")
    print("# columns: compile, entry, " + ", ".join(f"v{v} {n}" for v, n in names.items()))
    for name in args.entries.split(","):
        case = CASES[name]
        e = ENTRIES.index(name)
        beta = next((a.value_fn(0, 0) for a in case.args if a.name == "beta"), 0.0)
        tensors = [a.name for a in case.tensor_args]
        for S in (int(x) for x in args.S.split(",")):
            def launch(v, t, stream, S=S, e=e, beta=beta, tensors=tensors) -> int:
                ptrs = (P * 3)(*(t[k].data_ptr() for k in tensors))
                return lib.probe_launch(v, e, ptrs, S, args.D, beta, stream)
            cols = probe_variants.time_row(case, S, args.D, fvk, names, launch, repeats=args.repeats,
                                           captures=args.captures)
            print(f"  {name:30s} S={S:<5d} " + probe_variants.format_cols(cols, args.every), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
