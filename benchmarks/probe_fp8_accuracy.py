"""How accurate is torch._scaled_mm's FP8 accumulation, on the data sweep_cutlass_sm90 wrote?

Hopper's FP8 tensor-core MMAs keep a partial sum narrower than float32; kernels "promote" it into
a float32 accumulator every few MMAs. sweep_cutlass_sm90 (run with an output directory) writes
its accuracy operands there (accN_a.bin [256, 16384] and accN_b.bin [512, 16384], E4M3; N = 0:
signed values, N = 1: positive values, where the running sum grows and the narrow partial sum
loses the most) and prints the CUTLASS kernel's error at each promotion interval. This script
prints torch._scaled_mm's error on the same operands in the same unit, max and mean of
|D - ref| / (alpha * sum_k |a b|), so the two can be compared.

    python benchmarks/probe_fp8_accuracy.py DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

M, N, K, ALPHA = 256, 512, 16384, 1.0 / 64


def main(argv: list[str]) -> int:
    if not torch.cuda.is_available():
        print("probe_fp8_accuracy: no CUDA device; nothing to measure.")
        return 0
    d = Path(argv[0]) if argv else Path(".")
    for n, kind in ((0, "signed"), (1, "positive")):
        fa, fb = d / f"acc{n}_a.bin", d / f"acc{n}_b.bin"
        if not fa.exists():
            print(f"{fa}: missing (run sweep_cutlass_sm90 {d} first)")
            return 1
        a8 = torch.frombuffer(bytearray(fa.read_bytes()), dtype=torch.uint8).view(torch.float8_e4m3fn)
        b8 = torch.frombuffer(bytearray(fb.read_bytes()), dtype=torch.uint8).view(torch.float8_e4m3fn)
        a8, b8 = a8.reshape(M, K).cuda(), b8.reshape(N, K).cuda()
        a, b = a8.double(), b8.double()
        ref = ALPHA * (a @ b.T)
        scale = ALPHA * (a.abs() @ b.abs().T)
        one = torch.ones(1, device="cuda")
        for fast in (False, True):
            out = torch._scaled_mm(a8, b8.T, scale_a=one * ALPHA, scale_b=one, out_dtype=torch.float32,
                                   use_fast_accum=fast)
            e = (out.double() - ref).abs() / scale
            print(f"torch._scaled_mm (use_fast_accum={fast!s:5}) {kind:8} data, {M}x{K}x{N}: "
                  f"max {e.max().item():.3e}  mean {e.mean().item():.3e} (of alpha*sum|ab|)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
