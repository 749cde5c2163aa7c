// cutlass_fp8_* (SPEC 2.5.4): FP8 E4M3 GEMMs on CUTLASS kernels, NT layout.
//
//   D[M,N] = alpha * (A[M,K] . B[N,K]^T) + beta * D      (cutlass_fp8_gelu: GELU_erf of that)
//
// A [M,K] and B [N,K] are E4M3 (float8_e4m3fn, uint8 or int8), row-major; B is the PyTorch
// Linear.weight layout, [N, K] (the original's comment saying [K, N] was wrong). alpha is a
// host float (FlashRT passes act_scale * w_scale); beta != 0 reads D as C. fp32 accumulation.
//
// Entries and output dtype: sq, t1, wide, plain, gelu -> fp16; sq_f32out, wide_f32out ->
// float32; sq_bf16out, wide_bf16out, t1_bf16out -> bf16. The name's tile is a performance
// choice per architecture (ops/gemm/cutlass/tiles.cuh); every entry computes the same math.
//
// Architectures: kernels exist for SM90 (sm_90a, in the sm80 variant) and SM100/SM103/SM110
// (sm_100f / sm_110f, in the sm100 and sm110 variants). Any other device (SM80/86/89, SM120)
// or a build without that arch raises NotImplementedError naming the device and what was
// built, before anything runs; fp8_run_dev (cuBLASLt) is the portable NT FP8 GEMM. On SM90,
// M <= 16 with N % 8 == 0 runs an mma.sync kernel instead of a CUTLASS one (the same math and
// epilogue; H100, 1 x 2048 x 2560: 2.8 us against CUTLASS's 6.7 and torch._scaled_mm's 3.8:
// gemm/fp8_nn_direct.h), and the CUTLASS kernels promote their FP8 partial sums into float32 every
// 128-deep k-tile like torch._scaled_mm, with the adds overlapped with the MMAs
// (flash_rt/gemm/cutlass_fp8_mainloop.cuh).
//
// Differences from the original, on purpose: errors raise (ValueError/TypeError for bad
// arguments, NotImplementedError for a missing arch, RuntimeError if CUTLASS fails) instead of
// returning -1/-2/-3 with a message on stderr; success still returns 0. No workspace is
// allocated at all (the kernels' tile scheduler needs none), so the first call is capture-safe
// too and nothing is kept between calls: the entries are thread-safe.
//
// Requirements (TMA): K % 16 == 0 (rows of A and B are 16-byte multiples); D rows 16-byte
// multiples (N % 8 for fp16/bf16, N % 4 for float32); A, B, D addresses 16-byte aligned;
// M, N, K >= 1 (any M: CUTLASS predicates the ragged tile).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::gemm {

#define FLASH_RT_CUTLASS_FP8_ENTRY(name)                                                                      \
  int name(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K, float alpha, \
           float beta, std::uintptr_t stream);

FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_sq)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_t1)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_wide)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_plain)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_gelu)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_sq_f32out)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_wide_f32out)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_sq_bf16out)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_wide_bf16out)
FLASH_RT_CUTLASS_FP8_ENTRY(cutlass_fp8_t1_bf16out)

#undef FLASH_RT_CUTLASS_FP8_ENTRY

// The architectures this build has cutlass_fp8_* kernels for, e.g. "sm_90a" (for messages
// and the doctor); "" when none.
const char* cutlass_fp8_archs();

}  // namespace flash_rt::gemm
