"""Activation scales measured on the GPU (SPEC 7.2 steps 2, 5 and 6).

Each quantization point of a model (a GEMM input) is a slot. During a calibration forward the
caller hands every slot's input to `AmaxCollector.observe`, which runs flash-rt's own
`quantize_fp8_device*` (the kernel that measures amax and writes scale = max(amax/448, 1e-12)
on the device, capture-safe) and keeps, per slot, the maximum over every call of the current
sample: an iterative decoder observing each denoising step gets the true maximum over the
steps (the original kept the last step's). `end_sample` closes one calibration sample;
`scales(percentile)` reduces the samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .weights import E4M3_MAX, SCALE_FLOOR


def scales_from_amax(amax: Sequence[float]) -> list[float]:
    """scale = max(amax / 448, 1e-12) per slot (float32 values, as the kernels compute them)."""
    import numpy as np

    a = np.asarray(amax, dtype=np.float32)
    return [float(v) for v in np.maximum(a / np.float32(E4M3_MAX), np.float32(SCALE_FLOOR))]


def reduce_samples(samples: Sequence[Sequence[float]], percentile: float = 99.9) -> list[float]:
    """Per slot, the `percentile` over samples (numpy's linear interpolation; 100 = the maximum),
    floored at 1e-12. One sample returns itself. A NaN anywhere raises: a NaN scale would
    quantize every value of that GEMM input to -448."""
    import numpy as np

    if not 0.0 < float(percentile) <= 100.0:
        raise ValueError(f"reduce_samples: 'percentile' expected in (0, 100], got {percentile!r}")
    if len(samples) == 0:
        raise ValueError("reduce_samples: 'samples' expected at least one sample, got none")
    m = np.asarray(samples, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"reduce_samples: 'samples' expected equal-length vectors, got shape {m.shape}")
    if not np.isfinite(m).all():
        bad = np.argwhere(~np.isfinite(m))[0]
        raise ValueError(f"reduce_samples: sample {bad[0]} slot {bad[1]} is {m[tuple(bad)]!r}; the "
                         f"calibration input produced NaN or inf")
    r = np.percentile(m, float(percentile), axis=0)
    return [max(float(v), SCALE_FLOOR) for v in r]


class AmaxCollector:
    """Per-slot activation scales over calibration samples, measured with flash-rt's kernels.

        col = AmaxCollector(num_slots=4 * layers)
        for obs in samples:
            for step in denoising_steps:          # the model's calibration forward
                col.observe(slot, gemm_input)     # at every quantization point
            col.end_sample()
        scales = col.scales(percentile=99.9)      # list of float, one per slot

    `observe` queues work on torch's current stream and never synchronises; `end_sample` copies
    one small vector to the host. Not for use inside a CUDA-graph capture (it allocates the FP8
    scratch output per call); calibration runs eagerly, once.
    """

    def __init__(self, num_slots: int, device="cuda"):
        import torch

        if int(num_slots) <= 0:
            raise ValueError(f"AmaxCollector: 'num_slots' expected a positive count, got {num_slots!r}")
        self.num_slots = int(num_slots)
        self._running = torch.zeros(self.num_slots, dtype=torch.float32, device=device)
        self._slot = torch.zeros(1, dtype=torch.float32, device=device)
        self.samples: list[list[float]] = []

    def observe(self, slot: int, x) -> None:
        import torch

        import flash_rt

        if not 0 <= int(slot) < self.num_slots:
            raise IndexError(f"AmaxCollector.observe: 'slot' expected 0..{self.num_slots - 1}, got {slot!r}")
        entry = {torch.float16: "quantize_fp8_device_fp16", torch.bfloat16: "quantize_fp8_device"}.get(x.dtype)
        if entry is None:
            raise TypeError(f"AmaxCollector.observe: 'x' expected float16 or bfloat16, got {x.dtype}")
        x = x.contiguous()
        scratch = torch.empty(x.numel(), dtype=torch.uint8, device=x.device)
        getattr(flash_rt.flash_rt_kernels, entry)(x, scratch, self._slot, x.numel(),
                                                 stream=torch.cuda.current_stream(x.device).cuda_stream)
        # Maximum over every observation of this sample (e.g. every denoising step).
        torch.maximum(self._running[slot : slot + 1], self._slot, out=self._running[slot : slot + 1])

    def end_sample(self) -> list[float]:
        """Close the current sample: its per-slot scales (slots never observed stay at 0 and
        are floored to 1e-12 by `scales`)."""
        sample = [float(v) for v in self._running.cpu()]
        self._running.zero_()
        if not all(math.isfinite(v) for v in sample):
            raise ValueError("AmaxCollector.end_sample: a calibration input contained NaN or inf")
        self.samples.append(sample)
        return sample

    def scales(self, percentile: float = 99.9) -> list[float]:
        return reduce_samples(self.samples, percentile)
