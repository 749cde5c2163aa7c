"""Does an in-place kernel's time at S = 256 depend on whether its data changes from call to call?

The benchmark replays N calls of one entry on one buffer. In place, ReLU is idempotent after the
first call (every later call writes back the bytes it read), while add_bias and GELU change x on
every call. At S = 256, D = 2048 on the H100, ReLU takes 1.13 us and add_bias / GELU 1.5-1.7 us,
though add_bias does no more arithmetic than a cast (1.17 us). This script times, in one process
and by the benchmark's graph replay (warm L2, median of 25 replays):
  * add_bias_fp16 / _bf16 with a random bias (x changes) and a zero bias (x stays);
  * gelu_inplace_fp16 on random data (x changes) and on zeros (gelu(0) = 0: x stays);
  * relu_inplace_fp16 on random data (x stays after the first call).
Three interleaved rounds, median.

    python benchmarks/probe_data_dependence.py
"""

from __future__ import annotations

import sys

import torch

from flash_rt.testing.bench import environment, time_graph

S, D = 256, 2048


def main() -> int:
    if not torch.cuda.is_available():
        print("probe_data_dependence: no CUDA device; nothing to measure.")
        return 0
    import flash_rt
    fvk = flash_rt.flash_rt_kernels
    env = environment()
    print(f"# data dependence at S={S} D={D} on {env['gpu']}, torch {env['torch']}")
    g = torch.Generator(device="cpu").manual_seed(0)
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    cases = []
    for dt, name in ((torch.float16, "add_bias_fp16"), (torch.bfloat16, "add_bias_bf16")):
        fn = getattr(fvk, name)
        for label, scale in (("random bias (x changes)", 0.5), ("zero bias (x stays)", 0.0)):
            x = torch.randn(S, D, generator=g).to(dt).cuda()
            b = (scale * torch.randn(D, generator=g)).to(dt).cuda()
            cases.append((f"{name} {label}", lambda x=x, b=b, fn=fn: fn(x.data_ptr(), b.data_ptr(), S, D, stream())))
    for label, make in (("random x (changes)", lambda: torch.randn(S, D, generator=g)),
                        ("zeros (stays)", lambda: torch.zeros(S, D))):
        x = make().half().cuda()
        cases.append((f"gelu_inplace_fp16 {label}",
                      lambda x=x: fvk.gelu_inplace_fp16(x.data_ptr(), S * D, stream())))
    x = torch.randn(S, D, generator=g).half().cuda()
    cases.append(("relu_inplace_fp16 random x (idempotent)",
                  lambda x=x: fvk.relu_inplace_fp16(x.data_ptr(), S * D, stream())))
    times: dict[str, list[float]] = {label: [] for label, _ in cases}
    for rnd in range(3):
        for label, fn in cases[rnd % len(cases):] + cases[:rnd % len(cases)]:
            times[label].append(time_graph(lambda i, fn=fn: fn(), repeats=25)["median_us"])
    for label, _ in cases:
        ts = sorted(times[label])
        print(f"  {label:48s} {ts[len(ts) // 2]:6.2f} us  (min {ts[0]:.2f}, max {ts[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
