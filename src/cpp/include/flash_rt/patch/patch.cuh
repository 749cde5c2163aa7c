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
