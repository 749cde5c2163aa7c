// Activation group (SPEC 2.2): the C++ API behind flash_rt_kernels' activation entries.
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor) of `n`
// elements, dense, any shape. All math in fp32 with one rounding to the storage type. Any n
// works (odd, 1, not a multiple of 8); 16-byte-aligned buffers take the 8-wide vector path,
// anything else the scalar path. In place: the result overwrites x (or a).
//
//   gelu    : 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3)))   (tanh-approximate GELU)
//   SiLU    : x / (1 + exp(-x))
//   ReLU    : max(x, 0) with fmaxf semantics: NaN -> 0
// GELU and SiLU are evaluated as x / (1 + 2^t) on the special-function unit (ex2.approx,
// rcp.approx; GELU in the sigmoid form of the same function): within 1e-5 relative of the
// exact value, so the 16-bit result is the correctly rounded one or its neighbour. The
// original FlashRT used accurate tanhf / expf; the two agree to one ulp (see
// flash_rt/activation/functions.cuh for why, and the H100 timings).
//
// Validation happens before any launch; errors are flash_rt::Error (see core/errors.h).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::activation {

using Stream = std::uintptr_t;

// x <- gelu(x) in place                               x: [n] bf16
void gelu_inplace(const TensorArg& x, int n, Stream stream);
// same, fp16
void gelu_inplace_fp16(const TensorArg& x, int n, Stream stream);
// x <- SiLU(x) in place                               x: [n] fp16
void silu_inplace_fp16(const TensorArg& x, int n, Stream stream);
// x <- max(x, 0) in place (NaN -> 0)                  x: [n] fp16
void relu_inplace_fp16(const TensorArg& x, int n, Stream stream);
// a <- SiLU(a + b), the sum kept in fp32; b is a full n-element tensor (not a broadcast bias)
//                                                     a, b: [n] fp16
void fused_add_silu_fp16(const TensorArg& a, const TensorArg& b, int n, Stream stream);
// same, bf16
void fused_add_silu_bf16(const TensorArg& a, const TensorArg& b, int n, Stream stream);

}  // namespace flash_rt::activation
