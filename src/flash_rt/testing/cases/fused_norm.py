"""Residual-fused norms (SPEC 2.3, the normalising half) as cases. S = rows, D = row width."""

from __future__ import annotations

import torch

from ..ref import fused_norm as R
from .base import Arg, Case

F16, BF16, FP8, F32 = torch.float16, torch.bfloat16, torch.float8_e4m3fn, torch.float32
S_, D_, EPS = Arg("seq_len", "S"), Arg("dim", "D"), Arg("eps", "eps")
SD = (Arg("S", "S"), Arg("D", "D"))


def _rows(name, dt, **kw):
    return Arg(name, "rows", dt, **kw)


def _res(dt):
    return _rows("residual", dt, inplace=True)


def _out(dt, name="out"):
    return _rows(name, dt, output=True)


def _scale(name="d_scale"):
    return Arg(name, "scale", F32)


def _cases() -> list[Case]:
    c: list[Case] = [
        Case("residual_add_rms_norm", (_res(BF16), _rows("x", BF16), Arg("weight", "vec", BF16), _out(BF16), S_, D_,
                                       EPS), R.residual_add_rms_norm, 1e-6),
    ]
    for name, dt in (("residual_add_rms_norm_fp8", BF16), ("residual_add_rms_norm_fp8_fp16", F16)):
        c.append(Case(name, (_res(dt), _rows("x", dt), Arg("weight", "vec", dt), _out(FP8), S_, D_, EPS, _scale()),
                      getattr(R, name), 1e-6))
    for name, dt in (("residual_add_rms_norm_fp8_noweight_fp16", F16), ("residual_add_rms_norm_fp8_noweight_bf16", BF16)):
        c.append(Case(name, (_res(dt), _rows("x", dt), _out(FP8), S_, D_, _scale()), getattr(R, name)))
    c.append(Case("plain_rms_fp8_fp16", (_rows("x", F16), _out(FP8), S_, D_), R.plain_rms_fp8_fp16))
    c.append(Case("plain_res_rms_fp8_fp16", (_res(F16), _rows("x", F16), _out(FP8), S_, D_), R.plain_res_rms_fp8_fp16))
    c.append(Case("fused_adarms_fp8_static_fp16",
                  (_rows("x", F16), _rows("style", F16, width=3), _out(FP8), _out(F16, "gate_out"), *SD,
                   _scale("descale")), R.fused_adarms_fp8_static_fp16))
    c.append(Case("gate_res_adarms_fp8_static_fp16",
                  (_rows("gemm_out", F16), _rows("prev_gate", F16), _res(F16), _rows("style", F16, width=3),
                   _out(FP8, "fp8_out"), _out(F16, "gate_out"), *SD, _scale("descale")),
                  R.gate_res_adarms_fp8_static_fp16))
    c.append(Case("gate_residual_ada_norm_fp8",
                  (_res(BF16), _rows("x", BF16), _rows("gate", BF16), Arg("weight", "vec", BF16),
                   _rows("style", BF16, width=3), _out(FP8), _out(BF16, "gate_out"), S_, D_, EPS, _scale()),
                  R.gate_residual_ada_norm_fp8, 1e-6))
    for case in c:
        object.__setattr__(case, "group", "fused_norm")
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
