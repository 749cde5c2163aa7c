"""References for the elementwise half of the fused group (SPEC 2.3). Inputs in their storage
dtype; math in float32; outputs rounded once to the entry's output dtype (FP8 outputs as
torch.float8_e4m3fn via E4M3(CLAMP448(y * (1 / d))))."""

from __future__ import annotations

import torch

from .activation import silu
from .fp8 import e4m3_scaled

# GELU_t's constant: 2 * sqrt(2 / pi).
GELU_K = 1.5957691216057308
# The guidance scale the fused cases use for cfg_combine_into_residual (a typical CFG scale).
CFG_BETA = 1.5


def gelu_t(g: torch.Tensor) -> torch.Tensor:
    """GELU_t(g) = g / (1 + exp(-1.5957691216057308 g (1 + 0.044715 g^2))), the sigmoid form
    of the tanh GELU (every gate_geglu* / geglu* entry)."""
    return g / (1.0 + torch.exp(-GELU_K * g * (1.0 + 0.044715 * g * g)))


def _halves(merged: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    h = merged.shape[-1] // 2
    m = merged.float()
    return m[..., :h], m[..., h:]


# ---- GLU gates -------------------------------------------------------------------------------

def gate_geglu(gate, up):
    return (gelu_t(gate.float()) * up.float()).to(gate.dtype)


gate_geglu_fp16 = gate_geglu


def gate_geglu_merged(merged):
    g, u = _halves(merged)
    return (gelu_t(g) * u).to(merged.dtype)


gate_geglu_merged_fp16 = gate_geglu_merged


def gate_geglu_merged_fp8(merged, d_scale):
    g, u = _halves(merged)
    return e4m3_scaled(gelu_t(g) * u, d_scale)


def gate_geglu_merged_fp8_fp16(merged, d_scale):
    # The kernel's fast exp differs from torch.exp by a few fp32 ulps: invisible at FP8
    # precision except on rounding boundaries, which the FP8 comparison rule allows for.
    g, u = _halves(merged)
    return e4m3_scaled(gelu_t(g) * u, d_scale, floor=True)


def silu_mul_split_fp8_fp16(gate, up, d_scale):
    return e4m3_scaled(silu(gate.float()) * up.float(), d_scale)


def geglu_fp8_static_fp16(merged, descale):
    g, u = _halves(merged)
    return e4m3_scaled(gelu_t(g) * u, descale, floor=True)


# ---- residual updates (the new value of the residual) ------------------------------------------

def gate_mul_residual(residual, x, gate):
    return (residual.float() + x.float() * gate.float()).to(residual.dtype)


def gate_res_fp16(gemm_out, gate, residual):
    return (residual.float() + gemm_out.float() * gate.float()).to(residual.dtype)


def residual_add(residual, x):
    return (residual.float() + x.float()).to(residual.dtype)


residual_add_fp16 = residual_add


def bias_residual(residual, x, bias):
    return (residual.float() + x.float() + bias.float()).to(residual.dtype)


bias_residual_fp16 = bias_residual


def cfg_combine_into_residual(residual, v_cond, v_uncond, beta=CFG_BETA):
    vc, vu = v_cond.float(), v_uncond.float()
    return (residual.float() + vu + beta * (vc - vu)).to(residual.dtype)


cfg_combine_into_residual_fp16 = cfg_combine_into_residual
