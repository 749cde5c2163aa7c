// Plain types shared by the cutlass_fp8_* launcher (host C++, no CUTLASS headers) and the
// per-architecture kernel translation units that instantiate flash_rt/gemm/cutlass_fp8.cuh.
#pragma once

#include <cstddef>

#include <cuda_runtime.h>

namespace flash_rt::gemm::cutlass_fp8 {

// The ten entries of SPEC 2.5.4. Each names an output dtype, an epilogue and a tile shape;
// the tile is a performance choice made per architecture in the kernel translation units.
enum class Entry : int {
  kSq,        // fp16 out
  kT1,        // fp16 out
  kWide,      // fp16 out
  kPlain,     // fp16 out
  kGelu,      // fp16 out, exact erf GELU
  kSqF32,     // float32 out
  kWideF32,   // float32 out
  kSqBf16,    // bf16 out
  kWideBf16,  // bf16 out
  kT1Bf16,    // bf16 out
};

// One validated problem: D[M,N] = act(alpha * A[M,K] . B[N,K]^T + beta * D).
struct Problem {
  const void* a;  // E4M3 [M, K]
  const void* b;  // E4M3 [N, K]
  void* d;        // [M, N]; also C when beta != 0
  int M, N, K;
  float alpha, beta;
  int device, sm_count;
  cudaStream_t stream;
};

// What a kernel translation unit reports: step == nullptr is success.
struct Status {
  const char* step = nullptr;     // can_implement / get_workspace_size / initialize / run
  const char* message = nullptr;  // cutlassGetStatusString
  std::size_t workspace = 0;
};

// Per architecture and output dtype; defined only in builds that compile that architecture
// (FLASH_RT_CUTLASS_SM90 / FLASH_RT_CUTLASS_SM100 say which). Entries of another dtype are
// never dispatched here (the launcher routes by dtype).
Status run_sm90_fp16(Entry e, const Problem& p);
Status run_sm90_bf16(Entry e, const Problem& p);
Status run_sm90_f32(Entry e, const Problem& p);
Status run_sm100_fp16(Entry e, const Problem& p);
Status run_sm100_bf16(Entry e, const Problem& p);
Status run_sm100_f32(Entry e, const Problem& p);

}  // namespace flash_rt::gemm::cutlass_fp8
