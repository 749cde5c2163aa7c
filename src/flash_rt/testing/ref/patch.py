"""References for the vision patch embedding group (SPEC 2.7). fp16 throughout."""

from __future__ import annotations

import torch

IMAGE, PATCH, CHANNELS = 224, 14, 3
GRID = IMAGE // PATCH            # 16
PATCHES = GRID * GRID            # 256 per view
FEATURES = PATCH * PATCH * CHANNELS  # 588


def patch_im2col(images: torch.Tensor) -> torch.Tensor:
    """NHWC [nv, 224, 224, 3] -> [nv * 256, 588]: patch b*256 + py*16 + px, feature
    (ky*14 + kx)*3 + c, i.e. pixel row, pixel column, channel."""
    nv = images.shape[0]
    x = images.reshape(nv, GRID, PATCH, GRID, PATCH, CHANNELS)   # b, py, ky, px, kx, c
    return x.permute(0, 1, 3, 2, 4, 5).reshape(nv * PATCHES, FEATURES).contiguous()


def patch_im2col_via_unfold(images: torch.Tensor) -> torch.Tensor:
    """The same through torch's conv im2col (F.unfold on NCHW), reordered to (ky, kx, c): an
    independent derivation of the layout, for checking the reference itself."""
    nv = images.shape[0]
    cols = torch.nn.functional.unfold(images.permute(0, 3, 1, 2).float(), kernel_size=PATCH, stride=PATCH)
    cols = cols.reshape(nv, CHANNELS, PATCH, PATCH, PATCHES)        # b, c, ky, kx, patch
    return cols.permute(0, 4, 2, 3, 1).reshape(nv * PATCHES, FEATURES).to(images.dtype)


def patch_embed_bias_pos(output: torch.Tensor, bias: torch.Tensor, pos_emb: torch.Tensor) -> torch.Tensor:
    """RN16((out + bias) + pos[i mod S_per_view]) in float32, left to right."""
    S, s_per_view = output.shape[0], pos_emb.shape[0]
    rows = torch.arange(S, device=output.device) % s_per_view
    return ((output.float() + bias.float()) + pos_emb.float()[rows]).to(output.dtype)
