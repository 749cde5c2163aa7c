// Vision patch embedding helpers (SPEC 2.7): im2col of 224x224x3 NHWC images into 14x14
// patches, and the bias + position-embedding add that follows the patch GEMM.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/vec_io.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::patch {

// Geometry fixed by the contract.
inline constexpr int kImage = 224;                         // pixels per side
inline constexpr int kPatch = 14;                          // pixels per patch side
inline constexpr int kChannels = 3;
inline constexpr int kGrid = kImage / kPatch;              // 16 patches per side
inline constexpr int kPatches = kGrid * kGrid;             // 256 per view
inline constexpr int kFeatures = kPatch * kPatch * kChannels;  // 588 per patch
inline constexpr int kRun = kPatch * kChannels;            // 42: one patch row, contiguous in NHWC
inline constexpr int64_t kImageElems = int64_t{kImage} * kImage * kChannels;

// out[b*256 + py*16 + px, (ky*14 + kx)*3 + c] = in[b, py*14 + ky, px*14 + kx, c].
// A unit is VEC elements of one 42-element run, VEC = 2 (4-byte accesses: every run starts at
// an even element on both sides, but 8-byte alignment differs between the input and output
// runs) or 1. Each thread owns the same unit of kIm2colRows consecutive patches (one grid row
// = one group of patches) and issues all their loads before the first store: with 4-byte
// accesses one load per thread kept too few bytes in flight to reach the copy bandwidth.
inline constexpr int kIm2colRows = 4;

template <int VEC>
__global__ void __launch_bounds__(utility::kMaxRowThreads)
    im2col_kernel(const __half* in, __half* out, int64_t rows) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  static_assert(kRun % VEC == 0 && kFeatures % VEC == 0);
  const int64_t groups = (rows + kIm2colRows - 1) / kIm2colRows;
  for (int64_t g = utility::grid_row(); g < groups; g += utility::grid_row_stride()) {
    for (int64_t u = utility::grid_unit(); u < kFeatures / VEC; u += utility::grid_unit_stride()) {
      const int col = static_cast<int>(u) * VEC;
      const int ky = col / kRun;
      const int rem = col - ky * kRun;  // (kx, c) within the run
      utility::Vec<__half, VEC> v[kIm2colRows];
#pragma unroll
      for (int k = 0; k < kIm2colRows; ++k) {
        const int64_t row = g * kIm2colRows + k;
        if (row < rows) {
          const int64_t b = row / kPatches;
          const int p = static_cast<int>(row - b * kPatches);
          const int py = p / kGrid, px = p % kGrid;
          v[k] = utility::load_vec<VEC>(in + b * kImageElems +
                                        (int64_t{py * kPatch + ky} * kImage + px * kPatch) * kChannels + rem);
        }
      }
#pragma unroll
      for (int k = 0; k < kIm2colRows; ++k) {
        const int64_t row = g * kIm2colRows + k;
        if (row < rows) utility::store_vec<VEC>(out + row * kFeatures + col, v[k]);
      }
    }
  }
}

// The 16-byte path (both bases 16-byte aligned). One CTA takes kGroupsPerCta groups; a group is
// kGroup = 4 neighbouring patches of one patch row (image b, row py, patches 4q .. 4q + 3):
//   * its input is 14 image-row segments of 4 * 42 elements: 336 bytes each, 16-byte aligned;
//   * its output is 4 whole output rows: 4 * 588 contiguous elements, 16-byte aligned.
// So both sides move as 16-byte vectors (294 per group), and the (ky, px) -> (px, ky) permutation
// happens in shared memory. Groups are numbered (b * 16 + py) * 4 + q, so group g's output
// starts at row 4 g. H100, 256 images, cold L2: the 4-byte path reached 0.95 of the copy
// bandwidth against torch.compile's 0.96-0.98, this one 0.97 (52.9 against 53.1 us).
inline constexpr int kGroup = 4;
inline constexpr int kGroupsPerRow = kGrid / kGroup;          // 4
inline constexpr int kGroupRun = kGroup * kRun;               // 168 elements per image row
inline constexpr int kSegVecs = kGroupRun / 8;                // 21 vectors per image-row segment
inline constexpr int kGroupVecs = kPatch * kSegVecs;          // 294 vectors in, 294 out
inline constexpr int kGroupElems = kGroup * kFeatures;        // 2352
inline constexpr int kGroupThreads = 320;                     // >= kGroupVecs, whole warps

