"""Which GPU kernels does each FP8 GEMM provider of bench_gemm.py launch, and for how long?

bench_gemm.py timed `fp8_run_dev` at 0.93-0.98x `torch._scaled_mm` at the large shapes, and the
notes called both "the same cuBLASLt kernel" without having looked. This script runs each
provider under torch.profiler and prints the kernel names it launched with their mean device
time, so the claim can be checked (same name: the gap is drift between timings; another name:
the algorithm choice differs, and the table says which).

    python benchmarks/probe_gemm_kernels.py [--shapes 1024x16384x2048,...] [--calls 30]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gemm import SHAPES, operands, providers  # noqa: E402

from flash_rt.testing.bench import environment, gemm_shapes  # noqa: E402

PROBED = ("torch _scaled_mm", "fp8_run_dev", "fp8_nn_dev+static", "fp8_nn_dev+static+tune", "cutlass_fp8_t1_bf16out",
          "cutlass_fp8_t1_bf16out [policy cutlass]")


def kernels_of(fn, calls: int) -> list[tuple[str, float, int]]:
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    acts = [torch.profiler.ProfilerActivity.CUDA]
    with torch.profiler.profile(activities=acts) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    total: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            total[e.name] += e.device_time_total
            count[e.name] += 1
    return sorted(((n, total[n] / count[n], count[n]) for n in total), key=lambda r: -r[1] * r[2])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="")
    ap.add_argument("--calls", type=int, default=30)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_gemm_kernels: no CUDA device; nothing to probe.")
        return 0
    import flash_rt
    fvk = flash_rt.flash_rt_kernels
    shapes = gemm_shapes(args.shapes, SHAPES)
    print(f"# GEMM kernels per provider on {environment()['gpu']}")
    for M, K, N in shapes:
        t = operands(M, K, N)
        provs = providers(fvk, M, K, N, t, lambda name: "tune" not in name)
        print(f"## M={M} K={K} N={N}")
        for name in PROBED:
            if name not in provs:
                continue
            fn, _ = provs[name]
            for kname, us, n in kernels_of(fn, args.calls)[:3]:
                print(f"  {name:24s} {us:8.1f} us x{n:<4d} {kname[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
