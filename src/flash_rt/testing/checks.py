"""One checked call of a catalog entry on the GPU, the way every group's tests do it (STYLE 5):
fresh seeded inputs from the case table, outputs inside poisoned buffers with guard regions,
the reference computed from copies taken before the call (in-place entries write their
inputs), then: guards intact, no poison left, read-only inputs untouched, outputs within the
rules of `numerics` (gate_out, a plain copy, bit-exact)."""

from __future__ import annotations

import zlib

import torch

from .numerics import Guarded, assert_close, assert_same_bits, ceiling, guarded_copy, rel_l2, ulp_distance


def seed_of(*parts) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def prepare(case, S, D, *, seed, misalign=None):
    """Inputs from the case table; outputs replaced by poisoned Guarded buffers; in-place
    arguments copied into Guarded buffers. misalign="out" offsets every output (and in-place
    argument) by one element, misalign="x" the input x, to force the scalar path."""
    t = case.make(S, D, device="cuda", seed=seed)
    guards: dict[str, Guarded] = {}
    for a in case.tensor_args:
        off = int((misalign == "out" and (a.output or a.inplace)) or (misalign == "x" and a.name == "x"))
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


def check_outputs(case, t, guards, before, ref, *, written=True, what=""):
    tag = f"{case.name}{what}"
    for name, g in guards.items():
        g.check(f"{tag}.{name}", written=written and not case.arg(name).inplace)
    for a in case.tensor_args:
        if not (a.output or a.inplace):
            assert_same_bits(t[a.name], before[a.name], f"{tag}: input '{a.name}' was modified")
    for a, r in zip(case.outputs, ref, strict=True):
        if a.name == "gate_out":
            assert_same_bits(t[a.name], r, f"{tag}.gate_out (a copy of the gate chunk)")
        else:
            assert_close(t[a.name], r, f"{tag}.{a.name}")


def run_checked(fvk, case, S, D, *, seed, misalign=None, eps=None, convert=None):
    t, guards = prepare(case, S, D, seed=seed, misalign=misalign)
    before = snapshot(t)
    ref = case.reference(before, eps=eps)
    kw = {"convert": convert} if convert else {}
    case.call(fvk, t, S, D, eps=eps, **kw)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref)
    return t


def run_misaligned(fvk, case, which, S, D, *, seed):
    """One call with one tensor one element off 16-byte alignment ("out": every output and
    in-place argument): the whole call takes the scalar path and must still be correct, and the
    moved input must stay untouched inside its guards."""
    if which == "out":
        run_checked(fvk, case, S, D, seed=seed, misalign="out")
        return
    t, guards = prepare(case, S, D, seed=seed)
    moved = guarded_copy(t[which], offset=1)
    t[which] = moved.tensor
    before = snapshot(t)
    ref = case.reference(before)
    case.call(fvk, t, S, D)
    torch.cuda.synchronize()
    check_outputs(case, t, guards, before, ref, what=f"[{which} misaligned]")
    moved.check(f"{case.name}.{which}", written=False)


def assert_close_with_specials(out, ref, what):
    """assert_close treats a tensor holding inf as having an infinite RMS (its absolute floor
    then admits anything), so: NaN exactly where the reference has NaN, infinities equal, and
    the finite elements under the usual rules. FP8 outputs clamp first (always finite)."""
    if out.element_size() == 1:
        assert_close(out, ref, what)
        return
    o, r = out.float(), ref.float()
    nan = torch.isnan(r)
    assert torch.equal(torch.isnan(o), nan), f"{what}: NaN pattern differs from the reference"
    inf = torch.isinf(r)
    assert torch.equal(o[inf], r[inf]), f"{what}: infinities differ from the reference"
    fin = ~(nan | inf)
    assert_close(out[fin], ref[fin], f"{what} (finite elements)")


def assert_composed_close(out, composed, what, slack):
    """16-bit `out` of a fused entry vs the composition of unfused entries: per element within
    two ulps or within `slack` (absolute, per element: the intermediates' rounding); rel-L2
    under the two-rounding ceiling."""
    ulps = ulp_distance(out, composed)
    diff = (out.double() - composed.double()).abs()
    bad = (ulps > 2) & (diff > slack)
    if bool(bad.any()):
        i = int(bad.flatten().nonzero()[0])
        raise AssertionError(f"{what}: {int(bad.sum())} of {out.numel()} elements beyond two ulps and the "
                             f"intermediates' rounding; first (flat {i}): got {float(out.flatten()[i])}, "
                             f"composed {float(composed.flatten()[i])}, allowed {float(slack.flatten()[i]):.3g}")
    err = rel_l2(out, composed)
    assert err <= ceiling(out.dtype, 2), f"{what}: rel-L2 {err:.3e} > {ceiling(out.dtype, 2):.1e}"


def check_graph_replay(fvk, case, S, D, *, seed, replays=2):
    """Capture one call on the capture stream (after a warm-up call on a side stream, as torch
    asks), then replay it `replays` times on new input values: the graph must read the live
    buffers (in-place arguments reloaded, outputs poisoned again before each replay) and write
    every output element again."""
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
    for replay in range(replays):
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