// The first input element of group g (image b, patch row py, patches 4q .. 4q + 3): the start
// of its first 336-byte image-row segment; row ky's segment is kImage * kChannels further per ky.
__device__ __forceinline__ int64_t group_offset(int64_t g) {
  const int64_t bp = g / kGroupsPerRow;  // b * 16 + py
  const int q = static_cast<int>(g - bp * kGroupsPerRow);
  const int64_t b = bp / kGrid;
  const int py = static_cast<int>(bp - b * kGrid);
  return b * kImageElems + (int64_t{py} * kPatch * kImage + q * kGroup * kPatch) * kChannels;
}
__device__ __forceinline__ const __half* group_input(const __half* in, int64_t g) { return in + group_offset(g); }

// Output elements e, e + 1 (e even: both in one run, as 588 and 42 are even) of a span of whole
// patches, read from a tile of image-row segments [ky][row_elems] in which the span's first
// patch starts at element `first` of every row.
__device__ __forceinline__ uint32_t tile_pair(const __half* tile, int row_elems, int first, int e) {
  const int p = e / kFeatures, f = e - p * kFeatures;
  const int ky = f / kRun, r = f - ky * kRun;
  return *reinterpret_cast<const uint32_t*>(&tile[ky * row_elems + first + p * kRun + r]);
}

// kGroupsPerCta: 2 (two groups' loads in flight per thread) when there are enough groups to
// fill the GPU, else 1. The launcher takes this kernel past a few views only (below them, the
// half-group kernel), so the next kernel may launch from the start (H100, 16 views: 2.86 us
// signalling at the start, 2.87 after the exchange).
// prefetch: before the wait, each thread asks L2 for its vectors of the CTA's first groups
// (device::prefetch_l2), so that a cold call's DRAM reads start during the previous grid's tail.
// H100, benchmark timer (benchmarks/probe_im2col_views.py, session 14), two groups a CTA: cold
// (inputs rotated over 3x L2) 32 views 8.05 -> 7.00 us, 256 views 52.6 -> 51.0; but warm (the
// input in L2) 32 views 4.43 -> 5.06, the prefetches adding L2 traffic where L2 is the limit. The
// launcher asks for it past 16 views (more than 4096 patch rows, 4.8 MB of input), where the
// input is not expected to sit in L2.
template <int kGroupsPerCta>
__global__ void __launch_bounds__(kGroupThreads)
    im2col_group_kernel(const __half* in, __half* out, int64_t groups, bool prefetch) {
  const int t = threadIdx.x;
  const int64_t g0 = int64_t{blockIdx.x} * kGroupsPerCta;  // < groups: the grid has no empty CTA
  const int64_t src = int64_t{t / kSegVecs} * kImage * kChannels + (t % kSegVecs) * 8;  // in a group's input
  if (prefetch && t < kGroupVecs) ::flash_rt::device::prefetch_l2(in + group_offset(g0) + src);
  if (prefetch && kGroupsPerCta > 1 && t < kGroupVecs && g0 + 1 < groups) ::flash_rt::device::prefetch_l2(in + group_offset(g0 + 1) + src);
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global load
  ::flash_rt::device::pdl_trigger();
  static_assert(kGroupRun % 8 == 0 && kGroupElems % 8 == 0 && kGroupThreads >= kGroupVecs);
  __shared__ alignas(16) __half tile[kGroupsPerCta][kPatch * kGroupRun];  // [ky][px_local * 42 + kx * 3 + c]
  for (int64_t gb = g0; gb < groups; gb += int64_t{gridDim.x} * kGroupsPerCta) {
    uint4 v[kGroupsPerCta];
#pragma unroll
    for (int k = 0; k < kGroupsPerCta; ++k)
      if (t < kGroupVecs && gb + k < groups) v[k] = *reinterpret_cast<const uint4*>(in + group_offset(gb + k) + src);
#pragma unroll
    for (int k = 0; k < kGroupsPerCta; ++k)  // vector t of the group's input: row t / 21, vector t % 21
      if (t < kGroupVecs && gb + k < groups) *reinterpret_cast<uint4*>(&tile[k][t * 8]) = v[k];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kGroupsPerCta; ++k) {
      const int64_t g = gb + k;
      if (t < kGroupVecs && g < groups) {
        uint32_t w[4];
#pragma unroll
        for (int h = 0; h < 4; ++h) w[h] = tile_pair(tile[k], kGroupRun, 0, t * 8 + 2 * h);
        *reinterpret_cast<uint4*>(out + g * kGroupElems + t * 8) = make_uint4(w[0], w[1], w[2], w[3]);
      }
    }
    __syncthreads();  // the tile is refilled by the next iteration
  }
}

