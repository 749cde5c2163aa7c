"""Rope-group validation without a GPU (SPEC 2.6.2 hazards turned into errors), and the
reference's own consistency. Generic checks (dtype, device, null, alignment, sizes) for every
entry are in tests/utility/test_rope_utility_patch_errors.py.

Tensor arguments are fake aligned addresses (validated for null/alignment only) and one CPU
tensor, so no call can launch, with or without a GPU. A call whose arguments are all accepted
ends at its last tensor argument, a correctly sized CPU tensor: "'<arg>' expected a CUDA
tensor" proves every check before it passed.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.ref import rope as R  # noqa: E402

F16, BF16 = torch.float16, torch.bfloat16
ADDR = [0x7F00_0000_0000 + i * 0x100_0000 for i in range(1, 9)]


def accepted(entry, last):
    return pytest.raises(ValueError, match=rf"^{entry}: '{last}' expected a CUDA tensor, got a tensor on cpu$")


def cpu(n, dtype=F16):
    return torch.zeros(n, dtype=dtype)


def msg(entry, arg, what):
    return rf"^{re.escape(entry)}: '{re.escape(arg)}' expected {what}"


# ---- head_dim parity and whole heads ---------------------------------------------------------

def test_odd_head_dim_rejected(fvk):
    with pytest.raises(ValueError, match=msg("qkv_split_rope", "head_dim", r"an even size .*got 7$")):
        fvk.qkv_split_rope(*ADDR[:5], 2, 7 * 8, 7, 7, 7)
    with pytest.raises(ValueError, match=msg("qkv_split_rope_kvcache_fp16", "HD", r"an even size .*got 5$")):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:5], 2, 40, 5, 5, 50, 0, 5)
    with pytest.raises(ValueError, match=msg("rope_apply", "head_dim", r"an even size .*got 3$")):
        fvk.rope_apply(*ADDR[:3], 2, 4, 3)
    with pytest.raises(ValueError, match=msg("rope_rotate_half_fp16", "HD", r"an even size .*got 9$")):
        fvk.rope_rotate_half_fp16(*ADDR[:3], 2, 4, 9)


def test_partial_heads_rejected(fvk):
    with pytest.raises(ValueError, match=msg("qkv_split_rope", "q_dim", r"a multiple of head_dim = 64 .*got 100$")):
        fvk.qkv_split_rope(*ADDR[:5], 2, 100, 64, 64, 64)
    with pytest.raises(ValueError, match=msg("qkv_split_rope", "k_dim", r"a multiple of head_dim = 64 \(whole KV heads")):
        fvk.qkv_split_rope(*ADDR[:5], 2, 128, 96, 64, 64)
    with pytest.raises(ValueError, match=msg("qkv_split_rope_kvcache_fp16", "K_dim", r"a multiple of HD = 64")):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:5], 2, 128, 96, 64, 300, 0, 96)
    with pytest.raises(ValueError, match=msg("qkv_split_rope_kvcache_fp16", "Q_dim", r"a multiple of HD = 64")):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:5], 2, 100, 64, 64, 300, 0, 64)


@pytest.mark.parametrize("kv_heads", [1, 2, 8])
def test_any_number_of_kv_heads_accepted(fvk, kv_heads):
    hd, S = 64, 3
    with accepted("qkv_split_rope", "V"):
        fvk.qkv_split_rope(*ADDR[:4], cpu(S * kv_heads * hd, BF16), S, 8 * hd, kv_heads * hd, kv_heads * hd, hd)
    with accepted("qkv_split_rope_kvcache_fp16", "Vc"):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:4], cpu(S * kv_heads * hd), S, 8 * hd, kv_heads * hd, hd,
                                        (8 + 2 * kv_heads) * hd, 0, kv_heads * hd)


# ---- the KV-cache variant ----------------------------------------------------------------------

E = "qkv_split_rope_kvcache_fp16"


def test_implied_v_width_must_be_positive(fvk):
    for stride in (128 + 64, 100):
        with pytest.raises(ValueError, match=msg(E, "qkv_stride", rf"more than Q_dim \+ K_dim = 192 .*got {stride}$")):
            fvk.qkv_split_rope_kvcache_fp16(*ADDR[:5], 2, 128, 64, 64, stride, 0, 64)
    with accepted(E, "Vc"):  # V width 1: Vc needs 64 + 1 elements
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:4], cpu(65), 2, 128, 64, 64, 193, 0, 64)


def test_cache_rows_must_not_overlap(fvk):
    # K width 64, V width 100: rows of 100 elements at least.
    with pytest.raises(ValueError, match=msg(E, "kc_stride", r">= max\(K_dim, V width\) = 100 when S > 1.*got 99$")):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:5], 2, 128, 64, 64, 292, 0, 99)
    with accepted(E, "Vc"):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:4], cpu(200), 2, 128, 64, 64, 292, 0, 100)
    with accepted(E, "Vc"):  # one row: the stride is never used
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:4], cpu(100), 1, 128, 64, 64, 292, 0, 0)


@pytest.mark.parametrize("which", ["Kc", "Vc"])
def test_cache_span_checked_against_the_tensor(fvk, which):
    """Kc needs kc_offset + (S-1)*kc_stride + K_dim elements, Vc the same with the V width."""
    S, Q_dim, K_dim, HD, V_dim = 3, 128, 64, 64, 32
    off, stride = 1000, 80
    need = {"Kc": off + (S - 1) * stride + K_dim, "Vc": off + (S - 1) * stride + V_dim}
    scalars = (S, Q_dim, K_dim, HD, Q_dim + K_dim + V_dim, off, stride)
    other = "Vc" if which == "Kc" else "Kc"

    def caches(n):  # `which` a CPU tensor of n elements, the other cache a valid address
        return {which: cpu(n), other: ADDR[4]}

    c = caches(need[which] - 1)
    with pytest.raises(ValueError, match=msg(E, which, rf"at least {need[which]} elements .*"
                                                       rf"got shape \[{need[which] - 1}\]")):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:3], c["Kc"], c["Vc"], *scalars)
    # Exactly enough, or any dense shape with enough elements (e.g. [L, T, HD]): accepted.
    for t in (cpu(need[which]), torch.zeros(2, need[which], dtype=F16)):
        c = {which: t, other: ADDR[4]}
        with accepted(E, which):
            fvk.qkv_split_rope_kvcache_fp16(*ADDR[:3], c["Kc"], c["Vc"], *scalars)


def test_cache_offsets_that_overflow(fvk):
    with pytest.raises(ValueError, match=msg(E, "kc_offset", "offsets that fit in 64 bits")):
        fvk.qkv_split_rope_kvcache_fp16(*ADDR[:5], 3, 128, 64, 64, 256, 2**62, 2**62)


# ---- rope_apply's one-head K ---------------------------------------------------------------------

def test_rope_apply_k_is_one_head(fvk):
    S, NH, HD = 4, 8, 32
    with pytest.raises(ValueError, match=msg("rope_apply", "K", rf"{S * HD} elements, got shape \[4, 2, 32\].*"
                                                                r"exactly one KV head.*num_heads = k")):
        fvk.rope_apply(*ADDR[:2], torch.zeros(S, 2, HD, dtype=BF16), S, NH, HD)
    with accepted("rope_apply", "K"):
        fvk.rope_apply(*ADDR[:2], torch.zeros(S, HD, dtype=BF16), S, NH, HD)


def test_fill_sizes(fvk):
    with pytest.raises(ValueError, match=msg("gpu_fill_neginf_fp16", "dst", r"5 elements, got shape \[4\]")):
        fvk.gpu_fill_neginf_fp16(torch.zeros(4, dtype=F16), 5)
    with pytest.raises(ValueError, match=msg("gpu_fill_neginf_bf16", "n", "a positive size, got 0$")):
        fvk.gpu_fill_neginf_bf16(torch.zeros(4, dtype=BF16), 0)
    with accepted("gpu_fill_neginf_bf16", "x"):
        fvk.gpu_fill_neginf_bf16(torch.zeros(2, 3, dtype=BF16), 6)


# ---- the reference itself -------------------------------------------------------------------------

def test_reference_interleaved_matches_hf_rotate_half_after_weight_permutation():
    """SPEC 2.6.2: with Q/K weight rows permuted per head ([2, HD/2] -> [HD/2, 2]), the
    interleaved-pair RoPE of the permuted activations is the permuted HF rotate-half RoPE."""
    S, H, HD = 5, 3, 16
    x = torch.randn(S, H, HD, dtype=torch.float64)
    cos, sin = R.rotate_half_tables(S, HD, torch.float64, start=9)
    hf = R.rope_rotate_half(x, cos, sin, H, HD)

    def interleave(t):  # element d and d + HD/2 of each head become adjacent
        return t.reshape(S, H, 2, HD // 2).transpose(-1, -2).reshape(S, H, HD)

    table = R.rope_table(S, HD, torch.float64, start=9)
    torch.testing.assert_close(R.rope_interleaved(interleave(x), table, HD), interleave(hf))


def test_reference_pair_index_is_per_head():
    """Head h of a multi-head K uses table columns [0, HD), like head 0."""
    S, HD = 3, 8
    table = R.rope_table(S, HD, torch.float32, start=2)
    k = torch.randn(S, 2 * HD)
    out = R.rope_interleaved(k, table, HD)
    torch.testing.assert_close(out[:, HD:], R.rope_interleaved(k[:, HD:].contiguous(), table, HD))
