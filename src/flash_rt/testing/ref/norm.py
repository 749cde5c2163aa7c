"""References for the norm group (SPEC 2.1). Inputs in their storage dtype; math in float32;
outputs rounded once to the entry's output dtype (FP8 outputs as torch.float8_e4m3fn)."""

from __future__ import annotations

import torch

from .fp8 import clamp448, e4m3, e4m3_scaled


def _f(t: torch.Tensor) -> torch.Tensor:
    return t.float()


def rms_rstd(x: torch.Tensor, eps: float) -> torch.Tensor:
    return torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def layer_hat(x: torch.Tensor, eps: float) -> torch.Tensor:
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)  # two-pass, biased
    return (x - mean) * torch.rsqrt(var + eps)


def _style(style: torch.Tensor, dim: int):
    s = _f(style)
    return s[..., :dim], s[..., dim : 2 * dim], style[..., 2 * dim :]


# ---- RMS -----------------------------------------------------------------------------------

def rms_norm(x, weight, eps=1e-6):
    xf = _f(x)
    return (xf * rms_rstd(xf, eps) * _f(weight)).to(x.dtype)


rms_norm_fp16 = rms_norm


def rms_norm_inplace(weight, x, eps=1e-6):
    return rms_norm(x, weight, eps)


def rms_norm_fp8(x, weight, d_scale, eps=1e-6):
    xf = _f(x)
    return e4m3_scaled(xf * rms_rstd(xf, eps) * _f(weight), d_scale)


rms_norm_fp8_fp16 = rms_norm_fp8


def rms_norm_fp8_noweight(x, d_scale):
    xf = _f(x)
    f = rms_rstd(xf, 1e-6) / torch.clamp(d_scale.float().reshape(()), min=1e-12)
    return e4m3(clamp448(xf * f))


rms_norm_fp8_noweight_fp16 = rms_norm_fp8_noweight
rms_norm_fp8_noweight_bf16 = rms_norm_fp8_noweight


# ---- LayerNorm -----------------------------------------------------------------------------

def layer_norm(x, weight, bias, eps=1e-6):
    return (layer_hat(_f(x), eps) * _f(weight) + _f(bias)).to(x.dtype)


layer_norm_fp16 = layer_norm


def layer_norm_fp8(x, gamma, beta, eps=1e-6):
    return e4m3(layer_hat(_f(x), eps) * _f(gamma) + _f(beta))


def layer_norm_no_affine(x, eps=1e-5):
    return layer_hat(_f(x), eps).to(x.dtype)


layer_norm_no_affine_fp16 = layer_norm_no_affine
layer_norm_no_affine_bf16 = layer_norm_no_affine


def ada_layer_norm(x, scale, shift, eps=1e-5):
    return (layer_hat(_f(x), eps) * (1.0 + _f(scale)) + _f(shift)).to(x.dtype)


ada_layer_norm_fp16 = ada_layer_norm
ada_layer_norm_bf16 = ada_layer_norm


# ---- AdaRMS (per-row style [S, 3D] = [scale | shift | gate]) --------------------------------

def ada_rms_norm_style(x, weight, style, eps=1e-6):
    xf = _f(x)
    scale, shift, gate = _style(style, x.shape[-1])
    y = xf * rms_rstd(xf, eps) * _f(weight) * (1.0 + scale) + shift
    return y.to(x.dtype), gate.clone()


def ada_rms_norm_style_fp8(x, weight, style, d_scale, eps=1e-6):
    xf = _f(x)
    scale, shift, gate = _style(style, x.shape[-1])
    y = xf * rms_rstd(xf, eps) * _f(weight) * (1.0 + scale) + shift
    return e4m3_scaled(y, d_scale), gate.clone()


def adarms_fp16(x, style):
    xf = _f(x)
    scale, shift, gate = _style(style, x.shape[-1])
    y = xf * rms_rstd(xf, 1e-6) * (1.0 + scale) + shift
    return y.to(x.dtype), gate.clone()
