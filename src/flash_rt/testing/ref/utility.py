"""References for the memory / utility group (SPEC 2.8). Inputs in their storage dtype; math in
float32 (each product and sum rounded to float32, as torch eager computes them), one final
rounding to the output dtype."""

from __future__ import annotations

import torch


def add_bias(x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x [S, D] + b [D], rounded once to x's dtype."""
    return (x.float() + b.float()).to(x.dtype)


def cast(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Round to `dtype` via float32 (RN-even; out of the fp16 range: +-inf)."""
    return x.float().to(dtype)


def copy(src: torch.Tensor) -> torch.Tensor:
    return src.clone()


def strided_copy(src: torch.Tensor, rows: int, dst_cols: int, src_stride: int, col_offset: int) -> torch.Tensor:
    """dst[r, c] = src_flat[r * src_stride + col_offset + c]."""
    flat = src.reshape(-1)
    idx = (torch.arange(rows, device=src.device)[:, None] * src_stride + col_offset
           + torch.arange(dst_cols, device=src.device)[None, :])
    return flat[idx]


def repeat_interleave_heads(src: torch.Tensor, nh_src: int, hd: int, repeat: int) -> torch.Tensor:
    """[S, NH_src * HD] -> [S, NH_src * repeat * HD], head h of the output = input head h // repeat."""
    S = src.shape[0]
    return src.reshape(S, nh_src, hd).repeat_interleave(repeat, dim=1).reshape(S, nh_src * repeat * hd)


def euler_step(actions: torch.Tensor, velocity: torch.Tensor, dt: float, vel_elem_offset: int) -> torch.Tensor:
    """actions (fp32) + dt * f32(velocity_flat[vel_elem_offset : vel_elem_offset + actions.numel()])."""
    n = actions.numel()
    v = velocity.reshape(-1)[vel_elem_offset:vel_elem_offset + n].float().reshape(actions.shape)
    return actions + dt * v