// The few-views path: one CTA per half group (patches 4q + 2h, 4q + 2h + 1), one task per CTA,
// no loop. Half h's input is bytes [168 h, 168 h + 168) of each 336-byte segment, covered by the
// 11 aligned 16-byte vectors from vector 10 h (the half starts at element 4 h of its tile
// row); its output is two whole rows, 2352 bytes, 16-byte aligned. One view: 128 CTAs of 160
// threads against the group kernel's 64 of 320: half the bytes per SM, and no loop or second
// barrier. H100, graph replay, warm L2 (benchmarks/probe_patch_latency.cu, round 12 of
// docs/RESULTS-2026-11-28-H100-session12.md): 1.02 us against the group kernel's 1.13 (a copy of
// the same bytes: 0.84; torch.compile: 1.34-1.36).
inline constexpr int kHalfPatches = 2;
inline constexpr int kHalfSegVecs = 11;
inline constexpr int kHalfLoads = kPatch * kHalfSegVecs;            // 154
inline constexpr int kHalfOutVecs = kHalfPatches * kFeatures / 8;   // 147
inline constexpr int kHalfThreads = 160;                            // whole warps >= both
// Half 1 starts at byte 2 * 84 = 168 of the segment: vector 10, element 4 within it.
inline constexpr int kHalfFirstVec = kHalfPatches * kRun * 2 / 16, kHalfFirstElem = kHalfPatches * kRun - 8 * kHalfFirstVec;

// Thread t < kHalfLoads loads vector j = t % 11 of segment ky = t / 11 into tile[t * 8], so
// its input offset depends on the block and thread indices only: it is computed before the wait
// (device::ready), as patch_embed_bias_pos's indices are (0.06 us there at S = 1). Here it made no
// measurable change (H100, 3 views: 1.27 against 1.27 us, benchmarks/probe_im2col_views.py,
// session 14); kept as the same pattern, no slower.
__device__ __forceinline__ int64_t half_group_load(int64_t g, int h, int t) {
  const int ky = t / kHalfSegVecs, j = t - ky * kHalfSegVecs;
  return group_offset(g) + int64_t{ky} * kImage * kChannels + (kHalfFirstVec * h + j) * 8;
}

__global__ void __launch_bounds__(kHalfThreads)
    im2col_half_group_kernel(const __half* in, __half* out, int64_t groups) {
  const int64_t src = half_group_load(blockIdx.x / 2, static_cast<int>(blockIdx.x & 1), threadIdx.x);
  ::flash_rt::device::ready(src);
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global access
  static_assert(kHalfPatches * kFeatures % 8 == 0 && kHalfThreads >= kHalfLoads && kHalfThreads >= kHalfOutVecs);
  static_assert(kHalfFirstVec + kHalfSegVecs == kSegVecs && kHalfFirstElem % 2 == 0);
  __shared__ alignas(16) __half tile[kPatch * kHalfSegVecs * 8];
  const int t = threadIdx.x;
  const int64_t g = blockIdx.x / 2;
  const int h = static_cast<int>(blockIdx.x & 1);
  if (g >= groups) return;  // the launcher's grid is exact; kept for safety (before any barrier)
  if (t < kHalfLoads) *reinterpret_cast<uint4*>(&tile[t * 8]) = *reinterpret_cast<const uint4*>(in + src);
  __syncthreads();
  // Once every thread has its data the next kernel may launch (small grids: the norms do the same
  // after their statistics, norm/row_norm.cuh).
  ::flash_rt::device::pdl_trigger();
  if (t < kHalfOutVecs) {
    uint32_t w[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) w[k] = tile_pair(tile, kHalfSegVecs * 8, kHalfFirstElem * h, t * 8 + 2 * k);
    *reinterpret_cast<uint4*>(out + (g * kGroup + kHalfPatches * h) * kFeatures + t * 8) =
        make_uint4(w[0], w[1], w[2], w[3]);
  }
}

