// CUDA storage type <-> DType, for the launchers of this group.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flash_rt/core/dtype.h"
#include "flash_rt/core/tensor.h"

namespace flash_rt::norm {

template <typename T> inline constexpr DType kDType = DType::kUnknown;
template <> inline constexpr DType kDType<__half> = DType::kF16;
template <> inline constexpr DType kDType<__nv_bfloat16> = DType::kBF16;

template <typename T>
const T* cptr(const TensorArg& t) { return static_cast<const T*>(t.data); }

}  // namespace flash_rt::norm
