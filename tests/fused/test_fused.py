"""Fused elementwise gate / residual entries (SPEC 2.3, the non-normalising half).

GPU (`@pytest.mark.gpu`): every entry against its torch reference over a shape matrix that
reaches every path of device/elementwise.cuh (vector body + scalar tail of flat entries, odd
and non-multiple-of-8 half_dim / dim taking the scalar path, one item per thread and four),
misaligned views of every tensor forcing the scalar path, NaN / inf inputs, the three calling
conventions, CUDA-graph replay, rejected calls writing nothing, and differential tests against
compositions of our unfused entries. Outputs sit in poisoned buffers with guards (no write
outside, no element left unwritten); in-place residuals are checked against the reference.

CPU: the argument checks that test_errors.py (generic over the case table) cannot express for
these entries: non-positive n, the required d_scale of gate_geglu_merged_fp8.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases.fused import CASES as FUSED_CASES  # noqa: E402
from flash_rt.testing.checks import (  # noqa: E402
    assert_close_with_specials,
    assert_composed_close,
    check_graph_replay,
    check_outputs,
    prepare,
    run_checked,
    run_misaligned,
    seed_of,
    snapshot,
)
from flash_rt.testing.numerics import (  # noqa: E402
    assert_close,
    assert_fp8_close,
    assert_same_bits,
)
from flash_rt.testing.ref.fp8 import e4m3_scaled  # noqa: E402
from flash_rt.testing.ref.fused import CFG_BETA  # noqa: E402

FP8 = torch.float8_e4m3fn
CASES = list(FUSED_CASES.values())
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]
ROWWISE = {c.name for c in CASES if not any(a.name == "n" for a in c.args)}  # merged GLUs, bias_residual

# (S, D): flat entries see n = S * D, merged ones half_dim = D, bias_residual dim = D.
SHAPES = (
    (1, 1),        # n = 1: a tail-only launch (no whole vector)
    (1, 7),        # tail only, 7 elements
    (1, 8),        # exactly one vector
    (1, 83),       # 10 vectors + a tail of 3; odd half_dim: scalar rows
    (1, 769),      # tail of 1
    (1, 5125),     # tail of 5, 5 blocks
    (3, 7),        # odd everything
    (5, 4),        # half_dim % 4 == 0 (the original's "Q" requirement) but not % 8: scalar now
    (7, 12),       # the same, several rows
    (7, 2048),     # gemma-2b width: vector path
    (64, 2048),    # 2-element vectors at up to 8 blocks per SM (elementwise.cuh)
    (256, 2048),   # 4-element vectors: 512 blocks, a quarter to a half of the slots (132 SMs)
    (160, 2056),   # the same band (row-wise entries keep VEC 8 / 2 there)
    (131, 3001),   # the same band, n % 4 == 3 (flat) / odd rows (row-wise: scalar)
    (33, 83),      # scalar rows, 256-thread steps wrap over several rows
    (2, 16384),    # FFN width, decode
    (257, 4096),   # many blocks
    (3, 70001),    # large odd
)
SHAPE_PARAMS = [pytest.param(S, D, id=f"{S}x{D}") for S, D in SHAPES]
ONE_S, ONE_D = 7, 2048
# Enough vectors (>= 4 waves of 8 blocks of 256 threads per SM at 4 vectors each on a
# 132-SM H100/H200) for the 4-vectors-per-thread plan; the second has rows narrower than a
# block step (the row-wise position tracking advances whole rows per step).
LARGE_SHAPES = ((4400, 8200), (600000, 64))


def _fp(dt) -> int:
    """Stored mantissa bits."""
    return {torch.float16: 10, torch.bfloat16: 7}[dt]


# ---- correctness -----------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("S, D", SHAPE_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_matches_reference(fvk, case, S, D):
    run_checked(fvk, case, S, D, seed=seed_of(case.name, S, D))


@pytest.mark.gpu
@pytest.mark.parametrize("S, D", [pytest.param(S, D, id=f"{S}x{D}") for S, D in LARGE_SHAPES])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_large_four_vectors_per_thread(fvk, case, S, D):
    if D == 64 and case.name not in ROWWISE:
        pytest.skip("flat entries: the first large shape covers the same path")
    run_checked(fvk, case, S, D, seed=seed_of(case.name, "large", S, D))


def _misalign_params():
    out = []
    for c in CASES:
        out.append(pytest.param(c, "out", id=f"{c.name}-out"))
        for a in c.tensor_args:
            if not (a.output or a.inplace or a.kind == "scale"):
                out.append(pytest.param(c, a.name, id=f"{c.name}-{a.name}"))
    return out


@pytest.mark.gpu
@pytest.mark.parametrize("case, which", _misalign_params())
def test_misaligned_scalar_path(fvk, case, which):
    """One tensor one element off 16-byte alignment ("out": every output and in-place
    argument) takes the scalar path for the whole call and stays correct."""
    run_misaligned(fvk, case, which, ONE_S, ONE_D, seed=seed_of(case.name, "mis", which))


@pytest.mark.gpu
@pytest.mark.parametrize("D", [2048, 83], ids=["vec", "scalar"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_nan_and_inf(fvk, case, D):
    """NaN, +inf, -inf and a huge finite value at the same four positions of every input:
    the reference's fp32 math says what comes out (NaN propagates in 16-bit outputs; FP8
    outputs clamp first, so NaN -> -448 and +-inf -> +-448); the other elements are unaffected."""
    S = 4
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "specials", D))
    for a in case.tensor_args:
        if a.output or a.kind == "scale":
            continue
        flat = t[a.name].view(-1)
        big = 60000.0 if a.dtype == torch.float16 else 1e30
        for i, v in zip((0, 1, 2, min(3, flat.numel() - 1)), (float("nan"), float("inf"), -float("inf"), big),
                        strict=True):
            flat[i] = v
    before = snapshot(t)
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="(NaN/inf inputs)")
    for a, r in zip(case.outputs, ref, strict=True):
        assert_close_with_specials(t[a.name], r, f"{case.name}.{a.name} (NaN/inf inputs)")


# ---- calling conventions, graphs, streams --------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_calling_conventions_agree(fvk, case):
    """Tensors, to_dlpack capsules, data_ptr() addresses and FP8 outputs as uint8 give identical
    bytes (in-place residuals restored before each call)."""
    import torch.utils.dlpack  # noqa: F401

    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "conv"))
    before = snapshot(t)
    ref = case.reference(before)
    conventions = {"tensor": lambda x: x, "capsule": torch.utils.dlpack.to_dlpack,
                   "address": lambda x: x.data_ptr(),
                   "fp8_as_uint8": lambda x: x.view(torch.uint8) if x.dtype == FP8 else x}
    results = {}
    for name, convert in conventions.items():
        for a in case.tensor_args:
            if a.output:
                guards[a.name].reset()
            elif a.inplace:
                guards[a.name].reset(copy_from=before[a.name])
        case.call(fvk, t, S, D, convert=convert)
        torch.cuda.synchronize()
        check_outputs(case, t, guards, before, ref, what=f"[{name}]")
        results[name] = {a.name: t[a.name].clone() for a in case.outputs}
    for name, outs in results.items():
        for o, v in outs.items():
            assert_same_bits(v, results["tensor"][o], f"{case.name}.{o}: {name} vs tensor")


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_cuda_graph_replay(fvk, case):
    """Capture one call, replay it on new values: the graph reads the live buffers (and the
    live d_scale) and writes every output element again."""
    S, D = ONE_S, ONE_D
    check_graph_replay(fvk, case, S, D, seed=seed_of(case.name, "graph"))


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["gate_geglu_merged_fp8_fp16", "residual_add_fp16"])
def test_side_stream(fvk, name):
    """The call runs on the stream it is given, after work queued there."""
    case = FUSED_CASES[name]
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(name, "stream"))
    before = snapshot(t)
    ref = case.reference(before)
    first = next(a.name for a in case.tensor_args if not (a.output or a.inplace or a.kind == "scale"))
    side = torch.cuda.Stream()
    torch.cuda.synchronize()
    with torch.cuda.stream(side):
        t[first].zero_()
        t[first].copy_(before[first])
        case.call(fvk, t, S, D, stream=side.cuda_stream)
    side.synchronize()
    check_outputs(case, t, guards, before, ref, what="[side stream]")


# ---- rejected calls on the GPU -------------------------------------------------------------

WRONG_DTYPE = {torch.bfloat16: torch.float16, torch.float16: torch.bfloat16, torch.float32: torch.float16,
               FP8: torch.float16}


def _bad_variants(case, a, good, S, D):
    """(bad tensor, exception, message fragment) for one argument, all on the GPU."""
    out = [(torch.empty(good.shape, dtype=WRONG_DTYPE[a.dtype], device="cuda"), TypeError, "dtype")]
    if a.kind == "rows":
        W = a.width * D
        out.append((torch.empty(S, 2 * W, dtype=a.dtype, device="cuda")[:, :W], ValueError, "a contiguous"))
        out.append((torch.empty(S + 1, W, dtype=a.dtype, device="cuda"), ValueError, f"{S * W} elements"))
        if case.name in ROWWISE:  # right element count, wrong row width
            out.append((good.view(S * 2, W // 2), ValueError, f"rows of {W} elements"))
    elif a.kind == "vec":
        out.append((torch.empty(2 * D, dtype=a.dtype, device="cuda")[::2], ValueError, "a contiguous"))
        out.append((torch.empty(D + 1, dtype=a.dtype, device="cuda"), ValueError, f"{D} elements"))
    elif a.kind == "scale":
        out.append((torch.empty(2, dtype=a.dtype, device="cuda"), ValueError, "1 elements"))
    return out


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_rejected_calls_write_nothing(fvk, case):
    """Wrong dtype, element count, strides or row width raise before launching (outputs keep
    their poison, residuals their values); a valid call works afterwards."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "reject"))
    before = snapshot(t)
    for a in case.tensor_args:
        for bad, exc, what in _bad_variants(case, a, t[a.name], S, D):
            with pytest.raises(exc, match=rf"^{case.name}: '{a.name}' expected .*{what}"):
                case.call(fvk, {**t, a.name: bad}, S, D)
    torch.cuda.synchronize()
    for name, g in guards.items():
        g.check(f"{case.name}.{name}", written=False)
        if case.arg(name).inplace:
            assert_same_bits(g.tensor, before[name], f"{case.name}.{name} changed by a rejected call")
        else:
            assert g.unwritten() == g.numel, f"{case.name}.{name}: a rejected call wrote output"
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="[after rejections]")


