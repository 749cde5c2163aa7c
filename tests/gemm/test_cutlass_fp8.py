"""cutlass_fp8_* (SPEC 2.5.4) on the GPU: every entry against a float64 reference of the E4M3
codes (flash_rt.testing.ref.gemm.cutlass_fp8), with alpha = act_scale * w_scale as FlashRT
passes it, beta = 0 and beta != 0 (C aliases D), awkward M (1, 7, 129, 1000) and N/K at the
alignment limits (N % 8 for 16-bit D, N % 4 for float32, K % 16), K not a multiple of the
128-deep tile, guarded outputs, raw addresses, and CUDA-graph capture without any warm-up
(the entries allocate no device memory; on SM90 a shape first seen inside a capture runs
CUTLASS). On SM90 every entry runs under each backend policy. Runs where this build has kernels for the
device (sm_90a in the sm80 variant; sm_100f/sm_110f in sm100/sm110); elsewhere each entry
must raise NotImplementedError before writing anything.
"""

from __future__ import annotations

import zlib

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.numerics import Guarded, guarded_copy, rel_l2  # noqa: E402
from flash_rt.testing.ref import gemm as R  # noqa: E402
from flash_rt.testing.ref.fp8 import e4m3_scaled  # noqa: E402

pytestmark = pytest.mark.gpu

FP8 = torch.float8_e4m3fn
ENTRIES = {
    "cutlass_fp8_sq": torch.float16, "cutlass_fp8_t1": torch.float16, "cutlass_fp8_wide": torch.float16,
    "cutlass_fp8_plain": torch.float16, "cutlass_fp8_gelu": torch.float16,
    "cutlass_fp8_sq_f32out": torch.float32, "cutlass_fp8_wide_f32out": torch.float32,
    "cutlass_fp8_sq_bf16out": torch.bfloat16, "cutlass_fp8_wide_bf16out": torch.bfloat16,
    "cutlass_fp8_t1_bf16out": torch.bfloat16,
}
# float32 D: the rounding of D is negligible, what remains is the tensor cores' limited-precision
# FP8 partial sums between fp32 promotions (measured 1.2e-4 on the H100), hence 1e-3.
TOL = {torch.float16: 2e-3, torch.bfloat16: 1e-2, torch.float32: 1e-3}
# (M, N, K). On SM90, M <= 16 with N % 8 == 0 runs the mma.sync kernel (ops/gemm/fp8_nn_direct.h)
# in 64-deep K units (a partial last unit at K = 16, 48, 96, 160) with a column slab by N and K
# (fp8_nt_direct_tiles, 132 SMs): (1, 8, 16) and (7, 40, 48) take 8 columns per CTA, (3, 1544,
# 160) and (16, 2560, 2048) 16 with 8 warps, (5, 2048, 8192) 16 with 16 warps, (2, 6400, 96) 32
# (test_small_m_float32_n4 has one that stays on CUTLASS). The last shape has 144 128x128 tiles:
# the large SM90 tile; (256, 3072, 2048) and (1000, 1024, 528) run k-tile counts of 16 and 4 + 1
# through the overlapped mainloop (cutlass_fp8_mainloop.cuh: runs of 4 k-tiles, then single ones).
SHAPES = [(1, 8, 16), (7, 40, 48), (16, 2560, 2048), (3, 1544, 160), (5, 2048, 8192), (2, 6400, 96), (129, 264, 144),
          (1000, 1024, 528), (256, 3072, 2048), (1536, 1544, 160)]
# On SM90 `backend` runs each shape under every policy: "auto" takes cuBLASLt where M > 16 and
# N % 16 == 0 (the linear entries), so (129, 264, 144) and (1536, 1544, 160) stay on CUTLASS
# there; "cutlass" runs the CUTLASS tiles above, "cublaslt" also runs M <= 16 on cuBLASLt.


def _sm() -> int:
    major, minor = torch.cuda.get_device_capability()
    return 10 * major + minor


@pytest.fixture(params=["auto", "cutlass", "cublaslt"])
def backend(request, fvk):
    """The SM90 policy (cutlass_fp8_sm90_backend) for one test, reset afterwards. "auto": the
    small-M kernel, then cuBLASLt for the linear entries where it takes the call, else CUTLASS;
    "cutlass": never cuBLASLt; "cublaslt": cuBLASLt at any M. Other devices ignore it (one run)."""
    if request.param != "auto" and _sm() != 90:
        pytest.skip("the backend policy applies to SM90 only")
    fvk.cutlass_fp8_sm90_backend(request.param)
    yield request.param
    fvk.cutlass_fp8_sm90_backend("auto")


