// The activation functions of the contract (SPEC 1.2), in fp32, as the entries compute them.
//
// Two evaluations of each: the accurate one (expf; flash_rt_kernels is compiled without fast
// math, and `/` is the approximate --prec-div=false division) for the FP8-output entries, whose
// bytes the contract fixes; and the special-function-unit one (ex2.approx / rcp.approx, below)
// for the 16-bit outputs, where it is within rounding of the accurate one and much cheaper.
// gate_geglu_merged_fp8_fp16 asks for the fast exp intrinsic (__expf), as the contract says.
//
// GELU is always the sigmoid form GELU_t(g) = g / (1 + exp(-1.5957691216 g (1 + 0.044715 g^2))).
// The contract writes gelu_inplace* in the explicit tanh form 0.5 x (1 + tanh(0.7978845608 (x +
// 0.044715 x^3))): the same function (0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u))), and the sigmoid
// form needs no cancellation-prone 1 + tanh for negative x.
#pragma once

#include <cuda_runtime.h>

namespace flash_rt::activation {

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

// ---- the same functions on the special-function unit, for 16-bit outputs ------------------------
// One ex2.approx and one rcp.approx per element (two SFU ops and three FMA-pipe ops), against
// ~30 instructions for accurate tanhf / expf plus the division. At inference sizes (one wave,
// every thread's loads in flight at once) the arithmetic sits on the critical path between the
// loads and the stores, so its instruction count is kernel time.
// Accuracy: ex2.approx.ftz and rcp.approx.ftz are within 2 ulp of fp32; the exponent is formed
// with the log2(e) factor folded into the polynomial's constants, so the error of the result
// is ~|t| * 2^-23 relative, |t| <= ~90 before the sigmoid saturates: below 1e-5, 50x under the
// half-ulp of fp16 (2^-11) and 400x under bf16's. Rounded to fp16 / bf16 the result equals the
// accurate form's or is its neighbour. The FP8-output entries keep the accurate forms above (or
// __expf where the contract says so): there a one-ulp change of fp32 can move an FP8 bucket,
// and the contract fixes those bytes (SPEC 1.2).
__device__ __forceinline__ float exp2_sfu(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
__device__ __forceinline__ float rcp_sfu(float x) {
  float y;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
// GELU_t(g) = g * sigmoid(1.5957691216 (g + 0.044715 g^3)) = g / (1 + 2^(g (k1 + k2 g^2))),
// k1 = -1.5957691216057308 * log2(e), k2 = k1 * 0.044715. g -> -inf: 2^+big = inf, rcp 0, -0.
__device__ __forceinline__ float gelu_sfu(float g) {
  constexpr float k1 = -2.3022081981f;  // -1.5957691216057308 / ln 2
  constexpr float k2 = -0.1029432396f;  // k1 * 0.044715
  return g * rcp_sfu(1.f + exp2_sfu(g * fmaf(k2, g * g, k1)));
}
// SiLU(x) = x / (1 + 2^(-x log2 e)).
__device__ __forceinline__ float silu_sfu(float x) {
  constexpr float k = -1.4426950409f;  // -1 / ln 2
  return x * rcp_sfu(1.f + exp2_sfu(x * k));
}

// max(x, 0) with fmaxf semantics: NaN becomes 0 (SPEC 2.2).
__device__ __forceinline__ float relu(float x) { return fmaxf(x, 0.f); }

}  // namespace flash_rt::activation
