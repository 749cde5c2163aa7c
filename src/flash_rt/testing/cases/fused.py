"""Fused elementwise gate / residual entries (SPEC 2.3, the non-normalising half) as cases.

What S and D mean here:
  * merged GLU entries (gate_geglu_merged*, geglu_fp8_static_fp16): S rows, D = half_dim;
    merged is [S, 2D], out [S, D];
  * bias_residual*: S = seq_len, D = dim;
  * every other entry is flat: its tensors hold n = S * D elements, shaped [S, D].
GLU entries benchmark at the FFN width (gemma-2b H = 16384), residual entries at the model
width of the group's default table (D = 2048), as BENCH.md's inference table does.
"""

from __future__ import annotations

import functools

import torch

from ..ref import fused as R
from .activation import FFN_BENCH_SHAPES
from .base import Arg, Case

F16, BF16, FP8, F32 = torch.float16, torch.bfloat16, torch.float8_e4m3fn, torch.float32

N_ = Arg("n", "int", value_fn=lambda S, D: S * D)


def _in(name, dt):
    return Arg(name, "rows", dt)


def _out(dt):
    return Arg("out", "rows", dt, output=True)


def _res(dt):
    return Arg("residual", "rows", dt, inplace=True)


def _scale(name="d_scale"):
    return Arg(name, "scale", F32)


def _merged(dt):
    return Arg("merged", "rows", dt, width=2)


def _cases() -> list[Case]:
    glu: list[Case] = []
    for name, dt in (("gate_geglu", BF16), ("gate_geglu_fp16", F16)):
        glu.append(Case(name, (_in("gate", dt), _in("up", dt), _out(dt), N_), getattr(R, name)))
    for name, dt in (("gate_geglu_merged", BF16), ("gate_geglu_merged_fp16", F16)):
        glu.append(Case(name, (_merged(dt), _out(dt), Arg("seq", "S"), Arg("half_dim", "D")), getattr(R, name)))
    for name, dt in (("gate_geglu_merged_fp8", BF16), ("gate_geglu_merged_fp8_fp16", F16)):
        glu.append(Case(name, (_merged(dt), _out(FP8), Arg("seq", "S"), Arg("half_dim", "D"), _scale()),
                        getattr(R, name)))
    glu.append(Case("silu_mul_split_fp8_fp16", (_in("gate", F16), _in("up", F16), _out(FP8), N_, _scale()),
                    R.silu_mul_split_fp8_fp16))
    glu.append(Case("geglu_fp8_static_fp16",
                    (_merged(F16), _out(FP8), Arg("S", "S"), Arg("H", "D"), _scale("descale")),
                    R.geglu_fp8_static_fp16))
    for case in glu:
        object.__setattr__(case, "bench_shapes", FFN_BENCH_SHAPES)

    res: list[Case] = [
        Case("gate_mul_residual", (_res(BF16), _in("x", BF16), _in("gate", BF16), N_), R.gate_mul_residual),
        Case("gate_res_fp16", (_in("gemm_out", F16), _in("gate", F16), _res(F16), N_), R.gate_res_fp16),
    ]
    for name, dt in (("residual_add", BF16), ("residual_add_fp16", F16)):
        res.append(Case(name, (_res(dt), _in("x", dt), N_), getattr(R, name)))
    for name, dt in (("bias_residual", BF16), ("bias_residual_fp16", F16)):
        res.append(Case(name, (_res(dt), _in("x", dt), Arg("bias", "vec", dt), Arg("seq_len", "S"), Arg("dim", "D")),
                        getattr(R, name)))
    beta = Arg("beta", "float", value_fn=lambda S, D: R.CFG_BETA)
    for name, dt in (("cfg_combine_into_residual", BF16), ("cfg_combine_into_residual_fp16", F16)):
        res.append(Case(name, (_res(dt), _in("v_cond", dt), _in("v_uncond", dt), beta, N_),
                        functools.partial(getattr(R, name), beta=R.CFG_BETA)))

    c = glu + res
    for case in c:
        object.__setattr__(case, "group", "fused")
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(CASES) == 16, sorted(CASES)
