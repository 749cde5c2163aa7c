"""References for the rope group (SPEC 2.6.2, and the -inf fills of SPEC 2.6).

Inputs in their storage dtype; math in float32 with each product and sum rounded to float32 as
torch eager computes them (the kernels use the same non-contracted operations, so the float32
values agree bit for bit); one final rounding to the storage dtype.

Interleaved-pair RoPE: table rope[S, HD], rope[s, 2p] = cos, rope[s, 2p + 1] = sin, indexed by
the local row s; every head (of Q and of each KV head of K) rotates its adjacent pairs
(a, b) -> (a cos - b sin, b cos + a sin) with the pair index taken within the head.
Rotate-half RoPE: pairs (d, d + HD/2), cos/sin tables [S, HD] of which the first HD/2 columns
are read.
"""

from __future__ import annotations

import torch


def _f(t: torch.Tensor) -> torch.Tensor:
    return t.float()


# ---- tables --------------------------------------------------------------------------------

def rope_angles(S: int, head_dim: int, start: int = 0, base: float = 10000.0) -> torch.Tensor:
    """[S, HD/2] angles pos * theta_p, pos = start + s, theta_p = base^(-2p/HD) (FlashRT's choice)."""
    p = torch.arange(head_dim // 2, dtype=torch.float64)
    theta = base ** (-2.0 * p / head_dim)
    pos = torch.arange(start, start + S, dtype=torch.float64)
    return pos[:, None] * theta[None, :]


def rope_table(S: int, head_dim: int, dtype: torch.dtype, start: int = 0) -> torch.Tensor:
    """Interleaved (cos, sin) table [S, HD] for positions start .. start + S - 1 (CPU)."""
    a = rope_angles(S, head_dim, start)
    return torch.stack((a.cos(), a.sin()), dim=-1).reshape(S, head_dim).to(dtype)


def rotate_half_tables(S: int, head_dim: int, dtype: torch.dtype, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """HF's cos/sin tables [S, HD] = cat(freqs, freqs) (CPU)."""
    a = rope_angles(S, head_dim, start)
    a = torch.cat((a, a), dim=-1)
    return a.cos().to(dtype), a.sin().to(dtype)


# ---- RoPE ----------------------------------------------------------------------------------

def rope_interleaved(x: torch.Tensor, table: torch.Tensor, head_dim: int) -> torch.Tensor:
    """x [S, W] or [S, NH, HD] (W a multiple of head_dim) rotated per head with table [S, head_dim]."""
    S = x.shape[0]
    W = x.numel() // S if S else 0
    xf = _f(x).reshape(S, W // head_dim, head_dim // 2, 2)
    t = _f(table).reshape(S, 1, head_dim // 2, 2)
    a, b = xf[..., 0], xf[..., 1]
    c, s = t[..., 0], t[..., 1]
    out = torch.stack((a * c - b * s, b * c + a * s), dim=-1)
    return out.reshape(x.shape).to(x.dtype)


def rope_rotate_half(x: torch.Tensor, cos_table: torch.Tensor, sin_table: torch.Tensor, num_heads: int,
                     head_dim: int) -> torch.Tensor:
    """x [S, NH * HD] (or [S, NH, HD]) with split-halves pairs; tables [S, HD], first HD/2 columns."""
    S, half = x.shape[0], head_dim // 2
    xf = _f(x).reshape(S, num_heads, head_dim)
    c = _f(cos_table).reshape(S, 1, head_dim)[..., :half]
    s = _f(sin_table).reshape(S, 1, head_dim)[..., :half]
    lo, hi = xf[..., :half], xf[..., half:]
    out = torch.cat((lo * c - hi * s, hi * c + lo * s), dim=-1)
    return out.reshape(x.shape).to(x.dtype)


# ---- entries -------------------------------------------------------------------------------

def qkv_split(qkv: torch.Tensor, q_dim: int, k_dim: int, v_dim: int):
    assert qkv.shape[-1] == q_dim + k_dim + v_dim
    # clone, not contiguous(): one row's slices are already contiguous, and the reference must
    # produce three new buffers at every S, as the entry does (a view cost torch nothing at S = 1
    # in the benchmark).
    return (qkv[:, :q_dim].clone(memory_format=torch.contiguous_format),
            qkv[:, q_dim:q_dim + k_dim].clone(memory_format=torch.contiguous_format),
            qkv[:, q_dim + k_dim:].clone(memory_format=torch.contiguous_format))


def qkv_split_rope(qkv: torch.Tensor, rope_weights: torch.Tensor, q_dim: int, k_dim: int, v_dim: int, head_dim: int):
    """Q and every KV head of K rotated (pair index within the head), V copied."""
    q, k, v = qkv_split(qkv, q_dim, k_dim, v_dim)
    return rope_interleaved(q, rope_weights, head_dim), rope_interleaved(k, rope_weights, head_dim), v


def qkv_split_rope_kvcache(qkv: torch.Tensor, rope: torch.Tensor, Kc: torch.Tensor, Vc: torch.Tensor, Q_dim: int,
                           K_dim: int, HD: int, kc_offset: int, kc_stride: int):
    """(Q, Kc', Vc'): Q [S, Q_dim]; copies of the caches with row s written at
    kc_offset + s * kc_stride (K: K_dim columns, V: qkv_stride - Q_dim - K_dim columns); every
    other cache element kept (bit for bit)."""
    S, stride = qkv.shape[0], qkv.shape[-1]
    v_dim = stride - Q_dim - K_dim
    q, k, v = qkv_split_rope(qkv, rope, Q_dim, K_dim, v_dim, HD)
    kc, vc = Kc.clone().reshape(-1), Vc.clone().reshape(-1)
    rows = kc_offset + kc_stride * torch.arange(S, device=qkv.device)
    kc[(rows[:, None] + torch.arange(K_dim, device=qkv.device)).reshape(-1)] = k.reshape(-1)
    vc[(rows[:, None] + torch.arange(v_dim, device=qkv.device)).reshape(-1)] = v.reshape(-1)
    return q, kc.reshape(Kc.shape), vc.reshape(Vc.shape)


def rope_apply(rope_weights: torch.Tensor, Q: torch.Tensor, K: torch.Tensor, head_dim: int):
    """(Q', K'): Q [S, NH, HD] per head, K [S, HD] (one KV head)."""
    return rope_interleaved(Q, rope_weights, head_dim), rope_interleaved(K, rope_weights, head_dim)


def fill_neginf(like: torch.Tensor) -> torch.Tensor:
    """RN_dtype(-1e30): -inf in fp16, a finite ~-1e30 in bf16."""
    return torch.full(like.shape, -1e30, dtype=torch.float32, device=like.device).to(like.dtype)