# ---- differential: fused entry vs a composition of our unfused entries -----------------------

S_DIFF, H_DIFF = 64, 2048


def _composed_close(out, composed, what, terms):
    """A composition stores intermediates the fused entry keeps in fp32 (`terms`, the exact
    values before that rounding). Each adds up to half an ulp of itself, which a later
    cancellation can make large relative to the result. Every element: within two ulps of
    the composition, or within one ulp of every intermediate, 2^-p * sum |t| (twice the
    intermediates' rounding, which bounds the difference whenever it exceeds two ulps of the
    result); and rel-L2 under the two-rounding ceiling."""
    assert_composed_close(out, composed, what, sum(t.double().abs() for t in terms) * 2.0 ** -_fp(out.dtype))


@pytest.mark.gpu
@pytest.mark.parametrize("name, split", [("gate_geglu_merged", "gate_geglu"),
                                         ("gate_geglu_merged_fp16", "gate_geglu_fp16")])
def test_merged_equals_split(fvk, name, split):
    """A merged [S, 2H] buffer gives the same bytes as gate_geglu on its two halves (the same
    GELU_t code on the same values)."""
    case = FUSED_CASES[name]
    t, _ = prepare(case, S_DIFF, H_DIFF, seed=seed_of(name, "split"))
    case.call(fvk, t, S_DIFF, H_DIFF)
    g = t["merged"][:, :H_DIFF].contiguous()
    u = t["merged"][:, H_DIFF:].contiguous()
    out2 = torch.empty_like(t["out"])
    getattr(fvk, split)(g, u, out2, g.numel())
    torch.cuda.synchronize()
    assert_same_bits(t["out"], out2, f"{name} vs {split} on the halves")


