"""Norm group (SPEC 2.1) on the GPU: every entry against its torch reference (STYLE 5).

Each call: fresh seeded inputs from the case table, outputs inside poisoned buffers with guard
regions, the reference computed from copies taken before the call (rms_norm_inplace writes x).
Afterwards: guards intact, no poison left, inputs untouched, outputs within the rules of
`flash_rt.testing.numerics` (16-bit: one ulp / rel-L2 ceiling; FP8: one E4M3 step, few
differing), gate_out bit-exact (it is a copy).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases import NORM_CASES  # noqa: E402
from flash_rt.testing.checks import (  # noqa: E402
    check_graph_replay,
    check_outputs,
    prepare,
    run_checked,
    seed_of,
    snapshot,
)
from flash_rt.testing.numerics import assert_same_bits, fp8_codes, rel_l2  # noqa: E402
from flash_rt.testing.shapes import NORM_ONE_SHAPE, NORM_TEST_SHAPES  # noqa: E402

pytestmark = pytest.mark.gpu

FP8 = torch.float8_e4m3fn
CASES = list(NORM_CASES.values())
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]
EPS_PARAMS = [pytest.param(c, id=c.name) for c in CASES if c.eps is not None]
NOWEIGHT_PARAMS = [pytest.param(c, id=c.name) for c in CASES if "noweight" in c.name]
SHAPE_PARAMS = [pytest.param(s.rows, s.cols, id=s.id) for s in NORM_TEST_SHAPES]
ONE_S, ONE_D = NORM_ONE_SHAPE.rows, NORM_ONE_SHAPE.cols


# ---- correctness over the shape matrix -----------------------------------------------------

@pytest.mark.parametrize("S, D", SHAPE_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_matches_reference(fvk, case, S, D):
    run_checked(fvk, case, S, D, seed=seed_of(case.name, S, D))


@pytest.mark.parametrize("misalign", ["out", "x"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_misaligned_scalar_path(fvk, case, misalign):
    """A view one element off 16-byte alignment takes the scalar path and stays correct."""
    run_checked(fvk, case, ONE_S, ONE_D, seed=seed_of(case.name, misalign), misalign=misalign)


@pytest.mark.parametrize("case", EPS_PARAMS)
def test_eps_is_honoured(fvk, case):
    """eps=1e-2 on rows of RMS ~0.1 changes rstd by ~30%: an ignored eps (layer_norm_fp8 in
    the original) cannot pass."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "eps"))
    t["x"].mul_(0.05)
    before = snapshot(t)
    ref = case.reference(before, eps=1e-2)
    ref_default = case.reference(before)
    assert rel_l2(ref[0].float(), ref_default[0].float()) > 0.1, "test inputs do not make eps matter"
    case.call(fvk, t, S, D, eps=1e-2)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="(eps=1e-2)")


@pytest.mark.parametrize("D", [2049, 4096, 5125])
@pytest.mark.parametrize("case", NOWEIGHT_PARAMS)
def test_noweight_has_no_column_cap(fvk, case, D):
    """The original's noweight kernels ignored columns >= 2048 (sum and output). With the first
    2048 columns zero, every output beyond them must still be computed from them."""
    S = 2
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "cap", D))
    t["x"][:, :2048] = 0
    # Refit the scale to these rows (amax / 448), so the outputs use the E4M3 range instead of
    # saturating.
    t["d_scale"].fill_(1.0)
    amax = case.reference(t)[0].float().abs().amax().clamp(min=1e-3)
    t["d_scale"].copy_((amax / 448.0).reshape(1))
    before = snapshot(t)
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref)
    tail = fp8_codes(t["out"])[:, 2048:] & 0x7F
    assert bool((tail != 0).any(dim=1).all()), "columns beyond 2048 were not normalised"


LAYER_PARAMS = [pytest.param(c, id=c.name) for c in CASES if "layer_norm" in c.name]


@pytest.mark.parametrize("D", [2048, 83, 70000], ids=["vec", "scalar", "streaming"])
@pytest.mark.parametrize("case", LAYER_PARAMS)
def test_layer_norm_ill_conditioned_rows(fvk, case, D):
    """LayerNorm statistics come from one round of sums of x and x^2 and fall back to the
    corrected two-pass formula when the mean is far from zero in units of the standard deviation.
    Rows with a huge outlier, and rows with a large common offset (mean >> std), must still
    match the float32 two-pass reference."""
    S = 4
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "pivot", D))
    x = t["x"]
    x.mul_(0.01)
    x[0, 0] = 300.0        # one huge outlier
    x[1] += 100.0          # mean >> std: the fallback path
    x[2, 0] = 0.5          # a mild outlier: one-round path
    before = snapshot(t)
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="(ill-conditioned rows)")


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
    results = {}
    for name, convert in CONVENTIONS.items():
        for g in guards.values():
            g.reset()
        case.call(fvk, t, S, D, convert=convert)
        torch.cuda.synchronize()
        check_outputs(case, t, guards, before, ref, what=f"[{name}]")
        results[name] = {a.name: t[a.name].clone() for a in case.outputs}
    for name, outs in results.items():
        for o, v in outs.items():
            assert_same_bits(v, results["tensor"][o], f"{case.name}.{o}: {name} vs tensor")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_cuda_graph_replay(fvk, case):
    """Capture one call on the capture stream, then replay it on new input values: the graph
    reads the live buffers and writes every output element again (poisoned before each replay)."""
    S, D = ONE_S, ONE_D
    check_graph_replay(fvk, case, S, D, seed=seed_of(case.name, "graph"))


