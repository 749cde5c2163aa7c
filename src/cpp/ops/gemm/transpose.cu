// Launcher of the byte transpose used by the FP8 NN fallback (see gemm.h).
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/gemm/transpose.cuh"
#include "gemm/transpose.h"

namespace flash_rt::gemm {

void transpose_bytes(const char* entry, const void* in, void* out, int rows, int cols, cudaStream_t stream) {
  const unsigned gx = (cols + kTransposeTile - 1) / kTransposeTile;
  const unsigned gy = (rows + kTransposeTile - 1) / kTransposeTile;
  if (gy > 65535u)
    throw_error(ErrorKind::kValue, entry, ": 'K' expected at most ", 65535 * kTransposeTile,
                " for the FP8 NN path (weight transpose), got ", rows);
  transpose_bytes_kernel<<<dim3(gx, gy), dim3(kTransposeTile, kTransposeRowsPerPass), 0, stream>>>(
      static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), rows, cols);
  check_launch(entry);
}

}  // namespace flash_rt::gemm
