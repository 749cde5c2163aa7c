"""CPU tests of the benchmark harness (flash_rt.testing.bench): argument parsing, size classes,
byte counts and verdicts."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from flash_rt.testing.bench import LARGE_S, _shapes, gemm_shapes, verdict  # noqa: E402
from flash_rt.testing.cases import ALL_CASES  # noqa: E402

DEFAULT = [(1, 2048, 2560), (4096, 4096, 4096)]


def test_gemm_shapes_parse_and_default():
    assert gemm_shapes("1024x2048x2560,1x16x8", DEFAULT) == [(1024, 2048, 2560), (1, 16, 8)]
    assert gemm_shapes("64x1024x8192,", DEFAULT) == [(64, 1024, 8192)]  # a trailing comma is harmless
    assert gemm_shapes("", DEFAULT) == DEFAULT
    assert gemm_shapes(None, DEFAULT) == DEFAULT
    assert gemm_shapes(None, DEFAULT) is not DEFAULT  # a copy: callers may extend it


@pytest.mark.parametrize("bad", ["1024x2048", "1x2x3x4"])
def test_gemm_shapes_refuse_other_ranks(bad):
    with pytest.raises(ValueError, match="expected MxKxN"):
        gemm_shapes(bad, DEFAULT)


def test_row_shapes_parse():
    assert _shapes("1x2048,16384x4096") == [(1, 2048), (16384, 4096)]


def test_size_class_counts_tokens():
    """patch_im2col's S counts views of 256 patch rows: 16 views are 4096 rows (an inference row),
    32 views 8192 (a bandwidth row); every other entry's tokens are its S."""
    im2col = ALL_CASES["patch_im2col"]
    assert im2col.token_rows(16) == LARGE_S and im2col.token_rows(32) == 2 * LARGE_S
    assert ALL_CASES["rms_norm_fp16"].token_rows(16384) == 16384


def test_bytes_required_counts_the_second_read_of_x():
    S, D = 16384, 4096
    dev = ALL_CASES["quantize_fp8_device_fp16"]
    assert dev.bytes_moved(S, D) == S * D * 2 + S * D + 4  # x, the FP8 output, the scale
    assert dev.bytes_required(S, D) == dev.bytes_moved(S, D) + S * D * 2
    static = ALL_CASES["quantize_fp8_static_fp16"]
    assert static.bytes_required(S, D) == static.bytes_moved(S, D)


def _row(S, us, nbytes, compile_us=None, **extra):
    providers = {"flash-rt": {"median_us": us, "gbps": nbytes / us / 1e3}}
    if compile_us is not None:
        providers["compile"] = {"median_us": compile_us, "gbps": nbytes / compile_us / 1e3}
    return {"S": S, "bytes": nbytes, "providers": providers, **extra}


def test_verdicts():
    copy = 1000.0  # GB/s; 1e9 bytes in 1000 us is 1.00 of copy
    # a bandwidth row at 0.95 of copy
    assert verdict(_row(16384, 1e6 / 950, 1e9), copy) == (">=0.90 copy", "PASS")
    assert verdict(_row(16384, 1e6 / 890, 1e9), copy) == (">=0.90 copy", "MISS")
    # 0.59 of copy by the one-read count is 0.98 counting x (2 of the 3 bytes per element) twice
    q = _row(16384, 1e6 / 590, 1e9, large=True, bytes_required=5e9 / 3, input_reads=2)
    assert verdict(q, copy) == (">=0.90 copy, inputs read 2x: 0.98", "PASS")
    # a bandwidth row by tokens though S is small (32 views): judged by copy, not against compile
    assert verdict(_row(32, 1e6 / 950, 1e9, compile_us=900.0, large=True), copy) == (">=0.90 copy", "PASS")
    # inference rows: <= compile, and <= 0.8x where compile is under 0.6 of copy
    copy = 3000.0
    assert verdict(_row(3, 1.27, 1.8e6, compile_us=1.59, large=False), copy) == ("<=0.8x compile", "PASS")
    assert verdict(_row(3, 1.28, 1.8e6, compile_us=1.59, large=False), copy) == ("<=0.8x compile", "MISS")
    assert verdict(_row(256, 10.0, 2.7e7, compile_us=10.0), copy) == ("<=1x compile", "PASS")
    # the paired ratio is reported, not judged: the medians of the timings in turn decide
    tie = _row(4096, 17.0, 5e7, compile_us=16.8, large=False, paired={"ratio": 1.02})
    assert verdict(tie, copy) == ("<=1x compile", "MISS")
    fast = _row(1, 0.91, 1e5, compile_us=1.31, large=False, paired={"ratio": 0.99})
    assert verdict(fast, copy) == ("<=0.8x compile", "PASS")


@pytest.mark.gpu
def test_time_paired_runs_both_and_pairs_them():
    """time_paired (bench_gemm.py's timing): both callables are captured and replayed in pairs;
    each is called (checked through a counter tensor), and the result carries both medians and a
    positive ratio. No timing bound is asserted."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from flash_rt.testing.bench import time_paired

    x = torch.zeros(4, device="cuda")
    r = time_paired(lambda: x[0:1].add_(1), lambda: x[1:2].add_(1), pairs=4)
    torch.cuda.synchronize()
    assert x[0] > 0 and x[1] > 0 and x[2] == 0
    assert r["pairs"] == 4 and r["peer_us"] > 0 and r["median_us"] > 0 and 0 < r["ratio"] < float("inf")


@pytest.mark.gpu
def test_bench_row_pairs_an_inference_row_with_compile():
    """bench_row on an inference row (<= 4096 tokens, one input set) times flash-rt and
    torch.compile in turn and then paired (reported beside the verdict). No bound on times."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    import argparse

    import flash_rt
    from flash_rt.testing.bench import bench_row

    args = argparse.Namespace(repeats=3, l2="auto", providers=("flash-rt", "compile"))
    row = bench_row(ALL_CASES["gpu_cast_fp32_to_fp16"], 16, 256, flash_rt.flash_rt_kernels, args, 50 << 20)
    assert row["sets"] == 1 and not row["large"]
    assert {"flash-rt", "compile"} <= row["providers"].keys(), row
    p = row["paired"]
    assert p["pairs"] == 3 and p["flash_rt_us"] > 0 and p["compile_us"] > 0 and 0 < p["ratio"] < float("inf")
    assert verdict(row, 3000.0)[1] in ("PASS", "MISS")
