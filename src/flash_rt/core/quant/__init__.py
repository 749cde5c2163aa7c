"""Calibrate once, use forever (SPEC 7.2): static per-tensor FP8 scales.

- `quantize_weight`: per-tensor weight scale `max(amax/448, 1e-12)` and the E4M3 weight.
- `AmaxCollector`: activation scales measured on the GPU with `quantize_fp8_device*`
  (capture-safe), the maximum over the steps of one sample (an iterative decoder's denoising
  steps: the true maximum, not the last step), one vector per sample.
- `reduce_samples`: the percentile over samples (100 = plain maximum).
- `save_calibration` / `load_calibration` / `clear_calibration`: the on-disk cache keyed by
  checkpoint hash and sequence length, JSON format of SPEC 7.2; a corrupt file is rejected with
  a message and never half-loaded.
"""

from .calibrator import (
    CACHE_DIR,
    CalibrationCacheError,
    checkpoint_hash,
    clear_calibration,
    load_calibration,
    save_calibration,
)
from .collect import AmaxCollector, reduce_samples, scales_from_amax
from .weights import E4M3_MAX, SCALE_FLOOR, quantize_weight

__all__ = [
    "CACHE_DIR",
    "E4M3_MAX",
    "SCALE_FLOOR",
    "AmaxCollector",
    "CalibrationCacheError",
    "checkpoint_hash",
    "clear_calibration",
    "load_calibration",
    "quantize_weight",
    "reduce_samples",
    "save_calibration",
    "scales_from_amax",
]
