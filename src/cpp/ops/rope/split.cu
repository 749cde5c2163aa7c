// QKV split entries (SPEC 2.6.2): plain split, split + RoPE, split + RoPE + KV-cache writes.
#include <algorithm>

#include "flash_rt/rope/split_rope.cuh"
#include "rope/rope.h"
#include "utility/common.cuh"

namespace flash_rt::rope {
namespace {

using utility::cptr;
using utility::kDType;
using utility::mptr;

// Units per row of a segment of `width` elements for the chosen path (split_rope.cuh).
template <typename T>
Segment<T> segment(const T* src, int64_t src_stride, T* dst, int64_t dst_stride, int64_t width, bool rotated,
                   bool vec8) {
  Segment<T> g;
  g.src = src;
  g.dst = dst;
  g.src_stride = src_stride;
  g.dst_stride = dst_stride;
  g.units = vec8 ? width / 8 : rotated ? width / 2 : width;
  return g;
}

// The 16-byte path: every segment start (source and destination) aligned, every width a whole
// number of 8-element vectors, and with several rows every row stride too; with RoPE also the
// table (row stride head_dim).
template <typename T>
bool split_vec8(int64_t rows, std::initializer_list<const void*> ptrs, std::initializer_list<int64_t> widths,
                std::initializer_list<int64_t> strides, int head_dim) {
  if (!utility::vec16_ok(ptrs, widths, sizeof(T))) return false;
  if (head_dim % 8 != 0) return false;
  return rows == 1 || utility::vec16_ok({}, strides, sizeof(T));
}

template <typename T>
void run(const ArgCheck& ck, const SplitArgs<T>& a, bool vec8, Stream stream) {
  utility::ready(ck);
  launch_split_rope(a, vec8, as_stream(stream));
  check_launch(ck.entry());
}

// qkv_split / qkv_split_rope: Q, K, V dense; RoPE on Q and K when `rope` is given.
template <typename T>
void split(const char* entry, const TensorArg& qkv, const TensorArg* rope, const TensorArg& Q, const TensorArg& K,
           const TensorArg& V, int seq, int q_dim, int k_dim, int v_dim, int head_dim, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("seq", seq);
  ck.positive("q_dim", q_dim);
  ck.positive("k_dim", k_dim);
  ck.positive("v_dim", v_dim);
  if (rope) {
    ck.positive("head_dim", head_dim);
    utility::check_even(ck, "head_dim", head_dim, "RoPE rotates pairs of elements of each head");
    utility::check_heads(ck, "q_dim", q_dim, "head_dim", head_dim, "whole query heads");
    utility::check_heads(ck, "k_dim", k_dim, "head_dim", head_dim, "whole KV heads: k_dim / head_dim KV heads");
  }
  const int64_t width = int64_t{q_dim} + k_dim + v_dim;
  ck.rows("qkv", qkv, {kDType<T>}, seq, width);
  if (rope) ck.rows("rope_weights", *rope, {kDType<T>}, seq, head_dim);
  ck.rows("Q", Q, {kDType<T>}, seq, q_dim);
  ck.rows("K", K, {kDType<T>}, seq, k_dim);
  ck.rows("V", V, {kDType<T>}, seq, v_dim);

  const T* in = cptr<T>(qkv);
  const bool vec8 = split_vec8<T>(seq, {in, in + q_dim, in + q_dim + k_dim, Q.data, K.data, V.data,
                                        rope ? rope->data : nullptr},
                                  {q_dim, k_dim, v_dim}, {width}, rope ? head_dim : 8);
  SplitArgs<T> a;
  a.seg[0] = segment<T>(in, width, mptr<T>(Q), q_dim, q_dim, rope != nullptr, vec8);
  a.seg[1] = segment<T>(in + q_dim, width, mptr<T>(K), k_dim, k_dim, rope != nullptr, vec8);
  a.seg[2] = segment<T>(in + q_dim + k_dim, width, mptr<T>(V), v_dim, v_dim, false, vec8);
  a.rope = rope ? cptr<T>(*rope) : nullptr;
  a.rows = seq;
  a.head_dim = rope ? head_dim : 0;
  a.rotated = rope ? 2 : 0;
  run(ck, a, vec8, stream);
}

}  // namespace

void qkv_split(const TensorArg& qkv, const TensorArg& Q, const TensorArg& K, const TensorArg& V, int seq, int q_dim,
               int k_dim, int v_dim, Stream stream) {
  split<__nv_bfloat16>("qkv_split", qkv, nullptr, Q, K, V, seq, q_dim, k_dim, v_dim, 0, stream);
}

void qkv_split_fp16(const TensorArg& qkv, const TensorArg& Q, const TensorArg& K, const TensorArg& V, int seq,
                    int q_dim, int k_dim, int v_dim, Stream stream) {
  split<__half>("qkv_split_fp16", qkv, nullptr, Q, K, V, seq, q_dim, k_dim, v_dim, 0, stream);
}

void qkv_split_rope(const TensorArg& qkv, const TensorArg& rope_weights, const TensorArg& Q, const TensorArg& K,
                    const TensorArg& V, int seq, int q_dim, int k_dim, int v_dim, int head_dim, Stream stream) {
  split<__nv_bfloat16>("qkv_split_rope", qkv, &rope_weights, Q, K, V, seq, q_dim, k_dim, v_dim, head_dim, stream);
}

void qkv_split_rope_kvcache_fp16(const TensorArg& qkv, const TensorArg& rope, const TensorArg& Q,
                                 const TensorArg& Kc, const TensorArg& Vc, int S, int Q_dim, int K_dim, int HD,
                                 int qkv_stride, int64_t kc_offset, int64_t kc_stride, Stream stream) {
  using T = __half;
  ArgCheck ck("qkv_split_rope_kvcache_fp16");
  ck.positive("S", S);
  ck.positive("Q_dim", Q_dim);
  ck.positive("K_dim", K_dim);
  ck.positive("HD", HD);
  ck.positive("qkv_stride", qkv_stride);
  utility::check_even(ck, "HD", HD, "RoPE rotates pairs of elements of each head");
  utility::check_heads(ck, "Q_dim", Q_dim, "HD", HD, "whole query heads");
  utility::check_heads(ck, "K_dim", K_dim, "HD", HD, "whole KV heads: K_dim / HD KV heads");
  const int64_t v_dim = int64_t{qkv_stride} - Q_dim - K_dim;  // implied V width
  if (v_dim <= 0)
    throw_error(ErrorKind::kValue, ck.entry(), ": 'qkv_stride' expected more than Q_dim + K_dim = ",
                int64_t{Q_dim} + K_dim, " (the V width is qkv_stride - Q_dim - K_dim), got ", qkv_stride);
  ck.non_negative("kc_offset", kc_offset);
  ck.non_negative("kc_stride", kc_stride);
  const int64_t widest = std::max<int64_t>(K_dim, v_dim);
  if (S > 1 && kc_stride < widest)
    throw_error(ErrorKind::kValue, ck.entry(), ": 'kc_stride' expected >= max(K_dim, V width) = ", widest,
                " when S > 1 (cache rows must not overlap), got ", kc_stride);
  const int64_t last_row = utility::span_end(ck, "kc_offset", kc_offset, S - 1, kc_stride);
  const int64_t k_need = utility::span_end(ck, "kc_offset", last_row, 1, K_dim);
  const int64_t v_need = utility::span_end(ck, "kc_offset", last_row, 1, v_dim);
  ck.rows("qkv", qkv, {DType::kF16}, S, qkv_stride);
  ck.rows("rope", rope, {DType::kF16}, S, HD);
  ck.rows("Q", Q, {DType::kF16}, S, Q_dim);
  utility::check_span(ck, "Kc", Kc, {DType::kF16}, k_need, "kc_offset + (S - 1) * kc_stride + K_dim");
  utility::check_span(ck, "Vc", Vc, {DType::kF16}, v_need, "kc_offset + (S - 1) * kc_stride + V width");

  const T* in = cptr<T>(qkv);
  T* kc = mptr<T>(Kc) + kc_offset;
  T* vc = mptr<T>(Vc) + kc_offset;
  const bool vec8 = split_vec8<T>(S, {in, in + Q_dim, in + Q_dim + K_dim, Q.data, kc, vc, rope.data},
                                  {Q_dim, K_dim, v_dim}, {qkv_stride, kc_stride}, HD);
  SplitArgs<T> a;
  a.seg[0] = segment<T>(in, qkv_stride, mptr<T>(Q), Q_dim, Q_dim, true, vec8);
  a.seg[1] = segment<T>(in + Q_dim, qkv_stride, kc, kc_stride, K_dim, true, vec8);
  a.seg[2] = segment<T>(in + Q_dim + K_dim, qkv_stride, vc, kc_stride, v_dim, false, vec8);
  a.rope = cptr<T>(rope);
  a.rows = S;
  a.head_dim = HD;
  a.rotated = 2;
  run(ck, a, vec8, stream);
}

}  // namespace flash_rt::rope
