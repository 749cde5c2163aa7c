"""Vision patch embedding (SPEC 2.7) on the GPU: im2col against torch's own conv im2col
(F.unfold, reordered to the contract's (ky, kx, c) features), the element path, and the bias +
position add for row counts that are not whole views.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.numerics import Guarded, assert_same_bits, guarded_copy  # noqa: E402
from flash_rt.testing.ref import patch as R  # noqa: E402

pytestmark = pytest.mark.gpu

F16 = torch.float16


def randn(shape, seed, scale=2.0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    return (scale * torch.randn(shape, generator=g)).to(F16).cuda()


# Paths: both bases 16-byte aligned -> 16-byte vectors through shared memory (on a 132-SM H100:
# half groups up to 8 views, one group per CTA for 9-16, two past that); 4-byte aligned -> 4-byte
# accesses; else element by element (offsets are in elements of 2 bytes).
@pytest.mark.parametrize("nv", [1, 2, 5, 9, 12, 37])
@pytest.mark.parametrize("in_off, out_off", [(0, 0), (2, 0), (0, 4), (1, 0), (0, 1)],
                         ids=["aligned-16", "input+4B", "output+8B", "input+2B", "output+2B"])
def test_im2col_matches_unfold(fvk, nv, in_off, out_off):
    images = guarded_copy(randn((nv, R.IMAGE, R.IMAGE, R.CHANNELS), seed=nv), offset=in_off)
    out = Guarded((nv * R.PATCHES, R.FEATURES), F16, offset=out_off)
    fvk.patch_im2col(images.tensor, out.tensor, nv)
    torch.cuda.synchronize()
    out.check("output")
    images.check("input", written=False)
    assert_same_bits(out.tensor, R.patch_im2col_via_unfold(images.tensor), "im2col vs F.unfold")


def test_im2col_feature_order_by_hand(fvk):
    """A few elements spelled out: patch (b, py, px), feature (ky, kx, c)."""
    nv = 2
    images = randn((nv, R.IMAGE, R.IMAGE, R.CHANNELS), seed=7)
    out = torch.empty(nv * R.PATCHES, R.FEATURES, dtype=F16, device="cuda")
    fvk.patch_im2col(images, out, nv)
    torch.cuda.synchronize()
    for b, py, px, ky, kx, c in [(0, 0, 0, 0, 0, 0), (1, 15, 15, 13, 13, 2), (1, 3, 9, 5, 11, 1), (0, 7, 0, 13, 0, 2)]:
        got = out[b * 256 + py * 16 + px, (ky * 14 + kx) * 3 + c]
        assert got == images[b, py * 14 + ky, px * 14 + kx, c], (b, py, px, ky, kx, c)


# Launch plans on a 132-SM H100: up to 528 CTAs, chunks of <= 128 units, one row a CTA: (1, 1152)
# two chunks of 96 threads in 16-byte units, (4, 1160) two of 96 (the last partial), (3, 2048) two
# of 128, (2, 1030) per element (9 chunks), (256, 1152) 512 CTAs, (513, 83) past one view. Beyond,
# chunks of <= 256: (600, 1152) one chunk of 160 threads; from 2112 CTAs two rows a CTA: (2501,
# 1160), the last CTA half used. (2, 33553921): per element, 131070 chunks, over the grid's y
# limit: the looping kernel, which loops there (65536 chunks of 512).
@pytest.mark.parametrize("S, D, s_per_view", [(1, 1152, 256), (4, 1160, 4), (3, 2048, 256), (2, 1030, 2),
                                               (256, 1152, 256), (600, 1152, 256), (9, 7, 4), (5, 8, 7),
                                               (513, 83, 256), (2501, 1160, 256), (2, 33_553_921, 1)], ids=str)
def test_bias_pos(fvk, S, D, s_per_view):
    out = guarded_copy(randn((S, D), seed=S))
    bias = randn((D,), seed=D, scale=0.5)
    pos = randn((s_per_view, D), seed=s_per_view, scale=0.5)
    before = out.tensor.clone()
    fvk.patch_embed_bias_pos(out.tensor, bias, pos, S, D, s_per_view)
    torch.cuda.synchronize()
    out.check("output", written=False)
    # ((out + bias) + pos) in fp32, rounded once: bit-exact with the eager reference
    assert_same_bits(out.tensor, R.patch_embed_bias_pos(before, bias, pos), "output")


def test_im2col_output_rows_of_588(fvk):
    """Right element count, wrong row width: rejected (row widths are checked on the device tensor)."""
    images = torch.zeros(2, R.IMAGE, R.IMAGE, R.CHANNELS, dtype=F16, device="cuda")
    out = torch.zeros(2, R.PATCHES * R.FEATURES, dtype=F16, device="cuda")
    with pytest.raises(ValueError, match=r"^patch_im2col: 'output' expected rows of 588 elements \(\[512, 588\]\)"):
        fvk.patch_im2col(images, out, 2)
