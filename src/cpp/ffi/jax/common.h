// Shared pieces of the JAX FFI handlers (SPEC 6): operand checks that name the JAX-side
// arguments, TensorArg views of XLA buffers, the stream's device, and the mapping of
// flash_rt::Error (and anything else thrown) to ffi::Error. Handlers never let an exception
// escape: XLA gets an error code and a message.
//
// Layering (STYLE 1): XLA FFI headers + ops/*.h only. No nanobind, no Python, no jaxlib
// library: the handlers reach XLA only through the XLA_FFI_Api table handed over in each
// call frame.
//
// No iostreams here (errors.h says why). The XLA FFI headers include <iostream> and use a
// std::stringstream, but only to describe call frames that do not match the binding
// (wrong operand count or kind), which the Python wrappers never produce.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>

#include "flash_rt/core/dtype.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/core/tensor.h"
#include "xla/ffi/api/ffi.h"

// Handler symbols are the library's only exports (the rest is built with hidden visibility).
#define FLASH_RT_FFI_EXPORT extern "C" __attribute__((visibility("default")))

namespace flash_rt::jax_ffi {

namespace ffi = ::xla::ffi;

// ---- diagnostics (flash_rt_jax_ffi_stats) ------------------------------------------------

enum Stat : int {
  kQuantizeCalls,    // quantize execute calls that launched
  kGemmCalls,        // GEMM execute calls that launched
  kCapturedCalls,    // execute calls (either handler) made while XLA captured the stream
  kWarmupInitialize, // GEMM plans created by the initialize stage (outside capture)
  kWarmupExecute,    // GEMM plans created by an uncaptured execute call
  kWarmupPrepare,    // GEMM plans created by flash_rt_jax_ffi_prepare_fp8_gemm (trace time)
  kColdCapture,      // GEMM execute calls refused: new shape while capturing
  kErrors,           // calls that returned an error
  kNumStats,
};
inline constexpr const char* kStatNames =
    "quantize_calls,gemm_calls,captured_calls,warmup_initialize,warmup_execute,warmup_prepare,cold_capture,"
    "errors";

void count(Stat s);

// ---- operands -------------------------------------------------------------------------------

// "bfloat16", "float8_e4m3fn", ... (XLA's element type, as JAX spells it).
const char* xla_dtype_name(ffi::DataType t);
// The launchers' DType for an XLA element type (kUnknown for those no launcher takes).
DType to_dtype(ffi::DataType t);
// "[2, 3, 4]"
std::string dims_str(const ffi::AnyBuffer& b);

// TypeError "<entry>: '<name>' expected dtype a or b, got c" unless b's type is allowed.
void expect_dtype(const char* entry, const char* name, const ffi::AnyBuffer& b,
                  std::initializer_list<ffi::DataType> allowed);
// ValueError unless the buffer holds exactly one element (a scale: shape () or (1,)).
void expect_scalar(const char* entry, const char* name, const ffi::AnyBuffer& b);
// ValueError beyond TensorArg::kMaxDims dimensions (what tensor() can describe).
void expect_rank(const char* entry, const char* name, const ffi::AnyBuffer& b);
// v as an int, or ValueError "<entry>: <what> expected at most 2147483647, got v" (the
// launchers take 32-bit sizes, SPEC 1.1).
int checked_int(const char* entry, const char* what, int64_t v);

// A DLPack-style view of an XLA buffer on CUDA device `device`: dtype, shape and dense
// row-major strides (XLA's default layout, which the Python wrappers ask for), so the
// launchers check it as they check a torch tensor. Rank must be <= TensorArg::kMaxDims.
TensorArg tensor(const char* entry, const char* name, const ffi::AnyBuffer& b, int device);

// ---- device and stream ----------------------------------------------------------------------

// Makes the stream's device the current one for the scope. XLA normally has it current
// already; this keeps the launchers' device checks and the per-device GEMM runner right if
// it does not. Throws flash_rt::Error (kRuntime) when CUDA cannot tell the device.
class DeviceScope {
 public:
  // `device`: XLA's device ordinal (ffi::DeviceOrdinal; cudaStreamGetDevice is not allowed while
  // XLA captures the stream into a command buffer, measured on the H100) or any CUDA ordinal.
  DeviceScope(const char* entry, int device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
  int device() const { return device_; }

 private:
  void enter(const char* entry);
  int device_ = -1;
  int previous_ = -1;
};

// True while `stream` is being captured into a CUDA graph (XLA command buffers trace
// handlers this way).
bool capturing(cudaStream_t stream);

// ---- errors ---------------------------------------------------------------------------------

ffi::Error to_ffi_error(const flash_rt::Error& e);
ffi::Error internal_error(const char* entry, const char* what);

// Runs `body` (returning ffi::Error) and turns every exception into an ffi::Error:
// ValueError/TypeError -> InvalidArgument, NotImplementedError -> Unimplemented,
// RuntimeError (CUDA, cuBLASLt) -> Internal, bad_alloc -> ResourceExhausted.
template <typename Body>
ffi::Error guarded(const char* entry, Body&& body) noexcept {
  ffi::Error err;
  try {
    err = body();
  } catch (const flash_rt::Error& e) {
    err = to_ffi_error(e);
  } catch (const std::bad_alloc&) {
    err = ffi::Error(ffi::ErrorCode::kResourceExhausted, std::string(entry) + ": out of host memory");
  } catch (const std::exception& e) {
    err = internal_error(entry, e.what());
  } catch (...) {
    err = ffi::Error(ffi::ErrorCode::kUnknown, std::string(entry) + ": unknown C++ exception");
  }
  if (err.failure()) count(kErrors);
  return err;
}

}  // namespace flash_rt::jax_ffi
