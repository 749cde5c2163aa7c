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

// kGroupsPerCta: 2 (two groups' loads in flight per thread) when there are enough groups to
// fill the GPU, else 1 (one view = 64 groups: more CTAs, shorter latency chain).
// trigger_late: the PDL signal after the first exchange instead of at the start (small grids; the
// launcher says why).
template <int kGroupsPerCta>
__global__ void __launch_bounds__(kGroupThreads)
    im2col_group_kernel(const __half* in, __half* out, int64_t groups, bool trigger_late) {
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global access
  if (!trigger_late) ::flash_rt::device::pdl_trigger();
  static_assert(kGroupRun % 8 == 0 && kGroupElems % 8 == 0 && kGroupThreads >= kGroupVecs);
  __shared__ alignas(16) __half tile[kGroupsPerCta][kPatch * kGroupRun];  // [ky][px_local * 42 + kx * 3 + c]
  const int t = threadIdx.x;
  const int ky_in = t / kSegVecs, j = t - (t / kSegVecs) * kSegVecs;
  for (int64_t g0 = int64_t{blockIdx.x} * kGroupsPerCta; g0 < groups; g0 += int64_t{gridDim.x} * kGroupsPerCta) {
    uint4 v[kGroupsPerCta];
#pragma unroll
    for (int k = 0; k < kGroupsPerCta; ++k) {
      const int64_t g = g0 + k;
      if (t < kGroupVecs && g < groups) {
        const int64_t bp = g / kGroupsPerRow;  // b * 16 + py
        const int q = static_cast<int>(g - bp * kGroupsPerRow);
        const int64_t b = bp / kGrid;
        const int py = static_cast<int>(bp - b * kGrid);
        v[k] = *reinterpret_cast<const uint4*>(
            in + b * kImageElems + (int64_t{py * kPatch + ky_in} * kImage + q * kGroup * kPatch) * kChannels + j * 8);
      }
    }
#pragma unroll
    for (int k = 0; k < kGroupsPerCta; ++k)
      if (t < kGroupVecs && g0 + k < groups)
        *reinterpret_cast<uint4*>(&tile[k][ky_in * kGroupRun + j * 8]) = v[k];
    __syncthreads();
    if (trigger_late) ::flash_rt::device::pdl_trigger();  // every thread; repeats are harmless
#pragma unroll
    for (int k = 0; k < kGroupsPerCta; ++k) {
      const int64_t g = g0 + k;
      if (t < kGroupVecs && g < groups) {
        // Output elements e, e + 1 (e even) share their run: 588 and 42 are even.
        uint32_t w[4];
#pragma unroll
        for (int h = 0; h < 4; ++h) {
          const int e = t * 8 + 2 * h;
          const int p = e / kFeatures, f = e - (e / kFeatures) * kFeatures;
          const int ky = f / kRun, r = f - (f / kRun) * kRun;
          w[h] = *reinterpret_cast<const uint32_t*>(&tile[k][ky * kGroupRun + p * kRun + r]);
        }
        *reinterpret_cast<uint4*>(out + g * kGroupElems + t * 8) = make_uint4(w[0], w[1], w[2], w[3]);
      }
    }
    __syncthreads();  // the tile is refilled by the next iteration
  }
}

// out[i, j] = RN16(out[i, j] + bias[j] + pos[i mod s_per_view, j]), added left to right in fp32.
// out: [rows, dim] in place, bias: [dim], pos: [s_per_view, dim].
template <int VEC>
__global__ void __launch_bounds__(utility::kMaxRowThreads)
    bias_pos_kernel(__half* out, const __half* bias, const __half* pos, int64_t rows, int dim, int s_per_view) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  const int64_t units = dim / VEC;
  for (int64_t row = utility::grid_row(); row < rows; row += utility::grid_row_stride()) {
    __half* o = out + row * dim;
    // rows is the entry's int S, so row < 2^31: a 32-bit remainder, and none within the first
    // view (S <= 256, every decode step). The 64-bit remainder this replaces sat in front of the
    // pos load: H100, S = 1, D = 2048, 1.20 -> 0.93 us (torch.compile 1.18).
    const int64_t prow = row < s_per_view ? row
                                          : static_cast<int64_t>(static_cast<uint32_t>(row) %
                                                                 static_cast<uint32_t>(s_per_view));
    const __half* pr = pos + prow * dim;
    for (int64_t u = utility::grid_unit(); u < units; u += utility::grid_unit_stride()) {
      const int64_t c = u * VEC;
      auto v = utility::load_vec<VEC>(o + c);
      const auto b = utility::load_vec<VEC>(bias + c);
      const auto q = utility::load_vec<VEC>(pr + c);
#pragma unroll
      for (int k = 0; k < VEC; ++k)
        v.v[k] = __float2half_rn((utility::f32(v.v[k]) + utility::f32(b.v[k])) + utility::f32(q.v[k]));
      utility::store_vec<VEC>(o + c, v);
    }
  }
}

}  // namespace flash_rt::patch
