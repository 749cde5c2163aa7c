// GLU gate entries (SPEC 2.3): GELU_t / SiLU of the gate times up, from split or merged
// buffers, to the input dtype or to scaled FP8.
#include "fused/fused.h"

#include "flash_rt/core/check.h"
#include "flash_rt/device/elementwise.cuh"
#include "flash_rt/fused/glu.cuh"

namespace flash_rt::fused {
namespace {

using device::Encoder;
using device::kDTypeOf;
using device::run_elementwise;
using device::Store;

// FP8 bytes are stored 8 per vector (8-byte accesses); 16-bit outputs 16 bytes.
template <typename OutT>
inline constexpr std::uintptr_t kOutVecAlign = sizeof(OutT) * 8;

// out = F(gate, up) over n elements of two separate buffers.
template <typename T, typename OutT, class F, Store S>
void split_glu(const char* entry, const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n,
               const TensorArg* d_scale, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("n", n);
  ck.vector("gate", gate, {kDTypeOf<T>}, n);
  ck.vector("up", up, {kDTypeOf<T>}, n);
  if constexpr (S == Store::kSame) ck.vector("out", out, {kDTypeOf<T>}, n);
  else ck.vector("out", out, kFp8Bytes, n);
  if constexpr (S != Store::kSame) ck.scale("d_scale", *d_scale);

  SplitGluOp<T, F, Encoder<OutT, S>> op{};
  op.in[0] = static_cast<const T*>(gate.data);
  op.in[1] = static_cast<const T*>(up.data);
  op.out = static_cast<OutT*>(out.data);
  if constexpr (S != Store::kSame) op.enc.d_scale = static_cast<const float*>(d_scale->data);
  const bool vec = all_aligned({gate.data, up.data}, 16) && all_aligned({out.data}, kOutVecAlign<OutT>);
  run_elementwise(ck, op, 1, n, vec, stream);
}

// out[s, h] = F(m[s, h], m[s, H + h]) over a merged [S, 2H] buffer.
template <typename T, typename OutT, class F, Store S>
void merged_glu(const char* entry, const char* rows_name, const char* half_name, const char* scale_name,
                const TensorArg& merged, const TensorArg& out, int seq, int half_dim, const TensorArg* d_scale,
                Stream stream) {
  ArgCheck ck(entry);
  ck.positive(rows_name, seq);
  ck.positive(half_name, half_dim);
  ck.rows("merged", merged, {kDTypeOf<T>}, seq, 2 * static_cast<int64_t>(half_dim));
  if constexpr (S == Store::kSame) ck.rows("out", out, {kDTypeOf<T>}, seq, half_dim);
  else ck.rows("out", out, kFp8Bytes, seq, half_dim);
  if constexpr (S != Store::kSame) ck.scale(scale_name, *d_scale);

  MergedGluOp<T, F, Encoder<OutT, S>> op{};
  op.merged = static_cast<const T*>(merged.data);
  op.out = static_cast<OutT*>(out.data);
  op.half_dim = half_dim;
  if constexpr (S != Store::kSame) op.enc.d_scale = static_cast<const float*>(d_scale->data);
  // The up half of every row starts H elements in: H % 8 == 0 keeps it (and every row) aligned.
  const bool vec = half_dim % 8 == 0 && all_aligned({merged.data}, 16) &&
                   all_aligned({out.data}, kOutVecAlign<OutT>);
  run_elementwise(ck, op, seq, half_dim, vec, stream);
}

}  // namespace

void gate_geglu(const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n, Stream stream) {
  split_glu<__nv_bfloat16, __nv_bfloat16, GegluSfuF, Store::kSame>("gate_geglu", gate, up, out, n, nullptr,
                                                                      stream);
}

void gate_geglu_fp16(const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n, Stream stream) {
  split_glu<__half, __half, GegluSfuF, Store::kSame>("gate_geglu_fp16", gate, up, out, n, nullptr, stream);
}

void gate_geglu_merged(const TensorArg& merged, const TensorArg& out, int seq, int half_dim, Stream stream) {
  merged_glu<__nv_bfloat16, __nv_bfloat16, GegluSfuF, Store::kSame>(
      "gate_geglu_merged", "seq", "half_dim", nullptr, merged, out, seq, half_dim, nullptr, stream);
}

void gate_geglu_merged_fp16(const TensorArg& merged, const TensorArg& out, int seq, int half_dim,
                            Stream stream) {
  merged_glu<__half, __half, GegluSfuF, Store::kSame>("gate_geglu_merged_fp16", "seq", "half_dim", nullptr,
                                                          merged, out, seq, half_dim, nullptr, stream);
}

void gate_geglu_merged_fp8(const TensorArg& merged, const TensorArg& out, int seq, int half_dim,
                           const TensorArg& d_scale, Stream stream) {
  merged_glu<__nv_bfloat16, uint8_t, GegluF<false>, Store::kFp8Scaled>(
      "gate_geglu_merged_fp8", "seq", "half_dim", "d_scale", merged, out, seq, half_dim, &d_scale, stream);
}

void gate_geglu_merged_fp8_fp16(const TensorArg& merged, const TensorArg& out, int seq, int half_dim,
                                const TensorArg& d_scale, Stream stream) {
  // The fast exp intrinsic and the 1e-12 scale floor, as the contract says for this entry.
  merged_glu<__half, uint8_t, GegluF<true>, Store::kFp8ScaledFloor>(
      "gate_geglu_merged_fp8_fp16", "seq", "half_dim", "d_scale", merged, out, seq, half_dim, &d_scale, stream);
}

void silu_mul_split_fp8_fp16(const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n,
                             const TensorArg& d_scale, Stream stream) {
  split_glu<__half, uint8_t, SwigluF, Store::kFp8Scaled>("silu_mul_split_fp8_fp16", gate, up, out, n, &d_scale,
                                                         stream);
}

void geglu_fp8_static_fp16(const TensorArg& merged, const TensorArg& out, int S, int H,
                           const TensorArg& descale, Stream stream) {
  // Accurate expf (unlike gate_geglu_merged_fp8_fp16), scale floored at 1e-12.
  merged_glu<__half, uint8_t, GegluF<false>, Store::kFp8ScaledFloor>("geglu_fp8_static_fp16", "S", "H",
                                                                     "descale", merged, out, S, H, &descale,
                                                                     stream);
}

}  // namespace flash_rt::fused
