// Argument validation shared by every launcher. One ArgCheck per call, named after the
// entry; each method throws flash_rt::Error with the message convention of errors.h.
// Nothing here launches work or touches device memory: validation is finished before the
// first launch, so a rejected call writes nothing.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "flash_rt/core/dtype.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/core/tensor.h"

namespace flash_rt {

class ArgCheck {
 public:
  explicit ArgCheck(const char* entry) : entry_(entry) {}
  const char* entry() const { return entry_; }

  // Scalars.
  void positive(const char* name, int64_t value) const;
  void non_negative(const char* name, int64_t value) const;
  void finite_non_negative(const char* name, float value) const;  // eps and friends

  // A dense row-major tensor of `rows` rows of `width` elements ([rows, width]; any shape
  // whose trailing dims multiply to `width`, or 1-D). With an address: non-null, aligned.
  void rows(const char* name, const TensorArg& t, std::initializer_list<DType> dtypes, int64_t rows,
            int64_t width) const;
  // A dense vector of `n` elements ([n]).
  void vector(const char* name, const TensorArg& t, std::initializer_list<DType> dtypes,
              int64_t n) const;
  // A device float32 scalar (one element), e.g. an FP8 scale `amax / 448`.
  void scale(const char* name, const TensorArg& t) const { vector(name, t, {DType::kF32}, 1); }

  // The address of `t` is a multiple of `bytes`; `why` names who needs it (e.g. "cuBLASLt").
  void aligned(const char* name, const TensorArg& t, int64_t bytes, const char* why) const;

  // The byte ranges [a, a + a_bytes) and [b, b + b_bytes) do not overlap (for kernels that
  // read one while writing the other in an order that an overlap would corrupt).
  void disjoint(const char* name, const TensorArg& t, int64_t bytes, const char* other_name,
                const TensorArg& other, int64_t other_bytes) const;

  // The CUDA device all tensors must live on (the current device), queried once.
  int device() const;

 private:
  void common(const char* name, const TensorArg& t, std::initializer_list<DType> dtypes,
              int64_t numel) const;
  const char* entry_;
  mutable int device_ = -1;
};

// The FP8 storage types an FP8 output may be handed over as.
inline constexpr std::initializer_list<DType> kFp8Bytes = {DType::kF8E4M3, DType::kU8, DType::kI8};

// True when every pointer is aligned to `bytes` (used to choose the vector width).
inline bool all_aligned(std::initializer_list<const void*> ptrs, std::uintptr_t bytes) {
  for (const void* p : ptrs)
    if (p != nullptr && reinterpret_cast<std::uintptr_t>(p) % bytes != 0) return false;
  return true;
}

}  // namespace flash_rt
