"""References for the residual-fused norms (SPEC 2.3). float32 math; the residual is returned
rounded to its dtype (what the entry stores back); statistics from the unrounded sum."""

from __future__ import annotations

import torch

from .fp8 import clamp448, e4m3, e4m3_scaled
from .norm import rms_rstd


def _floor_scaled(y: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """E4M3(CLAMP448(y / max(d, 1e-12)))."""
    return e4m3_scaled(y, d, floor=True)


def _residual(residual, x, gate=None):
    r = residual.float() + (x.float() * gate.float() if gate is not None else x.float())
    return r, r.to(residual.dtype)


def _style(style, dim):
    s = style.float()
    return s[..., :dim], s[..., dim : 2 * dim], style[..., 2 * dim :]


def residual_add_rms_norm(residual, x, weight, eps=1e-6):
    r, rq = _residual(residual, x)
    return rq, (rq.float() * rms_rstd(r, eps) * weight.float()).to(residual.dtype)


def residual_add_rms_norm_fp8(residual, x, weight, d_scale, eps=1e-6):
    r, rq = _residual(residual, x)
    return rq, e4m3_scaled(rq.float() * rms_rstd(r, eps) * weight.float(), d_scale)


residual_add_rms_norm_fp8_fp16 = residual_add_rms_norm_fp8


def residual_add_rms_norm_fp8_noweight(residual, x, d_scale):
    r, rq = _residual(residual, x)
    f = rms_rstd(r, 1e-6) / torch.clamp(d_scale.float().reshape(()), min=1e-12)
    return rq, e4m3(clamp448(r * f))


residual_add_rms_norm_fp8_noweight_fp16 = residual_add_rms_norm_fp8_noweight
residual_add_rms_norm_fp8_noweight_bf16 = residual_add_rms_norm_fp8_noweight


def plain_rms_fp8_fp16(x):
    xf = x.float()
    return e4m3(xf * rms_rstd(xf, 1e-6))


def plain_res_rms_fp8_fp16(residual, x):
    r, rq = _residual(residual, x)
    return rq, e4m3(rq.float() * rms_rstd(r, 1e-6))


def fused_adarms_fp8_static_fp16(x, style, descale):
    xf = x.float()
    scale, shift, gate = _style(style, x.shape[-1])
    y = xf * rms_rstd(xf, 1e-6) * (1.0 + scale) + shift
    return _floor_scaled(y, descale), gate.clone()


def gate_res_adarms_fp8_static_fp16(gemm_out, prev_gate, residual, style, descale):
    r, rq = _residual(residual, gemm_out, prev_gate)
    scale, shift, gate = _style(style, residual.shape[-1])
    y = rq.float() * rms_rstd(r, 1e-6) * (1.0 + scale) + shift
    return rq, _floor_scaled(y, descale), gate.clone()


def gate_residual_ada_norm_fp8(residual, x, gate, weight, style, d_scale, eps=1e-6):
    r, rq = _residual(residual, x, gate)
    scale, shift, g = _style(style, residual.shape[-1])
    y = rq.float() * rms_rstd(r, eps) * weight.float() * (1.0 + scale) + shift
    return rq, e4m3_scaled(y, d_scale), g.clone()
