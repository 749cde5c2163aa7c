"""How many cuBLASLt heuristic candidates autotune needs: FP8 GEMM (NN entry, registered weight,
so NT underneath) autotuned over 1, 16, 64 and 256 candidates (the heuristic's list, then
configurations near them: swizzle, split-K, tile and stages), against torch._scaled_mm and
torch's bf16 matmul in the same process (graph replay, warm L2, 5 interleaved rounds, median).

    python benchmarks/autotune_depth.py [--shapes 1024x2048x2560,...]

autotune_fp8_nn_dev prints which candidate won and the heuristic's first choice's time; this
script adds the benchmark-protocol time of the tuned runner. Shapes are M x K x N.
"""

from __future__ import annotations

import argparse
import sys

import torch

from flash_rt.testing.bench import environment, gemm_shapes, time_graph

SHAPES = [(64, 1024, 8192), (1024, 2048, 2560), (1024, 2048, 32768), (4096, 4096, 4096)]
DEPTHS = (1, 16, 64, 256)
FP8 = torch.float8_e4m3fn


def measure(fvk, M: int, K: int, N: int, rounds: int) -> None:
    g = torch.Generator(device="cpu").manual_seed(M + K + N)
    a = torch.randn(M, K, generator=g).cuda()
    w = torch.randn(N, K, generator=g).cuda() * 0.05
    sa, sw = (a.abs().max() / 448).reshape(1), (w.abs().max() / 448).reshape(1)
    a8, w8 = (a / sa).to(FP8), (w / sw).to(FP8)
    w8_kn = w8.T.contiguous()
    a16, w16 = a.bfloat16(), w.bfloat16()
    a8p = torch.zeros(-(-M // 16) * 16, K, dtype=FP8, device="cuda")  # _scaled_mm wants M % 16 == 0
    a8p[:M] = a8
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    fns = {
        "torch bf16": lambda: torch.matmul(a16, w16.T),
        "torch _scaled_mm": lambda: torch._scaled_mm(a8p, w8.T, scale_a=sa, scale_b=sw, out_dtype=torch.bfloat16),
    }
    for depth in DEPTHS:
        D = torch.empty(M, N, dtype=torch.bfloat16, device="cuda")
        r = fvk.GemmRunner()
        r.register_static_weight(w8_kn.data_ptr(), K, N)
        sys.stdout.flush()
        r.autotune_fp8_nn_dev(a8, w8_kn, D, M, N, K, sa, sw, depth)
        sys.stdout.flush()
        ptrs = (a8.data_ptr(), w8_kn.data_ptr(), D.data_ptr(), sa.data_ptr(), sw.data_ptr())
        fns[f"tuned over {depth}"] = (lambda r=r, p=ptrs: r.fp8_nn_dev(p[0], p[1], p[2], M, N, K, p[3], p[4],
                                                                       stream()))
    times: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    for rnd in range(rounds):
        k = rnd % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(time_graph(lambda i, f=fns[name]: f(), repeats=20)["median_us"])
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    for name in names:
        print(f"  {M}x{K}x{N}  {name:18s} {med[name]:8.2f} us  x_scaled_mm {med['torch _scaled_mm'] / med[name]:.3f}"
              f"  x_bf16 {med['torch bf16'] / med[name]:.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", help="comma-separated MxKxN")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("autotune_depth: no CUDA device; nothing to measure.")
        return 0
    import flash_rt
    fvk = flash_rt.flash_rt_kernels
    shapes = gemm_shapes(args.shapes, SHAPES)
    env = environment()
    print(f"# autotune depth on {env['gpu']}, torch {env['torch']}")
    for M, K, N in shapes:
        measure(fvk, M, K, N, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