@pytest.mark.parametrize("case", CASE_PARAMS[:2] + [p for p in CASE_PARAMS if "ada_rms" in p.id])
def test_side_stream(fvk, case):
    """The stream argument is used: inputs written on a side stream, the call on that stream,
    only that stream synchronised."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "stream"))
    before = snapshot(t)
    ref = case.reference(before)
    side = torch.cuda.Stream()
    torch.cuda.synchronize()
    with torch.cuda.stream(side):
        x = t["x"]
        x.zero_()
        x.copy_(before["x"])  # the call must run after these on `side`
        case.call(fvk, t, S, D, stream=side.cuda_stream)
    side.synchronize()
    check_outputs(case, t, guards, before, ref, what="[side stream]")


# ---- validation on the GPU -----------------------------------------------------------------

WRONG_DTYPE = {torch.bfloat16: torch.float16, torch.float16: torch.bfloat16, torch.float32: torch.float16,
               FP8: torch.float16}


def _bad_variants(a, good, S, D):
    """(bad tensor, exception, message fragment) for one argument, all on the GPU."""
    out = [(torch.empty(good.shape, dtype=WRONG_DTYPE[a.dtype], device="cuda"), TypeError, "dtype")]
    if a.kind == "rows":
        W = a.width * D
        out.append((good.view(S * 2, W // 2), ValueError, f"rows of {W} elements"))
        out.append((torch.empty(S, 2 * W, dtype=a.dtype, device="cuda")[:, :W], ValueError, "a contiguous"))
        out.append((torch.empty(S + 1, W, dtype=a.dtype, device="cuda"), ValueError, f"{S * W} elements"))
    elif a.kind == "vec":
        out.append((torch.empty(2 * D, dtype=a.dtype, device="cuda")[::2], ValueError, "a contiguous"))
        out.append((torch.empty(D + 1, dtype=a.dtype, device="cuda"), ValueError, f"{D} elements"))
    elif a.kind == "scale":
        out.append((torch.empty(2, dtype=a.dtype, device="cuda"), ValueError, "1 elements"))
    return out


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_rejected_calls_write_nothing(fvk, case):
    """Right element count but wrong row width, strided views, wrong dtypes and sizes: each
    raises before launching (outputs keep their poison), and a valid call works afterwards."""
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "reject"))
    before = snapshot(t)
    for a in case.tensor_args:
        for bad, exc, what in _bad_variants(a, t[a.name], S, D):
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


# ---- NaN -----------------------------------------------------------------------------------

@pytest.mark.parametrize("D", [256, 83], ids=["vec", "scalar"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_nan_row(fvk, case, D):
    """One NaN in row 0 makes the row's statistics NaN. 16-bit outputs: the row is NaN. FP8
    outputs behind CLAMP448 (every scaled entry): fmaxf drops the NaN, so the row is -448
    (0xFE). layer_norm_fp8 converts without a clamp: the row is NaN (0x7F/0xFF). Other rows
    are unaffected."""
    S = 4
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "nan", D))
    t["x"][0, 3] = float("nan")
    before = snapshot(t)
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    # A computed E4M3 NaN is 0x7F, the poison byte itself: "written" is checked by value below.
    check_outputs(case, t, guards, before, ref, written=False, what="(NaN in row 0)")
    out = t["x"] if case.arg("x").inplace else t["out"]
    if out.dtype == FP8:
        codes = fp8_codes(out)
        clamped = any(a.kind == "scale" for a in case.tensor_args)
        if clamped:
            assert bool((codes[0] == 0xFE).all()), f"{case.name}: NaN row should be -448 (0xFE) after CLAMP448"
        else:
            assert bool(((codes[0] & 0x7F) == 0x7F).all()), f"{case.name}: NaN row should stay NaN (no clamp)"
        assert not bool(((codes[1:] & 0x7F) == 0x7F).any()), f"{case.name}: NaN leaked into other rows"
    else:
        assert bool(torch.isnan(out[0]).all()), f"{case.name}: NaN row should be NaN"
        assert not bool(torch.isnan(out[1:]).any()), f"{case.name}: NaN leaked into other rows"
