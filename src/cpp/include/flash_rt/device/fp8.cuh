// FP8 E4M3 (float8_e4m3fn) encoding as the contract defines it (SPEC 1.2).
#pragma once

#include <cuda_fp8.h>
#include <cstdint>

namespace flash_rt::device {

// E4M3(x): round to nearest even, finite overflow and +-inf saturate to +-448, NaN stays NaN.
__device__ __forceinline__ uint8_t e4m3(float x) {
  return static_cast<uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
}

// CLAMP448(x) = min(max(x, -448), 448) with fmaxf/fminf semantics: NaN becomes -448 (fmaxf
// drops the NaN). Kernels that clamp before converting therefore map NaN to 0xFE.
__device__ __forceinline__ float clamp448(float x) { return fminf(fmaxf(x, -448.f), 448.f); }

// Two values in one conversion instruction (cvt.rn.satfinite.e4m3x2.f32), same rounding.
__device__ __forceinline__ uint32_t e4m3x2(float lo, float hi) {
  return static_cast<uint32_t>(__nv_cvt_float2_to_fp8x2(make_float2(lo, hi), __NV_SATFINITE, __NV_E4M3));
}

// N E4M3 codes to p in one store for N = 2, 4, 8 (p aligned to N bytes), else byte by byte.
// (Byte stores of 2- and 4-element vectors cost the elementwise FP8 GLUs an extra store
// instruction per element at inference sizes.)
template <int N>
__device__ __forceinline__ void store_e4m3(uint8_t* p, const float (&in)[N]) {
  if constexpr (N == 2) {
    *reinterpret_cast<uint16_t*>(p) = static_cast<uint16_t>(e4m3x2(in[0], in[1]));
  } else if constexpr (N == 4) {
    *reinterpret_cast<uint32_t*>(p) = e4m3x2(in[0], in[1]) | (e4m3x2(in[2], in[3]) << 16);
  } else if constexpr (N == 8) {
    uint2 w;
    w.x = e4m3x2(in[0], in[1]) | (e4m3x2(in[2], in[3]) << 16);
    w.y = e4m3x2(in[4], in[5]) | (e4m3x2(in[6], in[7]) << 16);
    *reinterpret_cast<uint2*>(p) = w;
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) p[i] = e4m3(in[i]);
  }
}

}  // namespace flash_rt::device
