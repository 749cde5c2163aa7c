// Turning CUDA errors into exceptions at the call (not at the next sync).
#pragma once

#include <cuda_runtime.h>

#include "flash_rt/core/errors.h"

namespace flash_rt {

inline void check_cuda(cudaError_t err, const char* entry, const char* what) {
  if (err != cudaSuccess)
    throw_error(ErrorKind::kRuntime, entry, ": ", what, " failed: ", cudaGetErrorName(err), " (",
                cudaGetErrorString(err), ")");
}

// After a launch: configuration errors (bad grid, too much shared memory, no kernel image
// for this GPU) are reported here, at the call that caused them.
inline void check_launch(const char* entry) {
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    throw_error(ErrorKind::kRuntime, entry, ": kernel launch failed: ", cudaGetErrorName(err), " (",
                cudaGetErrorString(err), ")");
  }
}

inline cudaStream_t as_stream(std::uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }

}  // namespace flash_rt
