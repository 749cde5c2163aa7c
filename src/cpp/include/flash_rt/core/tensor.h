// TensorArg: what a launcher receives for every tensor argument.
//
// Either a raw device address (the FlashRT convention: only the pointer is known, so only
// null-ness and alignment can be checked) or a DLPack tensor (dtype, device, shape and
// strides known, all checked against the entry's scalar sizes). Filled by the binding
// layer's caster (bindings/common/tensor_caster.h) or by the JAX FFI handlers.
#pragma once

#include <cstdint>
#include <string>

#include "flash_rt/core/dtype.h"

namespace flash_rt {

struct TensorArg {
  enum class Kind : uint8_t { kAddress, kTensor, kInvalid };
  static constexpr int kMaxDims = 8;

  Kind kind = Kind::kInvalid;
  void* data = nullptr;
  DType dtype = DType::kUnknown;
  int32_t device_type = 0;  // DLPack: 1 CPU, 2 CUDA, 3 CUDA host, 13 CUDA managed
  int32_t device_id = 0;
  int32_t ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};  // in elements; filled with row-major strides if absent
  // For kInvalid: what the caller passed (a Python type name, or why DLPack import failed).
  std::string invalid_reason;

  static TensorArg address(std::uintptr_t addr) {
    TensorArg t;
    t.kind = Kind::kAddress;
    t.data = reinterpret_cast<void*>(addr);
    return t;
  }
  static TensorArg invalid(std::string why) {
    TensorArg t;
    t.kind = Kind::kInvalid;
    t.invalid_reason = std::move(why);
    return t;
  }

  bool is_tensor() const { return kind == Kind::kTensor; }
  std::uintptr_t addr() const { return reinterpret_cast<std::uintptr_t>(data); }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
};

}  // namespace flash_rt
