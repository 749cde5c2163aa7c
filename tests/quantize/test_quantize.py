"""Quantize group (SPEC 2.4.1) on the GPU: every entry against its torch reference (STYLE 5).

The kernels form the reciprocal and the scale with correctly rounded operations (__frcp_rn,
__fdiv_rn) and the reference does the same (flash_rt.testing.ref.quantize), so outputs are
compared byte for byte, and the dynamic entries' d_scale bit for bit (NaN against NaN).

Each call: fresh seeded inputs from the case table, outputs (and the dynamic entries' d_scale)
inside poisoned buffers with guard regions (0x7F for E4M3, NaN for float32), the reference
computed from copies taken before the call. Afterwards: guards intact, no poison left, inputs
untouched (the static entries' d_scale included), bytes equal to the reference.
"""

from __future__ import annotations

import math
import zlib

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases import quantize as QC  # noqa: E402
from flash_rt.testing.numerics import (  # noqa: E402
    Guarded,
    assert_same_bits,
    fp8_codes,
    guarded_copy,
    isnan_bits,
)

pytestmark = pytest.mark.gpu

FP8 = torch.float8_e4m3fn
CASES = list(QC.CASES.values())
DYNAMIC = ("quantize_fp8", "quantize_fp8_device", "quantize_fp8_device_fp16")
STATIC = ("quantize_fp8_static", "quantize_fp8_static_fp16")


def params(names=None, exclude=()):
    return [pytest.param(c, id=c.name) for c in CASES if (names is None or c.name in names) and c.name not in exclude]


CASE_PARAMS = params()
DYNAMIC_PARAMS = params(DYNAMIC)
STATIC_PARAMS = params(STATIC)
GRAPH_PARAMS = params(exclude=("quantize_fp8",))  # quantize_fp8 waits for its stream

# (S, D) -> n = S * D. The launcher's paths (src/cpp/include/flash_rt/quantize/fp8_quantize.cuh):
# vector path (16-byte input, 8-byte output bases) or scalar path (misaligned views); dynamic
# entries on the vector path: one fused CTA up to 4096 vectors (n <= 32768), then one cooperative
# grid holding the tensor in registers (U = 1, 2, 4 or 8 vectors per thread, at most 2 CTAs of
# 512 per SM: n <= 8,650,752 on 132 SMs), else memset + amax kernel + encode kernel (also the
# whole scalar path above 4096 elements); encode/amax take 1, 2 or 4 vectors per thread per sweep.
# CTA 0 writes the n % 8 tail. The numbers are for the H100's 132 SMs.
SHAPES = [
    pytest.param(1, 1, id="n1-one-element-tail-only"),
    pytest.param(1, 7, id="n7-tail-only"),
    pytest.param(1, 83, id="n83-prime"),
    pytest.param(1, 769, id="n769"),
    pytest.param(1, 5125, id="n5125"),
    pytest.param(1, 2048, id="1x2048-decode"),
    pytest.param(7, 1152, id="7x1152-siglip"),
    pytest.param(3, 5125, id="3x5125-odd"),
    pytest.param(16, 2048, id="16x2048-largest-one-cta"),
    pytest.param(1, 32769, id="n32769-smallest-resident"),
    pytest.param(257, 2560, id="257x2560-resident-unroll1"),
    pytest.param(1024, 2048, id="1024x2048-resident-unroll2"),
    pytest.param(2048, 2048, id="2048x2048-resident-unroll4"),
    pytest.param(4099, 2049, id="4099x2049-resident-unroll8-odd"),
    pytest.param(4500, 2049, id="4500x2049-multi-kernel-unroll4-two-sweeps-odd"),
]
MISALIGNED_SHAPES = [
    pytest.param(1, 83, id="n83"),
    pytest.param(1, 4096, id="n4096-largest-one-cta-scalar"),
    pytest.param(7, 2048, id="7x2048-multi-kernel-scalar"),
]
ONE_S, ONE_D = 7, 2048          # one representative call (conventions, streams, rejections)
BIG_S, BIG_D = 63, 2049         # a dynamic call on the resident path (n = 129087, tail of 7)
HUGE_S, HUGE_D = 4500, 2049     # a dynamic call on the multi-kernel path (n = 9220500, tail of 4)


