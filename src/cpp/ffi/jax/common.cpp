// Shared pieces of the JAX FFI handlers; see common.h.
#include "ffi/jax/common.h"

#include <atomic>
#include <cstdio>
#include <limits>

namespace flash_rt::jax_ffi {

namespace {

std::atomic<int64_t> g_stats[kNumStats];

std::string allowed_str(std::initializer_list<ffi::DataType> allowed) {
  std::string s;
  int i = 0;
  for (ffi::DataType t : allowed) {
    if (i++) s += (i == static_cast<int>(allowed.size()) ? " or " : ", ");
    s += xla_dtype_name(t);
  }
  return s;
}

}  // namespace

void count(Stat s) { g_stats[s].fetch_add(1, std::memory_order_relaxed); }

const char* xla_dtype_name(ffi::DataType t) {
  switch (t) {
    case ffi::DataType::PRED: return "bool";
    case ffi::DataType::S8: return "int8";
    case ffi::DataType::S16: return "int16";
    case ffi::DataType::S32: return "int32";
    case ffi::DataType::S64: return "int64";
    case ffi::DataType::U8: return "uint8";
    case ffi::DataType::U16: return "uint16";
    case ffi::DataType::U32: return "uint32";
    case ffi::DataType::U64: return "uint64";
    case ffi::DataType::F16: return "float16";
    case ffi::DataType::F32: return "float32";
    case ffi::DataType::F64: return "float64";
    case ffi::DataType::BF16: return "bfloat16";
    case ffi::DataType::C64: return "complex64";
    case ffi::DataType::C128: return "complex128";
    case ffi::DataType::F8E5M2: return "float8_e5m2";
    case ffi::DataType::F8E4M3FN: return "float8_e4m3fn";
    case ffi::DataType::TOKEN: return "token";
    default: return "another XLA element type";
  }
}

DType to_dtype(ffi::DataType t) {
  switch (t) {
    case ffi::DataType::F16: return DType::kF16;
    case ffi::DataType::BF16: return DType::kBF16;
    case ffi::DataType::F32: return DType::kF32;
    case ffi::DataType::F8E4M3FN: return DType::kF8E4M3;
    case ffi::DataType::U8: return DType::kU8;
    case ffi::DataType::S8: return DType::kI8;
    case ffi::DataType::S32: return DType::kI32;
    case ffi::DataType::S64: return DType::kI64;
    default: return DType::kUnknown;
  }
}

std::string dims_str(const ffi::AnyBuffer& b) {
  std::string s = "[";
  const auto dims = b.dimensions();
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

void expect_dtype(const char* entry, const char* name, const ffi::AnyBuffer& b,
                  std::initializer_list<ffi::DataType> allowed) {
  for (ffi::DataType t : allowed)
    if (b.element_type() == t) return;
  throw_error(ErrorKind::kType, entry, ": '", name, "' expected dtype ", allowed_str(allowed), ", got ",
              xla_dtype_name(b.element_type()));
}

void expect_scalar(const char* entry, const char* name, const ffi::AnyBuffer& b) {
  expect_dtype(entry, name, b, {ffi::DataType::F32});
  if (b.element_count() != 1)
    throw_error(ErrorKind::kValue, entry, ": '", name,
                "' expected exactly one float32 element (the per-tensor scale amax/448, shape () or (1,)), "
                "got shape ",
                dims_str(b));
}

void expect_rank(const char* entry, const char* name, const ffi::AnyBuffer& b) {
  if (b.dimensions().size() > static_cast<size_t>(TensorArg::kMaxDims))
    throw_error(ErrorKind::kValue, entry, ": '", name, "' expected at most ", TensorArg::kMaxDims,
                " dimensions, got shape ", dims_str(b));
}

int checked_int(const char* entry, const char* what, int64_t v) {
  if (v > std::numeric_limits<int>::max())
    throw_error(ErrorKind::kValue, entry, ": ", what, " expected at most ", std::numeric_limits<int>::max(),
                " (32-bit sizes), got ", v);
  return static_cast<int>(v);
}

TensorArg tensor(const char* entry, const char* name, const ffi::AnyBuffer& b, int device) {
  expect_rank(entry, name, b);
  const auto dims = b.dimensions();
  TensorArg t;
  t.kind = TensorArg::Kind::kTensor;
  t.data = b.untyped_data();
  t.dtype = to_dtype(b.element_type());
  t.device_type = 2;  // kDLCUDA
  t.device_id = device;
  t.ndim = static_cast<int32_t>(dims.size());
  int64_t stride = 1;
  for (int i = t.ndim - 1; i >= 0; --i) {
    t.shape[i] = dims[i];
    t.strides[i] = stride;
    stride *= dims[i];
  }
  return t;
}

// ---- device and stream ----------------------------------------------------------------------

DeviceScope::DeviceScope(const char* entry, int device) : device_(device) {
  const cudaError_t err = cudaGetDevice(&previous_);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    previous_ = device_ = -1;
    throw_error(ErrorKind::kRuntime, entry, ": no usable CUDA device (", cudaGetErrorName(err), ": ",
                cudaGetErrorString(err), ")");
  }
  enter(entry);
}

void DeviceScope::enter(const char* entry) {
  if (previous_ != device_) {
    const cudaError_t err = cudaSetDevice(device_);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      const int dev = device_;
      previous_ = device_ = -1;  // nothing to restore
      throw_error(ErrorKind::kRuntime, entry, ": cudaSetDevice(", dev, ") failed: ", cudaGetErrorName(err),
                  " (", cudaGetErrorString(err), ")");
    }
  }
}

