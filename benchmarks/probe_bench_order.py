"""Does a benchmark row's time depend on when in the row it is taken?

The full runs timed two rows the same way session after session while probes on the same
kernels, inputs and timer did not: `cfg_combine_into_residual` S = 64 (1.40 us in the benchmark;
0.99 in every one of session 18's six probe captures) and `gpu_repeat_interleave_heads` 16384 x 256
cold (27.8 us = 0.90 of copy in three full runs; 25.7 in the probe). The benchmark (bench_row)
checks every provider once (torch.compile compiles there), then times flash-rt first; the probes
time torch.compile first. This script builds a row as bench_row does, then times the providers
`--rounds` times in turn (flash-rt, compile, flash-rt, ...), each with the benchmark's time_graph,
and prints every time in order: a first flash-rt time off the later ones is the row's position,
not the kernel.

    python benchmarks/probe_bench_order.py [--rows cfg_combine_into_residual:64x2048,...] [--rounds 3]
        [--order flash-rt,compile,flash-rt,write,flash-rt,sleep,flash-rt]

--order replaces the rounds by a sequence of steps: a provider (flash-rt, compile, eager), `write`
(torch's fill_ of buffers of the row's output bytes, one per input set, timed the same way: a pure
write stream of the same size for comparison, printed with its GB/s) or `sleep` (one second with the
GPU idle). Session 18 left one question for it: gpu_repeat_interleave_heads 16384 x 256 cold took
25.6 us right after torch.compile's kernel and 27.7 after its own run; what in the step before
decides it? Session 19 (H100): flash-rt 27.79, compile 27.48, flash-rt 25.60, write 22.04 (3044 GB/s),
flash-rt 27.77, sleep, flash-rt 27.79, 27.79, eager 67.08, flash-rt 27.76; and compile 27.12, then
flash-rt 25.61 four times, across an eager timing too. Once compile's replays have run, the entry
stays fast until something large is written. The explanation that fits: inductor loads the
broadcast KV head with eviction_policy='evict_last', so its replays leave every set's KV head in the
L2 and the entry's reads of it hit there (why the 201 MB `write` step clears that and the entry's own
67 MB of stores per call do not is not known). The benchmark times flash-rt before compile.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import torch

from flash_rt.testing.bench import _clone, check, environment, input_sets, providers, time_graph
from flash_rt.testing.cases import ALL_CASES

DEFAULT_ROWS = ("cfg_combine_into_residual:64x2048,cfg_combine_into_residual_fp16:64x2048,"
                "gpu_repeat_interleave_heads:16384x256")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default=DEFAULT_ROWS, help="entry:SxD,... (cold above 4096 tokens, as the benchmark)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=25)
    ap.add_argument("--order", help="comma-separated steps (flash-rt, compile, eager, write, sleep); default: --rounds"
                                    " of every provider that passes its check, eager left out")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_bench_order: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    env = environment()
    print(f"# providers timed in turn after bench_row's checks, us per call (median of {args.repeats}), {env['gpu']}")
    for spec in args.rows.split(","):
        name, shape = spec.split(":")
        S, D = (int(x) for x in shape.split("x"))
        case = ALL_CASES[name]
        n_sets = max(2, math.ceil(3 * env["l2_bytes"] / case.bytes_moved(S, D))) if case.token_rows(S) > 4096 else 1
        sets = input_sets(case, S, D, n_sets)
        expected = case.reference(sets[0])
        runs = {}
        for prov, factory in providers(case, S, D, fvk, ("flash-rt", "eager", "compile")).items():
            run = factory()
            ok, _ = check(run(_clone(sets[0])), expected)
            if ok:
                runs[prov] = run
        out_bytes = sum(sets[0][a.name].nbytes for a in case.outputs)
        bufs = [torch.empty(out_bytes // 2, dtype=torch.float16, device="cuda") for _ in range(n_sets)]
        steps = (args.order.split(",") if args.order
                 else [p for _ in range(args.rounds) for p in runs if p != "eager"])
        times = []
        for step in steps:
            if step == "sleep":
                torch.cuda.synchronize()
                time.sleep(1.0)
                times.append("sleep 1 s")
            elif step == "write":
                t = time_graph(lambda i, bufs=bufs: bufs[i].fill_(1.0), n_sets, repeats=args.repeats)["median_us"]
                times.append(f"write {t:.2f} ({out_bytes / t / 1e3:.0f} GB/s)")
            else:
                run = runs[step]
                t = time_graph(lambda i, run=run, sets=sets: run(sets[i]), n_sets, repeats=args.repeats)["median_us"]
                times.append(f"{step} {t:.2f}")
        print(f"  {name} {S}x{D} sets {n_sets}: " + ", ".join(times), flush=True)
        torch._dynamo.reset()
    return 0


if __name__ == "__main__":
    sys.exit(main())
