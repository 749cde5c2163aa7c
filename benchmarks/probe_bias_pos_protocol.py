"""patch_embed_bias_pos kernel variants timed under the benchmark's protocol.

Session 12 left a disagreement: at S = 1, D = 2048 the C++ probe (benchmarks/probe_flat_modes.cu)
timed the PDL signal after the loads faster than at the start (0.87 against 0.98 us), the
benchmark the opposite (0.98-1.03 against 0.91-0.95). This script times the variants of
benchmarks/probe_bias_pos_variants.cu (built as a shared library, launched through ctypes on
torch's stream) with flash_rt.testing.bench.time_graph, the benchmark's timer, in several
captures each, next to the package entry and torch.compile, on the benchmark's random data and on
zeros. Each variant's output is checked against the reference first.

    nvcc -O3 -std=c++20 -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \\
      benchmarks/probe_bias_pos_variants.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_bias_pos.so
    python benchmarks/probe_bias_pos_protocol.py --lib .exp/libprobe_bias_pos.so [--S 1] [--D 2048]
    python benchmarks/probe_bias_pos_protocol.py --lib .exp/libprobe_bias_pos.so --sweep

--sweep times the package's one-unit-per-thread kernel over launch plans (chunks of at most bx
units, by rows per CTA) at the benchmark's shapes, next to the looping kernel, the entry and
torch.compile: session 13 found 128-unit CTAs of one row fastest at S <= 256 and 44% slower than
the looping kernel's 256-thread CTAs at S = 4096 (too many tiny CTAs).
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import sys

import probe_variants  # benchmarks/, next to this script
import torch

from flash_rt.testing.bench import environment, time_graph, time_paired
from flash_rt.testing.ref import patch as R


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--S", type=int, default=1)
    ap.add_argument("--D", type=int, default=2048)
    ap.add_argument("--captures", type=int, default=4)
    ap.add_argument("--variants", help="comma-separated numbers (default: all)")
    ap.add_argument("--sweep", action="store_true", help="launch plans of the package's unit kernel")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_bias_pos_protocol: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    lib, names = probe_variants.load(args.lib, [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                 ctypes.c_int, ctypes.c_int, ctypes.c_void_p])
    chosen = [int(v) for v in args.variants.split(",")] if args.variants else list(names)
    if args.sweep:
        return sweep(lib, fvk)
    S, D = args.S, args.D
    spv = min(S, 256)
    print(f"# patch_embed_bias_pos variants, S={S} D={D} S_per_view={spv}, on {environment()['gpu']}")
    g = torch.Generator(device="cpu").manual_seed(0)
    data = {
        "random": (torch.randn(S, D, generator=g).half().cuda(), torch.randn(D, generator=g).half().cuda(),
                   torch.randn(spv, D, generator=g).half().cuda()),
        "zeros": (torch.zeros(S, D, dtype=torch.float16, device="cuda"),
                  torch.zeros(D, dtype=torch.float16, device="cuda"),
                  torch.zeros(spv, D, dtype=torch.float16, device="cuda")),
    }
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731

    def variant(v, o, b, p):
        return lambda: lib.probe_launch(v, o.data_ptr(), b.data_ptr(), p.data_ptr(), S, D, spv, stream())

    def package(o, b, p):
        return lambda: fvk.patch_embed_bias_pos(o.data_ptr(), b.data_ptr(), p.data_ptr(), S, D, spv, stream())

    # Correctness first: one call on a copy of the random data against the reference.
    o, b, p = data["random"]
    want = R.patch_embed_bias_pos(o.clone(), b, p)
    for v in chosen:
        if v in (10, 11):
            continue
        got = o.clone()
        rc = variant(v, got, b, p)()
        torch.cuda.synchronize()
        same = torch.equal(got, want)
        print(f"  check v{v:<2d} rc={rc} {'bytes equal' if same else 'WRONG'}")
    compiled = torch.compile(lambda x, b, p: R.patch_embed_bias_pos(x, b, p), dynamic=False, fullgraph=True)

    def spread(label, fn):
        ts = [time_graph(lambda i: fn(), repeats=25)["median_us"] for _ in range(args.captures)]
        print(f"  {label:72s} " + " ".join(f"{t:5.3f}" for t in ts) + f"  (median {statistics.median(ts):.3f})")

    for kind, (o, b, p) in data.items():
        print(f"## {kind} data")
        spread("torch.compile (new output)", lambda o=o, b=b, p=p: compiled(o, b, p))
        spread("package entry (fvk.patch_embed_bias_pos)", package(o, b, p))
        for v in chosen:
            spread(f"v{v:<2d} {names[v]}", variant(v, o, b, p))
    o, b, p = data["random"]
    print("## paired with torch.compile (random data): ratio = compile us / variant us, median of 30 pairs")
    for label, fn in [("package entry", package(o, b, p))] + [(f"v{v}", variant(v, o, b, p)) for v in chosen]:
        r = time_paired(lambda: compiled(o, b, p), fn, pairs=30)
        print(f"  {label:16s} {r['median_us']:.3f} us against {r['peer_us']:.3f}: {r['ratio']:.3f}x")
    return 0


SWEEP_SHAPES = ((1, 1152), (1, 2048), (64, 1152), (256, 1152), (256, 2048), (768, 1152), (1024, 2048),
                (4096, 1152), (4096, 2048), (16384, 1152))
SWEEP_PLANS = ((64, 1), (128, 1), (256, 1), (512, 1), (64, 4), (128, 2), (128, 4), (256, 2))


def sweep(lib, fvk) -> int:
    lib.probe_launch_unit.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    plans = " ".join(f"{bx:>3d}x{by}" for bx, by in SWEEP_PLANS)
    print(f"# unit kernel plans (chunk <= bx units, by rows a CTA), us per call, on {environment()['gpu']}")
    print(f"#     S     D  compile  entry   loop  {plans}")
    g = torch.Generator(device="cpu").manual_seed(0)
    for S, D in SWEEP_SHAPES:
        row = sweep_row(lib, fvk, g, S, D)
        print(f"  {S:5d} {D:5d} " + " ".join(f"{x:6.2f}" for x in row))
    return 0


def sweep_row(lib, fvk, g, S: int, D: int) -> list[float]:
    """compile, entry, looping kernel, then each plan (nan where a plan's bytes are wrong)."""
    torch._dynamo.reset()  # a fresh compile per shape, as the benchmark (no recompile limit)
    compiled = torch.compile(lambda x, b, p: R.patch_embed_bias_pos(x, b, p), dynamic=False, fullgraph=True)
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    spv = min(S, 256)
    o, b, p = (torch.randn(S, D, generator=g).half().cuda(), torch.randn(D, generator=g).half().cuda(),
               torch.randn(spv, D, generator=g).half().cuda())
    pristine = o.clone()  # the timed calls below add into o in place
    want = R.patch_embed_bias_pos(pristine, b, p)
    args = (o.data_ptr(), b.data_ptr(), p.data_ptr(), S, D, spv)

    def t(fn) -> float:
        return time_graph(lambda i: fn(), repeats=25)["median_us"]

    row = [t(lambda: compiled(o, b, p)), t(lambda: fvk.patch_embed_bias_pos(*args, stream())),
           t(lambda: lib.probe_launch(1, *args, stream()))]
    for bx, by in SWEEP_PLANS:
        got = pristine.clone()
        lib.probe_launch_unit(bx, by, got.data_ptr(), *args[1:], stream())
        torch.cuda.synchronize()
        ok = torch.equal(got, want)
        row.append(t(lambda bx=bx, by=by: lib.probe_launch_unit(bx, by, *args, stream())) if ok else float("nan"))
    return row


if __name__ == "__main__":
    sys.exit(main())