@pytest.fixture(scope="module")
def supported(fvk):
    archs = fvk.cutlass_fp8_archs()
    sm = _sm()
    return (sm == 90 and "sm_90a" in archs) or (sm in (100, 103, 110) and "sm_100f" in archs)


def gen(*parts):
    g = torch.Generator(device="cpu")
    g.manual_seed(zlib.crc32(repr(parts).encode()))
    return g


def operand(shape, g, scale):
    """(E4M3 codes on the device, the scale amax/448 as a Python float)."""
    x = torch.randn(shape, generator=g) * scale
    s = float(x.abs().max()) / 448.0
    return e4m3_scaled(x, torch.tensor([s])).cuda(), s


def check(out: Guarded, ref: torch.Tensor, what: str):
    torch.cuda.synchronize()
    out.check(what)
    tol = TOL[out.dtype]
    err = rel_l2(out.tensor, ref.to(out.tensor.device))
    assert err <= tol, f"{what}: rel-L2 {err:.3g} > {tol:.3g}"


@pytest.mark.parametrize("M, N, K", [pytest.param(*s, id="M{}-N{}-K{}".format(*s)) for s in SHAPES])
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_entry(fvk, supported, backend, entry, M, N, K):
    out = ENTRIES[entry]
    g = gen(entry, M, N, K)
    A, sa = operand((M, K), g, 2.0)
    B, sb = operand((N, K), g, 0.5)
    D = Guarded((M, N), out)
    if not supported:
        with pytest.raises(NotImplementedError, match=rf"^{entry}: no CUTLASS FP8 kernel for this GPU"):
            getattr(fvk, entry)(A, B, D.tensor, M, N, K, sa * sb)
        D.check(f"{entry} (refused)", written=False)  # nothing written
        return
    assert getattr(fvk, entry)(A, B, D.tensor, M, N, K, sa * sb) == 0
    check(D, R.cutlass_fp8(A.float(), B.float(), sa * sb, gelu=entry.endswith("gelu")), entry)


@pytest.mark.parametrize("M", [77, 5])  # 5: the small-M kernel on SM90
@pytest.mark.parametrize("entry", ["cutlass_fp8_sq", "cutlass_fp8_gelu", "cutlass_fp8_wide_f32out",
                                   "cutlass_fp8_t1_bf16out"])
def test_beta_reads_d(fvk, supported, backend, entry, M):
    if not supported:
        pytest.skip("no CUTLASS FP8 kernels for this GPU in this build")
    N, K = 144, 272  # N % 16 == 0: cuBLASLt takes it under "auto" / "cublaslt"
    out = ENTRIES[entry]
    g = gen("beta", entry, M)
    A, sa = operand((M, K), g, 1.0)
    B, sb = operand((N, K), g, 1.0)
    D0 = (torch.randn(M, N, generator=g) * 4).to(out).cuda()
    D = guarded_copy(D0)
    getattr(fvk, entry)(A, B, D.tensor, M, N, K, alpha=sa * sb, beta=0.75)
    ref = R.cutlass_fp8(A.float(), B.float(), sa * sb, 0.75, D0, gelu=entry.endswith("gelu"))
    check(D, ref, f"{entry} beta=0.75")


@pytest.mark.parametrize("entry", ["cutlass_fp8_sq_f32out", "cutlass_fp8_wide_f32out"])
def test_small_m_float32_n4(fvk, supported, entry):
    """Float32 D allows N % 4 == 0; at small M with N % 8 != 0 the SM90 call stays on CUTLASS."""
    if not supported:
        pytest.skip("no CUTLASS FP8 kernels for this GPU in this build")
    M, N, K = 7, 36, 48
    g = gen("n4", entry)
    A, sa = operand((M, K), g, 2.0)
    B, sb = operand((N, K), g, 0.5)
    D = Guarded((M, N), torch.float32)
    assert getattr(fvk, entry)(A, B, D.tensor, M, N, K, sa * sb) == 0
    check(D, R.cutlass_fp8(A.float(), B.float(), sa * sb), f"{entry} M={M} N={N}")


