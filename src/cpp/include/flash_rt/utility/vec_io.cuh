// N consecutive elements of T (fp16, bf16, fp32 or raw bytes) moved with accesses of A elements
// (A = N: one access of up to 16 bytes, or several 16-byte ones for 32-byte fp32 vectors;
// A = 1: element by element, for pointers the launcher could not prove aligned). Built on
// device/vec.cuh's Packed words; adds fp32 storage and conversions the norm helpers lack.
// Pointers are global memory (stores are st.global).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "flash_rt/device/vec.cuh"

namespace flash_rt::utility {

template <typename T, int N>
struct Vec {
  T v[N];
};

template <int N, int A = N, typename T>
__device__ __forceinline__ Vec<T, N> load_vec(const T* p) {
  constexpr int kBytes = A * sizeof(T) < 16 ? A * static_cast<int>(sizeof(T)) : 16;
  constexpr int kPer = kBytes / static_cast<int>(sizeof(T));
  static_assert(N % kPer == 0, "vector length must be a whole number of accesses");
  using W = typename device::WordOf<kBytes>::type;
  Vec<T, N> r;
#pragma unroll
  for (int i = 0; i < N / kPer; ++i) {
    device::Packed<T, kPer> w;
    w.word = reinterpret_cast<const W*>(p)[i];
#pragma unroll
    for (int k = 0; k < kPer; ++k) r.v[i * kPer + k] = w.elem[k];
  }
  return r;
}

template <int N, int A = N, typename T>
__device__ __forceinline__ void store_vec(T* p, const Vec<T, N>& r) {
  constexpr int kBytes = A * sizeof(T) < 16 ? A * static_cast<int>(sizeof(T)) : 16;
  constexpr int kPer = kBytes / static_cast<int>(sizeof(T));
  static_assert(N % kPer == 0, "vector length must be a whole number of accesses");
  using W = typename device::WordOf<kBytes>::type;
#pragma unroll
  for (int i = 0; i < N / kPer; ++i) {
    device::Packed<T, kPer> w;
#pragma unroll
    for (int k = 0; k < kPer; ++k) w.elem[k] = r.v[i * kPer + k];
    // An explicit st.global of the whole word: a plain assignment can be split into 4-byte
    // stores when the compiler hoists the address out of a branch (seen in split_rope_kernel).
    __stwb(reinterpret_cast<W*>(p) + i, w.word);
  }
}

// Widening (exact) and rounding (RN-even) conversions, fp32 included.
__device__ __forceinline__ float f32(float v) { return v; }
__device__ __forceinline__ float f32(__half v) { return __half2float(v); }
__device__ __forceinline__ float f32(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T round_to(float v) {
  if constexpr (sizeof(T) == 4) return v;
  else return device::from_float<T>(v);
}

}  // namespace flash_rt::utility
