"""RoPE / QKV split / KV-cache writes / -inf fills (SPEC 2.6.2, 2.6) on the GPU: the properties
the case-table tests (tests/utility/test_rope_utility_patch_cases.py) do not reach.

* RoPE on K is right for any number of KV heads (the original's [HAZARD]: it took K's pair index
  over the whole K row): 1, 2, 4, 8 KV heads, GQA and MHA, head dims from 2 to 256 (16-byte and
  element paths), odd V widths.
* The KV-cache variant writes exactly its slots: the whole cache is poisoned, every element
  outside kc_offset + s * kc_stride + [0, width) must keep its poison bits.
* Fused vs unfused: qkv_split_rope == qkv_split followed by rope_apply, bit for bit.
* gpu_fill_neginf_fp16 writes -inf, _bf16 the finite RNbf(-1e30), at any length and alignment.
* 64-bit indexing: buffers past 2^31 elements.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.numerics import Guarded, assert_close, assert_same_bits, guarded_copy  # noqa: E402
from flash_rt.testing.ref import rope as R  # noqa: E402

pytestmark = pytest.mark.gpu

F16, BF16 = torch.float16, torch.bfloat16

# (query heads, KV heads, head_dim): Pi0 (8/1 x 256), GQA, MHA, a head dim that is not a
# multiple of 8 (element path), the smallest head, a Qwen-like 16/4 x 96 (16-byte path, 12 vectors).
HEADS = [(8, 1, 256), (8, 2, 128), (8, 8, 64), (4, 2, 6), (3, 1, 2), (2, 2, 16), (16, 4, 96), (4, 4, 10)]
HEAD_IDS = [f"q{q}-kv{k}-hd{h}" for q, k, h in HEADS]
ROWS = [1, 7, 33]


def gen(seed):
    return torch.Generator(device="cpu").manual_seed(seed)


def randn(shape, dtype, seed):
    return (2.0 * torch.randn(shape, generator=gen(seed))).to(dtype).cuda()


def table(S, hd, dtype, start=11):
    return R.rope_table(S, hd, dtype, start=start).cuda()


# ---- qkv_split_rope (bf16) and qkv_split (bf16, fp16) ----------------------------------------

@pytest.mark.parametrize("S", ROWS)
@pytest.mark.parametrize("qh, kvh, hd", HEADS, ids=HEAD_IDS)
def test_qkv_split_rope_any_kv_heads(fvk, qh, kvh, hd, S):
    q_dim, k_dim, v_dim = qh * hd, kvh * hd, kvh * hd
    qkv = randn((S, q_dim + k_dim + v_dim), BF16, seed=S * 1000 + hd)
    rope = table(S, hd, BF16)
    outs = {n: Guarded((S, w), BF16) for n, w in (("Q", q_dim), ("K", k_dim), ("V", v_dim))}
    fvk.qkv_split_rope(qkv, rope, outs["Q"].tensor, outs["K"].tensor, outs["V"].tensor, S, q_dim, k_dim, v_dim, hd)
    torch.cuda.synchronize()
    for n, g in outs.items():
        g.check(f"qkv_split_rope.{n}")
    q, k, v = R.qkv_split_rope(qkv, rope, q_dim, k_dim, v_dim, hd)
    assert_close(outs["Q"].tensor, q, "Q")
    assert_close(outs["K"].tensor, k, "K")
    assert_same_bits(outs["V"].tensor, v, "V")
    # The hazard, stated directly: every KV head is rotated by the table's first head_dim
    # columns, exactly like a lone K head.
    for h in range(kvh):
        lone = R.rope_interleaved(qkv[:, q_dim + h * hd: q_dim + (h + 1) * hd], rope, hd)
        assert_close(outs["K"].tensor[:, h * hd:(h + 1) * hd], lone, f"K head {h}")


@pytest.mark.parametrize("v_dim", [1, 7, 257])
def test_qkv_split_rope_odd_v_width(fvk, v_dim):
    """V's width is independent of the heads; odd widths take the element path."""
    S, hd, q_dim, k_dim = 5, 64, 256, 128
    qkv = randn((S, q_dim + k_dim + v_dim), BF16, seed=v_dim)
    rope = table(S, hd, BF16)
    outs = [Guarded((S, w), BF16) for w in (q_dim, k_dim, v_dim)]
    fvk.qkv_split_rope(qkv, rope, *(g.tensor for g in outs), S, q_dim, k_dim, v_dim, hd)
    torch.cuda.synchronize()
    for g in outs:
        g.check()
    for g, r in zip(outs, R.qkv_split_rope(qkv, rope, q_dim, k_dim, v_dim, hd), strict=True):
        assert_close(g.tensor, r)


