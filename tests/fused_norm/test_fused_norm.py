"""Residual-fused norms (SPEC 2.3, the normalising half) on the GPU: every entry against its
torch reference, the residual updated in place (rounded) and checked too, graph capture, the
three calling conventions, and differential tests against the composition of our unfused
entries (residual add, then the matching norm)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases.fused_norm import CASES as FUSED_NORM_CASES  # noqa: E402
from flash_rt.testing.checks import (  # noqa: E402
    check_graph_replay,
    check_outputs,
    prepare,
    run_checked,
    seed_of,
    snapshot,
)
from flash_rt.testing.numerics import assert_close, assert_same_bits, fp8_codes  # noqa: E402
from flash_rt.testing.shapes import NORM_ONE_SHAPE, NORM_TEST_SHAPES  # noqa: E402

pytestmark = pytest.mark.gpu

CASES = list(FUSED_NORM_CASES.values())
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]
SHAPE_PARAMS = [pytest.param(s.rows, s.cols, id=s.id) for s in NORM_TEST_SHAPES]
ONE_S, ONE_D = NORM_ONE_SHAPE.rows, NORM_ONE_SHAPE.cols


@pytest.mark.parametrize("S, D", SHAPE_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_matches_reference(fvk, case, S, D):
    run_checked(fvk, case, S, D, seed=seed_of(case.name, S, D))


@pytest.mark.parametrize("misalign", ["out", "x"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_misaligned_scalar_path(fvk, case, misalign):
    run_checked(fvk, case, ONE_S, ONE_D, seed=seed_of(case.name, misalign), misalign=misalign)


@pytest.mark.parametrize("case", [p for p in CASE_PARAMS if p.values[0].eps is not None])
def test_eps_is_honoured(fvk, case):
    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "eps"))
    for name in ("residual", "x"):
        t[name].mul_(0.05)
    before = snapshot(t)
    ref = case.reference(before, eps=1e-2)
    case.call(fvk, t, S, D, eps=1e-2)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what="(eps=1e-2)")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_calling_conventions_agree(fvk, case):
    """Tensors, to_dlpack capsules and data_ptr() addresses give identical bytes (the residual
    is restored before each call, since it is updated in place)."""
    import torch.utils.dlpack  # noqa: F401

    S, D = ONE_S, ONE_D
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "conv"))
    before = snapshot(t)
    ref = case.reference(before)
    results = {}
    for name, convert in {"tensor": lambda x: x, "capsule": torch.utils.dlpack.to_dlpack,
                          "address": lambda x: x.data_ptr()}.items():
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


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_cuda_graph_replay(fvk, case):
    S, D = ONE_S, ONE_D
    check_graph_replay(fvk, case, S, D, seed=seed_of(case.name, "graph"))


# ---- differential: fused entry == residual add, then the unfused norm entry ------------------

DIFFERENTIAL = {
    # fused entry: (unfused norm entry, its arguments after the residual update)
    "residual_add_rms_norm": ("rms_norm", ("residual", "weight", "out")),
    "residual_add_rms_norm_fp8": ("rms_norm_fp8", ("residual", "weight", "out")),
    "residual_add_rms_norm_fp8_fp16": ("rms_norm_fp8_fp16", ("residual", "weight", "out")),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIAL))
def test_fused_equals_composition(fvk, name):
    """Where the contract normalises the stored (rounded) residual, the fused entry must give
    the same bytes as adding in torch (one fp32 add, rounded: exact) and then calling our
    unfused norm entry on the result, up to the norm's rounding rule (the unfused entry takes
    its statistics from the rounded sum)."""
    case = FUSED_NORM_CASES[name]
    norm_name, norm_args = DIFFERENTIAL[name]
    S, D = 64, 2048
    t, guards = prepare(case, S, D, seed=seed_of(name, "diff"))
    before = snapshot(t)
    case.call(fvk, t, S, D)
    residual = (before["residual"].float() + before["x"].float()).to(before["residual"].dtype)
    assert_same_bits(t["residual"], residual, f"{name}: residual vs torch add")
    out2 = torch.empty_like(t["out"])
    kwargs = {"d_scale": before["d_scale"]} if "d_scale" in before else {}
    getattr(fvk, norm_name)(residual, before["weight"], out2, S, D, **kwargs)
    torch.cuda.synchronize()
    if out2.dtype == torch.float8_e4m3fn:
        d = (fp8_codes(t["out"]).int() - fp8_codes(out2).int()).abs()
        assert int((d > 1).sum()) == 0
    else:
        assert_close(t["out"], out2, f"{name}: fused vs unfused")
