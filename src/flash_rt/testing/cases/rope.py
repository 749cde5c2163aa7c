"""RoPE / QKV split / KV-cache writes (SPEC 2.6.2) and gpu_fill_neginf_* (SPEC 2.6) as cases.

What S and D mean here (the geometry of the benchmark peer "qkv split + RoPE, 8 q / 1 kv
heads, HD 256", BENCH.md, which is Pi0's attention layout):
  * qkv_split, qkv_split_fp16, qkv_split_rope: S = seq rows, D = head_dim; 8 query heads and
    1 KV head: q_dim = 8 D, k_dim = v_dim = D, qkv [S, 10 D].
  * qkv_split_rope_kvcache_fp16: the same, qkv_stride = 10 D, caches Kc, Vc exactly [S, D]
    (kc_offset 0, kc_stride D), so every cache element is written once. Offsets, gaps, several
    KV heads and odd V widths are covered in tests/rope.
  * rope_apply: S = seq_len, D = head_dim, Q [S, 8 D] (= [S, 8, D]), K [S, D].
  * rope_rotate_half_fp16: S rows, D = HD, x [S, 8 D] (= [S, 8, D]).
  * gpu_fill_neginf_*: n = S * D elements (logits [S, D]).
RoPE tables hold real (cos, sin) values of positions 37 .. 37 + S - 1 (a decode-style offset).
Every tensor is [S, k D] (kind "rows"), so benchmarks can extend it past the rows they make.
"""

from __future__ import annotations

import torch

from ..ref import rope as R
from .base import Arg, Case

F16, BF16 = torch.float16, torch.bfloat16
Q_HEADS, KV_HEADS = 8, 1
START = 37  # first position baked into the tables

S_ = Arg("seq", "S")
BENCH = tuple((s, 256) for s in (1, 16, 64, 256, 1024, 4096, 16384))


def _int(name, fn):
    return Arg(name, "int", value_fn=fn)


def _rows(name, dtype, width=1, **kw):
    """[S, width * D]: kind "rows", so the benchmark can extend it past its 1024 made rows."""
    return Arg(name, "rows", dtype, width=width, **kw)


def _table(dtype):
    def init(shape, gen):
        return R.rope_table(shape[0], shape[1], dtype, start=START)
    return init


def _half_table(which, dtype):
    def init(shape, gen):
        return R.rotate_half_tables(shape[0], shape[1], dtype, start=START)[which]
    return init


def _qkv(dtype, name="qkv"):
    return _rows(name, dtype, Q_HEADS + 2 * KV_HEADS)


def _qkv_out(dtype):
    return (_rows("Q", dtype, Q_HEADS, output=True), _rows("K", dtype, KV_HEADS, output=True),
            _rows("V", dtype, KV_HEADS, output=True))


def _dims(qkv: torch.Tensor):
    D = qkv.shape[-1] // (Q_HEADS + 2 * KV_HEADS)
    return Q_HEADS * D, KV_HEADS * D, KV_HEADS * D, D


def _split_ref(qkv):
    q, k, v, _ = _dims(qkv)
    return R.qkv_split(qkv, q, k, v)


def _split_rope_ref(qkv, rope_weights):
    q, k, v, hd = _dims(qkv)
    return R.qkv_split_rope(qkv, rope_weights, q, k, v, hd)


def _kvcache_ref(qkv, rope):
    q, k, v, hd = _dims(qkv)
    return R.qkv_split_rope(qkv, rope, q, k, v, hd)


def _rope_apply_ref(rope_weights, Q, K):
    return R.rope_apply(rope_weights, Q, K, rope_weights.shape[-1])


def _rotate_half_ref(x, cos_table, sin_table):
    return R.rope_rotate_half(x, cos_table, sin_table, Q_HEADS, cos_table.shape[-1])


def _fill_ref_dst(dst):
    return R.fill_neginf(dst)


def _fill_ref_x(x):
    return R.fill_neginf(x)


def _cases() -> list[Case]:
    dims = (_int("q_dim", lambda S, D: Q_HEADS * D), _int("k_dim", lambda S, D: KV_HEADS * D),
            _int("v_dim", lambda S, D: KV_HEADS * D))
    c: list[Case] = []
    for name, dt in (("qkv_split", BF16), ("qkv_split_fp16", F16)):
        c.append(Case(name, (_qkv(dt), *_qkv_out(dt), S_, *dims), _split_ref, bench_shapes=BENCH))
    c.append(Case("qkv_split_rope",
                  (_qkv(BF16), _rows("rope_weights", BF16, init=_table(BF16)), *_qkv_out(BF16),
                   S_, *dims, Arg("head_dim", "D")),
                  _split_rope_ref, bench_shapes=BENCH))
    c.append(Case("qkv_split_rope_kvcache_fp16",
                  (_qkv(F16), _rows("rope", F16, init=_table(F16)), _rows("Q", F16, Q_HEADS, output=True),
                   _rows("Kc", F16, KV_HEADS, output=True), _rows("Vc", F16, KV_HEADS, output=True),
                   Arg("S", "S"), _int("Q_dim", lambda S, D: Q_HEADS * D), _int("K_dim", lambda S, D: KV_HEADS * D),
                   Arg("HD", "D"), _int("qkv_stride", lambda S, D: (Q_HEADS + 2 * KV_HEADS) * D),
                   _int("kc_offset", lambda S, D: 0), _int("kc_stride", lambda S, D: KV_HEADS * D)),
                  _kvcache_ref, bench_shapes=BENCH))
    c.append(Case("rope_apply",
                  (_rows("rope_weights", BF16, init=_table(BF16)), _rows("Q", BF16, Q_HEADS, inplace=True),
                   _rows("K", BF16, inplace=True),
                   Arg("seq_len", "S"), _int("num_heads", lambda S, D: Q_HEADS), Arg("head_dim", "D")),
                  _rope_apply_ref, bench_shapes=BENCH))
    c.append(Case("rope_rotate_half_fp16",
                  (_rows("x", F16, Q_HEADS, inplace=True), _rows("cos_table", F16, init=_half_table(0, F16)),
                   _rows("sin_table", F16, init=_half_table(1, F16)),
                   Arg("S", "S"), _int("NH", lambda S, D: Q_HEADS), Arg("HD", "D")),
                  _rotate_half_ref, bench_shapes=BENCH))
    # The reference reads only the output's shape and dtype.
    for name, out, dt, ref in (("gpu_fill_neginf_fp16", "dst", F16, _fill_ref_dst),
                               ("gpu_fill_neginf_bf16", "x", BF16, _fill_ref_x)):
        c.append(Case(name, (Arg(out, "rows", dt, output=True), _int("n", lambda S, D: S * D)), ref,
                      inputs_for_ref=(out,)))
    for case in c:
        object.__setattr__(case, "group", "rope")
    return c


CASES: dict[str, Case] = {case.name: case for case in _cases()}
assert len(CASES) == 8, sorted(CASES)
