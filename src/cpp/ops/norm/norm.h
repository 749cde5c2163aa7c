// Norm group (SPEC 2.1): the C++ API behind flash_rt_kernels' norm entries.
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor). Rows are
// dense row-major [seq_len, dim]; per-column vectors are [dim]; `style` is per row
// [seq_len, 3*dim] = [scale | shift | gate]. `d_scale` is a device float32 [1] holding
// amax/448. All math in fp32 with one final rounding to the output dtype. Any dim works
// (odd, 1, or larger than 2048); misaligned or odd sizes take a scalar path.
//
//   rms     : rstd = rsqrt(mean(x^2) + eps)            (noweight: correctly rounded rsqrt)
//   layer   : rstd = rsqrt(mean((x - mean)^2) + eps)   (two-pass, biased)
//   E4M3    : round-nearest-even, saturating to +-448, NaN kept;
//   CLAMP448: min(max(y, -448), 448) before E4M3, so NaN becomes -448 (SPEC 1.2)
//
// Validation happens before any launch; errors are flash_rt::Error (see core/errors.h).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::norm {

using Stream = std::uintptr_t;

// out = x * rstd * w                                   x, w, out: [S, D] / [D] bf16
void rms_norm(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len, int dim,
              float eps, Stream stream);
// same, fp16
void rms_norm_fp16(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len,
                   int dim, float eps, Stream stream);
// x <- x * rstd * w in place (weight first)            bf16
void rms_norm_inplace(const TensorArg& weight, const TensorArg& x, int seq_len, int dim, float eps,
                      Stream stream);
// out = E4M3(CLAMP448(x * rstd * w / *d_scale))        x, w bf16 -> out FP8, no scale floor
void rms_norm_fp8(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len,
                  int dim, float eps, const TensorArg& d_scale, Stream stream);
// same, fp16 in
void rms_norm_fp8_fp16(const TensorArg& x, const TensorArg& weight, const TensorArg& out, int seq_len,
                       int dim, float eps, const TensorArg& d_scale, Stream stream);
// f = rsqrt_rn(mean(x^2) + 1e-6) / max(*d_scale, 1e-12); out = E4M3(CLAMP448(x * f))
// (Gemma's (1 + w) folded into the next GEMM). fp16 in -> FP8.
void rms_norm_fp8_noweight_fp16(const TensorArg& x, const TensorArg& out, int seq_len, int dim,
                                const TensorArg& d_scale, Stream stream);
// same, bf16 in
void rms_norm_fp8_noweight_bf16(const TensorArg& x, const TensorArg& out, int seq_len, int dim,
                                const TensorArg& d_scale, Stream stream);

// out = (x - mean) * rstd * w + b                      bf16
void layer_norm(const TensorArg& x, const TensorArg& weight, const TensorArg& bias, const TensorArg& out,
                int seq_len, int dim, float eps, Stream stream);
// same, fp16
void layer_norm_fp16(const TensorArg& x, const TensorArg& weight, const TensorArg& bias,
                     const TensorArg& out, int seq_len, int dim, float eps, Stream stream);
// out = E4M3((x - mean) * rstd * gamma + beta): no scale, no clamp (NaN stays NaN).
// x, gamma, beta fp16; out FP8 (second argument). eps is honoured (the original ignored it).
void layer_norm_fp8(const TensorArg& x, const TensorArg& out, const TensorArg& gamma,
                    const TensorArg& beta, int seq_len, int dim, float eps, Stream stream);
// out = (x - mean) * rstd                              fp16 (default eps 1e-5, DiT)
void layer_norm_no_affine_fp16(const TensorArg& x, const TensorArg& out, int seq_len, int dim, float eps,
                               Stream stream);
// same, bf16
void layer_norm_no_affine_bf16(const TensorArg& x, const TensorArg& out, int seq_len, int dim, float eps,
                               Stream stream);
// out = LN(x) * (1 + scale[c]) + shift[c]; scale, shift: [D] broadcast over rows   fp16
void ada_layer_norm_fp16(const TensorArg& x, const TensorArg& scale, const TensorArg& shift,
                         const TensorArg& out, int seq_len, int dim, float eps, Stream stream);
// same, bf16
void ada_layer_norm_bf16(const TensorArg& x, const TensorArg& scale, const TensorArg& shift,
                         const TensorArg& out, int seq_len, int dim, float eps, Stream stream);

// n = x * rstd * w; out = n * (1 + scale) + shift; gate_out = gate    (style [S, 3D]) bf16
void ada_rms_norm_style(const TensorArg& x, const TensorArg& weight, const TensorArg& style,
                        const TensorArg& out, const TensorArg& gate_out, int seq_len, int dim, float eps,
                        Stream stream);
// same with out = E4M3(CLAMP448((n * (1 + scale) + shift) / *d_scale)); gate_out bf16
void ada_rms_norm_style_fp8(const TensorArg& x, const TensorArg& weight, const TensorArg& style,
                            const TensorArg& out, const TensorArg& gate_out, int seq_len, int dim,
                            float eps, const TensorArg& d_scale, Stream stream);
// no weight, eps 1e-6: out = x * rstd * (1 + scale) + shift; gate_out = gate        fp16
void adarms_fp16(const TensorArg& x, const TensorArg& style, const TensorArg& out,
                 const TensorArg& gate_out, int S, int D, Stream stream);

}  // namespace flash_rt::norm
