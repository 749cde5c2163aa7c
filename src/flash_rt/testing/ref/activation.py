"""References for the activation group (SPEC 2.2). Inputs in their storage dtype; math in
float32; the result rounded once to the input dtype (what the in-place entries write back)."""

from __future__ import annotations

import torch


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """The explicit tanh form of gelu_inplace*: 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + torch.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def silu(x: torch.Tensor) -> torch.Tensor:
    """x / (1 + exp(-x)), as the kernels write it (not torch's fused silu)."""
    return x / (1.0 + torch.exp(-x))


def relu_fmax(x: torch.Tensor) -> torch.Tensor:
    """max(x, 0) with fmaxf semantics: NaN becomes 0."""
    return torch.where(torch.isnan(x), torch.zeros_like(x), x.clamp_min(0.0))


def gelu_inplace(x):
    return gelu_tanh(x.float()).to(x.dtype)


gelu_inplace_fp16 = gelu_inplace


def silu_inplace_fp16(x):
    return silu(x.float()).to(x.dtype)


def relu_inplace_fp16(x):
    return relu_fmax(x.float()).to(x.dtype)


def fused_add_silu(a, b):
    """a <- SiLU(a + b): the sum stays in fp32 (no rounding before the activation)."""
    return silu(a.float() + b.float()).to(a.dtype)


fused_add_silu_fp16 = fused_add_silu
fused_add_silu_bf16 = fused_add_silu
