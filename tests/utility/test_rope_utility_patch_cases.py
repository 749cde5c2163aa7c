"""Every entry of the rope, utility and patch groups (SPEC 2.6-2.8) against its case-table
reference on the GPU (STYLE 5). Group-specific properties (GQA head counts, KV-cache slots,
fused-vs-unfused, special values, the fixed patch geometry) are in tests/rope, tests/utility
and tests/patch.

Each call: fresh seeded inputs from the case table, outputs inside poisoned buffers with guard
regions, in-place arguments copied into guarded buffers, the reference computed from copies
taken before the call. Afterwards: guards intact, no poison left, inputs untouched, outputs
within the rules of `flash_rt.testing.numerics` (one ulp / rel-L2 ceiling); pure copies and
fills bit-exact.
"""

from __future__ import annotations

import zlib

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases import ALL_CASES  # noqa: E402
from flash_rt.testing.numerics import Guarded, assert_close, assert_same_bits, guarded_copy  # noqa: E402

pytestmark = pytest.mark.gpu

GROUPS = ("rope", "utility", "patch")
CASES = [c for c in ALL_CASES.values() if c.group in GROUPS]
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]

# Outputs that are copies or constant fills: compared bit for bit.
EXACT = {"qkv_split", "qkv_split_fp16", "gpu_copy", "gpu_strided_copy_fp16", "gpu_repeat_interleave_heads",
         "patch_im2col", "gpu_fill_neginf_fp16", "gpu_fill_neginf_bf16"}
EXACT_OUTPUTS = {"V", "Vc"}

# (S, D) per case; what S and D mean is documented in each case module. Together they reach the
# 16-byte and the element paths, one row, odd widths and rows that do not fill a CTA.
_ROPE = ((1, 256), (7, 64), (33, 6), (3, 2), (300, 128))
_FLAT = ((1, 2048), (7, 1152), (5, 7), (3, 1), (33, 83), (257, 2049))
SHAPES = {"patch_im2col": ((1, 588), (3, 588)),
          "patch_embed_bias_pos": ((1, 1152), (300, 1152), (5, 7), (257, 83)),
          "gpu_fill_neginf_fp16": _FLAT, "gpu_fill_neginf_bf16": _FLAT}
for _c in CASES:
    SHAPES.setdefault(_c.name, _ROPE if _c.group == "rope" else _FLAT)
SHAPE_PARAMS = [pytest.param(c, S, D, id=f"{c.name}-{S}x{D}") for c in CASES for S, D in SHAPES[c.name]]


def one_shape(case):
    return SHAPES[case.name][1] if len(SHAPES[case.name]) > 1 else SHAPES[case.name][0]


def seed_of(*parts) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def prepare(case, S, D, *, seed, misalign=None):
    """Inputs from the case table; outputs replaced by poisoned Guarded buffers, in-place
    arguments copied into Guarded buffers. misalign="out" offsets every output and in-place
    argument by one element, misalign="in" every read-only input: the element paths."""
    t = case.make(S, D, device="cuda", seed=seed)
    guards: dict[str, Guarded] = {}
    for a in case.tensor_args:
        writes = a.output or a.inplace
        off = int((misalign == "out" and writes) or (misalign == "in" and not writes))
        if a.output:
            guards[a.name] = Guarded(a.shape(S, D), a.dtype, offset=off)
        elif a.inplace or off:
            guards[a.name] = guarded_copy(t[a.name], offset=off)
        else:
            continue
        t[a.name] = guards[a.name].tensor
    return t, guards


def snapshot(t):
    return {n: v.clone() for n, v in t.items()}


def check_outputs(case, t, guards, before, ref, *, what=""):
    tag = f"{case.name}{what}"
    for name, g in guards.items():
        g.check(f"{tag}.{name}", written=case.arg(name).output)
    for a in case.tensor_args:
        if not (a.output or a.inplace):
            assert_same_bits(t[a.name], before[a.name], f"{tag}: input '{a.name}' was modified")
    for a, r in zip(case.outputs, ref, strict=True):
        out = t[a.name]
        r = r.reshape(out.shape)
        if case.name in EXACT or a.name in EXACT_OUTPUTS:
            assert_same_bits(out, r, f"{tag}.{a.name}")
        else:
            assert_close(out, r, f"{tag}.{a.name}")


def run_checked(fvk, case, S, D, *, seed, misalign=None, convert=None):
    t, guards = prepare(case, S, D, seed=seed, misalign=misalign)
    before = snapshot(t)
    ref = case.reference(before)
    kw = {"convert": convert} if convert else {}
    case.call(fvk, t, S, D, **kw)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref)