@pytest.mark.gpu
@pytest.mark.parametrize("name, unfused, max_fraction", [
    # bf16 keeps 4 bits beyond E4M3's: an intermediate lands on an E4M3 midpoint ~1/16 of the
    # time and then rounds the other way half of those: ~3% of codes one step apart.
    ("gate_geglu_merged_fp8", "gate_geglu_merged", 0.08),
    # fp16 keeps 7 bits beyond: ~0.4%.
    ("gate_geglu_merged_fp8_fp16", "gate_geglu_merged_fp16", 0.02),
    ("geglu_fp8_static_fp16", "gate_geglu_merged_fp16", 0.02),
])
def test_fp8_geglu_vs_geglu_then_quantize(fvk, name, unfused, max_fraction):
    """FP8 GEGLU == our 16-bit GEGLU, then E4M3(CLAMP448(y / d)) in torch (the group has no
    standalone quantize entry): codes at most one step apart, few of them."""
    case = FUSED_CASES[name]
    t, _ = prepare(case, S_DIFF, H_DIFF, seed=seed_of(name, "q"))
    case.call(fvk, t, S_DIFF, H_DIFF)
    mid = torch.empty(S_DIFF, H_DIFF, dtype=t["merged"].dtype, device="cuda")
    getattr(fvk, unfused)(t["merged"], mid, S_DIFF, H_DIFF)
    scale = t.get("d_scale", t.get("descale"))
    composed = e4m3_scaled(mid.float(), scale, floor=name != "gate_geglu_merged_fp8")
    torch.cuda.synchronize()
    assert_fp8_close(t["out"], composed, f"{name} vs {unfused} + quantize", max_fraction=max_fraction)


