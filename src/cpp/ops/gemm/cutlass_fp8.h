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
// built, before anything runs; fp8_run_dev (cuBLASLt) is the portable NT FP8 GEMM.
//
// SM90 (H100/H200) runs the fastest of three implementations of the same math (policy "auto",
// cutlass_fp8_sm90_backend below):
//   * M <= 16 with N % 8 == 0: flash-rt's mma.sync kernel (gemm/fp8_nn_direct.h), which reads
//     the weight once (H100, 1 x 2048 x 2560: 2.8 us against torch._scaled_mm's 3.8).
//   * Otherwise, for the linear entries (all but cutlass_fp8_gelu) with N % 16 == 0: cuBLASLt,
//     the library behind torch._scaled_mm. Why: on the H100 the CUTLASS SM90 kernels, even with
//     the overlapped promotion mainloop (flash_rt/gemm/cutlass_fp8_mainloop.cuh), stay at
//     0.82-0.95x _scaled_mm at M >= 256 (docs/RESULTS-2026-11-28-H100-session10.md), and with no
//     promotion at all they reach only ~0.91 at 4096^3: the gap is the kernel structure, not
//     something a tile choice closes. A user of these entries wants the fastest FP8 GEMM with
//     their contract, so the SM90 build uses cuBLASLt where it is faster. It runs one runner per
//     device with no workspace (nothing shared between streams; a cached plan per shape, created
//     on the shape's first call and guarded by a mutex).
//   * Everything else (the GELU entry, N % 16 != 0, a shape cuBLASLt refuses, and the first call
//     of a shape made inside a CUDA graph capture, where no cuBLASLt descriptors are created):
//     the CUTLASS SM90 kernels, which promote their FP8 partial sums into float32 every 128-deep
//     k-tile like cuBLASLt, with the adds overlapped with the MMAs.
// All three accumulate in float32 with the same promotion interval; they differ only in the
// order of the sums (last-bit differences). So a shape first called inside a capture (CUTLASS)
// and later called eagerly (cuBLASLt) may differ in the last bits: warm every shape up before
// capture, as for GemmRunner, to get the same kernel in both, or pin a policy.
//
// Differences from the original, on purpose: errors raise (ValueError/TypeError for bad
// arguments, NotImplementedError for a missing arch, RuntimeError if CUTLASS fails) instead of
// returning -1/-2/-3 with a message on stderr; success still returns 0. No workspace is
// allocated at all (the kernels' tile scheduler needs none, and the SM90 cuBLASLt path asks for
// algorithms without one), so the first call is capture-safe too; the entries are thread-safe.

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

// The SM90 policy, process-wide: "auto" (above), "cutlass" (never cuBLASLt: the small-M kernel
// and CUTLASS only) or "cublaslt" (cuBLASLt wherever it takes the call, at any
// M; the rest CUTLASS). Sets it when `policy` is non-empty (ValueError for another name) and
// returns the policy in force. Read at each call's launch, so a captured graph keeps the
// backend of its capture. Other architectures ignore it.
const char* cutlass_fp8_sm90_backend(const char* policy);

// The architectures this build has cutlass_fp8_* kernels for, e.g. "sm_90a" (for messages
// and the doctor); "" when none.
const char* cutlass_fp8_archs();

}  // namespace flash_rt::gemm
