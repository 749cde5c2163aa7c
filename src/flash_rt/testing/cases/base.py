"""Describing one catalog entry for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

# Argument kinds:
#   rows   : [S, width * D] tensor of `dtype`        vec  : [D] tensor of `dtype`
#   scale  : device float32 [1] (FP8 amax/448)      S, D : the entry's row / column counts
#   eps    : the entry's eps (its own default unless a test overrides it)
#   tensor : any shape, `shape_fn(S, D)`; values from `init(shape, generator)` if given
#   int    : a derived size `value_fn(S, D)` (n = S * D, half_dim, q_dim, offsets, ...)
#   float  : a scalar `value_fn(S, D)` (beta, dt, attn_scale, ...)
# What S and D mean for an entry is the case's choice (document it in the case module):
# benchmarks and tests only pass (S, D) pairs through.
TENSOR_KINDS = ("rows", "vec", "scale", "tensor")


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str
    dtype: torch.dtype | None = None
    width: int = 1          # rows: multiple of D per row (style tensors: 3)
    output: bool = False    # written by the entry
    inplace: bool = False   # read and written (an input that is also an output)
    shape_fn: Callable[[int, int], tuple[int, ...]] | None = None   # kind "tensor"
    value_fn: Callable[[int, int], int | float] | None = None       # kinds "int", "float"
    init: Callable[[tuple[int, ...], torch.Generator], torch.Tensor] | None = None  # custom inputs

    @property
    def is_tensor(self) -> bool:
        return self.kind in TENSOR_KINDS

    def shape(self, S: int, D: int) -> tuple[int, ...]:
        if self.kind == "rows":
            return (S, self.width * D)
        if self.kind == "vec":
            return (D,)
        if self.kind == "scale":
            return (1,)
        if self.kind == "tensor":
            return tuple(self.shape_fn(S, D))
        raise ValueError(f"{self.name} is not a tensor argument")


@dataclass(frozen=True)
class Case:
    """One catalog entry. `ref(**inputs, [eps=])` returns its outputs (one or a tuple)
    in the order of `outputs`; it doubles as the torch eager / torch.compile peer."""

    name: str
    args: tuple[Arg, ...]
    ref: Callable
    eps: float | None = None            # default eps, None if the entry has no eps argument
    group: str = ""
    inputs_for_ref: tuple[str, ...] = field(default=())
    # Benchmark shapes (S, D) for this entry when its group's default table does not fit
    # (e.g. an FFN-width activation); `None`: the group's table in testing/bench.py.
    bench_shapes: tuple[tuple[int, int], ...] | None = None
    # Shapes of `bench --quick` when the group's quick set does not fit this entry (patch_im2col,
    # whose S counts 224x224 views: 4096 of them would be 1.2 GB); `None`: the group's.
    quick_shapes: tuple[tuple[int, int], ...] | None = None
    # Activation rows (tokens) one call at S produces, for the benchmark's size class (inference
    # rows up to 4096 tokens, bandwidth rows above, BENCH.md): S, unless the case's S counts
    # something else (patch_im2col: views of 256 patch rows each).
    tokens: Callable[[int], int] | None = None
    # How many times the contract makes a call read its inputs when they exceed what the chip
    # holds: quantize_fp8_device*: 2, since no FP8 byte can be written before the amax of all of
    # x is known (docs/RESULTS-2026-11-28-H100-session12.md section 3 bounds a one-read kernel on
    # an H100 at 0.925 of copy). The bandwidth target counts these reads (bytes_required).
    input_reads: int = 1

    @property
    def tensor_args(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.is_tensor)

    @property
    def outputs(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.output or a.inplace)

    @property
    def ref_inputs(self) -> tuple[str, ...]:
        if self.inputs_for_ref:
            return self.inputs_for_ref
        return tuple(a.name for a in self.args if a.is_tensor and not a.output)

    def arg(self, name: str) -> Arg:
        return next(a for a in self.args if a.name == name)

    # ---- data --------------------------------------------------------------------------

    def make(self, S: int, D: int, device="cuda", seed: int = 0) -> dict[str, torch.Tensor]:
        """Fresh inputs of realistic magnitude (with outliers and, for S >= 3, an all-zero
        row), outputs allocated (uninitialised), and FP8 scales fitted to the outputs."""
        gen = torch.Generator(device="cpu").manual_seed(seed)
        t: dict[str, torch.Tensor] = {}
        for a in self.tensor_args:
            if a.output or a.kind == "scale":
                continue
            t[a.name] = _random(a, S, D, gen).to(device)
        for a in self.tensor_args:
            if a.kind == "scale":
                t[a.name] = torch.ones(1, dtype=torch.float32, device=device)
        # Fit each FP8 scale to amax/448 of what it scales, so outputs use the E4M3 range.
        if any(a.kind == "scale" for a in self.tensor_args):
            unscaled = self.reference(t)
            for out in unscaled:
                if out.dtype == torch.float8_e4m3fn:
                    amax = out.float().abs().nan_to_num(0).amax().clamp(min=1e-3)
                    for s in self.tensor_args:
                        if s.kind == "scale":
                            t[s.name] = (amax / 448.0).reshape(1).to(torch.float32)
        for a in self.tensor_args:
            if a.output:
                t[a.name] = torch.empty(a.shape(S, D), dtype=a.dtype, device=device)
        return t

    def reference(self, t: dict[str, torch.Tensor], eps: float | None = None) -> tuple[torch.Tensor, ...]:
        kwargs = {n: t[n] for n in self.ref_inputs}
        if self.eps is not None:
            kwargs["eps"] = self.eps if eps is None else eps
        out = self.ref(**kwargs)
        return out if isinstance(out, tuple) else (out,)

    def call(self, fvk, t: dict[str, torch.Tensor], S: int, D: int, *, eps: float | None = None,
             convert: Callable = lambda x: x, stream: int = 0) -> None:
        """Call the flash-rt entry positionally, tensors passed through `convert` (identity,
        to_dlpack, or data_ptr)."""
        args = []
        for a in self.args:
            if a.is_tensor:
                args.append(convert(t[a.name]))
            elif a.kind == "S":
                args.append(S)
            elif a.kind == "D":
                args.append(D)
            elif a.kind == "eps":
                args.append(self.eps if eps is None else eps)
            elif a.kind in ("int", "float"):
                args.append(a.value_fn(S, D))
        getattr(fvk, self.name)(*args, stream=stream)

    def token_rows(self, S: int) -> int:
        return S if self.tokens is None else self.tokens(S)

    def bytes_moved(self, S: int, D: int) -> int:
        """Each input read once, each output written once (in-place tensors count twice)."""
        return sum(self._bytes(a, S, D) * (2 if a.inplace else 1) for a in self.tensor_args)

    def bytes_required(self, S: int, D: int) -> int:
        """bytes_moved plus the inputs' further reads the contract forces (input_reads)."""
        extra = sum(self._bytes(a, S, D) for a in self.tensor_args if not a.output and a.kind != "scale")
        return self.bytes_moved(S, D) + (self.input_reads - 1) * extra

    @staticmethod
    def _bytes(a: Arg, S: int, D: int) -> int:
        n = 1
        for s in a.shape(S, D):
            n *= s
        return n * torch.empty((), dtype=a.dtype).element_size()


def _random(a: Arg, S: int, D: int, gen: torch.Generator) -> torch.Tensor:
    shape = a.shape(S, D)
    if a.init is not None:
        return a.init(shape, gen).to(a.dtype)
    if a.kind == "vec":
        # weights near 1, biases/shifts near 0: one recipe covers both reasonably
        base = 1.0 if a.name in ("weight", "gamma") else 0.0
        x = base + 0.25 * torch.randn(shape, generator=gen)
    elif a.name == "style":
        x = 0.3 * torch.randn(shape, generator=gen)
    else:
        x = 2.0 * torch.randn(shape, generator=gen)
        # outliers: ~1% of elements 8x larger, as activations have
        mask = torch.rand(shape, generator=gen) < 0.01
        x = torch.where(mask, x * 8.0, x)
        if S >= 3 and x.dim() >= 2:
            x[1] = 0.0  # an all-zero row
    return x.to(a.dtype)
