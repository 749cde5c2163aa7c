// Work splits shared by the memory-bound kernels of the rope, patch and utility groups (no
// reductions, every output element written by exactly one thread).
//
// Row kernels: `rows` rows of `units` work units each (a unit is one 16-byte vector, or one
// scalar element / element pair on the fallback path). threadIdx.x walks the units of a row,
// threadIdx.y picks one of the rows a CTA shares (narrow rows), blockIdx.x the row group and
// blockIdx.y a chunk of a wide row (both loop when the grid would be too large). One unit per
// thread is the common case, so even a single row (decode, S = 1) has all its loads in flight
// at once, and the index math needs no division by the row width. All offsets are 64-bit.
//
// Flat kernels: n elements in VEC-element units, one unit per thread (grid-stride beyond the
// grid cap), then the n % VEC tail elements one per thread: nothing is left unwritten.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include "flash_rt/device/launch.cuh"

namespace flash_rt::utility {

inline constexpr int kCtaThreads = 256;     // target threads per CTA
inline constexpr int kMaxRowThreads = 512;  // a wider row is split into chunks (blockIdx.y)
inline constexpr int64_t kMaxGridX = (int64_t{1} << 31) - 1;  // more rows: the kernels loop
inline constexpr int64_t kMaxGridY = 65535;
inline constexpr int64_t kMaxFlatBlocks = int64_t{1} << 30;

struct Launch {
  dim3 grid;
  dim3 block;
};

// rows x units, units >= 1. The chunk width is a multiple of 32 close to units / chunks, so a
// 320-unit row (2560 bf16 columns) is one CTA of 320 threads, not 512 with 192 idle.
inline Launch plan_rows(int64_t rows, int64_t units) {
  units = std::max<int64_t>(units, 1);
  const int64_t chunks = (units + kMaxRowThreads - 1) / kMaxRowThreads;
  const int64_t per_chunk = (units + chunks - 1) / chunks;
  const int bx = static_cast<int>((per_chunk + 31) / 32 * 32);
  const int by = bx >= kCtaThreads ? 1 : kCtaThreads / bx;
  Launch l;
  l.block = dim3(bx, by);
  l.grid = dim3(static_cast<unsigned>(std::min((rows + by - 1) / by, kMaxGridX)),
                static_cast<unsigned>(std::min(chunks, kMaxGridY)));
  return l;
}

// Loop-free row kernels (one unit per thread, the grid covers every unit: gpu_repeat_interleave_heads,
// rope_rotate_half_fp16): rows in chunks of <= 128 units balanced to whole warps, one row a CTA
// while the grid is under 4 CTAs per SM, else rows stacked to CTAs of ~128 threads. A grid-stride
// loop cost 0.13 us a call at S = 1 (H100, patch_embed_bias_pos, session 13), and 128-unit chunks
// one row a CTA were its fastest small-grid plan (benchmarks/probe_bias_pos_protocol.py --sweep).
// False when the grid cannot hold the rows (then the caller's looping kernel).
inline constexpr int kUnitChunk = 128;
inline bool plan_unit_rows(int64_t rows, int64_t units, int64_t sms, Launch* l) {
  units = std::max<int64_t>(units, 1);
  const int64_t chunks = (units + kUnitChunk - 1) / kUnitChunk;
  const int bx = static_cast<int>(((units + chunks - 1) / chunks + 31) / 32 * 32);
  const int by = rows * chunks >= 4 * sms ? std::max(1, kUnitChunk / bx) : 1;
  if (chunks > kMaxGridY || (rows + by - 1) / by > kMaxGridX) return false;
  l->block = dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by));
  l->grid = dim3(static_cast<unsigned>((rows + by - 1) / by), static_cast<unsigned>(chunks));
  return true;
}

// Calls f(std::integral_constant<int, VEC>{}, Idx{}) with VEC = 8 or 1 and Idx = uint64_t or
// uint32_t: picks the instance of a row kernel templated on its vector width and in-row index type.
template <class F>
void with_vec_idx(bool vec8, bool wide, F&& f) {
  if (vec8) {
    if (wide) f(std::integral_constant<int, 8>{}, uint64_t{});
    else f(std::integral_constant<int, 8>{}, uint32_t{});
  } else {
    if (wide) f(std::integral_constant<int, 1>{}, uint64_t{});
    else f(std::integral_constant<int, 1>{}, uint32_t{});
  }
}

// n units (and up to VEC - 1 tail elements): one unit per thread.
inline Launch plan_flat(int64_t units) {
  const int64_t blocks = std::max<int64_t>(1, (units + kCtaThreads - 1) / kCtaThreads);
  Launch l;
  l.block = dim3(kCtaThreads);
  l.grid = dim3(static_cast<unsigned>(std::min(blocks, kMaxFlatBlocks)));
  return l;
}

// ---- device side ------------------------------------------------------------------------

