"""GEMM benchmark (issue 4, BENCH.md shapes): flash-rt's FP8 / bf16 GEMM entries against
torch's bf16 matmul and torch._scaled_mm, same process, same card, CUDA-graph replay.

    python benchmarks/bench_gemm.py [--out DIR] [--shapes 1x2048x2560,...] [--repeats 20] [--rounds 9]
                                    [--providers REGEX]

Shapes are M x K x N. Every provider runs the same problem, D[M, N] bf16 out:
  torch bf16          a16 @ w16.T                        (NT, cuBLASLt inside torch)
  torch _scaled_mm    _scaled_mm(a8, w8.T, sa, sb)        (NT, per-tensor scales; M padded to 16
                                                          when M % 16 != 0, as torch requires)
  torch _scaled_mm [K,N] weight                          (the NN entries' input: torch takes only a
                                                          column-major mat2, so it copies the weight
                                                          first; the peer of an unregistered NN call)
  fp8_run_dev         GemmRunner, NT, device scales       (same cuBLASLt arrangement as _scaled_mm)
  fp8_nn_dev          GemmRunner, NN ([K, N] weight)      (SM89/SM90: M <= 64 flash-rt's direct kernel,
                                                          else a per-call weight transpose + NT)
  fp8_nn_dev+tune     the same after autotune_fp8_nn_dev  (64 candidates: the heuristic's, then
                                                          other tiles / swizzle / split-K of them)
  fp8_nn_dev+static   the same with the weight registered (register_static_weight: transposed once)
  fp8_nn_dev+static+tune  registered and autotuned
  descale_bf16out     fp8_gemm_descale_bf16out, NN
  cutlass_fp8_*_bf16out  NT, where this build has them (SM90: the small-M kernel, cuBLASLt or
                      CUTLASS by the "auto" policy; "[policy cutlass]": the small-M kernel and
                      CUTLASS alone; "[policy cublaslt]": cuBLASLt (no workspace) at every M)
torch.compile is not a peer here: for a lone matmul it calls the same cuBLAS kernels as eager.
Warm L2 (one input set), as BENCH.md's peer table. Each provider's output is checked against
a float32 product of its own operands (the dequantised FP8 codes, or the bf16 values for torch bf16;
rel-L2 <= 2e-2) before it is timed.
TFLOP/s counts 2*M*N*K per call (the unpadded M for every provider).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import torch

from flash_rt.testing.bench import environment, gemm_shapes, time_paired

SHAPES = [(1, 2048, 2560), (64, 1024, 8192), (1024, 2048, 2560), (1024, 2048, 32768), (1024, 16384, 2048),
          (4096, 4096, 4096)]
FP8 = torch.float8_e4m3fn
TUNE_CANDIDATES = 64
CUTLASS = ("cutlass_fp8_t1_bf16out", "cutlass_fp8_sq_bf16out", "cutlass_fp8_wide_bf16out")
SCALED_MM = "torch _scaled_mm"
PEERS = ("torch bf16", SCALED_MM, "torch _scaled_mm [K,N] weight")  # never filtered out


def operands(M: int, K: int, N: int):
    g = torch.Generator(device="cpu").manual_seed(M * 7919 + K * 31 + N)
    a = torch.randn(M, K, generator=g).cuda()
    w = torch.randn(N, K, generator=g).cuda() * 0.05
    sa, sw = (a.abs().max() / 448).reshape(1), (w.abs().max() / 448).reshape(1)
    a8, w8 = (a / sa).to(FP8), (w / sw).to(FP8)
    a16, w16 = a.bfloat16(), w.bfloat16()
    ref = (a8.float() * sa) @ (w8.float() * sw).T            # what the FP8 providers compute
    ref16 = a16.float() @ w16.float().T                       # what the bf16 provider computes
    return dict(a16=a16, w16=w16, a8=a8, w8=w8, w8_kn=w8.T.contiguous(), sa=sa, sw=sw, ref=ref, ref16=ref16)


def providers(fvk, M: int, K: int, N: int, t: dict, want=lambda name: True) -> dict:
    """name -> (call, D or None) for every provider `want` accepts (the autotuned ones cost seconds
    to set up, so they are only built when wanted)."""
    D = torch.empty(M, N, dtype=torch.bfloat16, device="cuda")
    p = lambda x: x.data_ptr()  # noqa: E731  (int addresses: the lowest host cost)
    out = {}

    out["torch bf16"] = (lambda: torch.matmul(t["a16"], t["w16"].T), None)
    Mp = -(-M // 16) * 16
    a8p = t["a8"] if Mp == M else torch.cat([t["a8"].float(), torch.zeros(Mp - M, K, device="cuda")]).to(FP8)

    def scaled_mm():
        return torch._scaled_mm(a8p, t["w8"].T, scale_a=t["sa"], scale_b=t["sw"], out_dtype=torch.bfloat16)[:M]
    out["torch _scaled_mm"] = (scaled_mm, None)

    def scaled_mm_kn():  # the [K, N] weight of the NN entries: torch needs it column-major, so a copy per call
        w = t["w8_kn"].T.contiguous().T
        return torch._scaled_mm(a8p, w, scale_a=t["sa"], scale_b=t["sw"], out_dtype=torch.bfloat16)[:M]
    out["torch _scaled_mm [K,N] weight"] = (scaled_mm_kn, None)

    runner, tuned = fvk.GemmRunner(), fvk.GemmRunner()
    s = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    out["fp8_run_dev"] = (lambda: runner.fp8_run_dev(p(t["a8"]), p(t["w8"]), p(D), M, N, K, p(t["sa"]), p(t["sw"]),
                                                     s()), D)
    out["fp8_nn_dev"] = (lambda: runner.fp8_nn_dev(p(t["a8"]), p(t["w8_kn"]), p(D), M, N, K, p(t["sa"]),
                                                   p(t["sw"]), s()), D)
    try:
        if not want("fp8_nn_dev+tune"):
            raise LookupError
        tuned.autotune_fp8_nn_dev(t["a8"], t["w8_kn"], D, M, N, K, t["sa"], t["sw"], TUNE_CANDIDATES)
        out["fp8_nn_dev+tune"] = (lambda: tuned.fp8_nn_dev(p(t["a8"]), p(t["w8_kn"]), p(D), M, N, K, p(t["sa"]),
                                                           p(t["sw"]), s()), D)
    except LookupError:
        pass
    except RuntimeError as e:
        print(f"  autotune_fp8_nn_dev M={M} K={K} N={N}: {e}", file=sys.stderr)
    static = fvk.GemmRunner()  # the [K, N] weight registered once (SM89/SM90: transposed copy, NT speed)
    static.register_static_weight(t["w8_kn"], K, N)
    out["fp8_nn_dev+static"] = (lambda: static.fp8_nn_dev(p(t["a8"]), p(t["w8_kn"]), p(D), M, N, K, p(t["sa"]),
                                                          p(t["sw"]), s()), D)
    static_tuned = fvk.GemmRunner()  # both: registered weight, then the autotuned algorithm
    static_tuned.register_static_weight(t["w8_kn"], K, N)
    try:
        if not want("fp8_nn_dev+static+tune"):
            raise LookupError
        static_tuned.autotune_fp8_nn_dev(t["a8"], t["w8_kn"], D, M, N, K, t["sa"], t["sw"], TUNE_CANDIDATES)
        out["fp8_nn_dev+static+tune"] = (lambda: static_tuned.fp8_nn_dev(p(t["a8"]), p(t["w8_kn"]), p(D), M, N, K,
                                                                         p(t["sa"]), p(t["sw"]), s()), D)
    except LookupError:
        pass
    except RuntimeError as e:
        print(f"  autotune_fp8_nn_dev (static weight) M={M} K={K} N={N}: {e}", file=sys.stderr)
    out["descale_bf16out"] = (lambda: fvk.fp8_gemm_descale_bf16out(p(t["a8"]), p(t["w8_kn"]), p(D), M, N, K,
                                                                   p(t["sa"]), p(t["sw"]), s()), D)
    alpha = float(t["sa"] * t["sw"])
    for name in CUTLASS:
        fn = getattr(fvk, name, None)
        if fn is not None:
            out[name] = ((lambda fn=fn: fn(p(t["a8"]), p(t["w8"]), p(D), M, N, K, alpha, 0.0, s())), D)
    if hasattr(fvk, "cutlass_fp8_sm90_backend") and torch.cuda.get_device_capability() == (9, 0):
        # The same entry with the SM90 policy pinned: "cutlass" (the small-M kernel and CUTLASS,
        # never cuBLASLt: what our kernels alone reach) and "cublaslt" (cuBLASLt at every M). The
        # policy is read at launch, so a graph captured inside the pin keeps that backend.
        def pinned(policy: str, fn=fvk.cutlass_fp8_t1_bf16out):
            fvk.cutlass_fp8_sm90_backend(policy)
            try:
                fn(p(t["a8"]), p(t["w8"]), p(D), M, N, K, alpha, 0.0, s())
            finally:
                fvk.cutlass_fp8_sm90_backend("auto")
        for policy in ("cutlass", "cublaslt"):
            out[f"cutlass_fp8_t1_bf16out [policy {policy}]"] = ((lambda policy=policy: pinned(policy)), D)
    return out


def rel_l2(x: torch.Tensor, ref: torch.Tensor) -> float:
    return float((x.float() - ref).norm() / ref.norm().clamp_min(1e-30))


def bench_shape(fvk, M: int, K: int, N: int, repeats: int, rounds: int, only: re.Pattern | None) -> list[dict]:
    """Checks every provider, then, in each of `rounds` rounds (the order rotated each round),
    times every provider against `_scaled_mm` with their graph replays interleaved
    (flash_rt.testing.bench.time_paired, `repeats` pairs). A provider's `us` is its median over
    rounds, its ratio to `_scaled_mm` the median of the rounds' paired ratios; the bf16 and [K, N]
    ratios are derived from those (t_bf16 / t_x = ratio_x / ratio_bf16).

    Why paired replays: large GEMMs drift with the card's power state by several percent within
    a run. Timed one after the other, fp8_run_dev read 0.91-1.03x `_scaled_mm` at the large
    shapes although both launch the same cuBLASLt kernel (benchmarks/probe_gemm_kernels.py)."""
    t = operands(M, K, N)
    rows, ready = [], {}
    want = lambda name: only is None or name in PEERS or only.search(name) is not None  # noqa: E731
    for name, (fn, D) in providers(fvk, M, K, N, t, want).items():
        if not want(name):
            continue
        try:
            r = fn()
            torch.cuda.synchronize()
            err = rel_l2(D if D is not None else r, t["ref16"] if name == "torch bf16" else t["ref"])
        except Exception as e:  # a refused shape is a row, not the end of the run
            rows.append(dict(M=M, K=K, N=N, provider=name, error=f"{type(e).__name__}: {e}"))
            continue
        if err > 2e-2:
            rows.append(dict(M=M, K=K, N=N, provider=name, error=f"rel-L2 {err:.3g} vs reference"))
            continue
        ready[name] = (fn, err)
    if SCALED_MM not in ready:
        rows.append(dict(M=M, K=K, N=N, provider="(all)", error="no torch._scaled_mm peer: nothing timed"))
        return rows
    times: dict[str, list[float]] = {name: [] for name in ready}
    ratios: dict[str, list[float]] = {name: [] for name in ready}
    names = [n for n in ready if n != SCALED_MM]
    for rnd in range(rounds):
        k = rnd % len(names) if names else 0
        for name in names[k:] + names[:k]:
            if name not in ready:
                continue
            try:
                r = time_paired(ready[SCALED_MM][0], ready[name][0], pairs=repeats)
            except Exception as e:
                rows.append(dict(M=M, K=K, N=N, provider=name, error=f"{type(e).__name__}: {e}"))
                del ready[name]
                continue
            times[name].append(r["median_us"])
            times[SCALED_MM].append(r["peer_us"])
            ratios[name].append(r["ratio"])
    median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    for name in ready:
        if not times[name]:
            continue
        ts = sorted(times[name])
        rows.append(dict(M=M, K=K, N=N, provider=name, us=median(ts), min_us=ts[0], max_us=ts[-1], rounds=len(ts),
                         tflops=2 * M * N * K / median(ts) / 1e6, rel_l2=ready[name][1],
                         vs_scaled_mm=median(ratios[name]) if name != SCALED_MM else 1.0))
    order = {name: i for i, name in enumerate(ready)}  # the providers' order; errors first
    rows.sort(key=lambda r: order.get(r["provider"], -1))
    by_name = {r["provider"]: r for r in rows if r.get("us")}
    # > 1: faster than the peer.
    for r in by_name.values():
        for key, peer in (("vs_bf16", "torch bf16"), ("vs_scaled_mm_kn", "torch _scaled_mm [K,N] weight")):
            if peer in by_name and r["provider"] != peer:
                r[key] = r["vs_scaled_mm"] / by_name[peer]["vs_scaled_mm"]
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| M K N | provider | us | spread (min-max over rounds) | TFLOP/s | x _scaled_mm | x bf16 "
             "| x _scaled_mm on [K,N] |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        shape = f"{r['M']} {r['K']} {r['N']}"
        if "error" in r:
            lines.append(f"| {shape} | {r['provider']} | {r['error'][:90]} | | | | | |")
            continue
        lines.append(f"| {shape} | {r['provider']} | {r['us']:.1f} | {r['min_us']:.1f}-{r['max_us']:.1f} | {r['tflops']:.0f} | "
                     f"{r.get('vs_scaled_mm', 0):.2f} | {r.get('vs_bf16', 0):.2f} | {r.get('vs_scaled_mm_kn', 0):.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".", help="directory for the JSON (default: .)")
    ap.add_argument("--shapes", help="comma-separated MxKxN (default: BENCH.md's six)")
    ap.add_argument("--repeats", type=int, default=20, help="interleaved replay pairs per provider and round")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per shape (medians kept)")
    ap.add_argument("--providers", help="regex: time only the providers it matches (the torch peers always run)")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("bench_gemm: no CUDA device; nothing to measure.")
        return 0
    import flash_rt
    fvk = flash_rt.flash_rt_kernels
    shapes = gemm_shapes(args.shapes, SHAPES)
    env = environment()
    print(f"# GEMM on {env['gpu']} (sm_{env['capability'].replace('.', '')}), torch {env['torch']}")
    rows = []
    for M, K, N in shapes:
        t0 = time.time()
        rows += bench_shape(fvk, M, K, N, args.repeats, args.rounds,
                            re.compile(args.providers) if args.providers else None)
        print(f"  {M}x{K}x{N}: {time.time() - t0:.1f} s", file=sys.stderr)
    text = table(rows)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench-gemm.json").write_text(json.dumps({"environment": env, "rows": rows}, indent=1))
    (out / "bench-gemm.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