@pytest.mark.gpu
def test_fast_and_accurate_exp_geglu_agree(fvk):
    """gate_geglu_merged_fp8_fp16 (fast exp) and geglu_fp8_static_fp16 (accurate expf) compute
    the same formula: codes at most one step apart, and rarely (the default FP8 rule)."""
    a = FUSED_CASES["gate_geglu_merged_fp8_fp16"]
    t, _ = prepare(a, S_DIFF, H_DIFF, seed=seed_of("exp flavours"))
    a.call(fvk, t, S_DIFF, H_DIFF)
    out2 = torch.empty_like(t["out"])
    fvk.geglu_fp8_static_fp16(t["merged"], out2, S_DIFF, H_DIFF, t["d_scale"])
    torch.cuda.synchronize()
    assert_fp8_close(t["out"], out2, "fast vs accurate exp")


@pytest.mark.gpu
def test_swiglu_fp8_vs_silu_then_mul(fvk):
    """silu_mul_split_fp8_fp16 == our silu_inplace_fp16 on the gate, times up and quantized in
    torch (no flash-rt mul or quantize entry in these groups): one fp16 rounding more."""
    case = FUSED_CASES["silu_mul_split_fp8_fp16"]
    t, _ = prepare(case, S_DIFF, H_DIFF, seed=seed_of("swiglu"))
    case.call(fvk, t, S_DIFF, H_DIFF)
    s = t["gate"].clone()
    fvk.silu_inplace_fp16(s, s.numel())
    composed = e4m3_scaled(s.float() * t["up"].float(), t["d_scale"])
    torch.cuda.synchronize()
    assert_fp8_close(t["out"], composed, "silu_mul_split_fp8_fp16 vs silu_inplace_fp16 * up", max_fraction=0.02)