// out[i, j] = RN16(out[i, j] + bias[j] + pos[i mod s_per_view, j]), added left to right in fp32.
// out: [rows, dim] in place, bias: [dim], pos: [s_per_view, dim]; VEC-element units.
__device__ __forceinline__ int64_t pos_row(int64_t row, int s_per_view) {
  // rows is the entry's int S, so row < 2^31: a 32-bit remainder, and none within the first view
  // (S <= 256, every decode step). A 64-bit remainder here sat in front of the pos load: H100,
  // S = 1, D = 2048, 1.20 -> 0.93 us (torch.compile 1.18).
  return row < s_per_view ? row
                          : static_cast<int64_t>(static_cast<uint32_t>(row) % static_cast<uint32_t>(s_per_view));
}

template <int VEC>
__device__ __forceinline__ void bias_pos_unit(__half* o, const __half* bias, const __half* pr, int64_t c) {
  auto v = utility::load_vec<VEC>(o + c);
  const auto b = utility::load_vec<VEC>(bias + c);
  const auto q = utility::load_vec<VEC>(pr + c);
#pragma unroll
  for (int k = 0; k < VEC; ++k)
    v.v[k] = __float2half_rn((utility::f32(v.v[k]) + utility::f32(b.v[k])) + utility::f32(q.v[k]));
  utility::store_vec<VEC>(o + c, v);
}

// One unit per thread and no loop: row blockIdx.x * blockDim.y + threadIdx.y, unit blockIdx.y *
// blockDim.x + threadIdx.x (the launcher's grid covers every unit). The loop of bias_pos_kernel
// below cost 0.13 us a call at S = 1 (H100, benchmark timer, D = 2048: 0.869 -> 0.737 us;
// benchmarks/probe_bias_pos_protocol.py, docs/RESULTS-2026-11-28-H100-session13.md). The PDL
// signal is at the start: after the loads it was slower for every CTA size there (0.90-0.96).
// The indices are computed before the wait (registers only, device::ready): S = 1, 0.775 -> 0.711.
template <int VEC>
__global__ void __launch_bounds__(utility::kMaxRowThreads) bias_pos_unit_kernel(__half* out, const __half* bias,
                                                                                const __half* pos, int rows, int dim,
                                                                                int s_per_view) {
  const int64_t c = (int64_t{blockIdx.y} * blockDim.x + threadIdx.x) * VEC;
  const int64_t row = int64_t{blockIdx.x} * blockDim.y + threadIdx.y;
  const int64_t prow = pos_row(row, s_per_view);
  ::flash_rt::device::ready(c), ::flash_rt::device::ready(prow);
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: wait, then let the next kernel in
  if (c < dim && row < rows) bias_pos_unit<VEC>(out + row * dim, bias, pos + prow * dim, c);
}

// The same with grid-stride loops over plan_rows' grid (utility/grid.cuh), for rows wider than the
// unit kernel's grid holds (the launcher says when).
template <int VEC>
__global__ void __launch_bounds__(utility::kMaxRowThreads) bias_pos_kernel(__half* out, const __half* bias,
                                                                           const __half* pos, int64_t rows, int dim,
                                                                           int s_per_view) {
  ::flash_rt::device::pdl_begin();
  const int64_t units = dim / VEC;
  for (int64_t row = utility::grid_row(); row < rows; row += utility::grid_row_stride()) {
    __half* o = out + row * dim;
    const __half* pr = pos + pos_row(row, s_per_view) * dim;
    for (int64_t u = utility::grid_unit(); u < units; u += utility::grid_unit_stride())
      bias_pos_unit<VEC>(o, bias, pr, u * VEC);
  }
}

}  // namespace flash_rt::patch
