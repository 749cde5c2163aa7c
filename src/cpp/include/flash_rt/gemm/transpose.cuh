// Byte-matrix transpose: the FP8 NN fallback turns a [K, N] E4M3 weight into [N, K] so that
// cuBLASLt sees its "TN" arrangement (SM89/SM90 FP8 kernels take only K-contiguous operands).
#pragma once

#include <cstdint>

namespace flash_rt::gemm {

inline constexpr int kTransposeTile = 32;
inline constexpr int kTransposeRowsPerPass = 8;  // block (32, 8): each thread moves 4 bytes

// out[c, r] = in[r, c]; in [rows, cols], out [cols, rows], both dense row-major bytes.
// Grid (ceil(cols / 32), ceil(rows / 32)). The padded tile column avoids bank conflicts on
// the transposed read.
__global__ void transpose_bytes_kernel(const uint8_t* __restrict__ in, uint8_t* __restrict__ out, int rows,
                                       int cols) {
  __shared__ uint8_t tile[kTransposeTile][kTransposeTile + 1];
  const int c0 = blockIdx.x * kTransposeTile, r0 = blockIdx.y * kTransposeTile;
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int j = ty; j < kTransposeTile; j += kTransposeRowsPerPass) {
    const int r = r0 + j, c = c0 + tx;
    if (r < rows && c < cols) tile[j][tx] = in[static_cast<int64_t>(r) * cols + c];
  }
  __syncthreads();
  for (int j = ty; j < kTransposeTile; j += kTransposeRowsPerPass) {
    const int c = c0 + j, r = r0 + tx;  // output row c, column r
    if (c < cols && r < rows) out[static_cast<int64_t>(c) * rows + r] = tile[tx][j];
  }
}

}  // namespace flash_rt::gemm
