"""Norm group: flash-rt vs torch eager vs torch.compile on this GPU (docs/BENCHMARKS.md).

The same as `python -m flash_rt bench --group norm`; every option passes through, e.g.
    python benchmarks/bench_norm.py --quick
    python benchmarks/bench_norm.py --entries rms_norm_fp16,layer_norm_fp16 --shapes 1x2048,16384x4096
"""

import sys

from flash_rt.testing.bench import main

if __name__ == "__main__":
    sys.exit(main(["--group", "norm", *sys.argv[1:]]))
