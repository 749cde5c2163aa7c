"""Activation group (SPEC 2.2): in-place activations and a <- SiLU(a + b).

GPU (`@pytest.mark.gpu`): every entry against its torch reference over n that reach every
path of device/elementwise.cuh (vector body + scalar tail, tail-only launches, one and four
vectors per thread), misaligned views forcing the scalar path, NaN / inf inputs (ReLU maps NaN
to 0), the three calling conventions, CUDA-graph replay, rejected calls changing nothing, and
differential tests: fused_add_silu against our residual_add then silu_inplace, gelu_inplace
against gate_geglu with up = 1 (GELU_t, the other spelling of the same function). The in-place
buffers sit inside guard regions (no write outside them).

CPU: the argument checks that test_errors.py (generic over the case table) cannot express for
these entries: non-positive and out-of-range n.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases.activation import CASES as ACT_CASES  # noqa: E402
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
    assert_same_bits,
)
from flash_rt.testing.ref.activation import silu  # noqa: E402

CASES = list(ACT_CASES.values())
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]

# (S, D): every entry is flat over n = S * D elements.
SHAPES = (
    (1, 1),        # n = 1: a tail-only launch
    (1, 7),        # tail only
    (1, 8),        # exactly one vector
    (1, 83),       # 10 vectors + a tail of 3
    (1, 769),      # tail of 1
    (1, 5125),     # tail of 5, 3 blocks
    (3, 7),        # n = 21
    (7, 2048),     # whole vectors, one block per 2048
    (64, 2048),    # 2-element vectors at up to 8 blocks per SM (elementwise.cuh)
    (256, 2048),   # 4-element vectors: 512 blocks, a quarter to a half of the slots (132 SMs)
    (160, 2056),   # the same band (row-wise entries keep VEC 8 / 2 there)
    (131, 3001),   # the same band, n % 4 == 3 (flat) / odd rows (row-wise: scalar)
    (2, 16384),    # FFN width, decode
    (257, 4096),   # many blocks
    (3, 70001),    # large odd n
    (4400, 8200),  # >= 4 waves of 8 blocks/SM at 4 vectors per thread (132 SMs): the 4-vector plan
)
SHAPE_PARAMS = [pytest.param(S, D, id=f"{S}x{D}") for S, D in SHAPES]
ONE_S, ONE_D = 7, 2048


def _inplace(case):
    return next(a.name for a in case.tensor_args if a.inplace)


@pytest.mark.gpu
@pytest.mark.parametrize("S, D", SHAPE_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_matches_reference(fvk, case, S, D):
    run_checked(fvk, case, S, D, seed=seed_of(case.name, S, D))


def _misalign_params():
    out = []
    for c in CASES:
        out.append(pytest.param(c, "out", id=f"{c.name}-{_inplace(c)}"))
        for a in c.tensor_args:
            if not (a.output or a.inplace):
                out.append(pytest.param(c, a.name, id=f"{c.name}-{a.name}"))
    return out


@pytest.mark.gpu
@pytest.mark.parametrize("case, which", _misalign_params())
def test_misaligned_scalar_path(fvk, case, which):
    """A buffer one element off 16-byte alignment makes the whole call take the scalar path,
    which must give the same results (and write nothing outside the buffer)."""
    run_misaligned(fvk, case, which, ONE_S, ONE_D, seed=seed_of(case.name, "mis", which))


@pytest.mark.gpu
@pytest.mark.parametrize("D", [2048, 83], ids=["vec", "scalar"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_nan_and_inf(fvk, case, D):
    """NaN, +inf, -inf and a huge finite value in every input: the reference's fp32 math says
    what comes out (NaN propagates, except ReLU's fmaxf which maps it to 0; gelu(-inf) and
    SiLU(-inf) are NaN from inf * 0 / inf / inf, as in torch)."""
    S = 4
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "specials", D))
    for a in case.tensor_args:
        flat = t[a.name].view(-1)
        big = 60000.0 if a.dtype == torch.float16 else 1e30
        for i, v in enumerate((float("nan"), float("inf"), -float("inf"), big, -big)):
            flat[i] = v
    before = snapshot(t)
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="(NaN/inf inputs)")
    for a, r in zip(case.outputs, ref, strict=True):
        assert_close_with_specials(t[a.name], r, f"{case.name}.{a.name} (NaN/inf inputs)")
    if case.name == "relu_inplace_fp16":
        assert float(t["x"].view(-1)[0]) == 0.0, "relu: NaN must become 0 (fmaxf)"


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_calling_conventions_agree(fvk, case):
    """Tensors, to_dlpack capsules and data_ptr() addresses give identical bytes (the in-place
    buffer restored before each call)."""
    import torch.utils.dlpack  # noqa: F401

    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "conv"))
    before = snapshot(t)
    ref = case.reference(before)
    results = {}
    for name, convert in {"tensor": lambda x: x, "capsule": torch.utils.dlpack.to_dlpack,
                          "address": lambda x: x.data_ptr()}.items():
        for a in case.tensor_args:
            if a.inplace:
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
    """Capture one call, replay it on new values loaded into the same buffers."""
    S, D = ONE_S, ONE_D
    check_graph_replay(fvk, case, S, D, seed=seed_of(case.name, "graph"))


@pytest.mark.gpu
def test_side_stream(fvk):
    """The call runs on the stream it is given, after work queued there."""
    case = ACT_CASES["fused_add_silu_fp16"]
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of("stream"))
    before = snapshot(t)
    ref = case.reference(before)
    side = torch.cuda.Stream()
    torch.cuda.synchronize()
    with torch.cuda.stream(side):
        t["b"].zero_()
        t["b"].copy_(before["b"])
        case.call(fvk, t, S, D, stream=side.cuda_stream)
    side.synchronize()
    check_outputs(case, t, guards, before, ref, what="[side stream]")


WRONG_DTYPE = {torch.bfloat16: torch.float16, torch.float16: torch.bfloat16}


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_rejected_calls_change_nothing(fvk, case):
    """Wrong dtype, element count or strides raise before launching; the in-place buffer keeps
    its values; a valid call works afterwards."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "reject"))
    before = snapshot(t)
    for a in case.tensor_args:
        W = a.width * D
        for bad, exc, what in (
                (torch.empty(S, W, dtype=WRONG_DTYPE[a.dtype], device="cuda"), TypeError, "dtype"),
                (torch.empty(S, 2 * W, dtype=a.dtype, device="cuda")[:, :W], ValueError, "a contiguous"),
                (torch.empty(S + 1, W, dtype=a.dtype, device="cuda"), ValueError, f"{S * W} elements")):
            with pytest.raises(exc, match=rf"^{case.name}: '{a.name}' expected .*{what}"):
                case.call(fvk, {**t, a.name: bad}, S, D)
    torch.cuda.synchronize()
    for name, g in guards.items():
        g.check(f"{case.name}.{name}", written=False)
        assert_same_bits(g.tensor, before[name], f"{case.name}.{name} changed by a rejected call")
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="[after rejections]")


