// The activation functions of the contract (SPEC 1.2), in fp32, as the entries compute them.
// Two spellings of tanh-GELU are kept apart on purpose: the same function, different float
// operations, so the entries that use them are not bit-identical to each other.
//
// Accuracy comes from the build flags: flash_rt_kernels is compiled without fast math, so
// expf and tanhf are the accurate versions; `/` is the approximate (--prec-div=false)
// division. Only gate_geglu_merged_fp8_fp16 asks for the fast exp intrinsic (__expf).
#pragma once

#include <cuda_runtime.h>

namespace flash_rt::activation {

// gelu_inplace*: 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3)))
__device__ __forceinline__ float gelu_tanh(float x) {
  return 0.5f * x * (1.f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
}

// GELU_t(g), the sigmoid form of the same function (every gate_geglu* / geglu* entry):
// g / (1 + exp(-1.5957691216057308 g (1 + 0.044715 g^2)))
template <bool FastExp = false>
__device__ __forceinline__ float gelu_sigmoid(float g) {
  const float t = -1.5957691216057308f * g * (1.f + 0.044715f * g * g);
  const float e = FastExp ? __expf(t) : expf(t);
  return g / (1.f + e);
}

// SiLU(x) = x / (1 + exp(-x))
__device__ __forceinline__ float silu(float x) { return x / (1.f + expf(-x)); }

// max(x, 0) with fmaxf semantics: NaN becomes 0 (SPEC 2.2).
__device__ __forceinline__ float relu(float x) { return fmaxf(x, 0.f); }

}  // namespace flash_rt::activation