def seed_of(*parts) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def invoke(fvk, case, t, S, D, *, convert=lambda x: x, stream=0):
    """Call the entry positionally (tensors through `convert`), returning what it returns."""
    args = [convert(t[a.name]) if a.is_tensor else a.value_fn(S, D) for a in case.args]
    return getattr(fvk, case.name)(*args, stream=stream)


def prepare(case, S, D, *, seed, misalign=None):
    """Inputs from the case table; outputs (output, and d_scale of the dynamic entries) replaced
    by poisoned Guarded buffers. misalign="input" / "output" offsets that tensor by one element
    (2 / 1 bytes) to force the scalar path."""
    t = case.make(S, D, device="cuda", seed=seed)
    guards: dict[str, Guarded] = {}
    for a in case.tensor_args:
        off = int(misalign == a.name)
        if a.output:
            guards[a.name] = Guarded(a.shape(S, D), a.dtype, offset=off)
        elif off:
            guards[a.name] = guarded_copy(t[a.name], offset=off)
        else:
            continue
        t[a.name] = guards[a.name].tensor
    return t, guards


def snapshot(t):
    return {n: v.clone() for n, v in t.items()}


def set_input(t, values):
    t["input"].copy_(values.reshape(t["input"].shape))


def assert_codes(out, ref, what, *, nan_any=False):
    """E4M3 bytes equal. nan_any: where the reference is NaN, any NaN code (0x7F / 0xFF) passes
    (the cast's NaN sign is not part of the contract)."""
    o, r = fp8_codes(out).flatten().clone(), fp8_codes(ref).flatten().clone()
    if nan_any:
        both = isnan_bits(o) & isnan_bits(r)
        o[both] = r[both]
    assert_same_bits(o, r, what)


def assert_scale(got: torch.Tensor | float, ref: torch.Tensor, what):
    """A float32 scale equal to the reference bit for bit, or NaN where the reference is NaN."""
    expected = float(ref.reshape(()))
    value = float(got.reshape(())) if isinstance(got, torch.Tensor) else got
    if math.isnan(expected):
        assert math.isnan(value), f"{what}: expected a NaN scale, got {value!r}"
        return
    if isinstance(got, torch.Tensor):
        assert_same_bits(got.reshape(1), ref.reshape(1).to(got.device), what)
    else:
        assert value == expected, f"{what}: {value!r} != {expected!r}"


def check(case, t, guards, before, ref, *, ret=None, written=True, nan_any=False, what=""):
    tag = f"{case.name}{what}"
    for name, g in guards.items():
        # A NaN scale is written as a positive NaN, never the poison pattern (0xFFFFFFFF).
        g.check(f"{tag}.{name}", written=written or name == "d_scale")
    for a in case.tensor_args:
        if not a.output:
            assert_same_bits(t[a.name], before[a.name], f"{tag}: input '{a.name}' was modified")
    assert_codes(t["output"], ref[0], f"{tag}.output", nan_any=nan_any)
    if case.name in DYNAMIC:
        assert_scale(t["d_scale"], ref[1], f"{tag}.d_scale")
    if case.name == "quantize_fp8":
        assert isinstance(ret, float), f"quantize_fp8 returned {type(ret).__name__}, expected float"
        assert_scale(ret, ref[1], f"{tag} return value")
    else:
        assert ret is None


def run_checked(fvk, case, S, D, *, seed, misalign=None, values=None, nan_any=False, what=""):
    t, guards = prepare(case, S, D, seed=seed, misalign=misalign)
    if values is not None:
        set_input(t, values)
    before = snapshot(t)
    ref = case.reference(before)
    ret = invoke(fvk, case, t, S, D)
    torch.cuda.synchronize()
    # A NaN E4M3 output is 0x7F, the poison byte itself: "written" is then checked by value.
    nan_out = bool(isnan_bits(fp8_codes(ref[0])).any())
    check(case, t, guards, before, ref, ret=ret, written=not nan_out, nan_any=nan_any, what=what)
    return t, ref, ret


# ---- correctness over the shape matrix -----------------------------------------------------

@pytest.mark.parametrize("S, D", SHAPES)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_matches_reference(fvk, case, S, D):
    run_checked(fvk, case, S, D, seed=seed_of(case.name, S, D))


