// Residual-fused norms (SPEC 2.3): the norm group's row kernel with a residual input stage.
#include "fused_norm/fused_norm.h"

#include "norm/dtypes.cuh"
#include "norm/launch.cuh"

namespace flash_rt::fused_norm {
namespace {

using norm::Affine;
using norm::cptr;
using norm::Input;
using norm::kDType;
using norm::Modulate;
using norm::NormArgs;
using norm::NormSpec;
using norm::Out;
using norm::Stat;
using norm::vec8_ok;

// Names of the row/column sizes in the entry's signature ("seq_len"/"dim" or "S"/"D").
struct Sizes {
  const char* rows;
  const char* cols;
};
constexpr Sizes kSeqDim{"seq_len", "dim"};
constexpr Sizes kSD{"S", "D"};

template <typename T>
NormArgs<T> base_args(const TensorArg& in, const TensorArg& out, int rows, int dim, float eps) {
  NormArgs<T> a;
  a.x = cptr<T>(in);
  a.out = out.data;
  a.rows = rows;
  a.dim = dim;
  a.eps = eps;
  return a;
}

// residual + x -> RMS norm (optional weight) -> T or FP8.
template <typename T, Affine A, Out O, bool Precise, bool RoundedValue>
void residual_rms(const char* entry, const TensorArg& residual, const TensorArg& x, const TensorArg* weight,
                  const TensorArg& out, int seq_len, int dim, float eps, const TensorArg* d_scale,
                  Stream stream) {
  ArgCheck ck(entry);
  ck.positive("seq_len", seq_len);
  ck.positive("dim", dim);
  ck.finite_non_negative("eps", eps);
  ck.rows("residual", residual, {kDType<T>}, seq_len, dim);
  ck.rows("x", x, {kDType<T>}, seq_len, dim);
  if (weight) ck.vector("weight", *weight, {kDType<T>}, dim);
  if constexpr (O == Out::kSame) ck.rows("out", out, {kDType<T>}, seq_len, dim);
  else ck.rows("out", out, kFp8Bytes, seq_len, dim);
  if (d_scale) ck.scale("d_scale", *d_scale);

  auto a = base_args<T>(residual, out, seq_len, dim, eps);
  a.addend = cptr<T>(x);
  a.weight = weight ? cptr<T>(*weight) : nullptr;
  a.d_scale = d_scale ? static_cast<const float*>(d_scale->data) : nullptr;
  const bool vec = O == Out::kSame ? vec8_ok(dim, {residual.data, x.data, a.weight, out.data}, {})
                                   : vec8_ok(dim, {residual.data, x.data, a.weight}, {out.data});
  norm::run_norm<NormSpec<T, Stat::kRms, A, Modulate::kNone, O, Precise, Input::kAdd, RoundedValue>>(ck, a, vec,
                                                                                                      stream);
}

// [residual + x * gate ->] RMS -> (1 + scale) * . + shift from style -> FP8, gate_out copy.
template <typename T, Input I, Affine A, Out O>
void ada_rms_fp8(const char* entry, Sizes names, const TensorArg* residual, const TensorArg& x,
                 const TensorArg* gate, const char* x_name, const char* gate_name, const TensorArg* weight,
                 const TensorArg& style, const TensorArg& out, const char* out_name, const TensorArg& gate_out,
                 int rows, int dim, float eps, const TensorArg& scale, const char* scale_name, Stream stream) {
  ArgCheck ck(entry);
  ck.positive(names.rows, rows);
  ck.positive(names.cols, dim);
  ck.finite_non_negative("eps", eps);
  if (residual) ck.rows("residual", *residual, {kDType<T>}, rows, dim);
  ck.rows(x_name, x, {kDType<T>}, rows, dim);
  if (gate) ck.rows(gate_name, *gate, {kDType<T>}, rows, dim);
  if (weight) ck.vector("weight", *weight, {kDType<T>}, dim);
  ck.rows("style", style, {kDType<T>}, rows, 3 * static_cast<int64_t>(dim));
  ck.rows(out_name, out, kFp8Bytes, rows, dim);
  ck.rows("gate_out", gate_out, {kDType<T>}, rows, dim);
  ck.scale(scale_name, scale);

  auto a = base_args<T>(residual ? *residual : x, out, rows, dim, eps);
  if (residual) a.addend = cptr<T>(x);
  if (gate) a.addend_gate = cptr<T>(*gate);
  a.weight = weight ? cptr<T>(*weight) : nullptr;
  a.style = cptr<T>(style);
  a.gate_out = static_cast<T*>(gate_out.data);
  a.d_scale = static_cast<const float*>(scale.data);
  const bool vec = vec8_ok(dim, {x.data, residual ? residual->data : nullptr, gate ? gate->data : nullptr,
                                 a.weight, style.data, gate_out.data},
                           {out.data});
  norm::run_norm<NormSpec<T, Stat::kRms, A, Modulate::kRowStyle, O, false, I>>(ck, a, vec, stream);
}

}  // namespace

void residual_add_rms_norm(const TensorArg& residual, const TensorArg& x, const TensorArg& weight,
                           const TensorArg& out, int seq_len, int dim, float eps, Stream stream) {
  residual_rms<__nv_bfloat16, Affine::kWeight, Out::kSame, false, true>(
      "residual_add_rms_norm", residual, x, &weight, out, seq_len, dim, eps, nullptr, stream);
}

void residual_add_rms_norm_fp8(const TensorArg& residual, const TensorArg& x, const TensorArg& weight,
                               const TensorArg& out, int seq_len, int dim, float eps,
                               const TensorArg& d_scale, Stream stream) {
  residual_rms<__nv_bfloat16, Affine::kWeight, Out::kFp8Scaled, false, true>(
      "residual_add_rms_norm_fp8", residual, x, &weight, out, seq_len, dim, eps, &d_scale, stream);
}

void residual_add_rms_norm_fp8_fp16(const TensorArg& residual, const TensorArg& x, const TensorArg& weight,
                                    const TensorArg& out, int seq_len, int dim, float eps,
                                    const TensorArg& d_scale, Stream stream) {
  residual_rms<__half, Affine::kWeight, Out::kFp8Scaled, false, true>(
      "residual_add_rms_norm_fp8_fp16", residual, x, &weight, out, seq_len, dim, eps, &d_scale, stream);
}

void residual_add_rms_norm_fp8_noweight_fp16(const TensorArg& residual, const TensorArg& x,
                                             const TensorArg& out, int seq_len, int dim,
                                             const TensorArg& d_scale, Stream stream) {
  // Both the statistics and the output use the unrounded sum (SPEC 2.3).
  residual_rms<__half, Affine::kNone, Out::kFp8Folded, true, false>(
      "residual_add_rms_norm_fp8_noweight_fp16", residual, x, nullptr, out, seq_len, dim, 1e-6f, &d_scale,
      stream);
}

void residual_add_rms_norm_fp8_noweight_bf16(const TensorArg& residual, const TensorArg& x,
                                             const TensorArg& out, int seq_len, int dim,
                                             const TensorArg& d_scale, Stream stream) {
  residual_rms<__nv_bfloat16, Affine::kNone, Out::kFp8Folded, true, false>(
      "residual_add_rms_norm_fp8_noweight_bf16", residual, x, nullptr, out, seq_len, dim, 1e-6f, &d_scale,
      stream);
}

void plain_rms_fp8_fp16(const TensorArg& x, const TensorArg& out, int seq_len, int dim, Stream stream) {
  ArgCheck ck("plain_rms_fp8_fp16");
  ck.positive("seq_len", seq_len);
  ck.positive("dim", dim);
  ck.rows("x", x, {DType::kF16}, seq_len, dim);
  ck.rows("out", out, kFp8Bytes, seq_len, dim);
  auto a = base_args<__half>(x, out, seq_len, dim, 1e-6f);
  norm::run_norm<NormSpec<__half, Stat::kRms, Affine::kNone, Modulate::kNone, Out::kFp8>>(
      ck, a, vec8_ok(dim, {x.data}, {out.data}), stream);
}

void plain_res_rms_fp8_fp16(const TensorArg& residual, const TensorArg& x, const TensorArg& out, int seq_len,
                            int dim, Stream stream) {
  residual_rms<__half, Affine::kNone, Out::kFp8, false, true>("plain_res_rms_fp8_fp16", residual, x, nullptr,
                                                              out, seq_len, dim, 1e-6f, nullptr, stream);
}

void fused_adarms_fp8_static_fp16(const TensorArg& x, const TensorArg& style, const TensorArg& out,
                                  const TensorArg& gate_out, int S, int D, const TensorArg& descale,
                                  Stream stream) {
  ada_rms_fp8<__half, Input::kPlain, Affine::kNone, Out::kFp8ScaledFloor>(
      "fused_adarms_fp8_static_fp16", kSD, nullptr, x, nullptr, "x", nullptr, nullptr, style, out, "out",
      gate_out, S, D, 1e-6f, descale, "descale", stream);
}

void gate_res_adarms_fp8_static_fp16(const TensorArg& gemm_out, const TensorArg& prev_gate,
                                     const TensorArg& residual, const TensorArg& style,
                                     const TensorArg& fp8_out, const TensorArg& gate_out, int S, int D,
                                     const TensorArg& descale, Stream stream) {
  ada_rms_fp8<__half, Input::kGateAdd, Affine::kNone, Out::kFp8ScaledFloor>(
      "gate_res_adarms_fp8_static_fp16", kSD, &residual, gemm_out, &prev_gate, "gemm_out", "prev_gate", nullptr,
      style, fp8_out, "fp8_out", gate_out, S, D, 1e-6f, descale, "descale", stream);
}

void gate_residual_ada_norm_fp8(const TensorArg& residual, const TensorArg& x, const TensorArg& gate,
                                const TensorArg& weight, const TensorArg& style, const TensorArg& out,
                                const TensorArg& gate_out, int seq_len, int dim, float eps,
                                const TensorArg& d_scale, Stream stream) {
  ada_rms_fp8<__nv_bfloat16, Input::kGateAdd, Affine::kWeight, Out::kFp8Scaled>(
      "gate_residual_ada_norm_fp8", kSeqDim, &residual, x, &gate, "x", "gate", &weight, style, out, "out",
      gate_out, seq_len, dim, eps, d_scale, "d_scale", stream);
}

}  // namespace flash_rt::fused_norm
