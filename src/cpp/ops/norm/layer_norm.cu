// LayerNorm entries (SPEC 2.1): affine, FP8 out, no-affine (DiT) and AdaLN with [D] vectors.
#include "norm/norm.h"

#include "norm/dtypes.cuh"
#include "norm/launch.cuh"

namespace flash_rt::norm {
namespace {

void check_sizes(const ArgCheck& ck, int seq_len, int dim, float eps) {
  ck.positive("seq_len", seq_len);
  ck.positive("dim", dim);
  ck.finite_non_negative("eps", eps);
}

template <typename T>
NormArgs<T> rows_args(const TensorArg& x, const TensorArg& out, int seq_len, int dim, float eps) {
  NormArgs<T> a;
  a.x = cptr<T>(x);
  a.out = out.data;
  a.rows = seq_len;
  a.dim = dim;
  a.eps = eps;
  return a;
}

// out = (x - mean) * rstd * w + b
template <typename T>
void layer_affine(const char* entry, const TensorArg& x, const TensorArg& weight, const TensorArg& bias,
                  const TensorArg& out, int seq_len, int dim, float eps, Stream stream) {
  ArgCheck ck(entry);
  check_sizes(ck, seq_len, dim, eps);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  ck.vector("weight", weight, {kDType<T>}, dim);
  ck.vector("bias", bias, {kDType<T>}, dim);
  ck.rows("out", out, {kDType<T>}, seq_len, dim);
  auto a = rows_args<T>(x, out, seq_len, dim, eps);
  a.weight = cptr<T>(weight);
  a.bias = cptr<T>(bias);
  run_norm<NormSpec<T, Stat::kLayer, Affine::kWeightBias, Modulate::kNone, Out::kSame>>(
      ck, a, vec8_ok(dim, {x.data, weight.data, bias.data, out.data}, {}), stream);
}

// out = (x - mean) * rstd
template <typename T>
void layer_no_affine(const char* entry, const TensorArg& x, const TensorArg& out, int seq_len, int dim,
                     float eps, Stream stream) {
  ArgCheck ck(entry);
  check_sizes(ck, seq_len, dim, eps);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  ck.rows("out", out, {kDType<T>}, seq_len, dim);
  auto a = rows_args<T>(x, out, seq_len, dim, eps);
  run_norm<NormSpec<T, Stat::kLayer, Affine::kNone, Modulate::kNone, Out::kSame>>(
      ck, a, vec8_ok(dim, {x.data, out.data}, {}), stream);
}

// out = LN(x) * (1 + scale[c]) + shift[c]
template <typename T>
void ada_layer(const char* entry, const TensorArg& x, const TensorArg& scale, const TensorArg& shift,
               const TensorArg& out, int seq_len, int dim, float eps, Stream stream) {
  ArgCheck ck(entry);
  check_sizes(ck, seq_len, dim, eps);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  ck.vector("scale", scale, {kDType<T>}, dim);
  ck.vector("shift", shift, {kDType<T>}, dim);
  ck.rows("out", out, {kDType<T>}, seq_len, dim);
  auto a = rows_args<T>(x, out, seq_len, dim, eps);
  a.mod_scale = cptr<T>(scale);
  a.mod_shift = cptr<T>(shift);
  run_norm<NormSpec<T, Stat::kLayer, Affine::kNone, Modulate::kColumns, Out::kSame>>(
      ck, a, vec8_ok(dim, {x.data, scale.data, shift.data, out.data}, {}), stream);
}

}  // namespace

void layer_norm(const TensorArg& x, const TensorArg& weight, const TensorArg& bias, const TensorArg& out,
                int seq_len, int dim, float eps, Stream stream) {
  layer_affine<__nv_bfloat16>("layer_norm", x, weight, bias, out, seq_len, dim, eps, stream);
}

void layer_norm_fp16(const TensorArg& x, const TensorArg& weight, const TensorArg& bias,
                     const TensorArg& out, int seq_len, int dim, float eps, Stream stream) {
  layer_affine<__half>("layer_norm_fp16", x, weight, bias, out, seq_len, dim, eps, stream);
}

void layer_norm_fp8(const TensorArg& x, const TensorArg& out, const TensorArg& gamma,
                    const TensorArg& beta, int seq_len, int dim, float eps, Stream stream) {
  ArgCheck ck("layer_norm_fp8");
  check_sizes(ck, seq_len, dim, eps);
  ck.rows("x", x, {DType::kF16}, seq_len, dim);
  ck.rows("out", out, kFp8Bytes, seq_len, dim);
  ck.vector("gamma", gamma, {DType::kF16}, dim);
  ck.vector("beta", beta, {DType::kF16}, dim);
  auto a = rows_args<__half>(x, out, seq_len, dim, eps);
  a.weight = cptr<__half>(gamma);
  a.bias = cptr<__half>(beta);
  run_norm<NormSpec<__half, Stat::kLayer, Affine::kWeightBias, Modulate::kNone, Out::kFp8>>(
      ck, a, vec8_ok(dim, {x.data, gamma.data, beta.data}, {out.data}), stream);
}

void layer_norm_no_affine_fp16(const TensorArg& x, const TensorArg& out, int seq_len, int dim, float eps,
                               Stream stream) {
  layer_no_affine<__half>("layer_norm_no_affine_fp16", x, out, seq_len, dim, eps, stream);
}

void layer_norm_no_affine_bf16(const TensorArg& x, const TensorArg& out, int seq_len, int dim, float eps,
                               Stream stream) {
  layer_no_affine<__nv_bfloat16>("layer_norm_no_affine_bf16", x, out, seq_len, dim, eps, stream);
}

void ada_layer_norm_fp16(const TensorArg& x, const TensorArg& scale, const TensorArg& shift,
                         const TensorArg& out, int seq_len, int dim, float eps, Stream stream) {
  ada_layer<__half>("ada_layer_norm_fp16", x, scale, shift, out, seq_len, dim, eps, stream);
}

void ada_layer_norm_bf16(const TensorArg& x, const TensorArg& scale, const TensorArg& shift,
                         const TensorArg& out, int seq_len, int dim, float eps, Stream stream) {
  ada_layer<__nv_bfloat16>("ada_layer_norm_bf16", x, scale, shift, out, seq_len, dim, eps, stream);
}

}  // namespace flash_rt::norm