// The first row this thread works on (may be >= rows in the last CTA), and the stride to its
// next one (only when there are more rows than the grid holds).
__device__ __forceinline__ int64_t grid_row() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
}
__device__ __forceinline__ int64_t grid_row_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.y;
}
// First unit of this thread in its row, and the stride to its next one (wide rows only).
__device__ __forceinline__ int64_t grid_unit() {
  return static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_unit_stride() {
  return static_cast<int64_t>(gridDim.y) * blockDim.x;
}

__device__ __forceinline__ int64_t flat_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t flat_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

// Flat kernel: op's load and store halves (flat_ops.cuh) for every unit start i = 0, VEC, 2 VEC,
// ... < n - n % VEC, then for the n % VEC tail elements one by one. trigger_late: the next grid is
// let in (PDL) after this thread's first loads are issued, not at the start (ew_trigger_late in
// device/launch.cuh says when and why).
template <int VEC, class Op>
__global__ void __launch_bounds__(kCtaThreads) flat_kernel(Op op, int64_t n, bool trigger_late) {
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global access
  // Each thread signals once: a second signal after the stores cost the late placement most of
  // its gain (H100, S = 256 cast: 1.20 us against 1.12 signalling once, session 12).
  bool triggered = !trigger_late;
  if (triggered) ::flash_rt::device::pdl_trigger();
  const int64_t units = n / VEC;
  const int64_t stride = flat_stride();
  for (int64_t u = flat_thread(); u < units; u += stride) {
    const auto r = op.template load<VEC>(u * VEC);
    if (!triggered) ::flash_rt::device::pdl_trigger(), triggered = true;
    op.template store<VEC>(u * VEC, r);
  }
  if (!triggered) ::flash_rt::device::pdl_trigger();  // threads without a whole unit
  if constexpr (VEC > 1) {
    for (int64_t i = units * VEC + flat_thread(); i < n; i += stride) op.template store<1>(i, op.template load<1>(i));
  }
}

// num_sms: the device's SM count (picks the trigger placement).
template <int VEC, class Op>
void launch_flat(const Op& op, int64_t n, int num_sms, cudaStream_t stream) {
  const Launch l = plan_flat(n / VEC);
  ::flash_rt::device::launch(flat_kernel<VEC, Op>, l.grid, l.block, 0, stream, op, n,
                             ::flash_rt::device::ew_trigger_late(l.grid.x, num_sms));
}

// Write-only ops (fills) over more than one wave: kFillUnits units per thread, unit
// (blockIdx.x * kFillUnits + k) * 256 + threadIdx.x (each store instruction stays coalesced), no
// loop, the PDL trigger at the start (there are no loads to wait for); then the tail as
// flat_kernel. H100, session 16 (benchmarks/probe_fill.py, the benchmark's timer, warm L2):
// gpu_fill_neginf_fp16 at 4096 x 2048 took 4.86 us with two units per thread (2048 CTAs), 4.93
// with four, 5.71 with flat_kernel's one (torch.compile 5.65); at 1024 x 2048 (under one wave of
// 8 CTAs per SM) two units were no faster (1.94-2.07 against 1.98), so smaller fills keep
// flat_kernel, whose one unit per thread spreads a small fill over the most SMs. The package's
// full benchmark (session 17, H100): 4096 x 2048 4.98 us, torch.compile 5.65.
inline constexpr int kFillUnits = 2;
template <int VEC, class Op>
__global__ void __launch_bounds__(kCtaThreads) fill_kernel(Op op, int64_t n) {
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global access
  ::flash_rt::device::pdl_trigger();
  const int64_t units = n / VEC;
#pragma unroll
  for (int k = 0; k < kFillUnits; ++k) {
    const int64_t u = (static_cast<int64_t>(blockIdx.x) * kFillUnits + k) * kCtaThreads + threadIdx.x;
    if (u < units) op.template store<VEC>(u * VEC, op.template load<VEC>(u * VEC));
  }
  if constexpr (VEC > 1) {
    if (blockIdx.x == gridDim.x - 1) {
      for (int64_t i = units * VEC + threadIdx.x; i < n; i += kCtaThreads)
        op.template store<1>(i, op.template load<1>(i));
    }
  }
}

// A write-only op: fill_kernel when flat_kernel's grid would be more than 8 CTAs per SM (and the
// grid holds it), else launch_flat.
template <int VEC, class Op>
void launch_fill(const Op& op, int64_t n, int num_sms, cudaStream_t stream) {
  const int64_t per_cta = int64_t{kCtaThreads} * kFillUnits;
  const int64_t blocks = (n / VEC + per_cta - 1) / per_cta;
  if (num_sms <= 0 || n / VEC <= int64_t{8} * num_sms * kCtaThreads || blocks > kMaxFlatBlocks) {
    launch_flat<VEC>(op, n, num_sms, stream);
    return;
  }
  ::flash_rt::device::launch(fill_kernel<VEC, Op>, dim3(static_cast<unsigned>(blocks)), dim3(kCtaThreads), 0, stream,
                             op, n);
}

}  // namespace flash_rt::utility
