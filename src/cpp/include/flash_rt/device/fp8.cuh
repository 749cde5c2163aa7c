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

template <int N>
__device__ __forceinline__ void store_e4m3(uint8_t* p, const float (&in)[N]) {
  if constexpr (N == 8) {
    uint2 w;
    uint32_t lo = 0, hi = 0;
#pragma unroll
    for (int i = 0; i < 4; ++i) lo |= uint32_t(e4m3(in[i])) << (8 * i);
#pragma unroll
    for (int i = 0; i < 4; ++i) hi |= uint32_t(e4m3(in[4 + i])) << (8 * i);
    w.x = lo;
    w.y = hi;
    *reinterpret_cast<uint2*>(p) = w;
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) p[i] = e4m3(in[i]);
  }
}

}  // namespace flash_rt::device
