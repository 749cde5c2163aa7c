"""FP8 E4M3 helpers matching the contract's conversions (SPEC 1.2)."""

from __future__ import annotations

import torch

E4M3_MAX = 448.0


def clamp448(y: torch.Tensor) -> torch.Tensor:
    """min(max(y, -448), 448) with fmaxf/fminf semantics: NaN becomes -448."""
    return torch.where(torch.isnan(y), torch.full_like(y, -E4M3_MAX), y.clamp(-E4M3_MAX, E4M3_MAX))


def e4m3(y: torch.Tensor) -> torch.Tensor:
    """Saturating E4M3: round to nearest even, |y| > 448 (and inf) -> +-448, NaN stays NaN.

    torch's own cast turns values beyond 464 into NaN, so saturate first.
    """
    sat = torch.where(torch.isnan(y), y, y.clamp(-E4M3_MAX, E4M3_MAX))
    return sat.to(torch.float8_e4m3fn)


def e4m3_scaled(y: torch.Tensor, d_scale: torch.Tensor, floor: bool = False) -> torch.Tensor:
    """E4M3(CLAMP448(y * (1 / d))), d = amax / 448 (optionally floored at 1e-12)."""
    d = d_scale.float().reshape(())
    if floor:
        d = torch.clamp(d, min=1e-12)
    return e4m3(clamp448(y * (1.0 / d)))
