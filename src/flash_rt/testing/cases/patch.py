"""Vision patch embedding (SPEC 2.7) as cases.

What S and D mean here:
  * patch_im2col: S = nv views (NHWC [S, 224, 224, 3] -> [S * 256, 588]); D is not used (the
    geometry is fixed by the contract; the benchmark shapes pass 588 for the record). Its size
    class counts the 256 * S patch rows it produces (tokens), as every other entry counts rows:
    32 and 256 views (8192 and 65536 rows) are bandwidth rows, 1 to 8 views inference rows.
  * patch_embed_bias_pos: output [S, D] in place (the patch GEMM's output, SigLIP D = 1152),
    bias [D], pos_emb [S_per_view, D] with S_per_view = min(S, 256) (256 patches per view).
"""

from __future__ import annotations

import torch

from ..ref import patch as R
from .base import Arg, Case

F16 = torch.float16


def _im2col_ref(input):  # the entry's argument name
    return R.patch_im2col(input)


def _bias_pos_ref(output, bias, pos_emb):
    return R.patch_embed_bias_pos(output, bias, pos_emb)


def _cases() -> list[Case]:
    c = [
        Case("patch_im2col",
             (Arg("input", "tensor", F16, shape_fn=lambda S, D: (S, R.IMAGE, R.IMAGE, R.CHANNELS)),
              Arg("output", "tensor", F16, output=True, shape_fn=lambda S, D: (S * R.PATCHES, R.FEATURES)),
              Arg("nv", "S")),
             _im2col_ref, bench_shapes=tuple((nv, R.FEATURES) for nv in (1, 3, 8, 32, 256)),
             quick_shapes=((1, R.FEATURES), (256, R.FEATURES)), tokens=lambda nv: nv * R.PATCHES),
        Case("patch_embed_bias_pos",
             (Arg("output", "rows", F16, inplace=True), Arg("bias", "vec", F16),
              Arg("pos_emb", "tensor", F16, shape_fn=lambda S, D: (min(S, R.PATCHES), D)),
              Arg("S", "S"), Arg("D", "D"), Arg("S_per_view", "int", value_fn=lambda S, D: min(S, R.PATCHES))),
             _bias_pos_ref, bench_shapes=tuple((s, 1152) for s in (256, 768, 4096, 16384))),
    ]
    for case in c:
        object.__setattr__(case, "group", "patch")
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(CASES) == 2, sorted(CASES)
