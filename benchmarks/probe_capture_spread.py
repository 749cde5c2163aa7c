"""How much does one entry's time move between CUDA-graph captures of the same calls?

benchmarks/probe_data_dependence.py timed in-place add_bias at S = 256 at 1.26 us in one round
and 1.70 us in the next (ReLU: 1.13 and 1.65), in one process, on one buffer: the benchmark's
one capture per row may land in either. This script captures `--captures` separate graphs per
entry (each timed as the benchmark does: time_graph, median of 25 replays) and prints every
capture's time, so a two-mode spread shows as two clusters. Run it with FLASH_RT_PDL=0 as well
to see whether the spread comes with PDL.

    python benchmarks/probe_capture_spread.py [--captures 8] [--S 256] [--D 2048] [--only a,b]

Session 14 added fused_add_silu_fp16 / _bf16 (the full benchmark timed bf16 at S = 16, D = 16384
at 1.28 us against fp16's 1.12 on the same plan) and gpu_repeat_interleave_heads (one KV head of
D / 8 to 8 heads, the benchmark's case at D / 8 = 256).

Session 12 added `patch_embed_bias_pos` twice, as the benchmark calls it (random data, pos_emb of
min(S, 256) rows) and as the C++ probe did (zero data, 256 rows), and the fp32 -> fp16 cast. The
question it was for (the C++ probe and the benchmark ranked its PDL placements in opposite orders)
was settled in session 13 by benchmarks/probe_bias_pos_protocol.py: the timers differed, not the
data (docs/RESULTS-2026-11-28-H100-session13.md).
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from flash_rt.testing.bench import environment, time_graph


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", type=int, default=8)
    ap.add_argument("--S", type=int, default=256)
    ap.add_argument("--D", type=int, default=2048)
    ap.add_argument("--only", help="comma-separated entries (default: all)")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_capture_spread: no CUDA device; nothing to measure.")
        return 0
    import flash_rt
    fvk = flash_rt.flash_rt_kernels
    S, D = args.S, args.D
    env = environment()
    print(f"# capture spread at S={S} D={D} on {env['gpu']}, FLASH_RT_PDL={os.environ.get('FLASH_RT_PDL', '1')}"
          f" FLASH_RT_EW_VEC={os.environ.get('FLASH_RT_EW_VEC', '-')}")
    g = torch.Generator(device="cpu").manual_seed(0)
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    x16 = torch.randn(S, D, generator=g).half().cuda()
    xb = torch.randn(S, D, generator=g).bfloat16().cuda()
    b16 = torch.randn(D, generator=g).half().cuda()
    bb = torch.randn(D, generator=g).bfloat16().cuda()
    w16 = torch.randn(D, generator=g).half().cuda()
    y16 = torch.empty(S, D, dtype=torch.float16, device="cuda")
    f32 = torch.randn(S, D, generator=g).cuda()
    spv = min(S, 256)  # the benchmark's S_per_view
    pos16 = torch.randn(spv, D, generator=g).half().cuda()
    o_zero, b_zero, pos_zero = (torch.zeros(n, dtype=torch.float16, device="cuda") for n in (S * D, D, 256 * D))
    z16 = torch.empty(S, D, dtype=torch.bfloat16, device="cuda")
    a16, ab = torch.randn(S, D, generator=g).half().cuda(), torch.randn(S, D, generator=g).bfloat16().cuda()
    kv = torch.randn(S, D // 8, generator=g).half().cuda()  # one KV head of D / 8 repeated to 8
    cases = {
        "fused_add_silu_fp16": lambda: fvk.fused_add_silu_fp16(x16.data_ptr(), a16.data_ptr(), S * D, stream()),
        "fused_add_silu_bf16": lambda: fvk.fused_add_silu_bf16(xb.data_ptr(), ab.data_ptr(), S * D, stream()),
        # the two entries on each other's buffers: does the gap follow the dtype or the buffers?
        "fused_add_silu_bf16_on_fp16_bufs": lambda: fvk.fused_add_silu_bf16(x16.data_ptr(), a16.data_ptr(), S * D,
                                                                            stream()),
        "fused_add_silu_fp16_on_bf16_bufs": lambda: fvk.fused_add_silu_fp16(xb.data_ptr(), ab.data_ptr(), S * D,
                                                                            stream()),
        "gpu_repeat_interleave_heads": lambda: fvk.gpu_repeat_interleave_heads(kv.data_ptr(), y16.data_ptr(), S, 1,
                                                                               D // 8, 8, stream()),
        "relu_inplace_fp16": lambda: fvk.relu_inplace_fp16(x16.data_ptr(), S * D, stream()),
        "gelu_inplace_fp16": lambda: fvk.gelu_inplace_fp16(x16.data_ptr(), S * D, stream()),
        "add_bias_fp16": lambda: fvk.add_bias_fp16(x16.data_ptr(), b16.data_ptr(), S, D, stream()),
        "add_bias_bf16": lambda: fvk.add_bias_bf16(xb.data_ptr(), bb.data_ptr(), S, D, stream()),
        "cast_fp16_to_bf16": lambda: fvk.cast_fp16_to_bf16(x16.data_ptr(), z16.data_ptr(), S * D, stream()),
        "gpu_cast_fp32_to_fp16": lambda: fvk.gpu_cast_fp32_to_fp16(f32.data_ptr(), y16.data_ptr(), S * D, stream()),
        "patch_embed_bias_pos": lambda: fvk.patch_embed_bias_pos(x16.data_ptr(), b16.data_ptr(), pos16.data_ptr(), S, D,
                                                                 spv, stream()),
        "patch_embed_bias_pos_zero": lambda: fvk.patch_embed_bias_pos(o_zero.data_ptr(), b_zero.data_ptr(),
                                                                      pos_zero.data_ptr(), S, D, 256, stream()),
        "rms_norm_fp16": lambda: fvk.rms_norm_fp16(x16.data_ptr(), w16.data_ptr(), y16.data_ptr(), S, D, 1e-6,
                                                   stream()),
        "layer_norm_fp16": lambda: fvk.layer_norm_fp16(x16.data_ptr(), w16.data_ptr(), b16.data_ptr(), y16.data_ptr(),
                                                       S, D, 1e-6, stream()),
    }
    only = set(args.only.split(",")) if args.only else set(cases)
    for name, fn in cases.items():
        if name not in only:
            continue
        ts = [time_graph(lambda i, fn=fn: fn(), repeats=25)["median_us"] for _ in range(args.captures)]
        print(f"  {name:20s} " + " ".join(f"{t:5.2f}" for t in ts) + f"   (min {min(ts):.2f}, max {max(ts):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
