// Element-wise operations over n elements (SPEC 2.6 fills, 2.8 casts / copy / Euler step), run by
// grid.cuh's flat_kernel: op.load<N>(i) reads what elements [i, i + N) need, op.store<N>(i, r)
// computes and writes them; N = the launcher's vector width for the body and 1 for the tail. Two
// halves so that the kernel can let the next grid in (PDL) between them. fp32 math, one RN
// rounding per output (SPEC 1.2).
#pragma once

#include <cstdint>

#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/vec_io.cuh"

namespace flash_rt::utility {

// dst[i] = RN_T(value). value = -1e30: fp16 gives -inf, bf16 a finite ~-1e30 (SPEC 2.6).
template <typename T>
struct FillOp {
  T* dst;  // [n]
  float value;
  struct Nothing {};
  template <int N>
  __device__ __forceinline__ Nothing load(int64_t) const { return {}; }
  template <int N>
  __device__ __forceinline__ void store(int64_t i, Nothing) const {
    Vec<T, N> r;
    const T v = round_to<T>(value);
#pragma unroll
    for (int k = 0; k < N; ++k) r.v[k] = v;
    store_vec<N>(dst + i, r);
  }
};

// out[i] = RN_Out(f32(in[i])).
template <typename In, typename Out>
struct CastOp {
  const In* in;  // [n]
  Out* out;      // [n]
  template <int N>
  __device__ __forceinline__ Vec<In, N> load(int64_t i) const { return load_vec<N>(in + i); }
  template <int N>
  __device__ __forceinline__ void store(int64_t i, const Vec<In, N>& a) const {
    Vec<Out, N> r;
#pragma unroll
    for (int k = 0; k < N; ++k) r.v[k] = round_to<Out>(f32(a.v[k]));
    store_vec<N>(out + i, r);
  }
};

// dst[i] = src[i] for raw bytes (gpu_copy); N = 16, 4 or 1 bytes per access.
struct CopyBytesOp {
  uint8_t* dst;
  const uint8_t* src;
  template <int N>
  __device__ __forceinline__ Vec<uint8_t, N> load(int64_t i) const { return load_vec<N>(src + i); }
  template <int N>
  __device__ __forceinline__ void store(int64_t i, const Vec<uint8_t, N>& v) const { store_vec<N>(dst + i, v); }
};

// actions[i] += dt * f32(velocity[i]); velocity already advanced by vel_elem_offset. The product
// and the sum are rounded separately (no FMA contraction), as the eager reference computes them.
struct EulerOp {
  float* actions;         // [T * action_dim] fp32, in place
  const __half* velocity;  // [T * action_dim] fp16 (from the element offset on)
  float dt;
  template <int N>
  struct Regs {
    Vec<float, N> a;
    Vec<__half, N> v;
  };
  template <int N>
  __device__ __forceinline__ Regs<N> load(int64_t i) const {
    return {load_vec<N>(actions + i), load_vec<N>(velocity + i)};
  }
  template <int N>
  __device__ __forceinline__ void store(int64_t i, Regs<N> r) const {
#pragma unroll
    for (int k = 0; k < N; ++k) r.a.v[k] = __fadd_rn(r.a.v[k], __fmul_rn(dt, f32(r.v.v[k])));
    store_vec<N>(actions + i, r.a);
  }
};

}  // namespace flash_rt::utility