@pytest.mark.gpu
@pytest.mark.parametrize("name, gelu", [("gate_geglu", "gelu_inplace"), ("gate_geglu_fp16", "gelu_inplace_fp16")])
def test_geglu_with_unit_up_is_gelu(fvk, name, gelu):
    """GELU_t (sigmoid form) and gelu_inplace's explicit tanh form are the same function:
    gate_geglu(g, 1) and gelu_inplace(g) agree within the composition rule (the contract does
    not make them bit-identical, even though both share one evaluation today)."""
    case = FUSED_CASES[name]
    t, _ = prepare(case, S_DIFF, H_DIFF, seed=seed_of(name, "unit"))
    t["up"].fill_(1.0)
    case.call(fvk, t, S_DIFF, H_DIFF)
    x = t["gate"].clone()
    getattr(fvk, gelu)(x, x.numel())
    torch.cuda.synchronize()
    assert_close(t["out"], x, f"{name}(g, 1) vs {gelu}(g)", roundings=2)


def _residual_add(fvk, dt):
    return fvk.residual_add if dt == torch.bfloat16 else fvk.residual_add_fp16


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["gate_mul_residual", "gate_res_fp16"])
def test_gated_residual_vs_mul_then_add(fvk, name):
    """residual + x * gate == (x * gate rounded, in torch: no mul entry) then our residual_add."""
    case = FUSED_CASES[name]
    n = S_DIFF * H_DIFF
    t, _ = prepare(case, S_DIFF, H_DIFF, seed=seed_of(name, "diff"))
    before = snapshot(t)
    case.call(fvk, t, S_DIFF, H_DIFF)
    x = before["x"] if "x" in before else before["gemm_out"]
    dt = x.dtype
    r = before["residual"].clone()
    prod = x.float() * before["gate"].float()
    _residual_add(fvk, dt)(r, prod.to(dt), n)
    torch.cuda.synchronize()
    _composed_close(t["residual"], r, f"{name} vs mul + residual_add", [prod])


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["bias_residual", "bias_residual_fp16"])
def test_bias_residual_vs_two_adds(fvk, name):
    """residual + x + bias == our residual_add(x), then our residual_add(bias broadcast)."""
    case = FUSED_CASES[name]
    S, D = S_DIFF, H_DIFF
    t, _ = prepare(case, S, D, seed=seed_of(name, "diff"))
    before = snapshot(t)
    case.call(fvk, t, S, D)
    r = before["residual"].clone()
    add = _residual_add(fvk, r.dtype)
    add(r, before["x"], S * D)
    add(r, before["bias"].expand(S, D).contiguous(), S * D)
    torch.cuda.synchronize()
    _composed_close(t["residual"], r, f"{name} vs two residual_add", [before["residual"].float() + before["x"].float()])


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["cfg_combine_into_residual", "cfg_combine_into_residual_fp16"])
def test_cfg_vs_two_adds(fvk, name):
    """residual + v_u + beta (v_c - v_u) == our residual_add(v_u), then our residual_add of
    beta (v_c - v_u) (formed in torch, rounded)."""
    case = FUSED_CASES[name]
    n = S_DIFF * H_DIFF
    t, _ = prepare(case, S_DIFF, H_DIFF, seed=seed_of(name, "diff"))
    before = snapshot(t)
    case.call(fvk, t, S_DIFF, H_DIFF)
    r = before["residual"].clone()
    add = _residual_add(fvk, r.dtype)
    add(r, before["v_uncond"], n)
    vc, vu = before["v_cond"].float(), before["v_uncond"].float()
    delta = CFG_BETA * (vc - vu)
    add(r, delta.to(r.dtype), n)
    torch.cuda.synchronize()
    _composed_close(t["residual"], r, f"{name} vs two residual_add", [before["residual"].float() + vu, delta])


