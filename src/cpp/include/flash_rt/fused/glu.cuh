// Gated linear units of the fused group (SPEC 2.3): out = act(g) * u with act = GELU_t (the
// sigmoid-form tanh GELU) or SiLU, from two separate buffers (flat, any n) or from one merged
// [S, 2H] buffer (gate in columns [0, H), up in [H, 2H)), stored as the input dtype or as
// scaled FP8 (device/elementwise.cuh encoders).
#pragma once

#include <cstdint>

#include "flash_rt/activation/functions.cuh"
#include "flash_rt/device/elementwise.cuh"

namespace flash_rt::fused {

// GELU_t(g) * u in fp32, one rounding at the store.
template <bool FastExp>
struct GegluF {
  static constexpr device::EwMath kMath = device::EwMath::kAccurate;  // __expf or not: the division
  __device__ __forceinline__ float operator()(const float (&v)[2]) const {
    return activation::gelu_sigmoid<FastExp>(v[0]) * v[1];
  }
};
// SiLU(g) * u (SwiGLU).
struct SwigluF {
  static constexpr device::EwMath kMath = device::EwMath::kAccurate;
  __device__ __forceinline__ float operator()(const float (&v)[2]) const { return activation::silu(v[0]) * v[1]; }
};

// The same on the special-function unit (activation/functions.cuh: 16-bit outputs).
struct GegluSfuF {
  static constexpr device::EwMath kMath = device::EwMath::kSfu;
  __device__ __forceinline__ float operator()(const float (&v)[2]) const { return activation::gelu_sfu(v[0]) * v[1]; }
};
struct SwigluSfuF {
  static constexpr device::EwMath kMath = device::EwMath::kSfu;
  __device__ __forceinline__ float operator()(const float (&v)[2]) const { return activation::silu_sfu(v[0]) * v[1]; }
};

// Separate buffers: in = {gate, up}, [n] each.
template <typename T, class F, class Enc>
using SplitGluOp = device::MapOp<T, 2, F, Enc>;

// Merged buffer: out[s, h] = F(m[s, h], m[s, H + h]). Row-wise: a vector never straddles the
// gate/up boundary or a row (the launcher vectorises only when H % 8 == 0).
template <typename T, class F, class Enc>
struct MergedGluOp : device::EwOp {
  static constexpr bool kRowwise = true;
  static constexpr device::EwMath kMath = F::kMath;
  const T* merged;                 // [S, 2H]
  typename Enc::Elem* out;         // [S, H]
  int64_t half_dim;                // H
  F f;
  Enc enc;

  template <int V>
  struct Regs {
    device::Packed<T, V> g, u;
    __device__ __forceinline__ void fence() { device::fence_packed(g), device::fence_packed(u); }
  };

  __device__ __forceinline__ void init() { enc.init(); }

  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t row, int64_t col) const {
    const T* m = merged + row * 2 * half_dim + col;
    Regs<V> r;
    r.g = device::load_packed<V>(m);
    r.u = device::load_packed<V>(m + half_dim);
    return r;
  }

  template <int V>
  __device__ __forceinline__ void store(int64_t row, int64_t col, const Regs<V>& r) const {
    float g[V], u[V], y[V];
    device::unpack_float(r.g, g);
    device::unpack_float(r.u, u);
#pragma unroll
    for (int i = 0; i < V; ++i) {
      const float e[2] = {g[i], u[i]};
      y[i] = f(e);
    }
    enc.template store<V>(out + row * half_dim + col, y);
  }
};

}  // namespace flash_rt::fused
