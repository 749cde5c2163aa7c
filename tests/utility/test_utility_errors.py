"""Utility-group validation without a GPU (SPEC 2.8): byte counts, spans read through offsets
and strides, finite dt. Generic checks for every entry are in
test_rope_utility_patch_errors.py. Calls mix fake aligned addresses with one CPU tensor, so none
can launch; an accepted call ends at its last tensor argument ("expected a CUDA tensor").
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

F16, BF16, F32 = torch.float16, torch.bfloat16, torch.float32
ADDR = [0x7F00_0000_0000 + i * 0x100_0000 for i in range(1, 5)]


def msg(entry, arg, what):
    return rf"^{re.escape(entry)}: '{re.escape(arg)}' expected {what}"


def accepted(entry, last):
    return pytest.raises(ValueError, match=rf"^{entry}: '{last}' expected a CUDA tensor, got a tensor on cpu$")


# ---- gpu_copy ----------------------------------------------------------------------------------

def test_copy_nbytes_against_tensor_sizes(fvk):
    with pytest.raises(ValueError, match=msg("gpu_copy", "dst", r"at least nbytes = 33 bytes, got shape \[16\] "
                                                                r"of float16 \(32 bytes\)")):
        fvk.gpu_copy(torch.zeros(16, dtype=F16), ADDR[0], 33)
    with pytest.raises(ValueError, match=msg("gpu_copy", "src", r"at least nbytes = 33 bytes")):
        fvk.gpu_copy(ADDR[0], torch.zeros(8, dtype=F32), 33)
    with accepted("gpu_copy", "src"):  # any dtype, exactly enough bytes
        fvk.gpu_copy(ADDR[0], torch.zeros(33, dtype=torch.uint8), 33)
    with accepted("gpu_copy", "dst"):
        fvk.gpu_copy(torch.zeros(3, 4, dtype=F32), ADDR[0], 33)


def test_copy_nbytes_positive(fvk):
    for bad in (0, -1):
        with pytest.raises(ValueError, match=msg("gpu_copy", "nbytes", rf"a positive size, got {bad}$")):
            fvk.gpu_copy(ADDR[0], ADDR[1], bad)


def test_copy_unsupported_dtype(fvk):
    with pytest.raises(TypeError, match=msg("gpu_copy", "dst", "a tensor of a supported dtype")):
        fvk.gpu_copy(torch.zeros(64, dtype=torch.bool), ADDR[0], 8)


def test_copy_odd_addresses_accepted(fvk):
    """Bytes have no alignment: odd addresses pass validation (here the CPU tensor stops it)."""
    with accepted("gpu_copy", "src"):
        fvk.gpu_copy(ADDR[0] + 3, torch.zeros(8, dtype=torch.uint8)[1:], 7)


# ---- gpu_strided_copy_fp16 ---------------------------------------------------------------------

@pytest.mark.parametrize("rows, cols, stride, offset", [(4, 8, 24, 8), (1, 5, 0, 3), (3, 2, 0, 0), (2, 7, 9, 1)])
def test_strided_source_span(fvk, rows, cols, stride, offset):
    need = (rows - 1) * stride + offset + cols
    with pytest.raises(ValueError, match=msg("gpu_strided_copy_fp16", "src", rf"at least {need} elements \(\(rows - 1\) "
                                                                             rf"\* src_stride \+ col_offset \+ dst_cols\)")):
        fvk.gpu_strided_copy_fp16(torch.zeros(need - 1, dtype=F16), ADDR[0], rows, cols, stride, offset)
    with accepted("gpu_strided_copy_fp16", "dst"):
        fvk.gpu_strided_copy_fp16(ADDR[0], torch.zeros(rows, cols, dtype=F16), rows, cols, stride, offset)
    with accepted("gpu_strided_copy_fp16", "src"):
        fvk.gpu_strided_copy_fp16(torch.zeros(need, dtype=F16), ADDR[0], rows, cols, stride, offset)


def test_strided_copy_dst_cols_at_least_one(fvk):
    with pytest.raises(ValueError, match=msg("gpu_strided_copy_fp16", "dst_cols", "a positive size, got 0$")):
        fvk.gpu_strided_copy_fp16(ADDR[0], ADDR[1], 4, 0, 8, 0)


def test_strided_copy_offsets_that_overflow(fvk):
    with pytest.raises(ValueError, match=msg("gpu_strided_copy_fp16", "src_stride", "offsets that fit in 64 bits")):
        fvk.gpu_strided_copy_fp16(ADDR[0], ADDR[1], 4, 8, 2**62, 0)


# ---- gpu_euler_step --------------------------------------------------------------------------------

def test_euler_dt_finite(fvk):
    for bad, shown in ((float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf")):
        with pytest.raises(ValueError, match=msg("gpu_euler_step", "dt", rf"a finite value, got {shown}$")):
            fvk.gpu_euler_step(ADDR[0], ADDR[1], 4, 8, bad, 0)


def test_euler_velocity_span(fvk):
    T, A, off = 4, 8, 40
    with pytest.raises(ValueError, match=msg("gpu_euler_step", "velocity", rf"at least {off + T * A} elements")):
        fvk.gpu_euler_step(ADDR[0], torch.zeros(off + T * A - 1, dtype=F16), T, A, -0.1, off)
    with accepted("gpu_euler_step", "velocity"):  # e.g. [Sa, action_dim] with offset (Sa - T) * action_dim
        fvk.gpu_euler_step(ADDR[0], torch.zeros(9, A, dtype=F16), T, A, -0.1, (9 - T) * A)


def test_euler_actions_are_fp32(fvk):
    with pytest.raises(TypeError, match=msg("gpu_euler_step", "actions", "dtype float32, got float16$")):
        fvk.gpu_euler_step(torch.zeros(4, 8, dtype=F16), ADDR[0], 4, 8, -0.1, 0)


# ---- heads, casts, bias --------------------------------------------------------------------------

def test_repeat_heads_shapes(fvk):
    S, NH, HD, rep = 3, 2, 16, 4
    with pytest.raises(ValueError, match=msg("gpu_repeat_interleave_heads", "dst", rf"{S * NH * rep * HD} elements")):
        fvk.gpu_repeat_interleave_heads(ADDR[0], torch.zeros(S, NH * 2, HD, dtype=F16), S, NH, HD, rep)
    with accepted("gpu_repeat_interleave_heads", "dst"):
        fvk.gpu_repeat_interleave_heads(ADDR[0], torch.zeros(S, NH * rep, HD, dtype=F16), S, NH, HD, rep)


@pytest.mark.parametrize("entry, src, dst", [("gpu_cast_fp32_to_fp16", F32, F16), ("cast_fp16_to_bf16", F16, BF16),
                                             ("cast_bf16_to_fp16", BF16, F16)])
def test_casts_any_shape_same_count(fvk, entry, src, dst):
    with accepted(entry, "src" if entry.startswith("gpu") else "in"):
        getattr(fvk, entry)(torch.zeros(3, 5, dtype=src), ADDR[0], 15)
    with pytest.raises(ValueError, match=rf"^{entry}: '(dst|out)' expected 15 elements, got shape \[16\]"):
        getattr(fvk, entry)(ADDR[0], torch.zeros(16, dtype=dst), 15)


def test_bias_width(fvk):
    with pytest.raises(ValueError, match=msg("add_bias_fp16", "b", r"8 elements, got shape \[7\]")):
        fvk.add_bias_fp16(ADDR[0], torch.zeros(7, dtype=F16), 4, 8)
