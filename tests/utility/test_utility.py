"""Memory / utility entries (SPEC 2.8) on the GPU: the properties the case-table tests
(test_rope_utility_patch_cases.py) do not reach.

* Casts: every fp16 and every bf16 bit pattern, fp32 special values (ties, overflow to inf,
  subnormals), against torch's RN-even casts; NaN stays NaN (its payload is not compared:
  CUDA writes the canonical NaN, torch its own).
* gpu_copy: any byte count and byte alignment, a prefix of a larger buffer (the rest untouched),
  mixed dtypes, more than 2^31 bytes.
* gpu_strided_copy_fp16, gpu_repeat_interleave_heads, gpu_euler_step, add_bias_*: strides,
  offsets, head counts and widths that take the element paths.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.numerics import Guarded, assert_same_bits, bits, guarded_copy  # noqa: E402
from flash_rt.testing.ref import utility as R  # noqa: E402

pytestmark = pytest.mark.gpu

F16, BF16, F32 = torch.float16, torch.bfloat16, torch.float32


def randn(shape, dtype, seed, scale=2.0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    return (scale * torch.randn(shape, generator=g)).to(dtype).cuda()


def assert_same_or_both_nan(out, ref, what):
    nan_o, nan_r = torch.isnan(out), torch.isnan(ref)
    assert torch.equal(nan_o, nan_r), f"{what}: NaN positions differ"
    assert_same_bits(out[~nan_o], ref[~nan_r], what)


# ---- casts -----------------------------------------------------------------------------------

def all_16bit_patterns(dtype):
    return torch.arange(-(1 << 15), 1 << 15, dtype=torch.int32).to(torch.int16).view(dtype).cuda()


@pytest.mark.parametrize("offset", [0, 1], ids=["aligned", "misaligned"])
@pytest.mark.parametrize("entry, src_dtype, dst_dtype", [("cast_fp16_to_bf16", F16, BF16),
                                                          ("cast_bf16_to_fp16", BF16, F16)])
def test_cast_every_16bit_pattern(fvk, entry, src_dtype, dst_dtype, offset):
    src = all_16bit_patterns(src_dtype)
    n = src.numel()
    out = Guarded((n,), dst_dtype, offset=offset)
    getattr(fvk, entry)(src, out.tensor, n)
    torch.cuda.synchronize()
    out.check(entry, written=False)  # NaN inputs give canonical NaNs, which may equal no poison
    assert_same_or_both_nan(out.tensor, src.float().to(dst_dtype), entry)


def test_cast_fp32_to_fp16_special_values(fvk):
    vals = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.0, 65520.0, 1e5, -1e5, 6e-8, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9,
            float("inf"), float("-inf"), float("nan"), 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 2049.0, 2051.0, 1e-30,
            -3.0e-5, 6.1e-5, 3.4e38]
    special = torch.tensor(vals, dtype=F32)
    # 4099 values (a few CTAs) or 2^19 + 4099 (a grid of more CTAs than an H100 has SMs: the other
    # PDL trigger placement), plus a tail.
    rand = torch.randn(4099, generator=torch.Generator().manual_seed(0)) * torch.logspace(-10, 6, 4099)
    rand = torch.cat((rand, torch.randn(1 << 19, generator=torch.Generator().manual_seed(1)) * 300))
    src = torch.cat((special, rand)).cuda()
    n = src.numel()
    for offset in (0, 1):
        out = Guarded((n,), F16, offset=offset)
        s = guarded_copy(src, offset=offset).tensor
        fvk.gpu_cast_fp32_to_fp16(s, out.tensor, n)
        torch.cuda.synchronize()
        out.check("gpu_cast_fp32_to_fp16", written=False)
        assert_same_or_both_nan(out.tensor, src.to(F16), f"gpu_cast_fp32_to_fp16 (offset {offset})")


# ---- gpu_copy --------------------------------------------------------------------------------

@pytest.mark.parametrize("nbytes", [1, 3, 15, 16, 17, 4097, 1 << 20])
@pytest.mark.parametrize("dst_off, src_off", [(0, 0), (4, 8), (1, 0), (3, 5), (7, 7)])
def test_copy_any_length_and_alignment(fvk, nbytes, dst_off, src_off):
    src_buf = torch.randint(0, 256, (nbytes + 64,), dtype=torch.uint8, device="cuda")
    src = src_buf[src_off:src_off + nbytes]
    dst = Guarded((nbytes + 32,), torch.uint8, offset=dst_off, fill=0xA5)
    fvk.gpu_copy(dst.tensor, src, nbytes)
    torch.cuda.synchronize()
    dst.check("gpu_copy", written=False)
    assert_same_bits(dst.tensor[:nbytes], src, "copied bytes")
    assert bool((dst.tensor[nbytes:] == 0xA5).all()), "bytes past nbytes were written"


def test_copy_mixed_dtypes_and_prefix(fvk):
    """Byte semantics: an fp32 source into a uint8 view of a bf16 buffer, first 10 bytes only."""
    src = randn((8,), F32, seed=1)
    dst = Guarded((16,), BF16)
    fvk.gpu_copy(dst.tensor, src, 10)
    torch.cuda.synchronize()
    dst.check(written=False)
    assert_same_bits(dst.tensor.view(torch.uint8)[:10], src.view(torch.uint8)[:10])
    assert bool((dst.tensor.view(torch.uint8)[10:] == 0xFF).all())


def test_copy_rejects_more_bytes_than_the_tensors_hold(fvk):
    a = torch.zeros(8, dtype=F16, device="cuda")
    b = torch.zeros(16, dtype=F16, device="cuda")
    with pytest.raises(ValueError, match=r"^gpu_copy: 'dst' expected at least nbytes = 17 bytes, got shape \[8\]"):
        fvk.gpu_copy(a, b, 17)
    with pytest.raises(ValueError, match=r"^gpu_copy: 'src' expected at least nbytes = 17 bytes"):
        fvk.gpu_copy(b, a, 17)


def test_copy_past_2_31_bytes(fvk):
    n = (1 << 31) + 13
    free, _ = torch.cuda.mem_get_info()
    if free < 2 * n + (1 << 30):
        pytest.skip("needs 5 GiB of free GPU memory")
    src = torch.empty(n, dtype=torch.uint8, device="cuda")
    src[-4096:] = torch.randint(0, 255, (4096,), dtype=torch.uint8, device="cuda")
    dst = torch.zeros(n, dtype=torch.uint8, device="cuda")
    fvk.gpu_copy(dst, src, n)
    torch.cuda.synchronize()
    assert_same_bits(dst[-4096:], src[-4096:])
    assert torch.equal(dst[(1 << 31) - 8:], src[(1 << 31) - 8:])


# ---- strided copy, head repeat, Euler step, bias ---------------------------------------------

@pytest.mark.parametrize("rows, cols, stride, offset", [
    (1, 1, 0, 0), (5, 7, 13, 3), (4, 8, 24, 8), (3, 16, 0, 4), (64, 1152, 3456, 1152), (9, 9, 9, 0),
    (2, 600, 1201, 601)], ids=str)
def test_strided_copy(fvk, rows, cols, stride, offset):
    need = (rows - 1) * stride + offset + cols
    src = randn((need,), F16, seed=need)  # exactly the span the call reads
    dst = Guarded((rows, cols), F16)
    fvk.gpu_strided_copy_fp16(src, dst.tensor, rows, cols, stride, offset)
    torch.cuda.synchronize()
    dst.check("gpu_strided_copy_fp16")
    assert_same_bits(dst.tensor, R.strided_copy(src, rows, cols, stride, offset))


@pytest.mark.parametrize("S", [1, 5])
@pytest.mark.parametrize("nh, repeat, hd", [(1, 8, 256), (2, 4, 128), (3, 1, 64), (2, 3, 6), (4, 2, 7), (1, 1, 1)],
                         ids=str)
def test_repeat_interleave_heads(fvk, nh, repeat, hd, S):
    src = randn((S, nh, hd), F16, seed=nh * repeat * hd)
    dst = Guarded((S, nh * repeat, hd), F16)
    fvk.gpu_repeat_interleave_heads(src, dst.tensor, S, nh, hd, repeat)
    torch.cuda.synchronize()
    dst.check("gpu_repeat_interleave_heads")
    assert_same_bits(dst.tensor, torch.repeat_interleave(src, repeat, dim=1))


# The launch plans: the unit kernel with rows of 2 chunks (256 source units) and with rows
# stacked 4 a CTA and a half-used last CTA (601 rows of 32 units: past 4 CTAs per SM); the
# destination-unit kernel past 2048 destination units per SM (4097 x 8 heads of 256; 7001 rows of
# 9 heads of 40; 200 rows of 40 KB; rows of 2 heads of 12296, over 48 KB) and for a source row of
# more than 65535 chunks of 128 units (odd HD: 1-element units). The row sizes are those where a
# staged-rows kernel (benchmarks/probe_repeat_heads.cu, variants 11-13) changes plan.
@pytest.mark.parametrize("S, nh, repeat, hd", [(3, 4, 2, 512), (601, 1, 8, 256), (4097, 1, 8, 256),
                                               (7001, 3, 3, 40), (200, 5, 4, 1024), (120, 1, 2, 12296),
                                               (2, 1, 2, 128 * 65535 + 9)], ids=str)
def test_repeat_interleave_heads_plans(fvk, S, nh, repeat, hd):
    src = randn((S, nh, hd), F16, seed=S + hd)
    dst = Guarded((S, nh * repeat, hd), F16)
    fvk.gpu_repeat_interleave_heads(src, dst.tensor, S, nh, hd, repeat)
    torch.cuda.synchronize()
    dst.check("gpu_repeat_interleave_heads")
    assert_same_bits(dst.tensor, torch.repeat_interleave(src, repeat, dim=1))


# The destination-unit kernel (large S) under capture: the graph replays it on new source values
# into a poisoned destination.
@pytest.mark.parametrize("S, nh, repeat, hd", [(4097, 1, 8, 256), (7001, 3, 3, 40)], ids=str)
def test_repeat_interleave_heads_graph_replay(fvk, S, nh, repeat, hd):
    src = randn((S, nh, hd), F16, seed=S)
    dst = Guarded((S, nh * repeat, hd), F16)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up off the capture stream (the launcher's first call)
        fvk.gpu_repeat_interleave_heads(src, dst.tensor, S, nh, hd, repeat, stream=side.cuda_stream)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fvk.gpu_repeat_interleave_heads(src, dst.tensor, S, nh, hd, repeat,
                                        stream=torch.cuda.current_stream().cuda_stream)
    for replay in range(2):
        src.copy_(randn((S, nh, hd), F16, seed=S + 1 + replay))
        dst.reset()
        graph.replay()
        torch.cuda.synchronize()
        dst.check("gpu_repeat_interleave_heads")
        assert_same_bits(dst.tensor, torch.repeat_interleave(src, repeat, dim=1), f"replay {replay}")


@pytest.mark.parametrize("T, action_dim, offset", [(16, 32, 32 * 34), (50, 32, 0), (7, 5, 3), (1, 1, 1),
                                                   (16, 7, 1), (4099, 99, 0)], ids=str)
@pytest.mark.parametrize("dt", [-0.1, 0.25])
def test_euler_step(fvk, T, action_dim, offset, dt):
    n = T * action_dim
    actions = guarded_copy(randn((T, action_dim), F32, seed=n))
    velocity = randn((offset + n + 5,), F16, seed=n + 1)
    before = actions.tensor.clone()
    fvk.gpu_euler_step(actions.tensor, velocity, T, action_dim, dt, offset)
    torch.cuda.synchronize()
    actions.check("actions", written=False)
    # fp32 product and sum, each rounded once: bit-exact with the eager reference
    assert_same_bits(actions.tensor, R.euler_step(before, velocity, dt, offset), "actions")


# offset 1 takes the scalar path at D = 2048; (33, 520) has a row of 65 vectors.
@pytest.mark.parametrize("entry, dtype", [("add_bias_fp16", F16), ("add_bias_bf16", BF16)])
@pytest.mark.parametrize("S, D, offset", [(1, 1, 0), (3, 8, 0), (2, 9, 0), (33, 520, 0), (256, 2048, 0),
                                          (1000, 2048, 0), (1001, 2048, 0), (7, 4099, 0), (256, 2048, 1)], ids=str)
def test_add_bias_bits(fvk, entry, dtype, S, D, offset):
    x = guarded_copy(randn((S, D), dtype, seed=S * D), offset=offset)
    b = randn((D,), dtype, seed=D, scale=0.5)
    before = x.tensor.clone()
    getattr(fvk, entry)(x.tensor, b, S, D)
    torch.cuda.synchronize()
    x.check(written=False)
    assert torch.equal(bits(x.tensor), bits(R.add_bias(before, b)))
