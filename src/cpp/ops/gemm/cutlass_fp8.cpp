// cutlass_fp8_* launchers (SPEC 2.5.4): validation and dispatch by device architecture and
// output dtype. Host code only; the CUTLASS kernels live in ops/gemm/cutlass/*.cu, compiled
// per architecture (cmake/FlashRtCutlass.cmake defines FLASH_RT_CUTLASS_SM90/_SM100).
#include "gemm/cutlass_fp8.h"

#include <cuda_runtime.h>

#include <atomic>
#include <cstring>

#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/gemm/cutlass_fp8_problem.h"
#include "gemm/fp8_nn_direct.h"
#include "gemm/gemm.h"

#ifndef FLASH_RT_CUTLASS_SM90
#define FLASH_RT_CUTLASS_SM90 0
#endif
#ifndef FLASH_RT_CUTLASS_SM100
#define FLASH_RT_CUTLASS_SM100 0
#endif

namespace flash_rt::gemm {

namespace {

using cutlass_fp8::Entry;
using cutlass_fp8::Problem;
using cutlass_fp8::Status;

DType out_dtype(Entry e) {
  switch (e) {
    case Entry::kSqF32:
    case Entry::kWideF32: return DType::kF32;
    case Entry::kSqBf16:
    case Entry::kWideBf16:
    case Entry::kT1Bf16: return DType::kBF16;
    default: return DType::kF16;
  }
}

#if FLASH_RT_CUTLASS_SM90
// SM90: every entry by the tile that suits the problem size (cutlass_fp8_problem.h).
Status run_sm90(Entry e, const Problem& p) {
  using cutlass_fp8::Sm90Tile;
  switch (cutlass_fp8::sm90_tile(p.M, p.N, p.sm_count)) {
    case Sm90Tile::k64x64: return cutlass_fp8::run_sm90_64x64(e, p);
    case Sm90Tile::k64x128: return cutlass_fp8::run_sm90_64x128(e, p);
    case Sm90Tile::k128x64: return cutlass_fp8::run_sm90_128x64(e, p);
    case Sm90Tile::k128x192: return cutlass_fp8::run_sm90_128x192(e, p);
    case Sm90Tile::k128x128: break;
  }
  return cutlass_fp8::run_sm90_128x128(e, p);
}
#endif

// The SM90 backend policy (cutlass_fp8_sm90_backend; cutlass_fp8.h says what each does).
enum class Sm90Backend : int { kAuto = 0, kCutlass = 1, kCublasLt = 2 };
constexpr const char* kSm90BackendNames[] = {"auto", "cutlass", "cublaslt"};
std::atomic<int> g_sm90_backend{static_cast<int>(Sm90Backend::kAuto)};

// The kernel family for this device, or nullptr (then the entry raises NotImplementedError).
using Runner = Status (*)(Entry, const Problem&);
Runner runner_for(int sm, DType out) {
#if FLASH_RT_CUTLASS_SM90
  if (sm == 90) return &run_sm90;
#endif
#if FLASH_RT_CUTLASS_SM100
  // 100f covers SM100 and SM103; 110f covers SM110 (the build compiles only the archs of its variant,
  // so a device of a family this build lacks fails at launch, caught by the arch check below).
  if (sm == 100 || sm == 103 || sm == 110)
    return out == DType::kF32    ? &cutlass_fp8::run_sm100_f32
           : out == DType::kBF16 ? &cutlass_fp8::run_sm100_bf16
                                 : &cutlass_fp8::run_sm100_fp16;
#endif
  (void)sm;
  (void)out;
  return nullptr;
}

int run_entry(const char* entry, Entry e, const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N,
              int K, float alpha, float beta, std::uintptr_t stream) {
  ArgCheck ck(entry);
  ck.positive("M", M);
  ck.positive("N", N);
  ck.positive("K", K);
  const DType out = out_dtype(e);
  const int out_bytes = out == DType::kF32 ? 4 : 2;
  if (K % 16 != 0)
    throw_error(ErrorKind::kValue, entry, ": 'K' expected a multiple of 16 (16-byte rows of A and B for TMA), got ",
                K);
  if ((static_cast<int64_t>(N) * out_bytes) % 16 != 0)
    throw_error(ErrorKind::kValue, entry, ": 'N' expected a multiple of ", 16 / out_bytes, " (16-byte rows of D for TMA), got ",
                N);
  ck.rows("A", A, kFp8Bytes, M, K);
  ck.rows("B", B, kFp8Bytes, N, K);
  ck.rows("D", D, {out}, M, N);
  ck.aligned("A", A, 16, "TMA");
  ck.aligned("B", B, 16, "TMA");
  ck.aligned("D", D, 16, "TMA");

  const int dev = ck.device();
  int major = 0, minor = 0, sms = 0;
  check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), entry, "cudaDeviceGetAttribute");
  check_cuda(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev), entry, "cudaDeviceGetAttribute");
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), entry, "cudaDeviceGetAttribute");
  const int sm = 10 * major + minor;
  const Runner run = runner_for(sm, out);
  if (run == nullptr) {
    const char* built = cutlass_fp8_archs();
    throw_error(ErrorKind::kNotImplemented, entry, ": no CUTLASS FP8 kernel for this GPU (SM", sm,
                "); this build has them for [", *built ? built : "no architecture",
                "]. fp8_run_dev (cuBLASLt, same NT layout) runs on every FP8-capable GPU.");
  }