@pytest.mark.parametrize("S, D", MISALIGNED_SHAPES)
@pytest.mark.parametrize("misalign", ["input", "output"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_misaligned_scalar_path(fvk, case, misalign, S, D):
    """A view one element off alignment takes the scalar path and gives the same bytes."""
    run_checked(fvk, case, S, D, seed=seed_of(case.name, misalign, S, D), misalign=misalign)


def _special(n, dtype, gen, *, big):
    """Realistic values with large outliers, tiny values, signed zeros (and, for dynamic
    entries, values far beyond 448 that the scale must bring into range)."""
    x = torch.randn(n, generator=gen)
    idx = torch.randperm(n, generator=gen)
    k = max(1, n // 50)
    x[idx[:k]] *= big
    x[idx[k:2 * k]] *= 1e-6
    x[idx[2 * k:3 * k]] = -0.0
    x[-1] = -big * 3  # the largest magnitude sits in the tail (n % 8) for odd n
    return x.to(dtype)


@pytest.mark.parametrize("S, D", [(1, 83), (3, 5125), (BIG_S, BIG_D)])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_outliers(fvk, case, S, D):
    gen = torch.Generator().manual_seed(seed_of(case.name, "outliers", S, D))
    big = 1e4 if case.arg("input").dtype == torch.float16 else 1e30
    if case.name in STATIC:
        big = 50.0  # the scale fitted by Case.make to milder data: a few of these saturate
    if case.name == "cast_fp16_fp8":
        big = 300.0  # |x| up to 900: saturation to 448 included
    run_checked(fvk, case, S, D, seed=seed_of(case.name, "outliers", S, D),
                values=_special(S * D, case.arg("input").dtype, gen, big=big))


@pytest.mark.parametrize("S, D", [(1, 7), (7, 1152), (BIG_S, BIG_D)])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_all_zero(fvk, case, S, D):
    """Zeros quantize to 0x00; the dynamic scale floors at float32(1e-12) exactly."""
    zeros = torch.zeros(S * D, dtype=case.arg("input").dtype)
    t, ref, ret = run_checked(fvk, case, S, D, seed=seed_of(case.name, "zero", S, D), values=zeros)
    assert bool((fp8_codes(t["output"]) == 0).all())
    if case.name in DYNAMIC:
        floor = torch.tensor([1e-12], dtype=torch.float32)
        assert_same_bits(t["d_scale"].cpu(), floor, f"{case.name}: all-zero scale")


@pytest.mark.parametrize("case", DYNAMIC_PARAMS)
def test_scale_is_recomputed(fvk, case):
    """A second call on smaller data gets the smaller scale (the slot is reset, not max-ed
    with the previous scale), on the one-CTA, the resident and the multi-kernel path."""
    for S, D in ((ONE_S, ONE_D), (BIG_S, BIG_D), (HUGE_S, HUGE_D)):
        t, guards = prepare(case, S, D, seed=seed_of(case.name, "recompute", S, D))
        invoke(fvk, case, t, S, D)
        first = t["d_scale"].clone()
        t["input"].mul_(0.125)
        before = snapshot(t)
        ref = case.reference(before)
        ret = invoke(fvk, case, t, S, D)
        torch.cuda.synchronize()
        check(case, t, guards, before, ref, ret=ret, what=f"[second call {S}x{D}]")
        assert float(t["d_scale"]) < float(first), "the scale of the second call must be smaller"


# ---- NaN and inf ---------------------------------------------------------------------------

NAN_POSITIONS = [pytest.param(ONE_S, ONE_D, 5, id="one-cta"), pytest.param(1, 83, 82, id="one-cta-tail"),
                 pytest.param(BIG_S, BIG_D, 70001, id="resident"),
                 pytest.param(BIG_S, BIG_D, BIG_S * BIG_D - 1, id="resident-tail"),
                 pytest.param(HUGE_S, HUGE_D, 5_000_001, id="multi-kernel"),
                 pytest.param(HUGE_S, HUGE_D, HUGE_S * HUGE_D - 1, id="multi-kernel-tail")]


@pytest.mark.parametrize("S, D, pos", NAN_POSITIONS)
@pytest.mark.parametrize("case", DYNAMIC_PARAMS)
def test_dynamic_nan_makes_scale_nan(fvk, case, S, D, pos):
    """Documented policy: amax propagates NaN (torch.amax semantics), the floor keeps it, so
    d_scale is NaN (and quantize_fp8 returns nan) and every output byte is CLAMP448(NaN) = 0xFE."""
    x = torch.randn(S * D, generator=torch.Generator().manual_seed(pos)).to(case.arg("input").dtype)
    x[pos] = float("nan")
    t, _, ret = run_checked(fvk, case, S, D, seed=seed_of(case.name, "nan", pos), values=x)
    assert math.isnan(float(t["d_scale"]))
    assert bool((fp8_codes(t["output"]) == 0xFE).all())
    if case.name == "quantize_fp8":
        assert math.isnan(ret)


@pytest.mark.parametrize("S, D, pos", NAN_POSITIONS)
@pytest.mark.parametrize("case", DYNAMIC_PARAMS)
def test_dynamic_inf(fvk, case, S, D, pos):
    """+-inf is a real maximum: scale = inf, r = 0, finite elements become +-0 (0x00 / 0x80),
    the infinities 0 * inf = NaN -> CLAMP448 -> 0xFE."""
    x = torch.randn(S * D, generator=torch.Generator().manual_seed(pos)).to(case.arg("input").dtype)
    x[pos] = -float("inf")
    t, _, _ = run_checked(fvk, case, S, D, seed=seed_of(case.name, "inf", pos), values=x)
    assert float(t["d_scale"]) == math.inf
    codes = fp8_codes(t["output"]).flatten()
    assert int(codes[pos]) == 0xFE
    assert bool(((codes == 0x00) | (codes == 0x80) | (torch.arange(codes.numel(), device=codes.device) == pos)).all())


@pytest.mark.parametrize("D", [2048, 83], ids=["even", "odd-tail"])
@pytest.mark.parametrize("case", STATIC_PARAMS)
def test_static_nan_inf_elements(fvk, case, D):
    """Static entries: a NaN element becomes CLAMP448(NaN) = -448 (0xFE), +-inf saturate to
    +-448; the other elements are unaffected."""
    S = 3
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "naninf", D))
    x = t["input"].flatten()
    x[0], x[1], x[2], x[-1] = float("nan"), float("inf"), -float("inf"), float("nan")
    before = snapshot(t)
    ref = case.reference(before)
    invoke(fvk, case, t, S, D)
    torch.cuda.synchronize()
    check(case, t, guards, before, ref)
    codes = fp8_codes(t["output"]).flatten()
    assert [int(c) for c in codes[:3]] == [0xFE, 0x7E, 0xFE] and int(codes[-1]) == 0xFE


@pytest.mark.parametrize("D", [2048, 83], ids=["even", "odd-tail"])
def test_cast_saturates_and_keeps_nan(fvk, D):
    """cast_fp16_fp8: no scale, no clamp. |x| > 448 and inf saturate to +-448 (torch's own cast
    gives NaN beyond 464, so the reference saturates first); NaN stays NaN."""
    case = QC.CASES["cast_fp16_fp8"]
    S = 2
    special = torch.tensor([448, 449, 464, 465, 479, 480, 1000, 65504, float("inf"), -500, -65504, -float("inf"),
                            float("nan"), 2.0**-9, 2.0**-10, 2.0**-10 * 3, -0.0], dtype=torch.float16)
    x = (torch.randn(S * D, generator=torch.Generator().manual_seed(D)) * 100).to(torch.float16)
    x[: special.numel()] = special
    x[-1] = float("nan")
    t, _, _ = run_checked(fvk, case, S, D, seed=seed_of("cast", D), values=x, nan_any=True)
    codes = fp8_codes(t["output"]).flatten()
    assert [int(c) for c in codes[:12]] == [0x7E] * 9 + [0xFE] * 3
    assert int(codes[12]) & 0x7F == 0x7F and int(codes[-1]) & 0x7F == 0x7F
    assert [int(c) for c in codes[13:17]] == [0x01, 0x00, 0x02, 0x80]  # subnormals round to even


@pytest.mark.parametrize("case", STATIC_PARAMS)
@pytest.mark.parametrize("scale", [0.0, -0.0, 1e-30, -2.0, float("nan"), float("inf"), 1e-12, 3.0e38],
                         ids=["zero", "neg-zero", "below-floor", "negative", "nan", "inf", "floor", "huge"])
def test_static_scale_values(fvk, case, scale):
    """Degenerate d_scale values follow the formula exactly: the bf16 entry has no floor
    (0 -> r = inf: +-448, and 0 * inf -> 0xFE; negative flips signs), the fp16 entry floors at
    1e-12 keeping NaN (then every byte is 0xFE)."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "scale", scale))
    t["d_scale"].fill_(scale)
    before = snapshot(t)
    ref = case.reference(before)
    invoke(fvk, case, t, S, D)
    torch.cuda.synchronize()
    check(case, t, guards, before, ref, what=f"(d_scale={scale})")


# ---- calling conventions, graphs, streams --------------------------------------------------

def _fp8_as_bytes(x):
    return x.view(torch.uint8) if x.dtype == FP8 else x


CONVENTIONS = {
    "tensor": lambda x: x,
    "dlpack_capsule": lambda x: torch.utils.dlpack.to_dlpack(x),
    "int_address": lambda x: x.data_ptr(),
    "fp8_as_uint8": _fp8_as_bytes,
}


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_calling_conventions_agree(fvk, case):
    """Tensors, to_dlpack capsules and raw data_ptr() addresses give identical bytes."""
    import torch.utils.dlpack  # noqa: F401

    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "conv"))
    before = snapshot(t)
    ref = case.reference(before)
    for name, convert in CONVENTIONS.items():
        for g in guards.values():
            g.reset()
        ret = invoke(fvk, case, t, S, D, convert=convert)
        torch.cuda.synchronize()
        check(case, t, guards, before, ref, ret=ret, what=f"[{name}]")


@pytest.mark.parametrize("S, D", [(ONE_S, ONE_D), (BIG_S, BIG_D), (HUGE_S, HUGE_D), (1, 83)],
                         ids=["one-cta", "resident", "multi-kernel", "n83"])
@pytest.mark.parametrize("case", GRAPH_PARAMS)
def test_cuda_graph_replay(fvk, case, S, D):
    """Capture one call, then replay it on new input values: the graph reads the live buffers,
    writes every output element again (poisoned before each replay) and the dynamic entries
    recompute the scale inside the graph (the second replay's data is 8x smaller, so a scale
    left over from the first would show)."""
    seed = seed_of(case.name, "graph", S, D)
    t, guards = prepare(case, S, D, seed=seed)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up off the default stream, as torch recommends
        invoke(fvk, case, t, S, D, stream=side.cuda_stream)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()

    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        invoke(fvk, case, t, S, D, stream=torch.cuda.current_stream().cuda_stream)

    for replay in range(2):
        fresh = case.make(S, D, device="cuda", seed=seed + 1 + replay)
        for a in case.tensor_args:
            if a.output:
                guards[a.name].reset()
            else:
                t[a.name].copy_(fresh[a.name])
        if replay == 1:
            t["input"].mul_(0.125)
        before = snapshot(t)
        ref = case.reference(before)
        graph.replay()
        torch.cuda.synchronize()
        check(case, t, guards, before, ref, what=f"[graph replay {replay}]")


@pytest.mark.parametrize("S, D", [(ONE_S, ONE_D), (BIG_S, BIG_D), (HUGE_S, HUGE_D)],
                         ids=["one-cta", "resident", "multi-kernel"])
def test_quantize_fp8_refuses_capture(fvk, S, D):
    """quantize_fp8 waits for its stream, so under capture it raises RuntimeError before
    launching anything; the capture stays valid (a static call captured after it replays)."""
    case = QC.CASES["quantize_fp8"]
    static = QC.CASES["quantize_fp8_static"]
    t, guards = prepare(case, S, D, seed=seed_of("refuse", S, D))
    ts, gs = prepare(static, S, D, seed=seed_of("refuse-static", S, D))
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        stream = torch.cuda.current_stream().cuda_stream
        with pytest.raises(RuntimeError, match=r"^quantize_fp8: not capture-safe .*being captured"):
            invoke(fvk, case, t, S, D, stream=stream)
        invoke(fvk, static, ts, S, D, stream=stream)
    torch.cuda.synchronize()
    for name, g in guards.items():
        assert g.unwritten() == g.numel, f"quantize_fp8.{name}: written by a refused call"
    before = snapshot(ts)
    graph.replay()
    torch.cuda.synchronize()
    check(static, ts, gs, before, static.reference(before), what="[captured after a refused quantize_fp8]")


def test_quantize_fp8_on_another_stream_during_capture(fvk):
    """quantize_fp8 on a stream that is not being captured works while another stream captures
    (global capture mode), and leaves that capture valid: the call switches its thread to the
    relaxed capture mode for its host copy and wait."""
    case = QC.CASES["quantize_fp8"]
    static = QC.CASES["quantize_fp8_static"]
    S, D = BIG_S, BIG_D
    t, guards = prepare(case, S, D, seed=seed_of("other-stream"))
    ts, gs = prepare(static, S, D, seed=seed_of("other-stream-static"))
    before = snapshot(t)
    ref = case.reference(before)
    other = torch.cuda.Stream()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        ret = invoke(fvk, case, t, S, D, stream=other.cuda_stream)
        invoke(fvk, static, ts, S, D, stream=torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    check(case, t, guards, before, ref, ret=ret, what="[other stream during capture]")
    before_s = snapshot(ts)
    graph.replay()
    torch.cuda.synchronize()
    check(static, ts, gs, before_s, static.reference(before_s), what="[captured beside quantize_fp8]")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_side_stream(fvk, case):
    """The stream argument is used: the input written on a side stream, the call on that
    stream, only that stream synchronised."""
    S, D = BIG_S, BIG_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "stream"))
    before = snapshot(t)
    ref = case.reference(before)
    side = torch.cuda.Stream()
    torch.cuda.synchronize()
    with torch.cuda.stream(side):
        x = t["input"]
        x.zero_()
        x.copy_(before["input"])  # the call must run after these on `side`
        ret = invoke(fvk, case, t, S, D, stream=side.cuda_stream)
    side.synchronize()
    check(case, t, guards, before, ref, ret=ret, what="[side stream]")


# ---- validation on the GPU -----------------------------------------------------------------

WRONG_DTYPE = {torch.bfloat16: torch.float16, torch.float16: torch.bfloat16, torch.float32: torch.float16,
               FP8: torch.float16}


def _bad_variants(a, good, S, D):
    """(bad tensor, exception, message fragment) for one argument, all on the GPU."""
    out = [(torch.empty(good.shape, dtype=WRONG_DTYPE[a.dtype], device="cuda"), TypeError, "dtype")]
    if a.kind == "rows":
        out.append((torch.empty(S, 2 * D, dtype=a.dtype, device="cuda")[:, :D], ValueError, "a contiguous"))
        out.append((torch.empty(S + 1, D, dtype=a.dtype, device="cuda"), ValueError, f"{S * D} elements"))
    elif a.kind == "scale":
        out.append((torch.empty(2, dtype=a.dtype, device="cuda"), ValueError, "1 elements"))
    return out


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_rejected_calls_write_nothing(fvk, case):
    """Wrong dtypes, sizes and strided views each raise before launching (outputs keep their
    poison), a reshaped tensor of the right element count is accepted (the entries see n flat
    elements), and a valid call works afterwards."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "reject"))
    before = snapshot(t)
    for a in case.tensor_args:
        for bad, exc, what in _bad_variants(a, t[a.name], S, D):
            with pytest.raises(exc, match=rf"^{case.name}: '{a.name}' expected .*{what}"):
                invoke(fvk, case, {**t, a.name: bad}, S, D)
    n_bad = {"quantize_fp8_static": -1, "quantize_fp8_static_fp16": -1, "cast_fp16_fp8": -1}.get(case.name, 0)
    with pytest.raises(ValueError, match=rf"^{case.name}: 'n' expected"):
        getattr(fvk, case.name)(*[t[a.name] if a.is_tensor else n_bad for a in case.args])
    torch.cuda.synchronize()
    for name, g in guards.items():
        g.check(f"{case.name}.{name}", written=False)
        assert g.unwritten() == g.numel, f"{case.name}.{name}: a rejected call wrote output"
    flat = {**t, "input": t["input"].view(S * D), "output": t["output"].view(S * 2, D // 2)}
    ref = case.reference(before)
    ret = invoke(fvk, case, flat, S, D)
    torch.cuda.synchronize()
    check(case, t, guards, before, ref, ret=ret, what="[after rejections, reshaped tensors]")


@pytest.mark.parametrize("case", params(STATIC + ("cast_fp16_fp8",)))
def test_static_n_zero_is_a_no_op(fvk, case):
    """n = 0 with empty tensors: validated, nothing launched, nothing written."""
    t = {a.name: torch.empty(0 if a.kind == "rows" else 1, dtype=a.dtype, device="cuda") for a in case.tensor_args}
    assert invoke(fvk, case, t, 0, 0) is None
    guard = Guarded((4,), FP8)
    t["output"] = guard.tensor[:0]
    invoke(fvk, case, t, 0, 0)
    torch.cuda.synchronize()
    guard.check(written=False)
    assert guard.unwritten() == guard.numel

