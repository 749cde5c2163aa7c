"""Helpers around calibration samples (SPEC 7.2, "related helpers")."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Sequence

from .quant.collect import reduce_samples


def accumulate_amax(samples: Sequence[Sequence[float]], percentile: float = 99.9) -> list[float]:
    """Per slot, the `percentile` of the per-sample values (100 = maximum)."""
    return reduce_samples(samples, percentile)


def summarize_amax_dispersion(samples: Sequence[Sequence[float]]) -> list[dict]:
    """Per slot: min, median, max over samples and max/median (how much one outlier sample would
    move a max-reduced scale)."""
    if not samples:
        return []
    out = []
    for slot, values in enumerate(zip(*samples, strict=True)):
        med = statistics.median(values)
        out.append({"slot": slot, "min": min(values), "median": med, "max": max(values),
                    "max_over_median": (max(values) / med) if med > 0 else float("inf")})
    return out


def format_summary(summary: Sequence[dict], top: int = 10) -> str:
    """The `top` slots with the widest spread, one line each."""
    rows = sorted(summary, key=lambda r: r["max_over_median"], reverse=True)[:top]
    return "\n".join(f"slot {r['slot']:4d}: min {r['min']:.4g}  median {r['median']:.4g}  max {r['max']:.4g}  "
                     f"max/median {r['max_over_median']:.2f}" for r in rows)


def check_scale_ceiling(scales: Sequence[float], ratio: float = 20.0) -> list[int]:
    """Slots whose scale exceeds `ratio` times the median scale (warns once listing them)."""
    if not scales:
        return []
    med = statistics.median(scales)
    high = [i for i, s in enumerate(scales) if med > 0 and s > ratio * med]
    if high:
        warnings.warn(f"check_scale_ceiling: {len(high)} slot(s) above {ratio}x the median scale "
                      f"({med:.4g}): {high[:10]}", stacklevel=2)
    return high
