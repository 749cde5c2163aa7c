"""Precision metadata (SPEC 7.2): what a model's quantized tensors are. Pure metadata."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class PrecisionSpec:
    dtype: str = "fp8_e4m3"
    granularity: str = "per_tensor"
    scheme: str = "symmetric"
    group_size: int | None = None
    scale_source: str = "calibration"
    scale: float | None = None
    zero_point: float | None = None
    calibration_method: str | None = None
    calibration_samples: int | None = None
    calibration_percentile: float | None = None

    def validate(self) -> PrecisionSpec:
        """Only what the kernels implement: FP8 E4M3, per-tensor, symmetric."""
        for name, want in (("dtype", "fp8_e4m3"), ("granularity", "per_tensor"), ("scheme", "symmetric")):
            if getattr(self, name) != want:
                raise NotImplementedError(f"PrecisionSpec: '{name}' {getattr(self, name)!r} is not supported "
                                          f"(flash-rt implements {want!r})")
        if self.scale is not None and not self.scale > 0:
            raise ValueError(f"PrecisionSpec: 'scale' expected a positive value, got {self.scale!r}")
        return self


@dataclass
class ModelPrecisionSpec:
    encoder: dict[str, PrecisionSpec] = field(default_factory=dict)
    decoder: dict[str, PrecisionSpec] = field(default_factory=dict)
    weight: dict[str, PrecisionSpec] = field(default_factory=dict)
    activation: dict[str, PrecisionSpec] = field(default_factory=dict)
    source: str = ""

    _PARTS = ("encoder", "decoder", "weight", "activation")

    def to_json(self) -> str:
        return json.dumps({**{p: {k: asdict(v) for k, v in getattr(self, p).items()} for p in self._PARTS},
                           "source": self.source}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelPrecisionSpec:
        doc = json.loads(text)
        unknown = set(doc) - set(cls._PARTS) - {"source"}
        if unknown:
            raise ValueError(f"ModelPrecisionSpec.from_json: unknown fields {sorted(unknown)}")
        return cls(**{p: {k: PrecisionSpec(**v) for k, v in doc.get(p, {}).items()} for p in cls._PARTS},
                   source=doc.get("source", ""))
