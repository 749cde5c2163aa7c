"""Numerics helpers for tests and benchmarks: relative L2 error with per-dtype ceilings,
ulp distances (16-bit floats and FP8 E4M3 codes), and poisoned output buffers with guard
regions (STYLE 5).

Why these ceilings. flash-rt kernels compute in fp32 and round once to the output dtype
(SPEC 1.2), and the references in `testing/ref` do the same math in fp32 with the same single
rounding. The fp32 results differ by a few fp32 ulps (approximate `rsqrtf`, reduction
order, `--prec-div=false`), which is ~2^13 times smaller than a 16-bit ulp, so an output
element either matches the reference exactly or sits one ulp away because the two fp32
values straddle a rounding boundary (rare: ~1e-4 of the elements). A relative ulp is at
most 2^-p (p = stored mantissa bits), so "every element within one ulp" bounds rel-L2 by:

    float16   p = 10  ->  2^-10 ~ 9.8e-4   ceiling 1e-3
    bfloat16  p = 7   ->  2^-7  ~ 7.8e-3   ceiling 8e-3
    float32           ->  the fp32 differences themselves, ~1e-6   ceiling 1e-5
    e4m3 (dequantised, p = 3): half an ulp 2^-4 = 6.25e-2     ceiling 6e-2

An entry with k roundings on its path (a GEMM whose output is rounded, then an epilogue that
rounds again) gets `ceiling(dtype, roundings=k)`. rel-L2 is a summary; it can hide one bad
element in a million, so the element rules below (`assert_close`) are the sharper check:
16-bit outputs within one ulp of the reference (or within a small absolute floor for values
formed by cancellation), FP8 outputs within one E4M3 code step, and few codes differing at all.
"""

from __future__ import annotations

import math

import torch

FP8 = torch.float8_e4m3fn

# rel-L2 ceilings for outputs rounded once from fp32 (see the module docstring).
CEILINGS: dict[torch.dtype, float] = {
    torch.float16: 1e-3,
    torch.bfloat16: 8e-3,
    torch.float32: 1e-5,
    FP8: 6e-2,
}

# Element rule for 16-bit outputs: |out - ref| <= 1 ulp(ref), or <= ATOL_FRAC * rms(ref).
# The floor covers values formed by cancellation (LayerNorm near the mean, y*(1+scale)+shift
# near zero), where the fp32 error of the O(1) terms (~1e-6 of their size) exceeds the ulp of
# the tiny result. 1e-4 of the tensor's RMS leaves ~100x margin over that and is still ~10x
# below one fp16 ulp at 1.0, so a wrong element of normal size cannot hide under it.
ATOL_FRAC = 1e-4

# FP8 rule: codes at most one E4M3 step apart (the approximate rsqrtf / division of the kernels
# vs torch's can put a value on the other side of a rounding boundary), and only a few of them:
# the chance of straddling a boundary is ~1e-5 per element, so 0.5% (+1 for tiny tensors) is a
# generous bound that still catches a systematic off-by-one rounding.
FP8_MAX_STEPS = 1
FP8_MAX_DIFF_FRACTION = 0.005

# Poison byte per dtype: every element of the buffer made of these bytes is a NaN.
#   fp16 0xFFFF, bf16 0xFFFF, fp32 0xFFFFFFFF: negative NaNs with all mantissa bits set; CUDA's
#   conversions produce the canonical 0x7FFF / 0x7FFFFFFF, so a computed NaN never looks like poison.
#   e4m3 0x7F: the positive NaN (E4M3 has no other NaN but 0xFF); an entry whose contract lets
#   NaN through unclamped writes 0x7F for a NaN input, so NaN tests check such outputs by value.
_POISON_BYTE = {torch.float16: 0xFF, torch.bfloat16: 0xFF, torch.float32: 0xFF, FP8: 0x7F}


def ceiling(dtype: torch.dtype, roundings: int = 1) -> float:
    """rel-L2 ceiling for an output of `dtype` that went through `roundings` roundings."""
    return CEILINGS[dtype] * roundings


