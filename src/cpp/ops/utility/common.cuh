// Launcher helpers shared by the rope, patch and utility groups: storage type <-> DType, the
// checks ArgCheck has no method for (buffers addressed by offset/stride, even head dims,
// divisibility, finite scalars), and the common tail of a launch.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/dtype.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/core/tensor.h"

namespace flash_rt::utility {

using Stream = std::uintptr_t;

template <typename T> inline constexpr DType kDType = DType::kUnknown;
template <> inline constexpr DType kDType<__half> = DType::kF16;
template <> inline constexpr DType kDType<__nv_bfloat16> = DType::kBF16;
template <> inline constexpr DType kDType<float> = DType::kF32;

template <typename T>
const T* cptr(const TensorArg& t) { return static_cast<const T*>(t.data); }
template <typename T>
T* mptr(const TensorArg& t) { return static_cast<T*>(t.data); }

inline std::string shape_of(const TensorArg& t) {
  std::string s = "[";
  for (int i = 0; i < t.ndim; ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

inline bool dtype_in(DType d, std::initializer_list<DType> dtypes) {
  for (DType x : dtypes)
    if (x == d) return true;
  return false;
}

// The SM count of the entry's device (launch plans and PDL trigger placement).
inline int sm_count(const ArgCheck& ck) {
  int sms = 0;
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, ck.device()), ck.entry(),
             "cudaDeviceGetAttribute");
  return sms;
}

// A dense buffer of which the entry addresses the first `need` elements (a KV cache written at
// kc_offset + s * kc_stride, a strided source, a velocity read from an element offset). With a
// tensor: dtype, at least `need` elements, density, alignment, device, in that order (the order
// of ArgCheck's checks); `what` says where `need` comes from. With an address: non-null and
// aligned only (its size is unknowable).
inline void check_span(const ArgCheck& ck, const char* name, const TensorArg& t, std::initializer_list<DType> dtypes,
                       int64_t need, const char* what) {
  if (t.is_tensor() && dtype_in(t.dtype, dtypes) && t.numel() < need)
    throw_error(ErrorKind::kValue, ck.entry(), ": '", name, "' expected at least ", need, " elements (", what,
                "), got shape ", shape_of(t), " (", t.numel(), " elements)");
  ck.vector(name, t, dtypes, t.is_tensor() ? t.numel() : need);
}

// head_dim even: RoPE rotates element pairs of each head.
inline void check_even(const ArgCheck& ck, const char* name, int64_t value, const char* why) {
  if (value % 2 != 0)
    throw_error(ErrorKind::kValue, ck.entry(), ": '", name, "' expected an even size (", why, "), got ", value);
}

// `value` a whole number of heads of `head_dim` columns.
inline void check_heads(const ArgCheck& ck, const char* name, int64_t value, const char* hd_name, int64_t head_dim,
                        const char* what) {
  if (value % head_dim != 0)
    throw_error(ErrorKind::kValue, ck.entry(), ": '", name, "' expected a multiple of ", hd_name, " = ", head_dim,
                " (", what, "), got ", value);
}

inline void check_finite(const ArgCheck& ck, const char* name, float value) {
  if (!std::isfinite(value))
    throw_error(ErrorKind::kValue, ck.entry(), ": '", name, "' expected a finite value, got ", value);
}

// a + b * c as int64, or a ValueError naming `name` when it overflows.
inline int64_t span_end(const ArgCheck& ck, const char* name, int64_t a, int64_t b, int64_t c) {
  int64_t bc = 0, r = 0;
  if (__builtin_mul_overflow(b, c, &bc) || __builtin_add_overflow(a, bc, &r))
    throw_error(ErrorKind::kValue, ck.entry(), ": '", name, "' expected offsets that fit in 64 bits, got ", a,
                " + ", b, " * ", c);
  return r;
}

// Every pointer 16-byte aligned and every stride / width (in elements of `elem` bytes) a whole
// number of 16-byte vectors: the condition of the VEC = 8 paths.
inline bool vec16_ok(std::initializer_list<const void*> ptrs, std::initializer_list<int64_t> extents, int elem) {
  const int64_t per = 16 / elem;
  for (int64_t e : extents)
    if (e % per != 0) return false;
  return all_aligned(ptrs, 16);
}

// After validation, before the launch: the device must be usable (a RuntimeError naming the
// entry otherwise, also for calls made only of addresses).
inline void ready(const ArgCheck& ck) { (void)ck.device(); }

}  // namespace flash_rt::utility
