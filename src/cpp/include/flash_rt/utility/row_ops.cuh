// Row-structured utility kernels (SPEC 2.8): bias add, strided column copy, GQA head repeat.
// Work split from grid.cuh (plan_rows): one VEC-element unit per thread, VEC = 8 (16-byte
// accesses) when the launcher proved every row start aligned, else 1.
#pragma once

#include <cstdint>

#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/vec_io.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::utility {

// x[r, c] = RN(x[r, c] + b[c]).                       x: [rows, dim] in place, b: [dim]
// Two other splits were measured against this one (H100, benchmark protocol, 2026-11-27 session
// 6) and were slower: the row-wise elementwise template (S = 256: bf16 1.70 us against 1.49;
// fp16 1.74 against 1.68) and column slices of R rows per thread in 64-thread CTAs (S = 256:
// 1.60, but S = 1 0.92 against 0.78 and S = 4096 7.97 against 7.05). A third, 4-element
// vectors at S = 256 (the elementwise template's VEC 4 band), timed 1.30 us in some CUDA-graph
// captures and 1.67-1.71 in others (benchmarks/probe_capture_spread.py; bf16 1.67 in the
// benchmark against 1.49 here), so it was not kept either. Until session 8 this kernel ran in the
// slower of the two timing modes that PDL graphs show at S = 256 (docs/RESULTS-2026-11-27-H100-
// session6.md). What moved it: the next grid is now let in after this thread's first loads are
// issued, not at the start (pdl_trigger_late in device/launch.cuh has the norms' case). H100, six
// separate captures each (benchmarks/probe_capture_spread.py, session 8 round 8): fp16 1.68-1.69
// -> 1.24-1.25 us, bf16 1.48-1.52 -> 1.26; S = 1 0.78 -> 0.92-0.93 us is the price (compile 1.15).
// `trigger_late`: device/elementwise.cuh's ew_trigger_late for this grid.
template <typename T, int VEC>
__global__ void __launch_bounds__(kMaxRowThreads)
    add_bias_kernel(T* x, const T* b, int64_t rows, int dim, bool trigger_late) {
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global access
  const int64_t units = dim / VEC;
  bool triggered = !trigger_late;
  if (triggered) ::flash_rt::device::pdl_trigger();
  for (int64_t row = grid_row(); row < rows; row += grid_row_stride()) {
    T* xr = x + row * dim;
    for (int64_t u = grid_unit(); u < units; u += grid_unit_stride()) {
      const int64_t c = u * VEC;
      Vec<T, VEC> v = load_vec<VEC>(xr + c);
      const Vec<T, VEC> w = load_vec<VEC>(b + c);
      if (!triggered) ::flash_rt::device::pdl_trigger(), triggered = true;
#pragma unroll
      for (int k = 0; k < VEC; ++k) v.v[k] = round_to<T>(f32(v.v[k]) + f32(w.v[k]));
      store_vec<VEC>(xr + c, v);
    }
  }
  if (!triggered) ::flash_rt::device::pdl_trigger();  // a thread without work
}

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
//
// One thread per source unit, no loop: it loads the unit once and stores it to its `repeat`
// copies (dst heads h * repeat ... h * repeat + repeat - 1, one head apart). Row grid_row(), unit
// grid_unit() of the launcher's grid, which covers every unit; the indices are computed before
// the PDL wait (device::ready). For small grids: there the loop over destination units below (one
// load and one store each) took 1.02 us at S = 1 and 1.67 at S = 256 against torch.compile's 1.14
// and 1.50 (H100, 1 -> 8 heads of 256); past 2048 destination units per SM the launcher keeps
// that kernel (rows.cu says why).
template <typename T, int VEC, typename Idx>
__global__ void __launch_bounds__(kMaxRowThreads)
    repeat_heads_unit_kernel(const T* src, T* dst, int64_t rows, int nh_src, int hd, int repeat) {
  const int64_t row = grid_row();
  const Idx e = static_cast<Idx>(grid_unit()) * VEC;  // element of the source row
  const Idx h = e / static_cast<Idx>(hd);
  const Idx first = (h * static_cast<Idx>(repeat)) * static_cast<Idx>(hd) + (e - h * static_cast<Idx>(hd));
  ::flash_rt::device::ready(static_cast<int64_t>(first));
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: wait, then let the next kernel in
  const Idx width = static_cast<Idx>(nh_src) * static_cast<Idx>(hd);  // source row
  if (row < rows && e < width) {
    const Vec<T, VEC> v = load_vec<VEC>(src + row * static_cast<int64_t>(width) + e);
    T* d = dst + row * (static_cast<int64_t>(width) * repeat) + first;
    for (int r = 0; r < repeat; ++r) store_vec<VEC>(d + static_cast<Idx>(r) * static_cast<Idx>(hd), v);
  }
}

// One destination unit per thread (grid-stride loops): large grids, and source rows wider than the
// unit kernel's grid holds (the launcher says when).
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