@pytest.mark.parametrize("dims", [(2048, 256, 256), (5, 3, 7), (8, 8, 1), (1, 1, 1)], ids=str)
@pytest.mark.parametrize("entry, dtype", [("qkv_split", BF16), ("qkv_split_fp16", F16)])
def test_qkv_split_any_widths(fvk, entry, dtype, dims):
    S = 9
    q_dim, k_dim, v_dim = dims
    qkv = randn((S, sum(dims)), dtype, seed=sum(dims))
    outs = [Guarded((S, w), dtype) for w in dims]
    getattr(fvk, entry)(qkv, *(g.tensor for g in outs), S, q_dim, k_dim, v_dim)
    torch.cuda.synchronize()
    for g, r in zip(outs, R.qkv_split(qkv, q_dim, k_dim, v_dim), strict=True):
        g.check(entry)
        assert_same_bits(g.tensor, r, entry)


@pytest.mark.parametrize("qh, kvh, hd", [(8, 1, 256), (8, 2, 128), (4, 4, 6)], ids=["kv1", "kv2", "kv4-hd6"])
def test_fused_equals_split_then_rope_apply(fvk, qh, kvh, hd):
    """qkv_split_rope == qkv_split, then rope_apply (K of several heads passed as rope_apply's Q
    with num_heads = KV heads), bit for bit: the same rounding points."""
    S = 13
    q_dim = qh * hd
    k_dim = v_dim = kvh * hd
    qkv = randn((S, q_dim + k_dim + v_dim), BF16, seed=hd)
    rope = table(S, hd, BF16, start=500)
    fused = [torch.empty(S, w, dtype=BF16, device="cuda") for w in (q_dim, k_dim, v_dim)]
    fvk.qkv_split_rope(qkv, rope, *fused, S, q_dim, k_dim, v_dim, hd)
    Q, K, V = (torch.empty(S, w, dtype=BF16, device="cuda") for w in (q_dim, k_dim, v_dim))
    fvk.qkv_split(qkv, Q, K, V, S, q_dim, k_dim, v_dim)
    if kvh == 1:
        fvk.rope_apply(rope, Q, K, S, qh, hd)
    else:
        scratch = torch.zeros(S, hd, dtype=BF16, device="cuda")
        fvk.rope_apply(rope, Q, scratch, S, qh, hd)
        fvk.rope_apply(rope, K, scratch, S, kvh, hd)
    torch.cuda.synchronize()
    for a, b, n in zip(fused, (Q, K, V), "QKV", strict=True):
        assert_same_bits(a, b, f"fused {n} vs split + rope_apply")


# ---- qkv_split_rope_kvcache_fp16 -------------------------------------------------------------

KV_CASES = [  # (query heads, KV heads, head_dim, V width or None = KV heads * head_dim, gap columns)
    (8, 1, 256, None, 0),     # Pi0 encoder/decoder layout
    (8, 2, 128, None, 0),
    (8, 8, 64, None, 8),      # MHA, cache rows wider than the data (gaps stay untouched)
    (4, 2, 6, None, 3),       # element path: head_dim not a multiple of 8, odd stride
    (2, 1, 16, 5, 0),         # odd V width, narrower than K
    (2, 1, 8, 40, 0),         # V wider than K
]


@pytest.mark.parametrize("S", [1, 6, 70])
@pytest.mark.parametrize("qh, kvh, hd, v_width, gap", KV_CASES, ids=[str(c) for c in KV_CASES])
def test_kvcache_writes_exactly_its_slots(fvk, qh, kvh, hd, v_width, gap, S):
    """Caches [L=2, T, W] poisoned everywhere; the call writes layer 1 from token 3 on
    (kc_offset = 1*T*W + 3*W, kc_stride = W, FlashRT's addressing): those slots must match the
    reference, every other element (other layer, other tokens, gap columns) keep its bits."""
    Q_dim, K_dim = qh * hd, kvh * hd
    V_dim = K_dim if v_width is None else v_width
    W = max(K_dim, V_dim) + gap
    T, L, start = S + 5, 2, 3
    kc_offset, kc_stride = 1 * T * W + start * W, W
    qkv_stride = Q_dim + K_dim + V_dim
    qkv = randn((S, qkv_stride), F16, seed=S + hd)
    rope = table(S, hd, F16, start=start)
    Qg = Guarded((S, Q_dim), F16)
    Kc, Vc = Guarded((L, T, W), F16), Guarded((L, T, W), F16)
    k_before, v_before = Kc.tensor.clone(), Vc.tensor.clone()
    fvk.qkv_split_rope_kvcache_fp16(qkv, rope, Qg.tensor, Kc.tensor, Vc.tensor, S, Q_dim, K_dim, hd, qkv_stride,
                                    kc_offset, kc_stride)
    torch.cuda.synchronize()
    Qg.check("Q")
    Kc.check("Kc", written=False)
    Vc.check("Vc", written=False)
    q, k_ref, v_ref = R.qkv_split_rope_kvcache(qkv, rope, k_before, v_before, Q_dim, K_dim, hd, kc_offset, kc_stride)
    assert_close(Qg.tensor, q, "Q")
    for name, out, ref, before, width in (("Kc", Kc.tensor, k_ref, k_before, K_dim),
                                          ("Vc", Vc.tensor, v_ref, v_before, V_dim)):
        mask = torch.zeros(out.numel(), dtype=torch.bool, device="cuda")
        rows = kc_offset + kc_stride * torch.arange(S, device="cuda")
        mask[(rows[:, None] + torch.arange(width, device="cuda")).reshape(-1)] = True
        flat_out, flat_ref = out.reshape(-1), ref.reshape(-1)
        assert_same_bits(flat_out[~mask], before.reshape(-1)[~mask], f"{name}: an unaddressed element changed")
        if name == "Vc":
            assert_same_bits(flat_out[mask], flat_ref[mask], "Vc slots (a copy of V)")
        else:
            assert_close(flat_out[mask], flat_ref[mask], "Kc slots (RoPE(K))")


