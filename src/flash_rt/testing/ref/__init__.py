"""PyTorch references, one module per kernel group. float32 math, rounding where the
contract rounds (SPEC 1.2); usable as torch.compile peers in the benchmarks."""
