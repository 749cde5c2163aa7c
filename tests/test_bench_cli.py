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
