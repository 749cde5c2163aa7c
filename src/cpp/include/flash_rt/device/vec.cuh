// Loading and storing N consecutive elements as float, with one wide access when N > 1.
// Callers guarantee the alignment (the launcher picks N from the pointers it was given).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>

namespace flash_rt::device {

__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// Storage word of N elements of T (N * sizeof(T) bytes: 1, 2, 4, 8 or 16).
template <int Bytes> struct WordOf;
template <> struct WordOf<1> { using type = uint8_t; };
template <> struct WordOf<2> { using type = uint16_t; };
template <> struct WordOf<4> { using type = uint32_t; };
template <> struct WordOf<8> { using type = uint2; };
template <> struct WordOf<16> { using type = uint4; };

template <typename T, int N>
union Packed {
  typename WordOf<N * sizeof(T)>::type word;
  T elem[N];
};

// One wide load of N elements, kept packed (half the registers of N floats).
template <int N, typename T>
__device__ __forceinline__ Packed<T, N> load_packed(const T* p) {
  Packed<T, N> v;
  v.word = *reinterpret_cast<const decltype(v.word)*>(p);
  return v;
}

// The packed word counts as rewritten here, so nothing that reads it (an unpack) is scheduled
// above this point. The elementwise kernel calls it after a late PDL trigger (Regs::fence()):
// without it the compiler unpacked bf16 pairs (a PRMT of the loaded word) right after the loads,
// in front of the trigger, which then waited for the loads to return (H100,
// fused_add_silu_bf16 S = 16 x 16384: 1.29 us against fp16's 1.09 on the same plan, where the
// f16 unpack reads the packed word in place). One empty asm per 32-bit register, no instruction.
template <typename T, int N>
__device__ __forceinline__ void fence_packed(Packed<T, N>& p) {
  constexpr int kBytes = static_cast<int>(sizeof(p.word));
  if constexpr (kBytes == 16) asm volatile("" : "+r"(p.word.x), "+r"(p.word.y), "+r"(p.word.z), "+r"(p.word.w));
  else if constexpr (kBytes == 8) asm volatile("" : "+r"(p.word.x), "+r"(p.word.y));
  else if constexpr (kBytes == 4) asm volatile("" : "+r"(p.word));
  else if constexpr (kBytes == 2) asm volatile("" : "+h"(p.word));
}

template <int N, typename T>
__device__ __forceinline__ void unpack_float(const Packed<T, N>& v, float (&out)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) out[i] = to_float(v.elem[i]);
}

template <int N, typename T>
__device__ __forceinline__ void store_packed(T* p, const Packed<T, N>& v) {
  *reinterpret_cast<decltype(v.word)*>(const_cast<T*>(p)) = v.word;
}

template <int N, typename T>
__device__ __forceinline__ void load_float(const T* p, float (&out)[N]) {
  Packed<T, N> v;
  v.word = *reinterpret_cast<const decltype(v.word)*>(p);
#pragma unroll
  for (int i = 0; i < N; ++i) out[i] = to_float(v.elem[i]);
}

template <int N, typename T>
__device__ __forceinline__ void store_float(T* p, const float (&in)[N]) {
  Packed<T, N> v;
#pragma unroll
  for (int i = 0; i < N; ++i) v.elem[i] = from_float<T>(in[i]);
  *reinterpret_cast<decltype(v.word)*>(p) = v.word;
}

// Raw copy of N elements (no conversion), e.g. the gate chunk of a style tensor.
template <int N, typename T>
__device__ __forceinline__ void copy_elems(T* dst, const T* src) {
  using W = typename WordOf<N * sizeof(T)>::type;
  *reinterpret_cast<W*>(dst) = *reinterpret_cast<const W*>(src);
}

}  // namespace flash_rt::device
