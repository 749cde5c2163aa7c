"""Patch-group validation without a GPU (SPEC 2.7): the im2col geometry (224x224x3 NHWC images,
14x14 patches) is fixed by the contract, so shapes are checked against it and an NCHW batch is
named as such. Generic checks for every entry are in tests/utility/test_rope_utility_patch_errors.py.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

F16 = torch.float16
ADDR = [0x7F00_0000_0000 + i * 0x100_0000 for i in range(1, 4)]


def msg(entry, arg, what):
    return rf"^{re.escape(entry)}: '{re.escape(arg)}' expected {what}"


def accepted(entry, last):
    return pytest.raises(ValueError, match=rf"^{entry}: '{last}' expected a CUDA tensor, got a tensor on cpu$")


@pytest.mark.parametrize("shape", [(2, 3, 224, 224), (2, 224, 3, 224), (2, 3, 50176)], ids=str)
def test_im2col_rejects_channels_first(fvk, shape):
    with pytest.raises(ValueError, match=msg("patch_im2col", "input", r"NHWC \[nv, 224, 224, 3\] = \[2, 224, 224, 3\], "
                                                                     r"got shape .*permute")):
        fvk.patch_im2col(torch.zeros(shape, dtype=F16), ADDR[0], 2)


@pytest.mark.parametrize("shape", [(2, 224, 224, 3), (2, 50176, 3), (2, 150528), (301056,)], ids=str)
def test_im2col_accepts_nhwc_layouts(fvk, shape):
    with accepted("patch_im2col", "input"):
        fvk.patch_im2col(torch.zeros(shape, dtype=F16), ADDR[0], 2)


def test_im2col_wrong_image_size(fvk):
    with pytest.raises(ValueError, match=msg("patch_im2col", "input", r"301056 elements, got shape \[2, 336, 336, 3\]")):
        fvk.patch_im2col(torch.zeros(2, 336, 336, 3, dtype=F16), ADDR[0], 2)


def test_im2col_output_shape(fvk):
    with pytest.raises(ValueError, match=msg("patch_im2col", "output", r"301056 elements, got shape \[512, 587\]")):
        fvk.patch_im2col(ADDR[0], torch.zeros(512, 587, dtype=F16), 2)
    with accepted("patch_im2col", "output"):
        fvk.patch_im2col(ADDR[0], torch.zeros(512, 588, dtype=F16), 2)


def test_bias_pos_shapes(fvk):
    with pytest.raises(ValueError, match=msg("patch_embed_bias_pos", "pos_emb", r"2560 elements")):
        fvk.patch_embed_bias_pos(ADDR[0], ADDR[1], torch.zeros(256, 11, dtype=F16), 300, 10, 256)
    with pytest.raises(ValueError, match=msg("patch_embed_bias_pos", "S_per_view", "a positive size, got 0$")):
        fvk.patch_embed_bias_pos(ADDR[0], ADDR[1], ADDR[2], 300, 10, 0)
    with accepted("patch_embed_bias_pos", "pos_emb"):  # S need not be a multiple of S_per_view
        fvk.patch_embed_bias_pos(ADDR[0], ADDR[1], torch.zeros(256, 10, dtype=F16), 300, 10, 256)
