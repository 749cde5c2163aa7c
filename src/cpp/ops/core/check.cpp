#include "flash_rt/core/check.h"

#include <cmath>
#include <cuda_runtime.h>
#include <string>

namespace flash_rt {
namespace {

std::string shape_str(const TensorArg& t) {
  std::string s = "[";
  for (int i = 0; i < t.ndim; ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

std::string dtypes_str(std::initializer_list<DType> dtypes) {
  std::string s;
  int i = 0;
  for (DType d : dtypes) {
    if (i++) s += (i == static_cast<int>(dtypes.size()) ? " or " : ", ");
    s += dtype_name(d);
  }
  return s;
}

const char* device_name(int32_t type) {
  switch (type) {
    case 1: return "cpu";
    case 2: return "cuda";
    case 3: return "cuda host (pinned)";
    case 13: return "cuda managed";
    default: return "a non-CUDA device";
  }
}

// Row-major density: strides of dims with extent > 1 must be the products of later extents.
bool dense(const TensorArg& t) {
  int64_t expected = 1;
  for (int i = t.ndim - 1; i >= 0; --i) {
    if (t.shape[i] != 1 && t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

}  // namespace

void ArgCheck::positive(const char* name, int64_t value) const {
  if (value <= 0)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected a positive size, got ", value);
}

void ArgCheck::non_negative(const char* name, int64_t value) const {
  if (value < 0)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected >= 0, got ", value);
}

void ArgCheck::finite_non_negative(const char* name, float value) const {
  if (!std::isfinite(value) || value < 0.f)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected a finite value >= 0, got ", value);
}

int ArgCheck::device() const {
  if (device_ < 0) {
    int dev = 0;
    cudaError_t err = cudaGetDevice(&dev);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      throw_error(ErrorKind::kRuntime, entry_, ": no usable CUDA device (", cudaGetErrorName(err), ": ",
                  cudaGetErrorString(err), ")");
    }
    device_ = dev;
  }
  return device_;
}

void ArgCheck::common(const char* name, const TensorArg& t, std::initializer_list<DType> dtypes,
                      int64_t numel) const {
  switch (t.kind) {
    case TensorArg::Kind::kInvalid:
      throw_error(ErrorKind::kType, entry_, ": '", name,
                  "' expected an int device address or a DLPack tensor (torch, JAX, CuPy, capsule), got ",
                  t.invalid_reason);
    case TensorArg::Kind::kAddress: {
      if (t.data == nullptr)
        throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected a non-null device address, got 0");
      const int align = dtype_size(*dtypes.begin());
      if (t.addr() % align != 0)
        throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected an address aligned to ", align,
                    " bytes (", dtypes_str(dtypes), "), got ", Hex{t.addr()});
      return;
    }
    case TensorArg::Kind::kTensor: break;
  }
  bool dtype_ok = false;
  for (DType d : dtypes) dtype_ok |= (d == t.dtype);
  if (!dtype_ok)
    throw_error(ErrorKind::kType, entry_, ": '", name, "' expected dtype ", dtypes_str(dtypes), ", got ",
                dtype_name(t.dtype));
  if (t.numel() != numel)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected ", numel, " elements, got shape ",
                shape_str(t), " (", t.numel(), " elements)");
  if (!dense(t))
    throw_error(ErrorKind::kValue, entry_, ": '", name,
                "' expected a contiguous (dense row-major) tensor, got strides that are not; "
                "call .contiguous() first");
  const int align = dtype_size(t.dtype);
  if (t.addr() % align != 0)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected data aligned to ", align,
                " bytes, got ", Hex{t.addr()});
  if (t.device_type != 2 && t.device_type != 13)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected a CUDA tensor, got a tensor on ",
                device_name(t.device_type));
  if (t.device_type == 2 && t.device_id != device())
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected a tensor on the current device cuda:",
                device(), ", got cuda:", t.device_id);
}

void ArgCheck::rows(const char* name, const TensorArg& t, std::initializer_list<DType> dtypes,
                    int64_t rows, int64_t width) const {
  common(name, t, dtypes, rows * width);
  if (!t.is_tensor() || t.ndim <= 1) return;
  // The row width must be made of whole trailing dims: [S, D], [B, T, D] and [S, 3, D] for a
  // width of 3D pass; a transposed or mis-sized tensor with the right element count does not.
  int64_t trailing = 1;
  for (int i = t.ndim - 1; i >= 0 && trailing < width; --i) trailing *= t.shape[i];
  if (trailing != width)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected rows of ", width,
                " elements ([", rows, ", ", width, "]), got shape ", shape_str(t));
}

void ArgCheck::vector(const char* name, const TensorArg& t, std::initializer_list<DType> dtypes,
                      int64_t n) const {
  common(name, t, dtypes, n);
}

void ArgCheck::aligned(const char* name, const TensorArg& t, int64_t bytes, const char* why) const {
  if (t.addr() % static_cast<std::uintptr_t>(bytes) != 0)
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected an address aligned to ", bytes, " bytes (",
                why, "), got ", Hex{t.addr()});
}

void ArgCheck::disjoint(const char* name, const TensorArg& t, int64_t bytes, const char* other_name,
                        const TensorArg& other, int64_t other_bytes) const {
  const std::uintptr_t a = t.addr(), b = other.addr();
  if (bytes <= 0 || other_bytes <= 0) return;
  if (a < b + static_cast<std::uintptr_t>(other_bytes) && b < a + static_cast<std::uintptr_t>(bytes))
    throw_error(ErrorKind::kValue, entry_, ": '", name, "' expected memory that does not overlap '", other_name,
                "' (", other_bytes, " bytes at ", Hex{b}, "), got ", bytes, " bytes at ", Hex{a});
}

}  // namespace flash_rt
