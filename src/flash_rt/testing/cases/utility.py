"""Memory / utility entries (SPEC 2.8) as cases.

What S and D mean here:
  * add_bias_fp16 / _bf16: x [S, D] in place, b [D].
  * gpu_cast_fp32_to_fp16, cast_fp16_to_bf16, cast_bf16_to_fp16: n = S * D elements ([S, D]).
  * gpu_copy: fp16 [S, D] buffers, nbytes = 2 S D.
  * gpu_strided_copy_fp16: the K chunk of an interleaved [S, 3 D] QKV buffer (SigLIP):
    rows = S, dst_cols = D, src_stride = 3 D, col_offset = D.
  * gpu_repeat_interleave_heads: GQA expansion of one KV head to 8 (Pi0): src [S, D]
    (= [S, 1, D]), dst [S, 8 D] (= [S, 8, D]), HD = D.
  * gpu_euler_step: T = S, action_dim = D, dt = -0.1, velocity [S, D] from offset 0 (element
    offsets into a longer velocity buffer are covered in tests/utility).
Every tensor is [S, k D] (kind "rows"), so benchmarks can extend it past the rows they make.
"""

from __future__ import annotations

import torch

from ..ref import utility as R
from .base import Arg, Case

F16, BF16, F32 = torch.float16, torch.bfloat16, torch.float32
REPEAT = 8
DT = -0.1


def _int(name, fn):
    return Arg(name, "int", value_fn=fn)


def _add_bias_ref(x, b):
    return R.add_bias(x, b)


def _to_f16(src):
    return R.cast(src, F16)


def _to_f16_in(**kw):
    return R.cast(kw["in"], F16)


def _to_bf16_in(**kw):
    return R.cast(kw["in"], BF16)


def _copy_ref(src):
    return R.copy(src)


def _strided_ref(src):
    S, D = src.shape[0], src.shape[1] // 3
    return R.strided_copy(src, S, D, 3 * D, D)


def _repeat_ref(src):
    return R.repeat_interleave_heads(src, 1, src.shape[-1], REPEAT)


def _euler_ref(actions, velocity):
    return R.euler_step(actions, velocity, DT, 0)


def _cases() -> list[Case]:
    S_, D_ = Arg("S", "S"), Arg("D", "D")
    n_ = _int("n", lambda S, D: S * D)
    c: list[Case] = []
    for name, dt in (("add_bias_fp16", F16), ("add_bias_bf16", BF16)):
        c.append(Case(name, (Arg("x", "rows", dt, inplace=True), Arg("b", "vec", dt), S_, D_), _add_bias_ref))
    c.append(Case("gpu_cast_fp32_to_fp16", (Arg("src", "rows", F32), Arg("dst", "rows", F16, output=True), n_),
                  _to_f16))
    c.append(Case("cast_fp16_to_bf16", (Arg("in", "rows", F16), Arg("out", "rows", BF16, output=True), n_),
                  _to_bf16_in))
    c.append(Case("cast_bf16_to_fp16", (Arg("in", "rows", BF16), Arg("out", "rows", F16, output=True), n_),
                  _to_f16_in))
    c.append(Case("gpu_copy", (Arg("dst", "rows", F16, output=True), Arg("src", "rows", F16),
                               _int("nbytes", lambda S, D: 2 * S * D)), _copy_ref))
    c.append(Case("gpu_strided_copy_fp16",
                  (Arg("src", "rows", F16, width=3), Arg("dst", "rows", F16, output=True), Arg("rows", "S"),
                   Arg("dst_cols", "D"), _int("src_stride", lambda S, D: 3 * D), _int("col_offset", lambda S, D: D)),
                  _strided_ref))
    c.append(Case("gpu_repeat_interleave_heads",
                  (Arg("src", "rows", F16), Arg("dst", "rows", F16, width=REPEAT, output=True),
                   S_, _int("NH_src", lambda S, D: 1), Arg("HD", "D"), _int("repeat", lambda S, D: REPEAT)),
                  _repeat_ref, bench_shapes=tuple((s, 256) for s in (1, 16, 64, 256, 1024, 4096, 16384))))
    c.append(Case("gpu_euler_step",
                  (Arg("actions", "rows", F32, inplace=True), Arg("velocity", "rows", F16),
                   Arg("T", "S"), Arg("action_dim", "D"), Arg("dt", "float", value_fn=lambda S, D: DT),
                   _int("vel_elem_offset", lambda S, D: 0)),
                  _euler_ref, bench_shapes=((16, 32), (50, 32), (1, 2048), (256, 2048), (4096, 2048),
                                            (16384, 4096))))
    for case in c:
        object.__setattr__(case, "group", "utility")
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(CASES) == 9, sorted(CASES)