def test_kvcache_single_row_any_stride(fvk):
    """With S = 1 the stride is never used: kc_stride = 0 is valid."""
    S, qh, kvh, hd = 1, 8, 1, 64
    Q_dim, K_dim = qh * hd, kvh * hd
    qkv = randn((S, Q_dim + 2 * K_dim), F16, seed=1)
    rope = table(S, hd, F16)
    Q = torch.empty(S, Q_dim, dtype=F16, device="cuda")
    Kc, Vc = Guarded((3, K_dim), F16), Guarded((3, K_dim), F16)
    fvk.qkv_split_rope_kvcache_fp16(qkv, rope, Q, Kc.tensor, Vc.tensor, S, Q_dim, K_dim, hd, Q_dim + 2 * K_dim,
                                    2 * K_dim, 0)
    torch.cuda.synchronize()
    q, k, v = R.qkv_split_rope(qkv, rope, Q_dim, K_dim, K_dim, hd)
    assert_close(Q, q)
    assert_close(Kc.tensor[2:], k)
    assert_same_bits(Vc.tensor[2:], v)
    assert Kc.unwritten() == 2 * K_dim and Vc.unwritten() == 2 * K_dim


def test_kvcache_cache_too_small_writes_nothing(fvk):
    """The span check uses the cache tensor's size: one element short raises, nothing written."""
    S, Q_dim, K_dim, hd = 4, 128, 64, 64
    qkv = randn((S, Q_dim + 2 * K_dim), F16, seed=2)
    rope = table(S, hd, F16)
    Q = Guarded((S, Q_dim), F16)
    need = 10 + (S - 1) * K_dim + K_dim
    Kc, Vc = Guarded((need - 1,), F16), Guarded((need,), F16)
    with pytest.raises(ValueError, match=rf"'Kc' expected at least {need} elements"):
        fvk.qkv_split_rope_kvcache_fp16(qkv, rope, Q.tensor, Kc.tensor, Vc.tensor, S, Q_dim, K_dim, hd,
                                        Q_dim + 2 * K_dim, 10, K_dim)
    torch.cuda.synchronize()
    assert Q.unwritten() == Q.numel and Kc.unwritten() == Kc.numel and Vc.unwritten() == Vc.numel


# ---- rope_apply (bf16) and rope_rotate_half_fp16 -----------------------------------------------

@pytest.mark.parametrize("S", [1, 7, 129])
@pytest.mark.parametrize("nh, hd", [(8, 256), (1, 64), (3, 6), (2, 2)], ids=lambda v: str(v))
@pytest.mark.parametrize("offset", [0, 1], ids=["aligned", "misaligned"])
def test_rope_apply(fvk, nh, hd, S, offset):
    Q = guarded_copy(randn((S, nh, hd), BF16, seed=nh * hd + S), offset=offset)
    K = guarded_copy(randn((S, hd), BF16, seed=nh * hd + S + 1), offset=offset)
    q0, k0 = Q.tensor.clone(), K.tensor.clone()
    rope = table(S, hd, BF16)
    fvk.rope_apply(rope, Q.tensor, K.tensor, S, nh, hd)
    torch.cuda.synchronize()
    Q.check("Q", written=False)
    K.check("K", written=False)
    q, k = R.rope_apply(rope, q0, k0, hd)
    assert_close(Q.tensor, q, "Q")
    assert_close(K.tensor, k, "K")


