// Launcher of the byte transpose used by the FP8 NN fallback (see gemm.h).
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/device/launch.cuh"
#include "flash_rt/gemm/transpose.cuh"
#include "gemm/transpose.h"

namespace flash_rt::gemm {

void transpose_bytes(const char* entry, const void* in, void* out, int rows, int cols, cudaStream_t stream) {
  const unsigned gx = (cols + kTransposeTile - 1) / kTransposeTile;
  const unsigned gy = (rows + kTransposeTile - 1) / kTransposeTile;
  if (rows % 16 != 0 || cols % 16 != 0)  // the launchers guarantee it (FP8: K % 16 == N % 16 == 0)
    throw_error(ErrorKind::kValue, entry, ": FP8 NN weight transpose needs K and N multiples of 16, got K=", rows,
                ", N=", cols);
  if (gy > 65535u)
    throw_error(ErrorKind::kValue, entry, ": 'K' expected at most ", 65535 * kTransposeTile,
                " for the FP8 NN path (weight transpose), got ", rows);
  device::launch(transpose_bytes_kernel, dim3(gx, gy), dim3(kTransposeThreads), 0, stream, static_cast<const uint8_t*>(in),
                 static_cast<uint8_t*>(out), rows, cols);
  check_launch(entry);
}

}  // namespace flash_rt::gemm
