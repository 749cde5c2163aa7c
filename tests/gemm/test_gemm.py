"""GEMM group (SPEC 2.5) on the GPU: every GemmRunner method, gmm_fp16 and fp8_gemm_descale_*
against a float64 GEMM of the (dequantised) inputs (flash_rt.testing.ref.gemm).

All entries accumulate in fp32 and round once to D's dtype; cuBLAS's accumulation order is its
own, so outputs are compared by rel-L2 against float64 with a per-output-dtype tolerance.
Outputs live in poisoned buffers with guard regions: every element must be written, nothing
outside. FP8 operands are E4M3 codes of seeded normal data with per-tensor scale amax/448.

Shapes: awkward M (1, 7, 64, 1024); 16-bit (N, K) include sizes that are not multiples of 8;
FP8 N and K are multiples of 16 (cuBLASLt's requirement, checked by the launchers).
Graph capture: one warm-up call per shape, then capture and replay on fresh inputs; a call
whose shape was never seen raises RuntimeError during capture instead of building cuBLASLt
descriptors there.

Run on an H100 (SM90): there the FP8 NN methods take the per-call weight transpose (gemm.h),
or a registered static weight's copy.
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
TOL = {torch.float16: 2e-3, torch.bfloat16: 1e-2, torch.float32: 1e-3}
MS = (1, 7, 64, 1024)
NK16 = ((8, 8), (7, 5), (40, 24), (1000, 520))     # (N, K)
NK8 = ((16, 16), (48, 32), (256, 512), (1024, 2048))
P16 = [pytest.param(M, N, K, id=f"M{M}-N{N}-K{K}") for M in MS for N, K in NK16]
P8 = [pytest.param(M, N, K, id=f"M{M}-N{N}-K{K}") for M in MS for N, K in NK8]
# The small-M FP8 NN kernel's edge cases (see the section on it below).
DIRECT = [pytest.param(M, N, K, id=f"M{M}-N{N}-K{K}") for M, N, K in (
    (1, 16, 16), (2, 48, 48), (16, 80, 2064), (17, 32, 4096), (33, 4112, 272), (48, 2576, 1040),
    (64, 112, 80), (65, 48, 48))]


@pytest.fixture(scope="module")
def runner(fvk):
    return fvk.GemmRunner()


def gen(*parts):
    g = torch.Generator(device="cpu")
    g.manual_seed(zlib.crc32(repr(parts).encode()))  # stable across processes (hash() is salted)
    return g


def rand(shape, dtype, g, scale=1.0):
    return (torch.randn(shape, generator=g) * scale).to(dtype).cuda()


def fp8_operand(shape, g, scale=2.0):
    """(E4M3 codes, device float32 [1] scale = amax/448, dequantised float64 values)."""
    x = torch.randn(shape, generator=g, dtype=torch.float32) * scale
    d = (x.abs().max() / 448.0).reshape(1)
    q, d = e4m3_scaled(x, d).cuda(), d.cuda()
    return q, d, q.double() * d.double()  # on the device, like the outputs it is compared with


def check(out: Guarded, ref: torch.Tensor, what: str):
    torch.cuda.synchronize()
    out.check(what)
    err = rel_l2(out.tensor, ref)
    assert err <= TOL[out.dtype], f"{what}: rel-L2 {err:.3g} > {TOL[out.dtype]:.3g}"


# ---- 16-bit NN ---------------------------------------------------------------------------

@pytest.mark.parametrize("M, N, K", P16)
@pytest.mark.parametrize("method, dtype", [("fp16_nn", torch.float16), ("bf16_nn", torch.bfloat16)])
def test_nn16(runner, method, dtype, M, N, K):
    g = gen(method, M, N, K)
    A, B = rand((M, K), dtype, g), rand((K, N), dtype, g)
    D = Guarded((M, N), dtype)
    getattr(runner, method)(A, B, D.tensor, M, N, K)
    check(D, R.gemm_nn(A, B), method)


@pytest.mark.parametrize("M, N, K", P16)
def test_bf16_nn_res(runner, M, N, K):
    g = gen("res", M, N, K)
    A, B, D0 = rand((M, K), torch.bfloat16, g), rand((K, N), torch.bfloat16, g), rand((M, N), torch.bfloat16, g)
    D = guarded_copy(D0)
    runner.bf16_nn_res(A, B, D.tensor, M, N, K)
    check(D, R.gemm_nn(A, B) + D0.double(), "bf16_nn_res")


@pytest.mark.parametrize("M, N, K", P16)
@pytest.mark.parametrize("method", ["bf16_nn_bias", "bf16_nn_bias_gelu", "bf16_nn_bias_res"])
def test_bf16_bias(runner, method, M, N, K):
    g = gen(method, M, N, K)
    A, B = rand((M, K), torch.bfloat16, g), rand((K, N), torch.bfloat16, g)
    bias = rand((N,), torch.bfloat16, g)
    D0 = rand((M, N), torch.bfloat16, g)
    D = guarded_copy(D0) if method.endswith("_res") else Guarded((M, N), torch.bfloat16)
    getattr(runner, method)(A, B, D.tensor, bias, M, N, K)
    ref = R.bias_epilogue(R.gemm_nn(A, B), bias, gelu=method.endswith("gelu"),
                          residual=D0 if method.endswith("_res") else None)
    check(D, ref, method)


@pytest.mark.parametrize("M, N, K", P16)
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_gmm_fp16(fvk, M, N, K, beta):
    ctx = fvk.FvkContext()
    g = gen("gmm", M, N, K, beta)
    A, B, C0 = rand((M, K), torch.float16, g), rand((K, N), torch.float16, g), rand((M, N), torch.float16, g)
    C = guarded_copy(C0) if beta else Guarded((M, N), torch.float16)
    fvk.gmm_fp16(ctx, A, B, C.tensor, M, N, K, beta)
    ref = R.gemm_nn(A, B) + (beta * C0.double() if beta else 0.0)
    check(C, ref, f"gmm_fp16 beta={beta}")


# ---- FP8 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("M, N, K", P8)
def test_fp8_run_dev_nt(runner, M, N, K):
    g = gen("nt", M, N, K)
    A, sa, a64 = fp8_operand((M, K), g)
    B, sb, b64 = fp8_operand((N, K), g)
    D = Guarded((M, N), torch.bfloat16)
    runner.fp8_run_dev(A, B, D.tensor, M, N, K, sa, sb)
    check(D, a64 @ b64.T, "fp8_run_dev")


@pytest.mark.parametrize("M, N, K", P8)
@pytest.mark.parametrize("method, out", [("fp8_nn_dev", torch.bfloat16), ("fp8_descale_fp16", torch.float16)])
def test_fp8_nn_scaled(runner, method, out, M, N, K):
    g = gen(method, M, N, K)
    A, sa, a64 = fp8_operand((M, K), g)
    B, sb, b64 = fp8_operand((K, N), g)
    D = Guarded((M, N), out)
    getattr(runner, method)(A, B, D.tensor, M, N, K, sa, sb)
    check(D, a64 @ b64, method)


@pytest.mark.parametrize("M, N, K", P8)
@pytest.mark.parametrize("method", ["fp8_nn_bias", "fp8_nn_bias_res", "fp8_nn_gelu_bias"])
def test_fp8_nn_bias(runner, method, M, N, K):
    g = gen(method, M, N, K)
    A, sa, a64 = fp8_operand((M, K), g)
    B, sb, b64 = fp8_operand((K, N), g)
    alpha = float(sa.item() * sb.item())  # host alpha: these methods take no scale pointers
    bias = rand((N,), torch.float16, g)
    D0 = rand((M, N), torch.float16, g)
    res = method.endswith("_res")
    D = guarded_copy(D0) if res else Guarded((M, N), torch.float16)
    getattr(runner, method)(A, B, D.tensor, bias, M, N, K, alpha)
    ref = R.bias_epilogue(a64 @ b64, bias, gelu="gelu" in method, residual=D0 if res else None)
    check(D, ref, method)


@pytest.mark.parametrize("M, N, K", P8 + DIRECT)  # DIRECT: the small-M kernel's edge cases (below)
@pytest.mark.parametrize("entry, out", [("fp8_gemm_descale_fp16", torch.float16),
                                        ("fp8_gemm_descale_bf16out", torch.bfloat16),
                                        ("fp8_gemm_descale_f32out", torch.float32)])
def test_fp8_gemm_descale(fvk, entry, out, M, N, K):
    g = gen(entry, M, N, K)
    A, sa, a64 = fp8_operand((M, K), g)
    B, sb, b64 = fp8_operand((K, N), g)
    C = Guarded((M, N), out)
    getattr(fvk, entry)(A, B, C.tensor, M, N, K, sa, sb)
    check(C, a64 @ b64, entry)


def test_fp8_integer_addresses(runner):
    """The FlashRT convention: raw int addresses work like tensors."""
    M, N, K = 7, 48, 32
    g = gen("addr")
    A, sa, a64 = fp8_operand((M, K), g)
    B, sb, b64 = fp8_operand((N, K), g)
    D = Guarded((M, N), torch.bfloat16)
    runner.fp8_run_dev(A.data_ptr(), B.data_ptr(), D.tensor.data_ptr(), M, N, K, sa.data_ptr(), sb.data_ptr())
    check(D, a64 @ b64.T, "fp8_run_dev (addresses)")


# ---- benchmarks and autotune -----------------------------------------------------------------

def test_benchmarks_return_ms(runner):
    M, N, K = 64, 128, 256
    g = gen("bench")
    A, B = rand((M, K), torch.bfloat16, g), rand((N, K), torch.bfloat16, g)
    D = torch.empty(M, N, dtype=torch.bfloat16, device="cuda")
    ms = runner.bf16_gemm(A, B, D, M, N, K, warmup=1, iters=3)
    assert 0 < ms < 1000
    assert rel_l2(D, R.gemm_nt(A, B)) <= TOL[torch.bfloat16]
    qa, _, _ = fp8_operand((M, K), g)
    qb, _, _ = fp8_operand((N, K), g)
    ms = runner.fp8_gemm(qa, qb, D, M, N, K, 0.5, 2.0, warmup=1, iters=3)
    assert 0 < ms < 1000
    assert rel_l2(D, R.gemm_nt(qa.float(), qb.float())) <= TOL[torch.bfloat16]


def test_autotune_keeps_results_right(fvk, capfd):
    r = fvk.GemmRunner()
    M, N, K = 64, 256, 512
    g = gen("tune")
    A, B = rand((M, K), torch.bfloat16, g), rand((K, N), torch.bfloat16, g)
    r.autotune_bf16_nn(A, B, torch.empty(M, N, dtype=torch.bfloat16, device="cuda"), M, N, K, num_algos=4)
    assert "autotune_bf16_nn" in capfd.readouterr().out
    D = Guarded((M, N), torch.bfloat16)
    r.bf16_nn(A, B, D.tensor, M, N, K)
    check(D, R.gemm_nn(A, B), "bf16_nn after autotune")
    qa, sa, a64 = fp8_operand((M, K), g)
    qb, sb, b64 = fp8_operand((K, N), g)
    r.autotune_fp8_nn_dev(qa, qb, torch.empty(M, N, dtype=torch.bfloat16, device="cuda"), M, N, K, sa, sb,
                          num_algos=4)
    D = Guarded((M, N), torch.bfloat16)
    r.fp8_nn_dev(qa, qb, D.tensor, M, N, K, sa, sb)
    check(D, a64 @ b64, "fp8_nn_dev after autotune")


# ---- CUDA graphs ----------------------------------------------------------------------------

def _capture(fn):
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        fn(side.cuda_stream)  # warm-up: creates the plan
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn(torch.cuda.current_stream().cuda_stream)
    return graph


@pytest.mark.parametrize("M, N, K", [(7, 48, 32), (1024, 256, 512)])
def test_graph_replay_bf16_and_fp8(runner, M, N, K):
    g = gen("graph", M, N, K)
    A, B = rand((M, K), torch.bfloat16, g), rand((K, N), torch.bfloat16, g)
    D = Guarded((M, N), torch.bfloat16)
    qa, sa, _ = fp8_operand((M, K), g)
    qb, sb, _ = fp8_operand((N, K), g)
    E = Guarded((M, N), torch.bfloat16)

    def calls(stream):
        runner.bf16_nn(A, B, D.tensor, M, N, K, stream)
        runner.fp8_run_dev(qa, qb, E.tensor, M, N, K, sa, sb, stream)

    graph = _capture(calls)
    for replay in range(2):
        g2 = gen("graph-replay", M, N, K, replay)
        A.copy_(rand((M, K), torch.bfloat16, g2))
        B.copy_(rand((K, N), torch.bfloat16, g2))
        na, nsa, a64 = fp8_operand((M, K), g2)
        nb, nsb, b64 = fp8_operand((N, K), g2)
        qa.copy_(na), qb.copy_(nb), sa.copy_(nsa), sb.copy_(nsb)
        D.reset(), E.reset()
        graph.replay()
        check(D, R.gemm_nn(A, B), f"bf16_nn [graph replay {replay}]")
        check(E, a64 @ b64.T, f"fp8_run_dev [graph replay {replay}]")


def test_graph_replay_descale(fvk):
    M, N, K = 7, 48, 32
    g = gen("graph-descale")
    qa, sa, a64 = fp8_operand((M, K), g)
    qb, sb, b64 = fp8_operand((K, N), g)
    C = Guarded((M, N), torch.float32)
    graph = _capture(lambda s: fvk.fp8_gemm_descale_f32out(qa, qb, C.tensor, M, N, K, sa, sb, s))
    C.reset()
    graph.replay()
    check(C, a64 @ b64, "fp8_gemm_descale_f32out [graph replay]")


def test_capture_before_warm_up_raises(fvk):
    r = fvk.GemmRunner()  # fresh: no plans
    M, N, K = 5, 24, 40
    A = torch.zeros(M, K, dtype=torch.bfloat16, device="cuda")
    B = torch.zeros(K, N, dtype=torch.bfloat16, device="cuda")
    D = torch.zeros(M, N, dtype=torch.bfloat16, device="cuda")
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match=r"^bf16_nn: first call for this shape .* during CUDA graph capture"):
        with torch.cuda.graph(graph):
            r.bf16_nn(A, B, D, M, N, K, torch.cuda.current_stream().cuda_stream)
    # Nothing was created during the capture: a normal call afterwards works.
    r.bf16_nn(A, B, D, M, N, K)
    torch.cuda.synchronize()


# ---- small-M FP8 NN: the direct kernel on SM89/SM90 (src/cpp/include/flash_rt/gemm/fp8_nn_direct.cuh) --
# M <= 64 with an unregistered weight reads the [K, N] weight in place. Shapes: every m16-tile
# count (1-4) with a partial last tile, N with a half-filled last 32-column slab (N % 32 == 16),
# K with a half-filled last 32-deep step (K % 32 == 16), a K that leaves most warps idle (16),
# a long K (4096), and M = 65 (the transpose path, at the boundary): DIRECT, run by
# test_fp8_gemm_descale. Elsewhere these run the usual paths and must give the same results.


def test_fp8_nn_small_m_is_deterministic(runner):
    M, N, K = 9, 272, 3072  # every warp of a CTA adds a partial sum
    g = gen("direct-determinism")
    A, sa, a64 = fp8_operand((M, K), g)
    B, sb, b64 = fp8_operand((K, N), g)
    D1, D2 = Guarded((M, N), torch.bfloat16), Guarded((M, N), torch.bfloat16)
    runner.fp8_nn_dev(A, B, D1.tensor, M, N, K, sa, sb)
    runner.fp8_nn_dev(A, B, D2.tensor, M, N, K, sa, sb)
    check(D1, a64 @ b64, "fp8_nn_dev")
    assert torch.equal(D1.tensor, D2.tensor), "the same call twice must give the same bytes"


def test_fp8_nn_small_m_captures_without_warm_up(fvk):
    if not _needs_copy():
        pytest.skip("FP8 NN runs on cuBLASLt natively on this GPU (a plan, so a warm-up)")
    r = fvk.GemmRunner()  # fresh: no plans, and the direct kernel needs none
    M, N, K = 5, 96, 64
    g = gen("direct-graph")
    A, sa, _ = fp8_operand((M, K), g)
    B, sb, _ = fp8_operand((K, N), g)
    D = Guarded((M, N), torch.bfloat16)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        r.fp8_nn_dev(A, B, D.tensor, M, N, K, sa, sb, torch.cuda.current_stream().cuda_stream)
    for replay in range(2):
        g2 = gen("direct-graph", replay)
        na, nsa, a64 = fp8_operand((M, K), g2)
        nb, nsb, b64 = fp8_operand((K, N), g2)
        A.copy_(na), sa.copy_(nsa), B.copy_(nb), sb.copy_(nsb)
        D.reset()
        graph.replay()
        check(D, a64 @ b64, f"fp8_nn_dev without warm-up [graph replay {replay}]")


# ---- static FP8 NN weights (GemmRunner.register_static_weight, src/cpp/ops/gemm/gemm.h) -------
# On SM89/SM90 an FP8 NN call transposes its [K, N] weight on every call; a registered weight is
# transposed once into a copy the runner owns. Checked: the registered path gives the same bytes
# as the per-call path; the copy is a snapshot, refreshed by registering again; unregistering goes
# back to the per-call transpose; graph replay; argument errors. Where FP8 NN runs natively,
# registration returns False and nothing changes.

SHAPES = [pytest.param(1, 256, 512, id="M1-N256-K512"), pytest.param(7, 48, 32, id="M7-N48-K32"),
          pytest.param(1024, 1024, 2048, id="M1024-N1024-K2048")]


def _needs_copy():
    major, minor = torch.cuda.get_device_capability()
    return (major, minor) in ((9, 0), (8, 9))


def _static_case(fvk, tag, M, N, K):
    """A fresh runner and seeded FP8 operands: (runner, A, sa, a64, B [K, N], sb, b64)."""
    g = gen(tag, M, N, K)
    return (fvk.GemmRunner(), *fp8_operand((M, K), g), *fp8_operand((K, N), g))


@pytest.mark.parametrize("M, N, K", SHAPES)
@pytest.mark.parametrize("method, out", [("fp8_nn_dev", torch.bfloat16), ("fp8_descale_fp16", torch.float16)])
def test_registered_weight_matches_per_call_path(fvk, method, out, M, N, K):
    r, A, sa, a64, B, sb, b64 = _static_case(fvk, f"static-{method}", M, N, K)
    plain, static = Guarded((M, N), out), Guarded((M, N), out)
    getattr(r, method)(A, B, plain.tensor, M, N, K, sa, sb)
    assert r.register_static_weight(B, K, N) is _needs_copy()
    assert r.static_weight_count == (1 if _needs_copy() else 0)
    getattr(r, method)(A, B, static.tensor, M, N, K, sa, sb)
    check(static, a64 @ b64, f"{method} with a static weight")
    check(plain, a64 @ b64, f"{method} with a per-call weight")
    if M > 64 or not _needs_copy():  # M <= 64 on SM89/SM90: the per-call path is the direct kernel
        assert torch.equal(static.tensor, plain.tensor), "same plan, same NT problem: the bytes must agree"


def test_copy_is_a_snapshot_until_registered_again(fvk):
    M, N, K = 7, 48, 32
    r, A, sa, a64, B, sb, _ = _static_case(fvk, "static-snapshot", M, N, K)
    if not r.register_static_weight(B, K, N):
        pytest.skip("FP8 NN runs natively on this GPU: no copy to keep")
    old_codes = B.clone()
    nb, nsb, b64 = fp8_operand((K, N), gen("static-snapshot", "new"))
    B.copy_(nb), sb.copy_(nsb)
    D = Guarded((M, N), torch.bfloat16)
    # Changed in place, not registered again: the copy still holds the old codes (the scale is
    # read per call, so it is the new one). Documented snapshot behaviour.
    r.fp8_nn_dev(A, B, D.tensor, M, N, K, sa, sb)
    check(D, a64 @ (old_codes.double() * nsb.double()), "fp8_nn_dev on the stale copy")
    D.reset()
    assert r.register_static_weight(B, K, N)  # refresh: re-transposes into the same copy
    assert r.static_weight_count == 1
    r.fp8_nn_dev(A, B, D.tensor, M, N, K, sa, sb)
    check(D, a64 @ b64, "fp8_nn_dev after registering again")
    assert r.unregister_static_weight(B, K, N)
    assert not r.unregister_static_weight(B, K, N)
    assert r.static_weight_count == 0
    D.reset()
    r.fp8_nn_dev(A, B, D.tensor, M, N, K, sa, sb)  # back to the per-call transpose
    check(D, a64 @ b64, "fp8_nn_dev after unregistering")


def test_registered_weight_under_graph_replay(fvk):
    M, N, K = 64, 256, 512
    r, A, sa, _, B, sb, b64 = _static_case(fvk, "static-graph", M, N, K)
    r.register_static_weight(B, K, N)
    D = Guarded((M, N), torch.bfloat16)
    graph = _capture(lambda s: r.fp8_nn_dev(A, B, D.tensor, M, N, K, sa, sb, s))
    for replay in range(2):
        na, nsa, a64 = fp8_operand((M, K), gen("static-graph", replay))
        A.copy_(na), sa.copy_(nsa)
        D.reset()
        graph.replay()
        check(D, a64 @ b64, f"fp8_nn_dev with a static weight [graph replay {replay}]")


def test_descale_global_runner(fvk):
    M, N, K = 7, 48, 32
    _, A, sa, a64, B, sb, b64 = _static_case(fvk, "static-descale", M, N, K)
    assert fvk.fp8_gemm_descale_register_static_weight(B, K, N) is _needs_copy()
    try:
        C = Guarded((M, N), torch.float32)
        fvk.fp8_gemm_descale_f32out(A, B, C.tensor, M, N, K, sa, sb)
        check(C, a64 @ b64, "fp8_gemm_descale_f32out with a static weight")
    finally:
        assert fvk.fp8_gemm_descale_unregister_static_weight(B, K, N) is _needs_copy()


def test_register_errors(fvk):
    r = fvk.GemmRunner()
    B = torch.zeros(32, 48, dtype=torch.float8_e4m3fn, device="cuda")
    with pytest.raises(ValueError, match=r"^register_static_weight: 'K' expected a multiple of 16"):
        r.register_static_weight(B, 24, 64)
    with pytest.raises(ValueError, match=r"^register_static_weight: 'B'"):
        r.register_static_weight(B, 32, 64)  # 32 x 64 expected, 32 x 48 given
    with pytest.raises(TypeError, match=r"^register_static_weight: 'B'"):
        r.register_static_weight(B.to(torch.bfloat16), 32, 48)
    assert r.static_weight_count == 0
    graph = torch.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match=r"^register_static_weight: called during CUDA graph capture"):
        with torch.cuda.graph(graph):
            r.register_static_weight(B, 32, 48, torch.cuda.current_stream().cuda_stream)
    assert r.static_weight_count == 0
