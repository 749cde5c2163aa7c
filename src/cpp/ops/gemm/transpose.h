// Internal to the GEMM group: the byte transpose behind the FP8 NN fallback (gemm.h).
#pragma once

#include <cuda_runtime.h>

namespace flash_rt::gemm {

// out [cols, rows] = in [rows, cols]^T, bytes, on `stream`; raises on a launch error.
// rows, cols >= 1; ceil(rows / 32) must fit a grid's y dimension (65535).
void transpose_bytes(const char* entry, const void* in, void* out, int rows, int cols, cudaStream_t stream);

}  // namespace flash_rt::gemm
