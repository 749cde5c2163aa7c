"""JAX FP8 GEMM benchmark (issue 5, BENCH.md GEMM shapes): flash_rt.jax.fp8_gemm_bf16_out (the
JAX FFI handler: GemmRunner.fp8_nn_dev, cuBLASLt) against XLA's own FP8 and bf16 dots, under
jax.jit, same process, same card.

    python benchmarks/bench_jax.py [--out DIR] [--shapes 1x2048x2560,...] [--repeats 20] [--no-graphs]

Shapes are M x K x N. Every provider computes y[M, N] bf16 from x[M, K] and a weight w[K, N]
(row-major, as the FFI handler takes it), per-tensor scales sx, sw = amax/448:
  flash-rt ffi fp8        frj.fp8_gemm_bf16_out(x8, w8, sx, sw)        (on SM90: per-call weight transpose + NT)
  xla fp8 dot             jnp.dot(x8, w8, preferred_element_type=bf16) * (sx * sw)   (float8_e4m3fn operands)
  xla fp8 scaled pattern  jnp.dot(bf16(x8) * sx, bf16(w8) * sw, preferred_element_type=bf16), the
                          dequantize-then-dot pattern XLA's GEMM rewriter turns into a scaled FP8 cuBLASLt call
  xla bf16 dot            jnp.dot(x16, w16, preferred_element_type=bf16)
The `kernel` column says what XLA compiled each provider to (from the optimized HLO).

Timing (BENCH.md protocol, adapted to JAX): each provider is jitted as a chain of n calls on one
input set (warm L2, as BENCH.md's GEMM peer table); each call's input passes through an
optimization_barrier together with the previous call's output, so XLA neither merges nor reorders
the calls and adds no copies, and every call's output is returned, so none is removed as dead. XLA command buffers are on for custom calls, fusions and cuBLAS
(unless --no-graphs), so one execution is one CUDA-graph launch of n GEMMs. A sample is the wall
time of r back-to-back executions ending in block_until_ready, divided by r * n (one execution is
sized to ~2 ms of GPU time, far above the host cost of launching it); median, p10, p90 over
--repeats samples. Every provider's output is checked first against a float32 (HIGHEST) product of
its own operands on the GPU (rel-L2 <= 2e-2). TFLOP/s counts 2*M*N*K per call; `frac` is the
fraction of the 8192^3 rate of the same dtype measured in the same run (fp8: the better XLA fp8
provider; bf16: the bf16 dot).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHAPES = [(1, 2048, 2560), (64, 1024, 8192), (1024, 2048, 2560), (1024, 2048, 32768), (1024, 16384, 2048),
          (4096, 4096, 4096)]
CEILING = (8192, 8192, 8192)
GRAPH_FLAGS = "--xla_gpu_enable_command_buffer=FUSION,CUSTOM_CALL,CUBLAS,CUBLASLT --xla_gpu_graph_min_graph_size=1"
TARGET_US = 2000.0      # GPU time of one execution
CALLS = (8, 256)        # calls per execution: at least, at most
EXECS = 5               # executions per sample
TOL = 2e-2
PROVIDERS = ("flash-rt ffi fp8", "xla fp8 dot", "xla fp8 scaled pattern", "xla bf16 dot")


def _parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".", help="directory for bench-jax.json / bench-jax.md (default: .)")
    ap.add_argument("--shapes", help="comma-separated MxKxN (default: BENCH.md's six)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--providers", help=f"comma-separated subset of: {', '.join(PROVIDERS)}")
    ap.add_argument("--no-graphs", action="store_true", help="leave XLA's command-buffer flags alone")
    ap.add_argument("--no-ceiling", action="store_true", help="skip the 8192^3 ceiling rows")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # XLA reads its flags when the backend starts: set them before jax is imported.
    if not args.no_graphs:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + GRAPH_FLAGS).strip()
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax
    import jax.numpy as jnp

    try:
        dev = jax.local_devices(backend="gpu")[0]
    except RuntimeError as e:
        print(f"bench_jax: no GPU backend in jax {jax.__version__} ({e}); nothing to measure.")
        return 0
    import flash_rt.jax as frj

    providers = tuple(p.strip() for p in args.providers.split(",")) if args.providers else PROVIDERS
    unknown = set(providers) - set(PROVIDERS)
    if unknown:
        print(f"bench_jax: unknown providers {sorted(unknown)}; choose from {PROVIDERS}", file=sys.stderr)
        return 2
    if "flash-rt ffi fp8" in providers and not frj.is_available():
        print(f"bench_jax: flash_rt.jax is not available ({frj.status()['status']}); flash-rt rows are skipped",
              file=sys.stderr)
        providers = tuple(p for p in providers if p != "flash-rt ffi fp8")
    shapes = ([tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")] if args.shapes else SHAPES)

    env = environment(jax, dev)
    env["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    print(f"# FP8 GEMM under jax.jit on {env['gpu']} (sm_{env['capability'].replace('.', '')}), jax {jax.__version__}, "
          f"command buffers {'off (--no-graphs)' if args.no_graphs else 'on'}")
    rows = []
    if not args.no_ceiling:
        for p in ("xla bf16 dot", "xla fp8 scaled pattern", "xla fp8 dot"):
            rows.append(bench_one(jax, jnp, frj, p, *CEILING, args.repeats, ceiling=True))
    for M, K, N in shapes:
        t0 = time.time()
        for p in providers:
            rows.append(bench_one(jax, jnp, frj, p, M, K, N, args.repeats))
        print(f"  {M}x{K}x{N}: {time.time() - t0:.1f} s", file=sys.stderr)
    annotate(rows)
    if frj.is_available():
        env["flash_rt_jax_stats"] = frj.stats()
        env["flash_rt_jax_registered"] = {k: list(v) for k, v in (frj.status()["registered"] or {}).items()}
    text = table(rows)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench-jax.json").write_text(json.dumps({"environment": env, "rows": rows}, indent=1, default=str))
    (out / "bench-jax.md").write_text(text + "\n")
    return 0


# ---- providers ----------------------------------------------------------------------------------


def operands(jax, jnp, M: int, K: int, N: int) -> dict:
    kx, kw = jax.random.split(jax.random.key(M * 7919 + K * 31 + N))
    x = jax.random.normal(kx, (M, K), jnp.float32)
    w = jax.random.normal(kw, (K, N), jnp.float32) * 0.05
    sx = (jnp.max(jnp.abs(x)) / 448).reshape(1)
    sw = (jnp.max(jnp.abs(w)) / 448).reshape(1)
    x8 = (x / sx).astype(jnp.float8_e4m3fn)
    w8 = (w / sw).astype(jnp.float8_e4m3fn)
    return dict(x8=x8, w8=w8, sx=sx, sw=sw, x16=x.astype(jnp.bfloat16), w16=w.astype(jnp.bfloat16))


def provider_fn(jax, jnp, frj, name: str):
    """(fn(x, w, sx, sw) -> y bf16, which operand keys it takes)."""
    bf16 = jnp.bfloat16
    if name == "flash-rt ffi fp8":
        return frj.fp8_gemm_bf16_out, ("x8", "w8")
    if name == "xla fp8 dot":
        return (lambda x, w, sx, sw: jnp.dot(x, w, preferred_element_type=bf16) * (sx * sw).astype(bf16)), ("x8", "w8")
    if name == "xla fp8 scaled pattern":
        return (lambda x, w, sx, sw: jnp.dot(x.astype(bf16) * sx.astype(bf16), w.astype(bf16) * sw.astype(bf16),
                                             preferred_element_type=bf16)), ("x8", "w8")
    if name == "xla bf16 dot":
        return (lambda x, w, sx, sw: jnp.dot(x, w, preferred_element_type=bf16)), ("x16", "w16")
    raise ValueError(name)


def chain(jax, fn, n: int):
    """jit of n calls of fn, ordered by barriers; returns every call's output.

    Every output is returned: XLA removes a side-effect-free call whose result nobody uses (the
    FFI call included), and a chain that returned only its last output measured one call, not n
    (found on the H100: 0.2 us "per call" at 4096^3). The barrier on (x, y) gives each call an x
    that XLA cannot prove equal to the previous one, so no two calls are merged either."""
    def run(x, w, sx, sw):
        ys = []
        for _ in range(n):
            y = fn(x, w, sx, sw)
            x, y = jax.lax.optimization_barrier((x, y))
            ys.append(y)
        return tuple(ys)
    return jax.jit(run)


def kernel_of(compiled_text: str) -> str:
    t = compiled_text
    if "flash_rt::fp8_gemm_bf16_out" in t:
        return "flash-rt FFI (cuBLASLt)"
    if "__cublas$lt$matmul$f8" in t:
        return "cuBLASLt f8"
    if "__cublas$lt$matmul" in t:
        return "cuBLASLt"
    if "__cublas$gemm" in t:
        return "cuBLAS"
    if "__triton_gemm" in t or "triton_gemm" in t:
        return "Triton"
    return "other"


def rel_l2(jnp, y, ref) -> float:
    y = y.astype(jnp.float32)
    return float(jnp.linalg.norm(y - ref) / jnp.maximum(jnp.linalg.norm(ref), 1e-30))


def bench_one(jax, jnp, frj, name: str, M: int, K: int, N: int, repeats: int, ceiling: bool = False) -> dict:
    row = dict(M=M, K=K, N=N, provider=name, ceiling=ceiling)
    try:
        t = operands(jax, jnp, M, K, N)
        fn, (kx, kw) = provider_fn(jax, jnp, frj, name)
        a = (t[kx], t[kw], t["sx"], t["sw"])
        # Correctness against a float32 product of this provider's own operands.
        hi = jax.lax.Precision.HIGHEST
        if kx == "x8":
            ref = jnp.dot(t["x8"].astype(jnp.float32), t["w8"].astype(jnp.float32), precision=hi) * (t["sx"] * t["sw"])
        else:
            ref = jnp.dot(t["x16"].astype(jnp.float32), t["w16"].astype(jnp.float32), precision=hi)
        y = jax.jit(fn)(*a)
        err = rel_l2(jnp, y, ref)
        row["rel_l2"] = err
        if not err <= TOL:
            row["error"] = f"rel-L2 {err:.3g} vs reference"
            return row
        del ref, y
        probe = chain(jax, fn, CALLS[0])
        row["kernel"] = kernel_of(probe.lower(*a).compile().as_text())
        est = min(_samples(probe, a, CALLS[0], 3))
        n = int(min(CALLS[1], max(CALLS[0], round(TARGET_US / max(est, 1e-3)))))
        f = chain(jax, fn, n) if n != CALLS[0] else probe
        samples = sorted(_samples(f, a, n, repeats))
    except Exception as e:  # a refused shape is a row, not the end of the run
        row["error"] = f"{type(e).__name__}: {str(e)[:300]}"
        return row
    us = statistics.median(samples)
    row.update(us=us, p10_us=samples[int(0.1 * (len(samples) - 1))], p90_us=samples[int(0.9 * (len(samples) - 1))],
               tflops=2 * M * N * K / us / 1e6, calls_per_exec=n, samples_us=samples)
    return row


def jax_block(ys) -> None:
    for y in ys:
        y.block_until_ready()


def _samples(f, a, n: int, repeats: int) -> list[float]:
    for _ in range(3):  # compile, command-buffer capture, clocks up
        jax_block(f(*a))
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(EXECS):
            y = f(*a)
        jax_block(y)
        out.append((time.perf_counter() - t0) / (EXECS * n) * 1e6)
    return out


# ---- report -----------------------------------------------------------------------------------------


def annotate(rows: list[dict]) -> None:
    ceil = {r["provider"]: r.get("tflops") for r in rows if r.get("ceiling") and r.get("tflops")}
    fp8_ceiling = max([v for k, v in ceil.items() if "fp8" in k] or [0]) or None
    bf16_ceiling = ceil.get("xla bf16 dot")
    by_shape: dict = {}
    for r in rows:
        by_shape.setdefault((r["M"], r["K"], r["N"], r["ceiling"]), {})[r["provider"]] = r.get("us")
    for r in rows:
        if not r.get("us"):
            continue
        c = bf16_ceiling if r["provider"] == "xla bf16 dot" else fp8_ceiling
        if c:
            r["frac"] = r["tflops"] / c
        peers = by_shape[(r["M"], r["K"], r["N"], r["ceiling"])]
        best_xla_fp8 = min([v for k, v in peers.items() if k.startswith("xla fp8") and v] or [0]) or None
        if best_xla_fp8:
            r["vs_xla_fp8"] = best_xla_fp8 / r["us"]  # > 1: faster than XLA's better fp8 dot
        if peers.get("xla bf16 dot"):
            r["vs_bf16"] = peers["xla bf16 dot"] / r["us"]


def table(rows: list[dict]) -> str:
    lines = ["| M K N | provider | kernel | us (p10-p90) | TFLOP/s | frac | x best XLA fp8 | x XLA bf16 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        shape = f"{r['M']} {r['K']} {r['N']}" + (" (ceiling)" if r["ceiling"] else "")
        if "error" in r:
            lines.append(f"| {shape} | {r['provider']} | | {r['error'][:100]} | | | | |")
            continue
        def f(k, r=r):
            return f"{r[k]:.2f}" if k in r else "-"
        lines.append(f"| {shape} | {r['provider']} | {r.get('kernel', '')} | {r['us']:.1f} ({r['p10_us']:.1f}-"
                     f"{r['p90_us']:.1f}) | {r['tflops']:.0f} | {f('frac')} | {f('vs_xla_fp8')} | {f('vs_bf16')} |")
    return "\n".join(lines)


def environment(jax, dev) -> dict:
    from flash_rt import _cuda_driver, build_info

    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    try:
        git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        git = None
    plugins = {d: version(d) for d in ("jax-cuda13-plugin", "jax-cuda13-pjrt", "jax-cuda12-plugin", "jax-cuda12-pjrt")}
    return {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "gpu": dev.device_kind, "capability": str(getattr(dev, "compute_capability", "?")),
        "driver_cuda": _cuda_driver.driver_info().version_str,
        "jax": jax.__version__, "jaxlib": version("jaxlib"), "jax_plugins": {k: v for k, v in plugins.items() if v},
        "python": platform.python_version(), "flash_rt": build_info(), "git": git,
    }


if __name__ == "__main__":
    sys.exit(main())
