"""FP8 quantize group (SPEC 2.4.1) as cases.

S and D: the entries take a flat element count `n` and see their tensors as n contiguous
elements; a case builds an activation-shaped [S, D] input and passes n = S * D (any S, D work,
odd n included). `d_scale` is an input of the static entries (fitted to amax/448 by Case.make)
and an output of the dynamic ones (their references return (output, d_scale)). quantize_fp8
also returns the scale to Python; it waits for its stream, so a graph-captured benchmark of it
reports that it is not capture-safe.
"""

from __future__ import annotations

import torch

from ..ref import quantize as R
from .base import Arg, Case

F16, BF16, FP8, F32 = torch.float16, torch.bfloat16, torch.float8_e4m3fn, torch.float32

N_ = Arg("n", "int", value_fn=lambda S, D: S * D)
OUT = Arg("output", "rows", FP8, output=True)

# BENCH.md's quantize_fp8_static_fp16 peer row (S = 1 .. 4096 at D = 2048, warm L2), then large
# shapes for the copy-bandwidth target (cold L2).
BENCH_SHAPES = tuple((s, 2048) for s in (1, 16, 64, 256, 1024, 4096)) + ((16384, 2048), (16384, 4096))


def _input(dt):
    return Arg("input", "rows", dt)


def _cases() -> list[Case]:
    c: list[Case] = []
    scale_in = Arg("d_scale", "scale", F32)
    scale_out = Arg("d_scale", "scale", F32, output=True)
    for name, dt in (("quantize_fp8", BF16), ("quantize_fp8_device", BF16), ("quantize_fp8_device_fp16", F16)):
        c.append(Case(name, (_input(dt), OUT, scale_out, N_), getattr(R, name)))
    for name, dt in (("quantize_fp8_static", BF16), ("quantize_fp8_static_fp16", F16)):
        c.append(Case(name, (_input(dt), OUT, scale_in, N_), getattr(R, name)))
    c.append(Case("cast_fp16_fp8", (_input(F16), OUT, N_), R.cast_fp16_fp8))
    for case in c:
        if case.name.startswith("quantize_fp8_device"):  # amax of all of x before any output byte
            object.__setattr__(case, "input_reads", 2)
        object.__setattr__(case, "group", "quantize")
        object.__setattr__(case, "bench_shapes", BENCH_SHAPES)
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(CASES) == 6, sorted(CASES)