# ---- differential ----------------------------------------------------------------------------

S_DIFF, D_DIFF = 64, 2048


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["fused_add_silu_fp16", "fused_add_silu_bf16"])
def test_add_silu_vs_add_then_silu(fvk, name):
    """a <- SiLU(a + b) == our residual_add(a, b) (rounds the sum), then our silu_inplace_fp16
    (fp16) or torch's SiLU formula (bf16: there is no bf16 SiLU entry)."""
    case = ACT_CASES[name]
    n = S_DIFF * D_DIFF
    t, _ = prepare(case, S_DIFF, D_DIFF, seed=seed_of(name, "diff"))
    before = snapshot(t)
    case.call(fvk, t, S_DIFF, D_DIFF)
    a = before["a"].clone()
    if a.dtype == torch.float16:
        fvk.residual_add_fp16(a, before["b"], n)
        fvk.silu_inplace_fp16(a, n)
    else:
        fvk.residual_add(a, before["b"], n)
        a = silu(a.float()).to(a.dtype)
    torch.cuda.synchronize()
    # The stored sum is off by up to half its ulp; SiLU's slope is at most 1.1 in magnitude.
    bits = {torch.float16: 10, torch.bfloat16: 7}[a.dtype]
    s = (before["a"].double() + before["b"].double()).abs()
    assert_composed_close(t["a"], a, f"{name} vs residual_add + SiLU", 1.1 * s * 2.0 ** -bits)


@pytest.mark.gpu
@pytest.mark.parametrize("name, geglu", [("gelu_inplace", "gate_geglu"), ("gelu_inplace_fp16", "gate_geglu_fp16")])
def test_gelu_tanh_form_vs_sigmoid_form(fvk, name, geglu):
    """gelu_inplace (the contract's explicit tanh form) and GELU_t (gate_geglu with up = 1) are
    one function. Both are evaluated the same way now (activation/functions.cuh), but the
    contract does not make them bit-identical, so they are held to the composition rule."""
    case = ACT_CASES[name]
    n = S_DIFF * D_DIFF
    t, _ = prepare(case, S_DIFF, D_DIFF, seed=seed_of(name, "forms"))
    before = snapshot(t)
    case.call(fvk, t, S_DIFF, D_DIFF)
    g = before["x"]
    out = torch.empty_like(g)
    getattr(fvk, geglu)(g, torch.ones_like(g), out, n)
    torch.cuda.synchronize()
    assert_close(t["x"], out, f"{name} vs {geglu}(x, 1)", roundings=2)


# ---- CPU: argument checks specific to these entries ------------------------------------------

FAKE = 0x7F00_0000_0000  # a 256-byte-aligned fake device address (never dereferenced)


def _call(fvk, case, n):
    args = [FAKE + (i + 1) * 0x10_0000 for i, _ in enumerate(case.tensor_args)]
    getattr(fvk, case.name)(*args, n)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_non_positive_n(fvk, case):
    for bad in (0, -1, -(2**31)):
        with pytest.raises(ValueError, match=rf"^{case.name}: 'n' expected a positive size, got {bad}$"):
            _call(fvk, case, bad)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_n_beyond_int32_is_rejected(fvk, case):
    """n is a 32-bit int (SPEC 1.1): a larger one is a TypeError from the binding, never a
    silent wrap-around."""
    with pytest.raises(TypeError):
        _call(fvk, case, 2**31)