def rel_l2(out: torch.Tensor, ref: torch.Tensor) -> float:
    """||out - ref|| / ||ref|| in float64. NaN anywhere (either side) -> inf. A zero reference
    gives 0 when out is zero too, else inf."""
    o = out.detach().to(torch.float64).flatten()
    r = ref.detach().to(torch.float64).flatten()
    if o.shape != r.shape:
        raise ValueError(f"rel_l2: shapes differ: {tuple(out.shape)} vs {tuple(ref.shape)}")
    if bool(torch.isnan(o).any()) or bool(torch.isnan(r).any()):
        return math.inf
    num = float(torch.linalg.vector_norm(o - r))
    den = float(torch.linalg.vector_norm(r))
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


# ---- bit patterns and ulps -----------------------------------------------------------------

_INT_OF_SIZE = {1: torch.uint8, 2: torch.int16, 4: torch.int32}


def bits(t: torch.Tensor) -> torch.Tensor:
    """The storage bits of a 1-, 2- or 4-byte tensor as an integer tensor of the same size."""
    return t.contiguous().view(_INT_OF_SIZE[t.element_size()])


def fp8_codes(t: torch.Tensor) -> torch.Tensor:
    """E4M3 codes (uint8) of an FP8 tensor (float8_e4m3fn, uint8 or int8 storage)."""
    if t.element_size() != 1:
        raise TypeError(f"fp8_codes: expected a 1-byte tensor, got {t.dtype}")
    return t.contiguous().view(torch.uint8)