DeviceScope::~DeviceScope() {
  if (previous_ >= 0 && previous_ != device_) (void)cudaSetDevice(previous_);
}

bool capturing(cudaStream_t stream) {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  const cudaError_t err = cudaStreamIsCapturing(stream, &st);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    // Asking about the legacy stream while another stream captures is an error that means
    // "a capture is in progress" too.
    return err == cudaErrorStreamCaptureImplicit || err == cudaErrorStreamCaptureUnsupported;
  }
  return st != cudaStreamCaptureStatusNone;
}

// ---- errors ---------------------------------------------------------------------------------

ffi::Error to_ffi_error(const flash_rt::Error& e) {
  switch (e.kind()) {
    case ErrorKind::kValue:
    case ErrorKind::kType: return ffi::Error(ffi::ErrorCode::kInvalidArgument, e.what());
    case ErrorKind::kNotImplemented: return ffi::Error(ffi::ErrorCode::kUnimplemented, e.what());
    case ErrorKind::kRuntime: break;
  }
  return ffi::Error(ffi::ErrorCode::kInternal, e.what());
}

ffi::Error internal_error(const char* entry, const char* what) {
  return ffi::Error(ffi::ErrorCode::kInternal, std::string(entry) + ": " + (what ? what : "(no message)"));
}

}  // namespace flash_rt::jax_ffi

// ---- exported diagnostics -------------------------------------------------------------------

// Writes up to `n` counters into `out` and returns how many exist (call with n = 0 to ask).
// Names, in order: flash_rt_jax_ffi_stat_names().
FLASH_RT_FFI_EXPORT int flash_rt_jax_ffi_stats(int64_t* out, int n) {
  using namespace flash_rt::jax_ffi;
  for (int i = 0; i < n && i < kNumStats; ++i) out[i] = g_stats[i].load(std::memory_order_relaxed);
  return kNumStats;
}

FLASH_RT_FFI_EXPORT const char* flash_rt_jax_ffi_stat_names() { return flash_rt::jax_ffi::kStatNames; }

// The XLA FFI API version of the headers this library was compiled against. XLA refuses to
// register a handler whose version it does not support, so it must match the running jaxlib.
FLASH_RT_FFI_EXPORT void flash_rt_jax_ffi_api_version(int* major, int* minor) {
  *major = XLA_FFI_API_MAJOR;
  *minor = XLA_FFI_API_MINOR;
}
