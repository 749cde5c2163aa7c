// Row-structured utility kernels (SPEC 2.8): bias add, strided column copy, GQA head repeat.
// Work split from grid.cuh (plan_rows): one VEC-element unit per thread, VEC = 8 (16-byte
// accesses) when the launcher proved every row start aligned, else 1.
#pragma once

#include <cstdint>

#include "flash_rt/device/elementwise.cuh"
#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/vec_io.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::utility {

// x[r, c] = RN(x[r, c] + b[c]), x: [rows, dim] in place, b: [dim]. Through the row-wise
// elementwise template (device/elementwise.cuh) rather than a kernel of its own: H100, S = 256,
// D = 2048, benchmark protocol, the former row kernel took 1.49 (bf16) / 1.70 us (fp16) and did
// not gain from PDL (1.66-1.68 without), while the template's in-place ops on the same bytes
// (ReLU, the casts) take 1.13-1.17 us.
template <typename T>
struct AddBiasOp : device::EwOp {
  static constexpr bool kRowwise = true;
  T* x;          // [rows, dim]
  const T* b;    // [dim]
  int64_t dim;

  template <int V>
  struct Regs {
    device::Packed<T, V> x, b;
  };

  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t row, int64_t col) const {
    Regs<V> r;
    r.x = device::load_packed<V>(x + row * dim + col);
    r.b = device::load_packed<V>(b + col);
    return r;
  }

  template <int V>
  __device__ __forceinline__ void store(int64_t row, int64_t col, const Regs<V>& r) const {
    float xv[V], bv[V];
    device::unpack_float(r.x, xv);
    device::unpack_float(r.b, bv);
#pragma unroll
    for (int i = 0; i < V; ++i) xv[i] += bv[i];
    device::store_float<V>(x + row * dim + col, xv);
  }
};

// dst[r, c] = src[r * src_stride + col_offset + c], c < cols.   dst: [rows, cols] dense;
// src: base already advanced by col_offset.
template <typename T, int VEC>
__global__ void __launch_bounds__(kMaxRowThreads)
    strided_copy_kernel(const T* src, T* dst, int64_t rows, int cols, int64_t src_stride) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  const int64_t units = cols / VEC;
  for (int64_t row = grid_row(); row < rows; row += grid_row_stride()) {
    const T* s = src + row * src_stride;
    T* d = dst + row * cols;
    for (int64_t u = grid_unit(); u < units; u += grid_unit_stride())
      store_vec<VEC>(d + u * VEC, load_vec<VEC>(s + u * VEC));
  }
}

// dst[s, h, :] = src[s, h / repeat, :].   src: [rows, nh_src, hd], dst: [rows, nh_src * repeat, hd].
// Idx: the in-row index type (uint32_t unless a row has 2^32 elements or more).
template <typename T, int VEC, typename Idx>
__global__ void __launch_bounds__(kMaxRowThreads)
    repeat_heads_kernel(const T* src, T* dst, int64_t rows, int nh_src, int hd, int repeat) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  const Idx width = static_cast<Idx>(nh_src) * repeat * hd;  // dst row
  const int64_t units = static_cast<int64_t>(width / VEC);
  for (int64_t row = grid_row(); row < rows; row += grid_row_stride()) {
    const T* s = src + row * (static_cast<int64_t>(nh_src) * hd);
    T* d = dst + row * static_cast<int64_t>(width);
    for (int64_t u = grid_unit(); u < units; u += grid_unit_stride()) {
      const Idx e = static_cast<Idx>(u) * VEC;
      const Idx h = e / static_cast<Idx>(hd);
      const Idx c = e - h * static_cast<Idx>(hd);
      const Idx from = (h / static_cast<Idx>(repeat)) * static_cast<Idx>(hd) + c;
      store_vec<VEC>(d + e, load_vec<VEC>(s + from));
    }
  }
}

}  // namespace flash_rt::utility
