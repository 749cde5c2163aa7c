// Split-halves ("rotate half", HF) RoPE in place (SPEC 2.6.2, rope_rotate_half_fp16):
//
//   for d < HD/2: lo = x[d], hi = x[d + HD/2], c = cos_table[s, d], s = sin_table[s, d]
//                 lo' = lo c - hi s,  hi' = hi c + lo s
//
// x: [rows, nh, hd]; cos/sin tables: [rows, hd] (row stride hd, only the first hd/2 columns
// read, so HF's cat(freqs, freqs) tables work unchanged). Products and sums rounded to fp32
// one by one, then once to T. A unit is VEC consecutive d of one head, both halves: VEC = 8
// (16-byte accesses) when hd/2 % 8 == 0 and the bases are aligned, else 1.
#pragma once

#include <cstdint>

#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/vec_io.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::rope {

// One unit: VEC consecutive d of one head, both halves, rotated in place (lo_p: its low half).
template <typename T, int VEC>
__device__ __forceinline__ void rotate_half_unit(T* lo_p, T* hi_p, const T* c_p, const T* s_p) {
  namespace u = flash_rt::utility;
  const u::Vec<T, VEC> lo = u::load_vec<VEC>(lo_p);
  const u::Vec<T, VEC> hi = u::load_vec<VEC>(hi_p);
  const u::Vec<T, VEC> c = u::load_vec<VEC>(c_p);
  const u::Vec<T, VEC> s = u::load_vec<VEC>(s_p);
  u::Vec<T, VEC> lo_out, hi_out;
#pragma unroll
  for (int k = 0; k < VEC; ++k) {
    const float l = u::f32(lo.v[k]), hh = u::f32(hi.v[k]), ck = u::f32(c.v[k]), sk = u::f32(s.v[k]);
    lo_out.v[k] = u::round_to<T>(__fsub_rn(__fmul_rn(l, ck), __fmul_rn(hh, sk)));
    hi_out.v[k] = u::round_to<T>(__fadd_rn(__fmul_rn(hh, ck), __fmul_rn(l, sk)));
  }
  u::store_vec<VEC>(lo_p, lo_out);
  u::store_vec<VEC>(hi_p, hi_out);
}

// One unit per thread, no loop (utility::plan_unit_rows' grid covers every unit): row
// grid_row(), unit grid_unit() = h * (hd / 2 / VEC) + d / VEC, indices before the wait
// (device::ready). The looping kernel below took 1.42 us at S = 16 against torch.compile's 1.37
// (H100, 8 heads of 256, session 14).
// Idx: in-row index type (uint32_t unless a row has 2^32 elements or more).
template <typename T, int VEC, typename Idx>
__global__ void __launch_bounds__(utility::kMaxRowThreads)
    rotate_half_unit_kernel(T* x, const T* cos_table, const T* sin_table, int64_t rows, int nh, int hd) {
  const int64_t row = utility::grid_row();
  const Idx unit = static_cast<Idx>(utility::grid_unit());
  const Idx per_head = static_cast<Idx>(hd / 2 / VEC);
  const Idx h = unit / per_head;
  const Idx d = (unit - h * per_head) * VEC;
  ::flash_rt::device::ready(static_cast<int64_t>(h * static_cast<Idx>(hd) + d));
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: wait, then let the next kernel in
  if (row < rows && h < static_cast<Idx>(nh)) {
    T* lo_p = x + row * (static_cast<int64_t>(nh) * hd) + h * static_cast<Idx>(hd) + d;
    rotate_half_unit<T, VEC>(lo_p, lo_p + hd / 2, cos_table + row * hd + d, sin_table + row * hd + d);
  }
}

// The same with grid-stride loops, for rows wider than the unit kernel's grid holds.
template <typename T, int VEC, typename Idx>
__global__ void __launch_bounds__(utility::kMaxRowThreads)
    rotate_half_kernel(T* x, const T* cos_table, const T* sin_table, int64_t rows, int nh, int hd) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  namespace u = flash_rt::utility;
  const Idx half = static_cast<Idx>(hd / 2);
  const Idx per_head = half / VEC;
  const int64_t units = static_cast<int64_t>(per_head * static_cast<Idx>(nh));
  for (int64_t row = u::grid_row(); row < rows; row += u::grid_row_stride()) {
    T* xr = x + row * (static_cast<int64_t>(nh) * hd);
    const T* cr = cos_table + row * hd;
    const T* sr = sin_table + row * hd;
    for (int64_t unit = u::grid_unit(); unit < units; unit += u::grid_unit_stride()) {
      const Idx h = static_cast<Idx>(unit) / per_head;
      const Idx d = (static_cast<Idx>(unit) - h * per_head) * VEC;
      T* lo_p = xr + h * static_cast<Idx>(hd) + d;
      rotate_half_unit<T, VEC>(lo_p, lo_p + half, cr + d, sr + d);
    }
  }
}

// sms: the device's SM count (the unit kernel's plan).
template <typename T>
void launch_rotate_half(T* x, const T* cos_table, const T* sin_table, int64_t rows, int nh, int hd, bool vec8,
                        int sms, cudaStream_t stream) {
  const int vec = vec8 ? 8 : 1;
  const int64_t units = static_cast<int64_t>(nh) * (hd / 2 / vec);
  const bool wide = static_cast<int64_t>(nh) * hd >= (int64_t{1} << 32);
  utility::Launch l;
  const bool unit = utility::plan_unit_rows(rows, units, sms, &l);
  if (!unit) l = utility::plan_rows(rows, units);
  utility::with_vec_idx(vec8, wide, [&](auto vec, auto idx) {
    constexpr int V = decltype(vec)::value;
    using I = decltype(idx);
    if (unit)
      ::flash_rt::device::launch(rotate_half_unit_kernel<T, V, I>, l.grid, l.block, 0, stream, x, cos_table, sin_table,
                                 rows, nh, hd);
    else
      ::flash_rt::device::launch(rotate_half_kernel<T, V, I>, l.grid, l.block, 0, stream, x, cos_table, sin_table, rows,
                                 nh, hd);
  });
}

}  // namespace flash_rt::rope
