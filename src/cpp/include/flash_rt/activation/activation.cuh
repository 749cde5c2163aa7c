// Activation group (SPEC 2.2): in-place activations and the fused a <- SiLU(a + b), as flat
// elementwise ops for device/elementwise.cuh (any n; vectorised when the buffers allow).
#pragma once

#include "flash_rt/activation/functions.cuh"
#include "flash_rt/device/elementwise.cuh"

namespace flash_rt::activation {

struct ReluF {
  static constexpr device::EwMath kMath = device::EwMath::kCheap;
  __device__ __forceinline__ float operator()(const float (&v)[1]) const { return relu(v[0]); }
};
// GELU (tanh approximation), SiLU and a <- SiLU(a + b) (the fp32 sum: no rounding between the
// add and the activation, SPEC 2.2), on the special-function unit (functions.cuh says why and
// how accurate): every entry of this group has a 16-bit output.
struct GeluSfuF {
  static constexpr device::EwMath kMath = device::EwMath::kSfu;
  __device__ __forceinline__ float operator()(const float (&v)[1]) const { return gelu_sfu(v[0]); }
};
struct SiluSfuF {
  static constexpr device::EwMath kMath = device::EwMath::kSfu;
  __device__ __forceinline__ float operator()(const float (&v)[1]) const { return silu_sfu(v[0]); }
};
struct AddSiluSfuF {
  static constexpr device::EwMath kMath = device::EwMath::kSfu;
  __device__ __forceinline__ float operator()(const float (&v)[2]) const { return silu_sfu(v[0] + v[1]); }
};

// x <- F(x): in[0] = out = x.
template <typename T, class F>
using UnaryInplaceOp = device::MapOp<T, 1, F, device::Encoder<T, device::Store::kSame>>;
// a <- SiLU(a + b): in = {a, b}, out = a.
template <typename T>
using AddSiluOp = device::MapOp<T, 2, AddSiluSfuF, device::Encoder<T, device::Store::kSame>>;

}  // namespace flash_rt::activation
