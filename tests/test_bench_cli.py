"""CPU tests of the benchmark harness's argument parsing (flash_rt.testing.bench)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from flash_rt.testing.bench import _shapes, gemm_shapes  # noqa: E402

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
