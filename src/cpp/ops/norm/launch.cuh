// Shared tail of every norm launcher: plan the split for this device, launch, check.
#pragma once

#include <cuda_runtime.h>

#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/norm/row_norm.cuh"
#include "norm/norm.h"

namespace flash_rt::norm {

// The 16-byte path needs whole 8-element vectors in every row and 16-byte (8-byte for FP8
// bytes) aligned bases; anything else takes the scalar path.
inline bool vec8_ok(int dim, std::initializer_list<const void*> ptrs16, std::initializer_list<const void*> ptrs8) {
  return dim % 8 == 0 && all_aligned(ptrs16, 16) && all_aligned(ptrs8, 8);
}

template <class Spec>
void run_norm(const ArgCheck& ck, const NormArgs<typename Spec::T>& a, bool vec_ok, Stream stream) {
  int sms = 0;
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, ck.device()), ck.entry(),
             "cudaDeviceGetAttribute");
  launch_norm_rows<Spec>(a, plan_rows(a.rows, a.dim, vec_ok, sms, kMaxThreads<Spec>), as_stream(stream));
  check_launch(ck.entry());
}

}  // namespace flash_rt::norm
