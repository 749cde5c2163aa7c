"""The GLU entries' kernels under forced launch plans, timed with the benchmark's timer.

Times the variants of benchmarks/probe_fp8_glu.cu (launcher plan, then VEC 8 / 4 / 2 x PDL trigger
early / late) next to the package entry and torch.compile, on the benchmark's inputs
(Case.make: outliers, a zero row, the FP8 scale fitted to the output), warm L2, one input set.
Each variant's output is compared byte for byte with the package entry's before it is timed.

    nvcc -O3 -std=c++20 --ftz=true --prec-div=false --prec-sqrt=false --expt-relaxed-constexpr \\
      -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \\
      benchmarks/probe_fp8_glu.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_fp8_glu.so
    python benchmarks/probe_fp8_glu.py --lib .exp/libprobe_fp8_glu.so [--S 1,16,64,256] [--entries ...]

A variant that does not apply (one item per thread forced where the plan has four, or the
reverse) or whose bytes differ shows as nan.
"""

from __future__ import annotations

import argparse
import ctypes
import sys

import probe_variants  # benchmarks/, next to this script
import torch

from flash_rt.testing.bench import environment
from flash_rt.testing.cases import ALL_CASES as CASES

ENTRIES = ("gate_geglu_merged_fp8", "gate_geglu_merged_fp8_fp16", "geglu_fp8_static_fp16",
           "silu_mul_split_fp8_fp16", "gate_geglu_merged", "gelu_inplace_fp16", "gate_geglu_fp16", "relu_inplace_fp16")
H = 16384


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--S", default="1,16,64,256")
    ap.add_argument("--entries", default=",".join(ENTRIES[:5]))
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_fp8_glu: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    P = ctypes.c_void_p
    lib, names = probe_variants.load(args.lib, [ctypes.c_int, ctypes.c_int, P, P, P, P, ctypes.c_int, ctypes.c_int,
                                                P])
    print(f"# GLU plans, us per call (median of {args.repeats} replays), H = {H}, on {environment()['gpu']}")
    print("# columns: compile, entry, " + ", ".join(f"v{v} {n}" for v, n in names.items()))
    for name in args.entries.split(","):
        for S in (int(x) for x in args.S.split(",")):
            print(f"  {name:28s} S={S:<5d} " + row(lib, fvk, names, name, S, args.repeats), flush=True)
    return 0


def row(lib, fvk, names, name: str, S: int, repeats: int) -> str:
    case = CASES[name]
    first = next(a.name for a in case.tensor_args if not a.output)
    e = ENTRIES.index(name)

    def launch(v, t, stream) -> int:
        a, b, d = t[first], t.get("up"), t.get("d_scale", t.get("descale"))
        return lib.probe_launch(v, e, a.data_ptr(), b.data_ptr() if b is not None else None,
                                t[case.outputs[0].name].data_ptr(), d.data_ptr() if d is not None else None, S, H,
                                stream)
    return probe_variants.format_cols(probe_variants.time_row(case, S, H, fvk, names, launch, repeats=repeats))


if __name__ == "__main__":
    sys.exit(main())