#if FLASH_RT_CUTLASS_SM90
  if (sm == 90) {
    const auto backend = static_cast<Sm90Backend>(g_sm90_backend.load(std::memory_order_relaxed));
    // Small M: the mma.sync kernel that reads the weight once (fp8_nn_direct.h); a CUTLASS TMA
    // kernel spends a whole 64-row tile on it, and it beats cuBLASLt there.
    if (backend != Sm90Backend::kCublasLt && fp8_nt_direct_applies(sm, M, N)) {
      fp8_nt_direct(entry, out, A.data, B.data, D.data, M, N, K, alpha, beta, e == Entry::kGelu, sms,
                    as_stream(stream));
      return 0;
    }
    // Linear epilogues above that: cuBLASLt where it takes the call (the GELU entry stays on
    // CUTLASS: cuBLASLt's GELU epilogue is not the erf GELU).
    if (backend != Sm90Backend::kCutlass && e != Entry::kGelu &&
        fp8_nt_alpha_cublaslt(entry, out, A.data, B.data, D.data, M, N, K, alpha, beta, stream))
      return 0;
  }
#endif
  const Problem p{A.data, B.data, D.data, M, N, K, alpha, beta, dev, sms, as_stream(stream)};
  const Status s = run(e, p);
  if (s.step != nullptr) {
    if (s.workspace != 0)
      throw_error(ErrorKind::kRuntime, entry, ": CUTLASS kernel asks for a ", s.workspace,
                  "-byte workspace, which this launcher never allocates (M=", M, ", N=", N, ", K=", K, ")");
    throw_error(ErrorKind::kRuntime, entry, ": CUTLASS ", s.step, " failed: ", s.message ? s.message : "?",
                " (M=", M, ", N=", N, ", K=", K, ")");
  }
  check_cuda(cudaGetLastError(), entry, "kernel launch");
  return 0;
}

}  // namespace

const char* cutlass_fp8_sm90_backend(const char* policy) {
  if (policy != nullptr && *policy != '\0') {
    int found = -1;
    for (int i = 0; i < 3; ++i)
      if (std::strcmp(policy, kSm90BackendNames[i]) == 0) found = i;
    if (found < 0)
      throw_error(ErrorKind::kValue, "cutlass_fp8_sm90_backend",
                  ": 'policy' expected 'auto', 'cutlass', 'cublaslt' or '' (query), got '", policy, "'");
    g_sm90_backend.store(found, std::memory_order_relaxed);
  }
  return kSm90BackendNames[g_sm90_backend.load(std::memory_order_relaxed)];
}

const char* cutlass_fp8_archs() {
#if FLASH_RT_CUTLASS_SM90 && FLASH_RT_CUTLASS_SM100
  return "sm_90a, sm_100f/sm_110f";
#elif FLASH_RT_CUTLASS_SM90
  return "sm_90a";
#elif FLASH_RT_CUTLASS_SM100
  return "sm_100f/sm_110f";
#else
  return "";
#endif
}

#define FLASH_RT_CUTLASS_FP8_DEFINE(name, entry_enum)                                                          \
  int name(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K, float alpha,  \
           float beta, std::uintptr_t stream) {                                                            \
    return run_entry(#name, Entry::entry_enum, A, B, D, M, N, K, alpha, beta, stream);                     \
  }

FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_sq, kSq)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_t1, kT1)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_wide, kWide)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_plain, kPlain)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_gelu, kGelu)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_sq_f32out, kSqF32)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_wide_f32out, kWideF32)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_sq_bf16out, kSqBf16)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_wide_bf16out, kWideBf16)
FLASH_RT_CUTLASS_FP8_DEFINE(cutlass_fp8_t1_bf16out, kT1Bf16)

#undef FLASH_RT_CUTLASS_FP8_DEFINE

}  // namespace flash_rt::gemm
