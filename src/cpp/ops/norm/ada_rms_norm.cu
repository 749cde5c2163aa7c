// AdaRMS entries (SPEC 2.1): RMS statistics, per-row style [S, 3D] = [scale | shift | gate],
// the gate chunk copied to gate_out.
#include "norm/norm.h"

#include "norm/dtypes.cuh"
#include "norm/launch.cuh"

namespace flash_rt::norm {
namespace {

template <typename T, Affine A, Out O>
void ada_rms(const ArgCheck& ck, const char* rows_name, const char* dim_name, const TensorArg& x,
             const TensorArg* weight, const TensorArg& style, const TensorArg& out,
             const TensorArg& gate_out, int seq_len, int dim, float eps, const TensorArg* d_scale,
             Stream stream) {
  ck.positive(rows_name, seq_len);
  ck.positive(dim_name, dim);
  ck.finite_non_negative("eps", eps);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  if (weight) ck.vector("weight", *weight, {kDType<T>}, dim);
  ck.rows("style", style, {kDType<T>}, seq_len, 3 * static_cast<int64_t>(dim));
  if constexpr (O == Out::kSame) ck.rows("out", out, {kDType<T>}, seq_len, dim);
  else ck.rows("out", out, kFp8Bytes, seq_len, dim);
  ck.rows("gate_out", gate_out, {kDType<T>}, seq_len, dim);
  if (d_scale) ck.scale("d_scale", *d_scale);

  NormArgs<T> a;
  a.x = cptr<T>(x);
  a.out = out.data;
  a.weight = weight ? cptr<T>(*weight) : nullptr;
  a.style = cptr<T>(style);
  a.gate_out = static_cast<T*>(gate_out.data);
  a.d_scale = d_scale ? static_cast<const float*>(d_scale->data) : nullptr;
  a.rows = seq_len;
  a.dim = dim;
  a.eps = eps;
  const bool fp8 = O != Out::kSame;
  const bool vec = fp8 ? vec8_ok(dim, {x.data, a.weight, style.data, gate_out.data}, {out.data})
                       : vec8_ok(dim, {x.data, a.weight, style.data, gate_out.data, out.data}, {});
  run_norm<NormSpec<T, Stat::kRms, A, Modulate::kRowStyle, O>>(ck, a, vec, stream);
}

}  // namespace

void ada_rms_norm_style(const TensorArg& x, const TensorArg& weight, const TensorArg& style,
                        const TensorArg& out, const TensorArg& gate_out, int seq_len, int dim, float eps,
                        Stream stream) {
  ada_rms<__nv_bfloat16, Affine::kWeight, Out::kSame>(ArgCheck("ada_rms_norm_style"), "seq_len", "dim", x,
                                                      &weight, style, out, gate_out, seq_len, dim, eps,
                                                      nullptr, stream);
}

void ada_rms_norm_style_fp8(const TensorArg& x, const TensorArg& weight, const TensorArg& style,
                            const TensorArg& out, const TensorArg& gate_out, int seq_len, int dim,
                            float eps, const TensorArg& d_scale, Stream stream) {
  ada_rms<__nv_bfloat16, Affine::kWeight, Out::kFp8Scaled>(ArgCheck("ada_rms_norm_style_fp8"), "seq_len",
                                                           "dim", x, &weight, style, out, gate_out, seq_len,
                                                           dim, eps, &d_scale, stream);
}

void adarms_fp16(const TensorArg& x, const TensorArg& style, const TensorArg& out,
                 const TensorArg& gate_out, int S, int D, Stream stream) {
  // No weight and a fixed eps of 1e-6, as the contract says.
  ada_rms<__half, Affine::kNone, Out::kSame>(ArgCheck("adarms_fp16"), "S", "D", x, nullptr, style, out,
                                             gate_out, S, D, 1e-6f, nullptr, stream);
}

}  // namespace flash_rt::norm
