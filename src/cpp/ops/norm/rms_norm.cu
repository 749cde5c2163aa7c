// RMSNorm entries (SPEC 2.1): weighted (16-bit or FP8 out) and the no-weight FP8 pair.
#include "norm/norm.h"

#include "norm/dtypes.cuh"
#include "norm/launch.cuh"

namespace flash_rt::norm {
namespace {

// out = x * rstd * w  (T out), or E4M3(CLAMP448(x * rstd * w / *d_scale)) when Fp8.
template <typename T, bool Fp8>
void rms_weighted(const char* entry, const TensorArg& x, const TensorArg& weight,
                  const TensorArg& out, int seq_len, int dim, float eps, const TensorArg* d_scale,
                  Stream stream) {
  ArgCheck ck(entry);
  ck.positive("seq_len", seq_len);
  ck.positive("dim", dim);
  ck.finite_non_negative("eps", eps);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  ck.vector("weight", weight, {kDType<T>}, dim);
  if (&out != &x) {
    if constexpr (Fp8) ck.rows("out", out, kFp8Bytes, seq_len, dim);
    else ck.rows("out", out, {kDType<T>}, seq_len, dim);
  }
  if constexpr (Fp8) ck.scale("d_scale", *d_scale);

  NormArgs<T> a;
  a.x = cptr<T>(x);
  a.out = out.data;
  a.weight = cptr<T>(weight);
  a.rows = seq_len;
  a.dim = dim;
  a.eps = eps;
  if constexpr (Fp8) {
    a.d_scale = static_cast<const float*>(d_scale->data);
    run_norm<NormSpec<T, Stat::kRms, Affine::kWeight, Modulate::kNone, Out::kFp8Scaled>>(
        ck, a, vec8_ok(dim, {x.data, weight.data}, {out.data}), stream);
  } else {
    run_norm<NormSpec<T, Stat::kRms, Affine::kWeight, Modulate::kNone, Out::kSame>>(
        ck, a, vec8_ok(dim, {x.data, weight.data, out.data}, {}), stream);
  }
}

// f = rsqrt_rn(mean(x^2) + 1e-6) / max(*d_scale, 1e-12); out = E4M3(CLAMP448(x * f)).
// The factor is formed first, then one multiply per element (SPEC 2.1).
template <typename T>
void rms_noweight_fp8(const char* entry, const TensorArg& x, const TensorArg& out, int seq_len, int dim,
                      const TensorArg& d_scale, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("seq_len", seq_len);
  ck.positive("dim", dim);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  ck.rows("out", out, kFp8Bytes, seq_len, dim);
  ck.scale("d_scale", d_scale);

  NormArgs<T> a;
  a.x = cptr<T>(x);
  a.out = out.data;
  a.d_scale = static_cast<const float*>(d_scale.data);
  a.rows = seq_len;
  a.dim = dim;
  a.eps = 1e-6f;
  run_norm<NormSpec<T, Stat::kRms, Affine::kNone, Modulate::kNone, Out::kFp8Folded, /*precise*/ true>>(
      ck, a, vec8_ok(dim, {x.data}, {out.data}), stream);
}

}  // namespace

void rms_norm(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len, int dim,
              float eps, Stream stream) {
  rms_weighted<__nv_bfloat16, false>("rms_norm", x, weight, out, seq_len, dim, eps, nullptr, stream);
}

void rms_norm_fp16(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len,
                   int dim, float eps, Stream stream) {
  rms_weighted<__half, false>("rms_norm_fp16", x, weight, out, seq_len, dim, eps, nullptr, stream);
}

void rms_norm_inplace(const TensorArg& weight, const TensorArg& x, int seq_len, int dim, float eps,
                      Stream stream) {
  rms_weighted<__nv_bfloat16, false>("rms_norm_inplace", x, weight, x, seq_len, dim, eps, nullptr,
                                     stream);
}

void rms_norm_fp8(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len, int dim,
                  float eps, const TensorArg& d_scale, Stream stream) {
  rms_weighted<__nv_bfloat16, true>("rms_norm_fp8", x, weight, out, seq_len, dim, eps, &d_scale,
                                    stream);
}

void rms_norm_fp8_fp16(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len,
                       int dim, float eps, const TensorArg& d_scale, Stream stream) {
  rms_weighted<__half, true>("rms_norm_fp8_fp16", x, weight, out, seq_len, dim, eps, &d_scale,
                             stream);
}

void rms_norm_fp8_noweight_fp16(const TensorArg& x, const TensorArg& out, int seq_len, int dim,
                                const TensorArg& d_scale, Stream stream) {
  rms_noweight_fp8<__half>("rms_norm_fp8_noweight_fp16", x, out, seq_len, dim, d_scale, stream);
}

void rms_norm_fp8_noweight_bf16(const TensorArg& x, const TensorArg& out, int seq_len, int dim,
                                const TensorArg& d_scale, Stream stream) {
  rms_noweight_fp8<__nv_bfloat16>("rms_norm_fp8_noweight_bf16", x, out, seq_len, dim, d_scale, stream);
}

}  // namespace flash_rt::norm
