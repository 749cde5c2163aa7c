// FvkContext and the capability probes (SPEC 2.9).
#pragma once

#include <cstdint>

struct cublasContext;

namespace flash_rt::context {

// Owns one cuBLAS handle (first argument of gmm_fp16 and the cuBLAS attention entries).
// Creation failure raises (the original ignored it). The handle is re-bound to the caller's
// stream on every call that uses it, so one context must not be shared by threads that
// call concurrently.
class FvkContext {
 public:
  FvkContext();
  ~FvkContext();
  FvkContext(const FvkContext&) = delete;
  FvkContext& operator=(const FvkContext&) = delete;

  cublasContext* handle() const { return handle_; }
  std::uintptr_t handle_ptr() const { return reinterpret_cast<std::uintptr_t>(handle_); }

 private:
  cublasContext* handle_ = nullptr;
};

// 10 * major + minor of the current device (e.g. 89, 90, 110, 120). Raises without a device.
int get_sm_version();
// What this build, on the current device, can do. False whenever the feature was not
// compiled into this wheel, whatever the device.
bool has_nvfp4();          // cuBLASLt NVFP4 entries of flash_rt_kernels (SM120 builds)
bool has_cutlass_sm100();  // cutlass_fp8_* entries (SM100/SM110 builds)
bool has_cutlass_fmha();   // an FMHA library loaded at run time (load_fmha_library)

}  // namespace flash_rt::context
