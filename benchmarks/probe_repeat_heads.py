"""gpu_repeat_interleave_heads's expansion under other kernels, timed with the benchmark's timer.

Times the variants of benchmarks/probe_repeat_heads.cu next to the entry and torch.compile on the
benchmark's case (one KV head of D expanded to 8; one input set: at S = 16384 the 75 MB moved do not
fit the L2 anyway), each byte-checked against the entry first and timed in --captures separate
CUDA graphs (min-max).

    nvcc -O3 -std=c++20 --expt-relaxed-constexpr -arch=sm_90a -shared -Xcompiler -fPIC \\
      -I src/cpp/include -I src/cpp benchmarks/probe_repeat_heads.cu src/cpp/ops/core/launch.cu \\
      -o .exp/libprobe_repeat_heads.so
    python benchmarks/probe_repeat_heads.py --lib .exp/libprobe_repeat_heads.so [--S 4096,16384] [--D 256] [--cold]
"""

from __future__ import annotations

import argparse
import ctypes
import math
import sys

import probe_variants  # benchmarks/, next to this script
import torch

from flash_rt.testing.bench import copy_bandwidth, environment
from flash_rt.testing.cases import ALL_CASES as CASES

ENTRY = "gpu_repeat_interleave_heads"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--S", default="4096,16384")
    ap.add_argument("--D", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--captures", type=int, default=2)
    ap.add_argument("--cold", action="store_true",
                    help="rotate input sets over 3x the L2, as the benchmark's large rows (its S = 16384 row is cold);"
                         " torch.compile is then timed last (probe_variants.time_row says why)")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_repeat_heads: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    P, Int = ctypes.c_void_p, ctypes.c_int
    lib, names = probe_variants.load(args.lib, [Int, P, P, ctypes.c_longlong, Int, Int, Int, P])
    case = CASES[ENTRY]
    env = environment()
    ceiling = copy_bandwidth(args.repeats)["gbps"]
    print(f"# repeat-heads kernels, us per call (median of {args.repeats} replays; min-max over {args.captures}"
          f" captures), D = {args.D}, {'cold' if args.cold else 'warm'} L2, on {env['gpu']};"
          f" copy ceiling {ceiling:.0f} GB/s (fraction: the entry's bytes / min time / ceiling)")
    print("# columns: compile, entry, " + ", ".join(f"v{v} {n}" for v, n in names.items()))
    for S in (int(x) for x in args.S.split(",")):
        def launch(v, t, stream, S=S) -> int:
            # The case: NH_src 1, HD = D, repeat from the case (cases/utility.py REPEAT).
            repeat = t["dst"].shape[-1] // t["src"].shape[-1]
            return lib.probe_launch(v, t["src"].data_ptr(), t["dst"].data_ptr(), S, 1, args.D, repeat, stream)
        nbytes = case.bytes_moved(S, args.D)
        sets = max(2, math.ceil(3 * env["l2_bytes"] / nbytes)) if args.cold else 1
        cols = probe_variants.time_row(case, S, args.D, fvk, names, launch, repeats=args.repeats,
                                       captures=args.captures, sets=sets, compile_last=args.cold)
        fracs = " ".join(f"{nbytes / min(ts) / 1e3 / ceiling:.3f}" for ts in cols)
        print(f"  {ENTRY} S={S:<5d} sets {sets:3d} " + probe_variants.format_cols(cols) + f" | of copy: {fracs}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
