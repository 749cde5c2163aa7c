"""References for the FP8 quantize group (SPEC 2.4.1). Inputs in their storage dtype (bf16 /
fp16, any shape: the entries see n = numel flattened elements); FP8 outputs as
torch.float8_e4m3fn of the input's shape; scales float32 [1].

They reproduce the kernels' rounding exactly (src/cpp/ops/quantize/quantize.h), so tests compare
bytes:
  * scale = floor(amax / 448): the division correctly rounded in float32 (done in float64 and
    rounded once, which is exact here: the float64 quotient of a float32 by 7 * 2^6 is never a
    float32 rounding midpoint); floor(s) = s < 1e-12 ? 1e-12 : s, keeping NaN (torch.clamp
    semantics; fmaxf would drop it);
  * r = 1 / scale correctly rounded in float32 (float64 then one rounding, again exact: a
    reciprocal of a float32 is never within 2^-53 of a float32 midpoint without being one);
  * q = E4M3(CLAMP448(x * r)), the product one float32 multiply.
amax propagates NaN (torch.amax), so a NaN input gives a NaN scale and 0xFE everywhere.
"""

from __future__ import annotations

import torch

from .fp8 import E4M3_MAX, clamp448, e4m3

SCALE_FLOOR = 1e-12


def floor_scale(s: torch.Tensor) -> torch.Tensor:
    """s < 1e-12 ? 1e-12 : s in float32; NaN stays NaN."""
    s = s.to(torch.float32)
    return torch.where(s < SCALE_FLOOR, torch.full_like(s, SCALE_FLOOR), s)


def reciprocal(s: torch.Tensor) -> torch.Tensor:
    """The correctly rounded float32 reciprocal (what __frcp_rn computes)."""
    return (1.0 / s.to(torch.float64)).to(torch.float32)


def amax_scale(x: torch.Tensor) -> torch.Tensor:
    """float32 [1]: floor(amax(|x|) / 448), amax over every element, NaN-propagating."""
    amax = x.float().abs().amax()
    return floor_scale((amax.double() / E4M3_MAX).float()).reshape(1)


def encode(x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """E4M3(CLAMP448(x * r)) with r a float32 scalar tensor."""
    return e4m3(clamp448(x.float() * r.reshape(())))


def quantize_fp8_static(input, d_scale):
    return encode(input, reciprocal(d_scale.reshape(())))


def quantize_fp8_static_fp16(input, d_scale):
    return encode(input, reciprocal(floor_scale(d_scale.reshape(()))))


def quantize_fp8_device(input):
    """(output, d_scale): the dynamic entries write both."""
    scale = amax_scale(input)
    return encode(input, reciprocal(scale)), scale


quantize_fp8_device_fp16 = quantize_fp8_device
quantize_fp8 = quantize_fp8_device  # also returns the scale as a Python float


def cast_fp16_fp8(input):
    """E4M3(x): saturating (|x| > 448 and inf -> +-448), NaN stays NaN, no scale, no clamp."""
    return e4m3(input.float())