@pytest.mark.parametrize("case, S, D", SHAPE_PARAMS)
def test_matches_reference(fvk, case, S, D):
    run_checked(fvk, case, S, D, seed=seed_of(case.name, S, D))


@pytest.mark.parametrize("misalign", ["out", "in"])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_misaligned_views(fvk, case, misalign):
    """Views one element off 16-byte alignment take the element path and stay correct."""
    S, D = one_shape(case)
    run_checked(fvk, case, S, D, seed=seed_of(case.name, misalign), misalign=misalign)


CONVENTIONS = {
    "tensor": lambda x: x,
    "dlpack_capsule": lambda x: torch.utils.dlpack.to_dlpack(x),
    "int_address": lambda x: x.data_ptr(),
}


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_calling_conventions_agree(fvk, case):
    """Tensors, to_dlpack capsules and raw data_ptr() addresses give identical bytes."""
    import torch.utils.dlpack  # noqa: F401

    S, D = one_shape(case)
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


# Every shape: the launch plans differ by size (split rows, PDL trigger after the loads for grids
# of at least one CTA per SM, half groups), and each must replay.
@pytest.mark.parametrize("case, S, D", SHAPE_PARAMS)
def test_cuda_graph_replay(fvk, case, S, D):
    """Capture one call, then replay it on new input values: the graph reads the live buffers
    and writes every output element again (poisoned before each replay)."""
    seed = seed_of(case.name, "graph")
    t, guards = prepare(case, S, D, seed=seed)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        case.call(fvk, t, S, D, stream=side.cuda_stream)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()

    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        case.call(fvk, t, S, D, stream=torch.cuda.current_stream().cuda_stream)

    for replay in range(2):
        fresh = case.make(S, D, device="cuda", seed=seed + 1 + replay)
        for a in case.tensor_args:
            if a.output:
                guards[a.name].reset()
            elif a.inplace:
                guards[a.name].reset(copy_from=fresh[a.name])
            else:
                t[a.name].copy_(fresh[a.name])
        before = snapshot(t)
        ref = case.reference(before)
        graph.replay()
        torch.cuda.synchronize()
        check_outputs(case, t, guards, before, ref, what=f"[graph replay {replay}]")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_side_stream(fvk, case):
    """The stream argument is used: the inputs are rewritten on a side stream, the call runs on
    that stream, only that stream is synchronised."""
    S, D = one_shape(case)
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "stream"))
    before = snapshot(t)
    ref = case.reference(before)
    side = torch.cuda.Stream()
    torch.cuda.synchronize()
    with torch.cuda.stream(side):
        for a in case.tensor_args:
            if not a.output:
                t[a.name].zero_()
                t[a.name].copy_(before[a.name])  # the call must run after these on `side`
        case.call(fvk, t, S, D, stream=side.cuda_stream)
    side.synchronize()
    check_outputs(case, t, guards, before, ref, what="[side stream]")


WRONG_DTYPE = {torch.bfloat16: torch.float16, torch.float16: torch.bfloat16, torch.float32: torch.float16}


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_rejected_calls_write_nothing(fvk, case):
    """Wrong dtypes, too few elements, strided views: each raises before launching (outputs keep
    their poison, in-place arguments their values), and a valid call works afterwards."""
    S, D = one_shape(case)
    t, guards = prepare(case, S, D, seed=seed_of(case.name, "reject"))
    before = snapshot(t)
    for a in case.tensor_args:
        good = t[a.name]
        # Half the elements: too few for any entry (some read less than their case tensor holds,
        # e.g. the strided copy never reads the tail of the last source row).
        bad = [(good.reshape(-1)[: good.numel() // 2], ValueError)] if good.numel() > 1 else []
        if case.name != "gpu_copy":  # a byte copy takes any dtype
            bad.append((torch.empty(good.shape, dtype=WRONG_DTYPE[a.dtype], device="cuda"), TypeError))
        if good.dim() >= 2 and good.shape[-1] > 1 and case.name != "gpu_copy":
            wide = torch.empty(*good.shape[:-1], 2 * good.shape[-1], dtype=a.dtype, device="cuda")
            bad.append((wide[..., : good.shape[-1]], ValueError))
        for tensor, exc in bad:
            with pytest.raises(exc, match=rf"^{case.name}: '{a.name}' expected "):
                case.call(fvk, {**t, a.name: tensor}, S, D)
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
