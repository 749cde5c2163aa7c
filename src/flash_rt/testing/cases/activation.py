"""Activation group (SPEC 2.2) as cases.

Every entry is flat: its tensors hold `n` elements. S and D shape them as [S, D] (n = S * D),
so the benchmark's rows-based input expansion and the FFN-width shapes apply: these
activations run on MLP intermediates, hence benchmark widths of FFN size (gemma-2b: 16384).
"""

from __future__ import annotations

import torch

from ..ref import activation as R
from .base import Arg, Case

F16, BF16 = torch.float16, torch.bfloat16

N_ = Arg("n", "int", value_fn=lambda S, D: S * D)

# BENCH.md: the inference table at the FFN width (S = 1 .. 4096), plus one shape far beyond
# the 50 MB L2 for the bandwidth target (S > 4096 makes it a bandwidth row).
FFN_BENCH_SHAPES: tuple[tuple[int, int], ...] = tuple((s, 16384) for s in (1, 16, 64, 256, 1024, 4096)) + (
    (16384, 8192),)


def _cases() -> list[Case]:
    c: list[Case] = []
    for name, dt in (("gelu_inplace", BF16), ("gelu_inplace_fp16", F16), ("silu_inplace_fp16", F16),
                     ("relu_inplace_fp16", F16)):
        c.append(Case(name, (Arg("x", "rows", dt, inplace=True), N_), getattr(R, name)))
    for name, dt in (("fused_add_silu_fp16", F16), ("fused_add_silu_bf16", BF16)):
        c.append(Case(name, (Arg("a", "rows", dt, inplace=True), Arg("b", "rows", dt), N_), getattr(R, name)))
    for case in c:
        object.__setattr__(case, "group", "activation")
        object.__setattr__(case, "bench_shapes", FFN_BENCH_SHAPES)
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(CASES) == 6, sorted(CASES)
