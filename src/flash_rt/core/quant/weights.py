"""Per-tensor FP8 weight quantization (SPEC 7.2 step 1)."""

from __future__ import annotations

E4M3_MAX = 448.0
SCALE_FLOOR = 1e-12


def quantize_weight(weight):
    """(W_fp8, scale): scale = max(amax(|W|) / 448, 1e-12) in float32, W_fp8 = E4M3(clamp(W /
    scale, +-448)) with torch's conversion (round to nearest even; the clamp keeps it from
    overflowing to NaN). The GEMM multiplies by `scale` again (SPEC 1.2)."""
    import torch

    w = weight.detach().float()
    if not bool(torch.isfinite(w).all()):
        raise ValueError("quantize_weight: 'weight' expected finite values, got NaN or inf")
    amax = w.abs().amax() if w.numel() else torch.zeros((), device=w.device)
    scale = torch.clamp(amax / E4M3_MAX, min=SCALE_FLOOR).to(torch.float32)
    q = (w / scale).clamp(-E4M3_MAX, E4M3_MAX).to(torch.float8_e4m3fn)
    return q, scale.reshape(1)
