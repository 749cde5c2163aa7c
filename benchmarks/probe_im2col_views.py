"""patch_im2col kernel variants by view count, timed under the benchmark's protocol.

Times the variants of benchmarks/probe_im2col_views.cu (a shared library, launched through ctypes
on torch's stream) with flash_rt.testing.bench.time_graph, the benchmark's timer, next to the
package entry and torch.compile (dynamo reset per shape, as the benchmark). Warm: one buffer set,
as the benchmark's inference rows. Cold: sets rotated over 3x the L2, as its large rows. Each
variant's output is compared byte for byte with the reference before it is timed.

    nvcc -O3 -std=c++20 -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \\
      benchmarks/probe_im2col_views.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_im2col.so
    python benchmarks/probe_im2col_views.py --lib .exp/libprobe_im2col.so [--views 1,3,8] [--cold 32,256]
"""

from __future__ import annotations

import argparse
import ctypes
import math
import sys

import probe_variants  # benchmarks/, next to this script
import torch

from flash_rt.testing.bench import environment, time_graph
from flash_rt.testing.ref import patch as R


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--views", default="1,3,4,8,12,16,32", help="warm-L2 view counts")
    ap.add_argument("--cold", default="32,256", help="cold-L2 view counts")
    ap.add_argument("--variants", help="comma-separated numbers (default: all)")
    ap.add_argument("--repeats", type=int, default=25)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("probe_im2col_views: no CUDA device; nothing to measure.")
        return 0
    import flash_rt

    fvk = flash_rt.flash_rt_kernels
    lib, names = probe_variants.load(args.lib, [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                                ctypes.c_void_p])
    chosen = [int(v) for v in args.variants.split(",")] if args.variants else list(names)
    print(f"# patch_im2col variants, us per call (median of {args.repeats} replays), on {environment()['gpu']}")
    for v in chosen:
        print(f"#   v{v}: {names[v]}")
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    cols = " ".join(f"{'v' + str(v):>6s}" for v in chosen)
    print(f"# views  l2    sets compile  entry {cols}")
    modes = [(int(x), False) for x in args.views.split(",") if x] + [(int(x), True) for x in args.cold.split(",") if x]
    for nv, cold in modes:
        print("  " + row(lib, fvk, chosen, nv, cold, l2, args.repeats), flush=True)
    return 0


def row(lib, fvk, chosen, nv: int, cold: bool, l2: int, repeats: int) -> str:
    nbytes = 2 * nv * R.IMAGE * R.IMAGE * R.CHANNELS * 2
    n_sets = max(2, math.ceil(3 * l2 / nbytes)) if cold else 1
    g = torch.Generator(device="cpu").manual_seed(nv)
    sets = [(torch.randn(nv, R.IMAGE, R.IMAGE, R.CHANNELS, generator=g).half().cuda(),
             torch.empty(nv * R.PATCHES, R.FEATURES, dtype=torch.float16, device="cuda")) for _ in range(n_sets)]
    want = R.patch_im2col(sets[0][0])
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    torch._dynamo.reset()
    compiled = torch.compile(R.patch_im2col, dynamic=False, fullgraph=True)

    def t(step) -> float:
        return time_graph(step, n_sets, repeats=repeats)["median_us"]

    out = [t(lambda i: compiled(sets[i][0])),
           t(lambda i: fvk.patch_im2col(sets[i][0].data_ptr(), sets[i][1].data_ptr(), nv, stream()))]
    for v in chosen:
        x, y = sets[0]
        y.fill_(float("nan"))
        rc = lib.probe_launch(v, x.data_ptr(), y.data_ptr(), nv, stream())
        torch.cuda.synchronize()
        if rc != 0 or not torch.equal(y, want):
            out.append(float("nan"))
            continue
        out.append(t(lambda i, v=v: lib.probe_launch(v, sets[i][0].data_ptr(), sets[i][1].data_ptr(), nv, stream())))
    return f"{nv:5d} {'cold' if cold else 'warm'} {n_sets:5d} " + " ".join(f"{x:6.2f}" for x in out)


if __name__ == "__main__":
    sys.exit(main())
