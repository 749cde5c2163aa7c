"""Norm group entries (SPEC 2.1) as cases."""

from __future__ import annotations

import torch

from ..ref import norm as R
from .base import Arg, Case

F16, BF16, FP8, F32 = torch.float16, torch.bfloat16, torch.float8_e4m3fn, torch.float32

S_ = Arg("seq_len", "S")
D_ = Arg("dim", "D")
EPS = Arg("eps", "eps")


def _x(dt):
    return Arg("x", "rows", dt)


def _out(dt):
    return Arg("out", "rows", dt, output=True)


def _vec(name, dt):
    return Arg(name, "vec", dt)


SCALE = Arg("d_scale", "scale", F32)


def _cases() -> list[Case]:
    c: list[Case] = []
    for name, dt in (("rms_norm", BF16), ("rms_norm_fp16", F16)):
        c.append(Case(name, (_x(dt), _vec("weight", dt), _out(dt), S_, D_, EPS), getattr(R, name), 1e-6))
    c.append(Case("rms_norm_inplace",
                  (_vec("weight", BF16), Arg("x", "rows", BF16, inplace=True), S_, D_, EPS),
                  R.rms_norm_inplace, 1e-6))
    for name, dt in (("rms_norm_fp8", BF16), ("rms_norm_fp8_fp16", F16)):
        c.append(Case(name, (_x(dt), _vec("weight", dt), _out(FP8), S_, D_, EPS, SCALE), getattr(R, name), 1e-6))
    for name, dt in (("rms_norm_fp8_noweight_fp16", F16), ("rms_norm_fp8_noweight_bf16", BF16)):
        c.append(Case(name, (_x(dt), _out(FP8), S_, D_, SCALE), getattr(R, name)))
    for name, dt in (("layer_norm", BF16), ("layer_norm_fp16", F16)):
        c.append(Case(name, (_x(dt), _vec("weight", dt), _vec("bias", dt), _out(dt), S_, D_, EPS),
                      getattr(R, name), 1e-6))
    c.append(Case("layer_norm_fp8", (_x(F16), _out(FP8), _vec("gamma", F16), _vec("beta", F16), S_, D_, EPS),
                  R.layer_norm_fp8, 1e-6))
    for name, dt in (("layer_norm_no_affine_fp16", F16), ("layer_norm_no_affine_bf16", BF16)):
        c.append(Case(name, (_x(dt), _out(dt), S_, D_, EPS), getattr(R, name), 1e-5))
    for name, dt in (("ada_layer_norm_fp16", F16), ("ada_layer_norm_bf16", BF16)):
        c.append(Case(name, (_x(dt), _vec("scale", dt), _vec("shift", dt), _out(dt), S_, D_, EPS),
                      getattr(R, name), 1e-5))
    style16 = Arg("style", "rows", BF16, width=3)
    c.append(Case("ada_rms_norm_style",
                  (_x(BF16), _vec("weight", BF16), style16, _out(BF16), Arg("gate_out", "rows", BF16, output=True),
                   S_, D_, EPS), R.ada_rms_norm_style, 1e-6))
    c.append(Case("ada_rms_norm_style_fp8",
                  (_x(BF16), _vec("weight", BF16), style16, _out(FP8), Arg("gate_out", "rows", BF16, output=True),
                   S_, D_, EPS, SCALE), R.ada_rms_norm_style_fp8, 1e-6))
    c.append(Case("adarms_fp16",
                  (_x(F16), Arg("style", "rows", F16, width=3), _out(F16), Arg("gate_out", "rows", F16, output=True),
                   Arg("S", "S"), Arg("D", "D")), R.adarms_fp16))
    for case in c:
        object.__setattr__(case, "group", "norm")
    return c


NORM_CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(NORM_CASES) == 17, sorted(NORM_CASES)
