// RoPE / QKV split / KV-cache writes (SPEC 2.6.2) and the -inf fills (SPEC 2.6): the C++ API
// behind flash_rt_kernels' rope group.
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor). Layouts are
// dense row-major; sizes are element counts. All math in fp32 with one final RN rounding.
//
// Interleaved-pair RoPE (rope_apply, qkv_split_rope, qkv_split_rope_kvcache_fp16):
//   table rope[S, HD] of the data dtype, rope[s, 2p] = cos(pos_s theta_p), rope[s, 2p+1] =
//   sin(pos_s theta_p), indexed by the LOCAL row s (absolute positions are baked into the
//   table). Each head's adjacent pairs rotate: (a, b) -> (a cos - b sin, b cos + a sin), with
//   the pair index p taken within the head, for Q and for every KV head of K (GQA: any number
//   of KV heads; the original was only right for one). a cos, b sin, ... are each rounded to
//   fp32 and subtracted/added (no FMA), as an fp32 reference computes them.
// Split-halves RoPE (rope_rotate_half_fp16): pairs (d, d + HD/2), separate cos/sin tables of row
//   stride HD of which the first HD/2 columns are read.
// head_dim must be even; Q and K widths whole numbers of heads. Odd widths elsewhere, any
// alignment: handled (16-byte accesses where every base, stride and width allows, else
// element accesses). Outputs of the split entries must not overlap qkv (rope_apply and
// rope_rotate_half_fp16 work in place by design). Validation happens before any launch; errors
// are flash_rt::Error.
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::rope {

using Stream = std::uintptr_t;

// Q = qkv[:, :q_dim], K = qkv[:, q_dim : q_dim + k_dim], V = qkv[:, q_dim + k_dim :] (copies).
// qkv: [seq, q_dim + k_dim + v_dim], Q: [seq, q_dim], K: [seq, k_dim], V: [seq, v_dim]   bf16
void qkv_split(const TensorArg& qkv, const TensorArg& Q, const TensorArg& K, const TensorArg& V, int seq,
               int q_dim, int k_dim, int v_dim, Stream stream);
// same, fp16
void qkv_split_fp16(const TensorArg& qkv, const TensorArg& Q, const TensorArg& K, const TensorArg& V, int seq,
                    int q_dim, int k_dim, int v_dim, Stream stream);
// Split with RoPE on every head of Q (q_dim / head_dim heads) and of K (k_dim / head_dim KV
// heads); V copied. rope_weights: [seq, head_dim]                                        bf16
void qkv_split_rope(const TensorArg& qkv, const TensorArg& rope_weights, const TensorArg& Q, const TensorArg& K,
                    const TensorArg& V, int seq, int q_dim, int k_dim, int v_dim, int head_dim, Stream stream);
// Row s of qkv = qkv[s * qkv_stride ...]: Q cols [0, Q_dim), K [Q_dim, Q_dim + K_dim), V the
// rest (V_dim = qkv_stride - Q_dim - K_dim > 0). Q: dense [S, Q_dim] with RoPE;
// Kc[kc_offset + s * kc_stride + c] = RoPE(K)[s, c] (c < K_dim); Vc[kc_offset + s * kc_stride + c]
// = V[s, c] (c < V_dim). Offsets and strides in elements; with S > 1, kc_stride must be at least
// max(K_dim, V_dim) (rows must not overlap). Cache tensors: any dense shape with at least
// kc_offset + (S - 1) * kc_stride + width elements.                                        fp16
void qkv_split_rope_kvcache_fp16(const TensorArg& qkv, const TensorArg& rope, const TensorArg& Q,
                                 const TensorArg& Kc, const TensorArg& Vc, int S, int Q_dim, int K_dim, int HD,
                                 int qkv_stride, int64_t kc_offset, int64_t kc_stride, Stream stream);
// In place: Q [seq_len, num_heads, head_dim] rotated per head; K [seq_len, head_dim]: exactly
// one KV head (the contract's signature; a multi-head K is rejected with a hint).          bf16
void rope_apply(const TensorArg& rope_weights, const TensorArg& Q, const TensorArg& K, int seq_len, int num_heads,
                int head_dim, Stream stream);
// In place on x [S, NH, HD], split-halves convention; cos_table, sin_table: [S, HD].       fp16
void rope_rotate_half_fp16(const TensorArg& x, const TensorArg& cos_table, const TensorArg& sin_table, int S,
                           int NH, int HD, Stream stream);

// dst[i] = RN16(-1e30) = -inf, i < n                                                        fp16
void gpu_fill_neginf_fp16(const TensorArg& dst, int64_t n, Stream stream);
// x[i] = RNbf(-1e30): a finite ~-1.0e30 (bf16 has the range), not -inf                     bf16
void gpu_fill_neginf_bf16(const TensorArg& x, int64_t n, Stream stream);

}  // namespace flash_rt::rope