def test_rope_apply_rejects_multi_head_k(fvk):
    S, nh, hd = 3, 4, 64
    Q = torch.zeros(S, nh, hd, dtype=BF16, device="cuda")
    K = torch.zeros(S, 2, hd, dtype=BF16, device="cuda")
    with pytest.raises(ValueError, match=r"^rope_apply: 'K' expected 192 elements.*exactly one KV head"):
        fvk.rope_apply(table(S, hd, BF16), Q, K, S, nh, hd)


# S = 601 with 1 x 64: rows stacked 4 a CTA with a half-used last CTA (utility::plan_unit_rows);
# 3 x 200 misaligned: 300 one-element units, three chunks a row.
@pytest.mark.parametrize("S", [1, 7, 129, 601])
@pytest.mark.parametrize("nh, hd", [(8, 256), (1, 64), (3, 8), (2, 6), (1, 2), (3, 200)], ids=lambda v: str(v))
@pytest.mark.parametrize("offset", [0, 1], ids=["aligned", "misaligned"])
def test_rope_rotate_half(fvk, nh, hd, S, offset):
    x = guarded_copy(randn((S, nh, hd), F16, seed=nh * hd + S), offset=offset)
    x0 = x.tensor.clone()
    cos, sin = (t.cuda() for t in R.rotate_half_tables(S, hd, F16, start=5))
    # Only the first HD/2 columns of the tables are read: garbage in the rest changes nothing.
    cos[:, hd // 2:] = float("nan")
    sin[:, hd // 2:] = float("nan")
    fvk.rope_rotate_half_fp16(x.tensor, cos, sin, S, nh, hd)
    torch.cuda.synchronize()
    x.check("x", written=False)
    assert_close(x.tensor, R.rope_rotate_half(x0, cos, sin, nh, hd), "x")


# ---- fills -----------------------------------------------------------------------------------

# (1 << 23) + 5 and + 2405: past 8 CTAs per SM of one unit each, the two-unit fill kernel
# (utility/grid.cuh launch_fill), with a full or a partly idle last CTA and a tail.
@pytest.mark.parametrize("n", [1, 7, 8, 9, 1025, (1 << 20) + 3, (1 << 23) + 5, (1 << 23) + 2405])
@pytest.mark.parametrize("offset", [0, 1], ids=["aligned", "misaligned"])
@pytest.mark.parametrize("entry, dtype", [("gpu_fill_neginf_fp16", F16), ("gpu_fill_neginf_bf16", BF16)])
def test_fill_neginf(fvk, entry, dtype, n, offset):
    g = Guarded((n,), dtype, offset=offset)
    getattr(fvk, entry)(g.tensor, n)
    torch.cuda.synchronize()
    g.check(entry)
    expected = torch.tensor(-1e30, dtype=torch.float32).to(dtype)
    if dtype == F16:
        assert bool(torch.isneginf(g.tensor).all()), "fp16 fill must be -inf"
    else:
        assert bool(torch.isfinite(g.tensor).all()), "bf16 fill must be finite (RNbf(-1e30), not -inf)"
    assert_same_bits(g.tensor, expected.expand(n).to("cuda"), entry)


# ---- 64-bit indexing -------------------------------------------------------------------------

def _need_free(nbytes):
    free, _ = torch.cuda.mem_get_info()
    if free < nbytes:
        pytest.skip(f"needs {nbytes >> 30} GiB of free GPU memory, {free >> 30} GiB free")


def test_fill_past_2_31_elements(fvk):
    n = (1 << 31) + 9
    _need_free(2 * n + (1 << 30))
    x = torch.zeros(n, dtype=F16, device="cuda")
    fvk.gpu_fill_neginf_fp16(x, n)
    torch.cuda.synchronize()
    assert bool(torch.isneginf(x[-(1 << 20):]).all()) and bool(torch.isneginf(x[:1 << 20]).all())
    assert int(torch.isneginf(x).sum()) == n
    del x


def test_split_past_2_31_elements(fvk):
    """qkv [S, 2560] fp16 with S * 2560 > 2^31: rows at the end land where they belong."""
    width = 2560
    S = (1 << 31) // width + 7
    _need_free(4 * S * width + (1 << 30))
    qkv = torch.empty(S, width, dtype=F16, device="cuda")
    qkv[-8:] = randn((8, width), F16, seed=3)
    qkv[:8] = randn((8, width), F16, seed=4)
    Q = torch.empty(S, 2048, dtype=F16, device="cuda")
    K = torch.empty(S, 256, dtype=F16, device="cuda")
    V = torch.empty(S, 256, dtype=F16, device="cuda")
    fvk.qkv_split_fp16(qkv, Q, K, V, S, 2048, 256, 256)
    torch.cuda.synchronize()
    for rows in (slice(S - 8, S), slice(0, 8)):
        q, k, v = R.qkv_split(qkv[rows], 2048, 256, 256)
        assert_same_bits(Q[rows], q)
        assert_same_bits(K[rows], k)
        assert_same_bits(V[rows], v)