@pytest.mark.gpu
@pytest.mark.parametrize("beta", [0.0, 1.0, -2.5])
def test_cfg_beta_is_used(fvk, beta):
    """beta = 0 gives residual + v_u, beta = 1 residual + v_c, any beta the formula."""
    case = FUSED_CASES["cfg_combine_into_residual_fp16"]
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of("beta", beta))
    before = snapshot(t)
    fvk.cfg_combine_into_residual_fp16(t["residual"], t["v_cond"], t["v_uncond"], beta, S * D)
    torch.cuda.synchronize()
    r, vc, vu = (before[k].float() for k in ("residual", "v_cond", "v_uncond"))
    assert_close(t["residual"], (r + vu + beta * (vc - vu)).half(), f"cfg beta={beta}")
    guards["residual"].check("residual", written=False)


# ---- CPU: argument checks specific to these entries ------------------------------------------

FAKE = 0x7F00_0000_0000  # a 256-byte-aligned fake device address (never dereferenced)


def _addresses(case):
    return {a.name: FAKE + (i + 1) * 0x10_0000 for i, a in enumerate(case.tensor_args)}


def _call(fvk, case, **override):
    addrs = _addresses(case)
    args = []
    for a in case.args:
        if a.name in override:
            args.append(override[a.name])
        elif a.is_tensor:
            args.append(addrs[a.name])
        elif a.kind in ("S", "D"):
            args.append(4)
        else:
            args.append(a.value_fn(4, 16))
    getattr(fvk, case.name)(*args)


@pytest.mark.parametrize("case", [p for p in CASE_PARAMS if p.id not in ROWWISE])
def test_non_positive_n(fvk, case):
    for bad in (0, -1, -(2**31)):
        with pytest.raises(ValueError, match=rf"^{case.name}: 'n' expected a positive size, got {bad}$"):
            _call(fvk, case, n=bad)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_n_beyond_int32_is_rejected(fvk, case):
    """Sizes are 32-bit ints (SPEC 1.1): a larger one is a TypeError from the binding, never a
    silent wrap-around."""
    size = "n" if case.name not in ROWWISE else next(a.name for a in case.args if a.kind == "D")
    with pytest.raises(TypeError):
        _call(fvk, case, **{size: 2**31})


def test_gate_geglu_merged_fp8_requires_d_scale(fvk):
    """The original defaulted d_scale to a null pointer (a fault); here leaving it out, or
    passing None, is a TypeError that names the argument."""
    with pytest.raises(TypeError, match=r"^gate_geglu_merged_fp8: 'd_scale' expected .*required"):
        fvk.gate_geglu_merged_fp8(FAKE, FAKE + 256, 4, 16)
    with pytest.raises(TypeError, match=r"^gate_geglu_merged_fp8: 'd_scale' expected .*required"):
        fvk.gate_geglu_merged_fp8(FAKE, FAKE + 256, 4, 16, None)
    for name in ("gate_geglu_merged_fp8_fp16", "silu_mul_split_fp8_fp16", "geglu_fp8_static_fp16"):
        with pytest.raises(TypeError):
            getattr(fvk, name)(FAKE, FAKE + 256, 4, 16)


def test_gate_res_fp16_argument_order(fvk):
    """gate_res_fp16 takes (gemm_out, gate, residual, n): the message names the argument in
    that position."""
    with pytest.raises(ValueError, match=re.escape("gate_res_fp16: 'residual' expected a non-null")):
        fvk.gate_res_fp16(FAKE, FAKE + 256, 0, 16)
    with pytest.raises(ValueError, match=re.escape("gate_res_fp16: 'gemm_out' expected a non-null")):
        fvk.gate_res_fp16(0, FAKE + 256, FAKE, 16)
