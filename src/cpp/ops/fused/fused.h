// Fused gate / residual group, elementwise half (SPEC 2.3): the C++ API behind
// flash_rt_kernels' GLU gates and residual updates. (The residual-fused norms are in
// ops/fused_norm.)
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor). Flat
// entries take `n` elements per tensor (dense, any shape); merged GLU buffers are dense
// row-major [seq, 2*half_dim] with the gate in columns [0, H) and up in [H, 2H), output
// [seq, half_dim]; bias_residual takes [seq_len, dim] rows and a [dim] bias. `d_scale` /
// `descale` is a device float32 [1] holding amax/448 and is required. All math in fp32 with
// one rounding to the output dtype. Any n and any half_dim work (odd, 1, not a multiple of
// 4 or 8): aligned buffers take the 8-wide vector path, anything else the scalar path.
//
//   GELU_t(g): g / (1 + exp(-1.5957691216057308 g (1 + 0.044715 g^2)))  (sigmoid-form tanh GELU)
//   SiLU(g)  : g / (1 + exp(-g))
//   FP8      : E4M3(CLAMP448(y * (1 / d))), d = *d_scale, floored at 1e-12 only where noted;
//              CLAMP448 turns NaN into -448; E4M3 rounds to nearest even and saturates.
//   exp      : 16-bit outputs (gate_geglu*, gate_geglu_merged, _fp16): ex2.approx / rcp.approx
//              on the special-function unit, within 1e-5 relative, so the result is the
//              correctly rounded one or its neighbour (flash_rt/activation/functions.cuh).
//              FP8 outputs: the accurate expf (the bytes of the original), except
//              gate_geglu_merged_fp8_fp16 (fast __expf, as the original), so that entry and
//              geglu_fp8_static_fp16 are not bit-identical.
//
// Validation happens before any launch; errors are flash_rt::Error (see core/errors.h).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::fused {

using Stream = std::uintptr_t;

// ---- GLU gates ---------------------------------------------------------------------------

// out = GELU_t(gate) * up                             gate, up, out: [n] bf16
void gate_geglu(const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n, Stream stream);
// same, fp16
void gate_geglu_fp16(const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n,
                     Stream stream);
// out[s, h] = GELU_t(m[s, h]) * m[s, H + h]           merged [S, 2H], out [S, H] bf16
void gate_geglu_merged(const TensorArg& merged, const TensorArg& out, int seq, int half_dim, Stream stream);
// same, fp16
void gate_geglu_merged_fp16(const TensorArg& merged, const TensorArg& out, int seq, int half_dim,
                            Stream stream);
// out = E4M3(CLAMP448(GELU_t(g) * u / d)), no floor   merged bf16 -> out FP8
void gate_geglu_merged_fp8(const TensorArg& merged, const TensorArg& out, int seq, int half_dim,
                           const TensorArg& d_scale, Stream stream);
// out = E4M3(CLAMP448(GELU_t(g) * u / max(d, 1e-12))) with the fast exp   merged fp16 -> FP8
void gate_geglu_merged_fp8_fp16(const TensorArg& merged, const TensorArg& out, int seq, int half_dim,
                                const TensorArg& d_scale, Stream stream);
// out = E4M3(CLAMP448(SiLU(g) * u / d)), no floor     gate, up: [n] fp16 -> out [n] FP8
void silu_mul_split_fp8_fp16(const TensorArg& gate, const TensorArg& up, const TensorArg& out, int n,
                             const TensorArg& d_scale, Stream stream);
// out = E4M3(CLAMP448(GELU_t(g) * u / max(d, 1e-12))) with the accurate exp   merged fp16 -> FP8
void geglu_fp8_static_fp16(const TensorArg& merged, const TensorArg& out, int S, int H,
                           const TensorArg& descale, Stream stream);

// ---- residual updates (residual is updated in place) -------------------------------------

// residual <- residual + x * gate                     residual, x, gate: [n] bf16
void gate_mul_residual(const TensorArg& residual, const TensorArg& x, const TensorArg& gate, int n,
                       Stream stream);
// residual <- RN16(residual + gemm_out * gate)        fp16; note the argument order
void gate_res_fp16(const TensorArg& gemm_out, const TensorArg& gate, const TensorArg& residual, int n,
                   Stream stream);
// residual <- residual + x                            [n] bf16
void residual_add(const TensorArg& residual, const TensorArg& x, int n, Stream stream);
// same, fp16
void residual_add_fp16(const TensorArg& residual, const TensorArg& x, int n, Stream stream);
// residual[s, j] <- residual[s, j] + x[s, j] + bias[j]    residual, x: [S, D], bias: [D] bf16
void bias_residual(const TensorArg& residual, const TensorArg& x, const TensorArg& bias, int seq_len,
                   int dim, Stream stream);
// same, fp16
void bias_residual_fp16(const TensorArg& residual, const TensorArg& x, const TensorArg& bias, int seq_len,
                        int dim, Stream stream);
// residual <- residual + v_uncond + beta * (v_cond - v_uncond)   [n] bf16 (classifier-free guidance)
void cfg_combine_into_residual(const TensorArg& residual, const TensorArg& v_cond, const TensorArg& v_uncond,
                               float beta, int n, Stream stream);
// same, fp16
void cfg_combine_into_residual_fp16(const TensorArg& residual, const TensorArg& v_cond,
                                    const TensorArg& v_uncond, float beta, int n, Stream stream);

}  // namespace flash_rt::fused
