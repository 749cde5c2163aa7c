// Residual updates of the fused group (SPEC 2.3): residual <- residual + (something), all in
// fp32 with one rounding to the storage type. Flat ones go through device::MapOp with the
// residual as in[0] and as the output; the bias broadcast is row-wise.
#pragma once

#include <cstdint>

#include "flash_rt/device/elementwise.cuh"

namespace flash_rt::fused {

// in = {residual, x}:            residual + x
struct AddF {
  static constexpr device::EwMath kMath = device::EwMath::kCheap;
  __device__ __forceinline__ float operator()(const float (&v)[2]) const { return v[0] + v[1]; }
};
// in = {residual, x, gate}:      residual + x * gate
struct GateMulAddF {
  static constexpr device::EwMath kMath = device::EwMath::kCheap;
  __device__ __forceinline__ float operator()(const float (&v)[3]) const { return v[0] + v[1] * v[2]; }
};
// in = {residual, v_cond, v_uncond}:   residual + v_u + beta * (v_c - v_u)
struct CfgF {
  static constexpr device::EwMath kMath = device::EwMath::kCheap;
  float beta;
  __device__ __forceinline__ float operator()(const float (&v)[3]) const {
    return v[0] + v[2] + beta * (v[1] - v[2]);
  }
};

template <typename T, int N, class F>
using ResidualOp = device::MapOp<T, N, F, device::Encoder<T, device::Store::kSame>>;

// residual[s, j] <- residual[s, j] + x[s, j] + bias[j]
template <typename T>
struct BiasResidualOp : device::EwOp {
  static constexpr bool kRowwise = true;
  T* residual;     // [S, D]
  const T* x;      // [S, D]
  const T* bias;   // [D]
  int64_t dim;     // D

  template <int V>
  struct Regs {
    device::Packed<T, V> r, x, b;
    __device__ __forceinline__ void fence() { device::fence_packed(r), device::fence_packed(x), device::fence_packed(b); }
  };

  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t row, int64_t col) const {
    const int64_t off = row * dim + col;
    Regs<V> g;
    g.r = device::load_packed<V>(residual + off);
    g.x = device::load_packed<V>(x + off);
    g.b = device::load_packed<V>(bias + col);
    return g;
  }

  template <int V>
  __device__ __forceinline__ void store(int64_t row, int64_t col, const Regs<V>& g) const {
    float r[V], xv[V], b[V];
    device::unpack_float(g.r, r);
    device::unpack_float(g.x, xv);
    device::unpack_float(g.b, b);
#pragma unroll
    for (int i = 0; i < V; ++i) r[i] = r[i] + xv[i] + b[i];
    device::store_float<V>(residual + row * dim + col, r);
  }
};

}  // namespace flash_rt::fused
