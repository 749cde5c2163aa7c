"""Shapes for tests and benchmarks: real model widths (the workloads flash-rt serves) plus the
awkward sizes that break kernels (STYLE 5).

Every norm entry normalises `[rows, cols]`. Which kernel path a shape takes is decided by the
launcher (src/cpp/include/flash_rt/norm/row_norm.cuh, `plan_rows`):
  * vector path: cols % 8 == 0 and every base 16-byte aligned; otherwise the scalar path;
  * the row is cached in registers up to `VEC8_CACHE_COLS` (vector) or `SCALAR_CACHE_COLS`
    (scalar) columns and streamed from memory beyond;
  * small batches spread a row over more threads (a small-cache kernel), large ones over fewer
    (a deep-cache kernel); rows of one warp (32 threads) share a CTA four at a time, so a row
    count that is not a multiple of 4 leaves idle rows in the last CTA.
The test matrix below names which of these each shape is there to reach.
"""

from __future__ import annotations

from dataclasses import dataclass

# Hidden widths (the `cols` of every norm) of the models flash-rt is used with.
MODEL_DIMS: dict[str, int] = {
    "gemma-2b (PaliGemma / Pi0 VLM)": 2048,
    "gemma-300m (Pi0 action expert)": 1024,
    "siglip-so400m/14 (Pi0 / GR00T vision)": 1152,
    "qwen3-0.6b": 1024,
    "qwen3-1.7b": 2048,
    "qwen3-4b": 2560,
    "qwen3-8b": 4096,
    "dit (GR00T action head, 32 heads x 48)": 1536,
}

# FFN (MLP intermediate) widths of the same models: GEMM N/K and activation row widths.
FFN_DIMS: dict[str, int] = {
    "gemma-2b": 16384,
    "gemma-300m": 4096,
    "siglip-so400m/14": 4304,
    "qwen3-0.6b": 3072,
    "qwen3-1.7b": 6144,
    "qwen3-4b": 9728,
    "qwen3-8b": 12288,
}

# Row counts (tokens in flight) of real calls.
MODEL_ROWS: dict[str, int] = {
    "decode": 1,
    "pi0 action chunk": 50,
    "siglip one view (16 x 16 patches)": 256,
    "pi0 prefix (3 views + prompt)": 816,
}

# Awkward sizes: odd, prime, one, just past a power of two or a vector width.
AWKWARD_COLS: tuple[int, ...] = (1, 7, 83, 769, 5125)
LARGE_COLS: tuple[int, ...] = (4096, 8192, 70000)
AWKWARD_ROWS: tuple[int, ...] = (1, 7, 64, 257)

# Register-cache limits of the norm kernels (kMaxIters = 8 vectors per thread, 1024 threads).
VEC8_CACHE_COLS = 8 * 8 * 1024
SCALAR_CACHE_COLS = 8 * 1024


@dataclass(frozen=True)
class Shape:
    rows: int
    cols: int
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.rows}x{self.cols}"


# The GPU correctness matrix for the norm group: every entry runs every shape, so keep it small.
# Each shape is here for a reason; together they reach every kernel path.
NORM_TEST_SHAPES: tuple[Shape, ...] = (
    Shape(1, 2048, "gemma-2b decode: vector path, one row spread over many threads"),
    Shape(7, 1152, "siglip width, 7 rows"),
    Shape(64, 1536, "dit width, 64 rows"),
    Shape(257, 2560, "qwen3-4b width, 257 rows"),
    Shape(513, 4096, "qwen3-8b width, 513 rows: deep register cache"),
    Shape(2200, 2048, "large batch: the kernel without operand prefetch (>= 64 warps per SM, 132 SMs)"),
    Shape(1100, 4096, "the same at 8 warps per row"),
    Shape(33, 128, "vector path, 4 rows per CTA, 1 valid row in the last CTA"),
    Shape(3, 1, "one column"),
    Shape(5, 7, "odd width below one warp"),
    Shape(33, 83, "prime width, scalar path, two warps per row"),
    Shape(2, 769, "scalar path, small batch"),
    Shape(257, 769, "scalar path, deep register cache"),
    Shape(3, 5125, "scalar path, 1024 threads per row"),
    Shape(2, SCALAR_CACHE_COLS + 1, "scalar path past the register cache: streaming"),
    Shape(2, 70000, "vector path past the register cache (65536 cols): streaming"),
    Shape(4099, 2048, "many rows: the large-batch plans, with a partial last wave"),
)

# Shape for tests that need one representative call (graphs, calling conventions, errors).
NORM_ONE_SHAPE = Shape(7, 2048, "gemma-2b width, 7 rows")

# Benchmark shapes: real widths at the row counts that matter for latency and bandwidth.
NORM_BENCH_SHAPES: tuple[Shape, ...] = tuple(
    Shape(rows, cols, f"{model}, {what}")
    for model, cols in (("gemma-2b", 2048), ("siglip", 1152), ("qwen3-4b", 2560), ("qwen3-8b", 4096))
    for what, rows in (("decode", 1), ("action chunk", 50), ("prefix", 816))
)


def ids(shapes) -> list[str]:
    """pytest ids for a list of shapes."""
    return [s.id for s in shapes]
