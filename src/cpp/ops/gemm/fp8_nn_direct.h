// Internal to the GEMM group: the small-M FP8 kernel (flash_rt/gemm/fp8_nn_direct.cuh) that
// GemmRunner runs instead of the transpose fallback on SM89/SM90 (NN), and that the SM90
// cutlass_fp8_* entries run at M <= 16 (NT).
#pragma once

#include <cuda_runtime.h>

#include "flash_rt/core/dtype.h"

namespace flash_rt::gemm {

// Whether the direct kernel takes an FP8 NN problem of M rows on a device of compute capability
// `sm` (10 * major + minor): SM89 and SM90, where cuBLASLt refuses FP8 NN, and M <= 64.
bool fp8_nn_direct_applies(int sm, int M);

// D[M, N] = RN(alpha * (*scale_a) * (*scale_b) * A . B) on `stream` (null scales count as 1).
// The caller has validated everything (K % 16 == 0, N % 16 == 0, 16-byte aligned operands, out in
// {F16, BF16, F32}); raises on a launch error.
void fp8_nn_direct(const char* entry, DType out, const void* a, const void* b, void* d, int M, int N, int K,
                   float alpha, const float* scale_a, const float* scale_b, cudaStream_t stream);

// The same kernel on a K-major [N, K] weight, for the SM90 cutlass_fp8_* entries at small M:
// D[M, N] = RN(alpha * A . B^T + beta * D) (D read only when beta != 0), then the erf GELU when
// `gelu`. Applies on SM90 for 1 <= M <= kNtDirectMaxM and N % 8 == 0 (the entries already need
// K % 16 == 0 and 16-byte aligned operands).
inline constexpr int kNtDirectMaxM = 16;
bool fp8_nt_direct_applies(int sm, int M, int N);
void fp8_nt_direct(const char* entry, DType out, const void* a, const void* b, void* d, int M, int N, int K,
                   float alpha, float beta, bool gelu, int sm_count, cudaStream_t stream);
// n8 tiles per CTA (its column slab is 8 times that) for an [N, K] weight on sm_count SMs: 4, 2 or 1.
int fp8_nt_direct_tiles(int N, int K, int sm_count);

}  // namespace flash_rt::gemm
