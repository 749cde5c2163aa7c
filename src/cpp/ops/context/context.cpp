#include "context/context.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"

// Compile-time features. Nothing of these is built yet; the later issues that add the kernels
// define them from CMake for the variants that carry them.
#ifndef FLASH_RT_WITH_NVFP4
#define FLASH_RT_WITH_NVFP4 0
#endif
#ifndef FLASH_RT_CUTLASS_SM100
#define FLASH_RT_CUTLASS_SM100 0
#endif

namespace flash_rt::context {

FvkContext::FvkContext() {
  cublasHandle_t h = nullptr;
  const cublasStatus_t st = cublasCreate(&h);
  if (st != CUBLAS_STATUS_SUCCESS)
    throw_error(ErrorKind::kRuntime, "FvkContext: cublasCreate failed: ", cublasGetStatusName(st), " (",
                cublasGetStatusString(st), ")");
  handle_ = h;
}

FvkContext::~FvkContext() {
  if (handle_) cublasDestroy(handle_);
}

int get_sm_version() {
  int dev = 0, major = 0, minor = 0;
  check_cuda(cudaGetDevice(&dev), "get_sm_version", "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), "get_sm_version",
             "cudaDeviceGetAttribute");
  check_cuda(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev), "get_sm_version",
             "cudaDeviceGetAttribute");
  return 10 * major + minor;
}

namespace {
int sm_or_zero() {
  try {
    return get_sm_version();
  } catch (const Error&) {
    return 0;
  }
}
}  // namespace

bool has_nvfp4() { return FLASH_RT_WITH_NVFP4 && sm_or_zero() / 10 == 12; }
bool has_cutlass_sm100() {
  const int sm = sm_or_zero();
  return FLASH_RT_CUTLASS_SM100 && (sm / 10 == 10 || sm / 10 == 11);
}
bool has_cutlass_fmha() { return false; }  // no FMHA library loader yet (SPEC 2.6.1)

}  // namespace flash_rt::context