def _sign_magnitude(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    size = t.element_size()
    b = bits(t).to(torch.int64)
    if size == 1:
        sign, mag = b >= 0x80, b & 0x7F
    elif size == 2:
        b = b & 0xFFFF
        sign, mag = b >= 0x8000, b & 0x7FFF
    else:
        b = b & 0xFFFFFFFF
        sign, mag = b >= 0x80000000, b & 0x7FFFFFFF
    return sign, mag


def isnan_bits(t: torch.Tensor) -> torch.Tensor:
    """NaN mask that works for FP8 storage too (E4M3: magnitude code 0x7F)."""
    if t.element_size() == 1:
        return _sign_magnitude(t)[1] == 0x7F
    return torch.isnan(t)


def ordered(t: torch.Tensor) -> torch.Tensor:
    """Map float bits to integers that are monotonic in the value (+0 and -0 both map to 0),
    so that the difference of two of them counts representable values between them (ulps)."""
    sign, mag = _sign_magnitude(t)
    return torch.where(sign, -mag, mag)


def ulp_distance(out: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Per element: how many representable values apart out and ref are (same dtype, int64).
    Two NaNs are 0 apart; a NaN against a number is 2^40 apart."""
    if out.dtype != ref.dtype and out.element_size() != ref.element_size():
        raise TypeError(f"ulp_distance: dtypes differ: {out.dtype} vs {ref.dtype}")
    d = (ordered(out) - ordered(ref)).abs()
    n_out, n_ref = isnan_bits(out), isnan_bits(ref)
    d = torch.where(n_out & n_ref, torch.zeros_like(d), d)
    return torch.where(n_out ^ n_ref, torch.full_like(d, 1 << 40), d)


# ---- comparisons ---------------------------------------------------------------------------

def _where(flat_index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    idx = []
    for s in reversed(shape):
        idx.append(flat_index % s)
        flat_index //= s
    return tuple(reversed(idx))


def assert_fp8_close(out: torch.Tensor, ref: torch.Tensor, what: str = "out", *,
                     max_steps: int = FP8_MAX_STEPS, max_fraction: float = FP8_MAX_DIFF_FRACTION) -> None:
    """FP8 outputs: codes at most `max_steps` E4M3 steps from the reference codes (NaN only
    where the reference is NaN), and at most `max_fraction` of them (+1) differing at all."""
    if out.shape != ref.shape:
        raise AssertionError(f"{what}: shape {tuple(out.shape)} != reference {tuple(ref.shape)}")
    d = ulp_distance(fp8_codes(out), fp8_codes(ref)).flatten()
    worst = int(d.max()) if d.numel() else 0
    ndiff = int((d != 0).sum())
    allowed = int(max_fraction * d.numel()) + 1
    if worst > max_steps or ndiff > allowed:
        i = int(d.argmax())
        oc8, rc8 = fp8_codes(out).flatten()[i : i + 1], fp8_codes(ref).flatten()[i : i + 1]
        oc, rc = int(oc8), int(rc8)
        ov, rv = float(oc8.view(FP8).float()), float(rc8.view(FP8).float())
        raise AssertionError(
            f"{what}: FP8 codes differ from the reference: worst {worst} steps (allowed {max_steps}) at "
            f"{_where(i, tuple(out.shape))}: got 0x{oc:02X} ({ov}), expected 0x{rc:02X} ({rv}); "
            f"{ndiff} of {d.numel()} codes differ (allowed {allowed})")


def assert_close(out: torch.Tensor, ref: torch.Tensor, what: str = "out", *, roundings: int = 1,
                 atol_frac: float = ATOL_FRAC) -> float:
    """Compare an output with its reference by the rules of this module; returns rel-L2.

    FP8 (float8_e4m3fn or uint8/int8 storage of it): `assert_fp8_close` plus the dequantised
    rel-L2 ceiling. 16-bit and fp32: rel-L2 under the dtype's ceiling, NaN exactly where the
    reference has NaN, and every element within `roundings` ulps or `atol_frac * rms(ref)`.
    """
    if out.shape != ref.shape:
        raise AssertionError(f"{what}: shape {tuple(out.shape)} != reference {tuple(ref.shape)}")
    if ref.dtype == FP8 or out.dtype == FP8 or out.element_size() == 1:
        o8, r8 = fp8_codes(out).view(FP8), fp8_codes(ref).view(FP8)
        assert_fp8_close(o8, r8, what)
        nan = isnan_bits(r8)
        err = rel_l2(o8.float()[~nan], r8.float()[~nan])
        if err > ceiling(FP8, roundings):
            raise AssertionError(f"{what}: dequantised rel-L2 {err:.3e} > ceiling {ceiling(FP8, roundings):.1e}")
        return err
    if out.dtype != ref.dtype:
        raise AssertionError(f"{what}: dtype {out.dtype} != reference {ref.dtype}")
    nan_o, nan_r = torch.isnan(out), torch.isnan(ref)
    if not torch.equal(nan_o, nan_r):
        i = int((nan_o ^ nan_r).flatten().nonzero()[0])
        raise AssertionError(
            f"{what}: NaN pattern differs from the reference: {int(nan_o.sum())} NaNs vs {int(nan_r.sum())} "
            f"expected; first at {_where(i, tuple(out.shape))}: got {float(out.flatten()[i])}, "
            f"expected {float(ref.flatten()[i])}")
    keep = ~nan_r
    o, r = out[keep], ref[keep]
    err = rel_l2(o, r)
    limit = ceiling(out.dtype, roundings)
    if o.numel():
        rf = r.double()
        rms = float(rf.pow(2).mean().sqrt())
        ulps = ulp_distance(o, r)
        bad = (ulps > roundings) & ((o.double() - rf).abs() > atol_frac * rms)
        if bool(bad.any()):
            i = int(bad.flatten().nonzero()[0])
            j = int(keep.flatten().nonzero()[i]) if not bool(keep.all()) else i
            raise AssertionError(
                f"{what}: {int(bad.sum())} of {o.numel()} elements are more than {roundings} ulp and "
                f"{atol_frac:g}*rms(ref) = {atol_frac * rms:.3g} from the reference; first at "
                f"{_where(j, tuple(out.shape))}: got {float(o.flatten()[i])}, expected {float(r.flatten()[i])} "
                f"({int(ulps.flatten()[i])} ulps); rel-L2 {err:.3e}")
    if err > limit:
        raise AssertionError(f"{what}: rel-L2 {err:.3e} > ceiling {limit:.1e} for {out.dtype}")
    return err


def assert_same_bits(out: torch.Tensor, ref: torch.Tensor, what: str = "out") -> None:
    """Bit-exact comparison (copies, deterministic quantizers)."""
    if out.shape != ref.shape or out.element_size() != ref.element_size():
        raise AssertionError(f"{what}: {tuple(out.shape)} {out.dtype} vs {tuple(ref.shape)} {ref.dtype}")
    a, b = bits(out), bits(ref)
    if not torch.equal(a, b):
        ne = (a != b).flatten()
        i = int(ne.nonzero()[0])
        raise AssertionError(f"{what}: {int(ne.sum())} of {ne.numel()} elements differ bitwise; first at "
                             f"{_where(i, tuple(out.shape))}: 0x{int(a.flatten()[i]) & 0xFFFFFFFF:X} vs "
                             f"0x{int(b.flatten()[i]) & 0xFFFFFFFF:X}")


# ---- poisoned outputs with guard regions ---------------------------------------------------

def poison_byte(dtype: torch.dtype) -> int:
    return _POISON_BYTE.get(dtype, 0xFF)


class Guarded:
    """An output buffer inside a larger poisoned allocation.

        g = Guarded((S, D), torch.float16)      # g.tensor: [S, D] view, all NaN (poison)
        entry(..., g.tensor, ...)
        g.check()                               # guards intact, every element written

    Layout (bytes): [guard | offset * itemsize | tensor | guard]. With offset 0 the tensor
    starts `guard_bytes` after the allocation (a multiple of 16, so it keeps the allocator's
    16-byte alignment and the kernels take their vector path); offset=1 misaligns it by one
    element to force the scalar path. `fill` (a byte) replaces the poison where a test needs
    the output to start from another pattern; `copy_from` starts the tensor with real values
    (in-place arguments, misaligned inputs), with the guards still poisoned.
    """

    def __init__(self, shape, dtype: torch.dtype, device="cuda", *, offset: int = 0, guard_bytes: int = 256,
                 fill: int | None = None, copy_from: torch.Tensor | None = None):
        if guard_bytes % 16:
            raise ValueError("guard_bytes must be a multiple of 16 (alignment of the view)")
        self.shape = tuple(shape)
        self.dtype = dtype
        self.itemsize = torch.empty((), dtype=dtype).element_size()
        self.numel = math.prod(self.shape)
        self.nbytes = self.numel * self.itemsize
        self.start = guard_bytes + offset * self.itemsize
        self.end = self.start + self.nbytes
        self.poison = poison_byte(dtype)
        self.fill = self.poison if fill is None else fill
        self.buf = torch.empty(self.end + guard_bytes, dtype=torch.uint8, device=device)
        self.tensor = self.buf[self.start : self.end].view(dtype).view(self.shape)
        self._copy_from = copy_from
        self.reset()

    def reset(self, copy_from: torch.Tensor | None = None) -> None:
        """Poison the guards and the tensor again (or reload `copy_from`: the given values,
        which replace the ones the buffer was made with, or those)."""
        if copy_from is not None:
            self._copy_from = copy_from
        self.buf.fill_(self.poison)
        if self.fill != self.poison:
            self.buf[self.start : self.end].fill_(self.fill)
        if self._copy_from is not None:
            self.tensor.copy_(self._copy_from.reshape(self.shape))

    def bad_guard_bytes(self) -> list[int]:
        """Offsets (relative to the tensor start; negative = before it) of changed guard bytes."""
        head = (self.buf[: self.start] != self.poison).nonzero().flatten()
        tail = (self.buf[self.end :] != self.poison).nonzero().flatten()
        return [int(i) - self.start for i in head[:8]] + [int(i) + self.nbytes for i in tail[:8]]

    def unwritten(self) -> int:
        """Elements whose bytes are all still the fill/poison byte."""
        if self.numel == 0:
            return 0
        body = self.buf[self.start : self.end].view(self.numel, self.itemsize)
        return int((body == self.fill).all(dim=1).sum())

    def check(self, what: str = "out", *, written: bool = True) -> None:
        """Guards bit-exact; with `written`, no element still holds the poison pattern."""
        bad = self.bad_guard_bytes()
        if bad:
            raise AssertionError(f"{what}: write outside the tensor: guard bytes changed at byte offsets {bad} "
                                 f"(tensor is {self.nbytes} bytes)")
        if written:
            n = self.unwritten()
            if n:
                body = self.buf[self.start : self.end].view(self.numel, self.itemsize)
                first = int((body == self.fill).all(dim=1).nonzero()[0])
                raise AssertionError(f"{what}: {n} of {self.numel} elements were not written (still poison); "
                                     f"first at {_where(first, self.shape)}")


def guarded_copy(t: torch.Tensor, *, offset: int = 0, guard_bytes: int = 256) -> Guarded:
    """A Guarded buffer holding a copy of `t` (for in-place arguments and misaligned inputs)."""
    return Guarded(t.shape, t.dtype, t.device, offset=offset, guard_bytes=guard_bytes, copy_from=t)
