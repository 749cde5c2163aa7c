// In-place RoPE entries (SPEC 2.6.2): interleaved pairs (rope_apply) and split halves
// (rope_rotate_half_fp16).
#include "flash_rt/rope/rotate_half.cuh"
#include "flash_rt/rope/split_rope.cuh"
#include "rope/rope.h"
#include "utility/common.cuh"

namespace flash_rt::rope {

void rope_apply(const TensorArg& rope_weights, const TensorArg& Q, const TensorArg& K, int seq_len, int num_heads,
                int head_dim, Stream stream) {
  using T = __nv_bfloat16;
  constexpr DType kBF16 = DType::kBF16;
  ArgCheck ck("rope_apply");
  ck.positive("seq_len", seq_len);
  ck.positive("num_heads", num_heads);
  ck.positive("head_dim", head_dim);
  utility::check_even(ck, "head_dim", head_dim, "RoPE rotates pairs of elements of each head");
  const int64_t q_width = int64_t{num_heads} * head_dim;
  const int64_t k_numel = int64_t{seq_len} * head_dim;
  ck.rows("rope_weights", rope_weights, {kBF16}, seq_len, head_dim);
  ck.rows("Q", Q, {kBF16}, seq_len, q_width);
  // K is one KV head by contract. A K of several heads is the likely mistake: say so.
  if (K.is_tensor() && K.dtype == kBF16 && K.numel() != k_numel && K.numel() % k_numel == 0)
    throw_error(ErrorKind::kValue, ck.entry(), ": 'K' expected ", k_numel, " elements, got shape ",
                utility::shape_of(K), " (", K.numel(), " elements): K is exactly one KV head [seq_len, head_dim]; ",
                "for k KV heads pass K as Q with num_heads = k, or use qkv_split_rope");
  ck.rows("K", K, {kBF16}, seq_len, head_dim);

  T* q = utility::mptr<T>(Q);
  T* k = utility::mptr<T>(K);
  const bool vec8 = head_dim % 8 == 0 && all_aligned({q, k, rope_weights.data}, 16);
  SplitArgs<T> a;
  a.seg[0].src = q;
  a.seg[0].dst = q;
  a.seg[0].src_stride = a.seg[0].dst_stride = q_width;
  a.seg[0].units = vec8 ? q_width / 8 : q_width / 2;
  a.seg[1].src = k;
  a.seg[1].dst = k;
  a.seg[1].src_stride = a.seg[1].dst_stride = head_dim;
  a.seg[1].units = vec8 ? head_dim / 8 : head_dim / 2;
  a.rope = utility::cptr<T>(rope_weights);
  a.rows = seq_len;
  a.head_dim = head_dim;
  a.rotated = 2;
  utility::ready(ck);
  launch_split_rope(a, vec8, as_stream(stream));
  check_launch(ck.entry());
}

void rope_rotate_half_fp16(const TensorArg& x, const TensorArg& cos_table, const TensorArg& sin_table, int S, int NH,
                           int HD, Stream stream) {
  using T = __half;
  constexpr DType kF16 = DType::kF16;
  ArgCheck ck("rope_rotate_half_fp16");
  ck.positive("S", S);
  ck.positive("NH", NH);
  ck.positive("HD", HD);
  utility::check_even(ck, "HD", HD, "rotate-half pairs element d with d + HD/2");
  ck.rows("x", x, {kF16}, S, int64_t{NH} * HD);
  ck.rows("cos_table", cos_table, {kF16}, S, HD);
  ck.rows("sin_table", sin_table, {kF16}, S, HD);

  // 16-byte path: whole 8-element vectors in each half (HD/2 % 8 == 0), aligned bases.
  const bool vec8 = (HD / 2) % 8 == 0 && all_aligned({x.data, cos_table.data, sin_table.data}, 16);
  utility::ready(ck);
  launch_rotate_half<T>(utility::mptr<T>(x), utility::cptr<T>(cos_table), utility::cptr<T>(sin_table), S, NH, HD,
                        vec8, utility::sm_count(ck), as_stream(stream));
  check_launch(ck.entry());
}

}  // namespace flash_rt::rope