def test_integer_addresses_and_streams(fvk, supported):
    if not supported:
        pytest.skip("no CUTLASS FP8 kernels for this GPU in this build")
    M, N, K = 33, 96, 64
    g = gen("addr")
    A, sa = operand((M, K), g, 1.0)
    B, sb = operand((N, K), g, 1.0)
    D = Guarded((M, N), torch.bfloat16)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    fvk.cutlass_fp8_sq_bf16out(A.data_ptr(), B.data_ptr(), D.tensor.data_ptr(), M, N, K, sa * sb, 0.0, s.cuda_stream)
    torch.cuda.current_stream().wait_stream(s)
    check(D, R.cutlass_fp8(A.float(), B.float(), sa * sb), "cutlass_fp8_sq_bf16out (addresses, side stream)")


@pytest.mark.parametrize("M", [64, 1])  # 1: the small-M kernel on SM90
def test_graph_capture_without_warm_up(fvk, supported, M):
    """No workspace: the very first call may be inside a capture (on SM90 it then runs the small-M
    kernel or CUTLASS, since no cuBLASLt plan is created inside a capture)."""
    if not supported:
        pytest.skip("no CUTLASS FP8 kernels for this GPU in this build")
    N, K = 256, 512
    g = gen("graph", M)
    A, sa = operand((M, K), g, 1.0)
    B, sb = operand((N, K), g, 1.0)
    D = Guarded((M, N), torch.float16)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fvk.cutlass_fp8_wide(A, B, D.tensor, M, N, K, sa * sb, 0.0, torch.cuda.current_stream().cuda_stream)
    for replay in range(2):
        g2 = gen("graph", replay)
        na, _ = operand((M, K), g2, 1.0)
        nb, _ = operand((N, K), g2, 1.0)
        A.copy_(na), B.copy_(nb)
        D.reset()
        graph.replay()
        check(D, R.cutlass_fp8(A.float(), B.float(), sa * sb), f"cutlass_fp8_wide [graph replay {replay}]")


@pytest.mark.parametrize("entry", ["cutlass_fp8_t1_bf16out", "cutlass_fp8_wide_f32out"])
def test_sm90_auto_takes_cublaslt_and_graphs_keep_it(fvk, supported, entry):
    """On SM90 "auto" runs cuBLASLt above the small-M limit: its D equals the "cublaslt" policy's
    bit for bit. A graph captured after a warm-up call replays the same kernel (same bits); the
    first call of a shape inside a capture runs CUTLASS (no cuBLASLt descriptors in a capture)."""
    if not supported or _sm() != 90:
        pytest.skip("SM90 dispatch")
    out = ENTRIES[entry]
    M, N, K = 200, 272, 320
    g = gen("dispatch", entry)
    A, sa = operand((M, K), g, 1.0)
    B, sb = operand((N, K), g, 1.0)
    ref = R.cutlass_fp8(A.float(), B.float(), sa * sb)
    fn = getattr(fvk, entry)
    results = {}
    try:
        for policy in ("cublaslt", "cutlass", "auto"):
            fvk.cutlass_fp8_sm90_backend(policy)
            D = Guarded((M, N), out)
            fn(A, B, D.tensor, M, N, K, sa * sb)
            check(D, ref, f"{entry} [{policy}]")
            results[policy] = D.tensor.clone()
        assert torch.equal(results["auto"], results["cublaslt"])
        D = Guarded((M, N), out)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            fn(A, B, D.tensor, M, N, K, sa * sb, 0.0, torch.cuda.current_stream().cuda_stream)
        graph.replay()
        check(D, ref, f"{entry} [graph after warm-up]")
        assert torch.equal(D.tensor, results["cublaslt"])
    finally:
        fvk.cutlass_fp8_sm90_backend("auto")


def test_fp8_storage_types(fvk, supported):
    """uint8 / int8 views of the E4M3 codes give the same bytes as float8_e4m3fn."""
    if not supported:
        pytest.skip("no CUTLASS FP8 kernels for this GPU in this build")
    M, N, K = 16, 64, 128
    g = gen("bytes")
    A, sa = operand((M, K), g, 1.0)
    B, sb = operand((N, K), g, 1.0)
    outs = []
    for view in (None, torch.uint8, torch.int8):
        D = torch.empty(M, N, dtype=torch.float16, device="cuda")
        a, b = (A, B) if view is None else (A.view(view), B.view(view))
        fvk.cutlass_fp8_t1(a, b, D, M, N, K, sa * sb)
        outs.append(D)
    torch.cuda.synchronize()
    assert torch.equal(outs[0], outs[1]) and torch.equal(outs[0], outs[2])
