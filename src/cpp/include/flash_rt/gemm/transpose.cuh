// Byte-matrix transpose: the FP8 NN fallback turns a [K, N] E4M3 weight into [N, K] so that
// cuBLASLt sees its "TN" arrangement (SM89/SM90 FP8 kernels take only K-contiguous operands).
#pragma once

#include <cstdint>
#include "flash_rt/device/launch.cuh"

namespace flash_rt::gemm {

// A 64 x 64-byte tile per CTA of 256 threads; every global access is 16 bytes (one uint4),
// which needs rows and cols to be multiples of 16 (FP8 GEMMs require K % 16 == N % 16 == 0)
// and 16-byte aligned buffers (checked by the GEMM launchers). The first version moved one
// byte per thread and ran at about a third of the copy bandwidth on the H100.
inline constexpr int kTransposeTile = 64;
inline constexpr int kTransposeThreads = 256;
inline constexpr int kTransposePitch = kTransposeTile + 16;  // keeps uint4 rows aligned, skews banks

// out[c, r] = in[r, c]; in [rows, cols], out [cols, rows], dense row-major bytes.
// Grid (ceil(cols / 64), ceil(rows / 64)).
__global__ void __launch_bounds__(kTransposeThreads)
    transpose_bytes_kernel(const uint8_t* __restrict__ in, uint8_t* __restrict__ out, int rows, int cols) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  __shared__ alignas(16) uint8_t tile[kTransposeTile][kTransposePitch];
  const int c0 = blockIdx.x * kTransposeTile, r0 = blockIdx.y * kTransposeTile;
  const int t = threadIdx.x;
  {  // load: thread t moves 16 bytes of tile row t / 4
    const int row = t / 4, chunk = (t % 4) * 16;
    if (r0 + row < rows && c0 + chunk < cols)
      *reinterpret_cast<uint4*>(&tile[row][chunk]) =
          *reinterpret_cast<const uint4*>(in + static_cast<int64_t>(r0 + row) * cols + c0 + chunk);
  }
  __syncthreads();
  {  // store: thread t writes 16 bytes of output row c0 + t / 4 (= 16 input rows of one column)
    const int col = t / 4, chunk = (t % 4) * 16;
    if (c0 + col < cols && r0 + chunk < rows) {
      alignas(16) uint8_t v[16];
#pragma unroll
      for (int i = 0; i < 16; ++i) v[i] = tile[chunk + i][col];
      *reinterpret_cast<uint4*>(out + static_cast<int64_t>(c0 + col) * rows + r0 + chunk) =
          *reinterpret_cast<const uint4*>(v);
    }
  }
}

}  // namespace flash_rt::gemm
