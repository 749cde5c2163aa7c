// Residual-fused norms (SPEC 2.3, the normalising half): the residual stream is updated in
// place and normalised in the same pass, so a layer boundary is one launch.
//
// Shapes: residual, x, gate, prev_gate, gemm_out, out, gate_out [seq_len, dim]; weight [dim];
// style [seq_len, 3*dim] = [scale | shift | gate]; d_scale / descale: device float32 [1] =
// amax/448. All math in fp32. The residual is stored rounded, RN(r); the statistics always
// use the unrounded r; what gets normalised is RN(r) unless the entry says r.
//   E4M3(CLAMP448(y / d)): d_scale entries multiply by 1/d (no floor); descale entries by
//   1/max(d, 1e-12). CLAMP448 maps NaN to -448 (SPEC 1.2).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::fused_norm {

using Stream = std::uintptr_t;

// r = residual + x; residual <- RN(r); out = RN(r) * rsqrt(mean(r^2) + eps) * weight      bf16
void residual_add_rms_norm(const TensorArg& residual, const TensorArg& x, const TensorArg& weight,
                           const TensorArg& out, int seq_len, int dim, float eps, Stream stream);
// as residual_add_rms_norm, then out = E4M3(CLAMP448(. / *d_scale))                  bf16 -> FP8
void residual_add_rms_norm_fp8(const TensorArg& residual, const TensorArg& x, const TensorArg& weight,
                               const TensorArg& out, int seq_len, int dim, float eps,
                               const TensorArg& d_scale, Stream stream);
// same, fp16 in
void residual_add_rms_norm_fp8_fp16(const TensorArg& residual, const TensorArg& x, const TensorArg& weight,
                                    const TensorArg& out, int seq_len, int dim, float eps,
                                    const TensorArg& d_scale, Stream stream);
// r = residual + x; residual <- RN(r); f = rsqrt_rn(mean(r^2) + 1e-6) / max(*d_scale, 1e-12);
// out = E4M3(CLAMP448(r * f)) with the UNROUNDED r                                    fp16 -> FP8
void residual_add_rms_norm_fp8_noweight_fp16(const TensorArg& residual, const TensorArg& x,
                                             const TensorArg& out, int seq_len, int dim,
                                             const TensorArg& d_scale, Stream stream);
// same, bf16 in
void residual_add_rms_norm_fp8_noweight_bf16(const TensorArg& residual, const TensorArg& x,
                                             const TensorArg& out, int seq_len, int dim,
                                             const TensorArg& d_scale, Stream stream);
// out = E4M3(x * rsqrt(mean(x^2) + 1e-6)): no scale, no clamp (NaN stays NaN)          fp16 -> FP8
void plain_rms_fp8_fp16(const TensorArg& x, const TensorArg& out, int seq_len, int dim, Stream stream);
// r = residual + x; residual <- RN16(r); out = E4M3(RN16(r) * rstd), eps 1e-6, no clamp fp16 -> FP8
void plain_res_rms_fp8_fp16(const TensorArg& residual, const TensorArg& x, const TensorArg& out, int seq_len,
                            int dim, Stream stream);
// out = E4M3(CLAMP448((x * rstd * (1 + scale) + shift) / max(descale, 1e-12))), eps 1e-6,
// no weight; gate_out = gate chunk of style                                  fp16 -> FP8 (+ fp16)
void fused_adarms_fp8_static_fp16(const TensorArg& x, const TensorArg& style, const TensorArg& out,
                                  const TensorArg& gate_out, int S, int D, const TensorArg& descale,
                                  Stream stream);
// r = residual + gemm_out * prev_gate; residual <- RN16(r); v = RN16(r) * rstd (eps 1e-6);
// fp8_out = E4M3(CLAMP448((v * (1 + scale) + shift) / max(descale, 1e-12))); gate_out = gate
void gate_res_adarms_fp8_static_fp16(const TensorArg& gemm_out, const TensorArg& prev_gate,
                                     const TensorArg& residual, const TensorArg& style,
                                     const TensorArg& fp8_out, const TensorArg& gate_out, int S, int D,
                                     const TensorArg& descale, Stream stream);
// r = residual + x * gate; residual <- RNbf(r); n = RNbf(r) * rstd * weight;
// out = E4M3(CLAMP448((n * (1 + scale) + shift) / *d_scale)); gate_out = gate chunk      bf16
void gate_residual_ada_norm_fp8(const TensorArg& residual, const TensorArg& x, const TensorArg& gate,
                                const TensorArg& weight, const TensorArg& style, const TensorArg& out,
                                const TensorArg& gate_out, int seq_len, int dim, float eps,
                                const TensorArg& d_scale, Stream stream);

}  // namespace flash_rt::fused_norm
