// GEMM group (SPEC 2.5): GemmRunner (cuBLASLt), gmm_fp16 (cuBLAS), fp8_gemm_descale_*.
//
// Layouts (all row-major, dense, leading dimension = logical width):
//   NN : D[M,N] = A[M,K] . B[K,N]     (weight stored [K, N], the transpose of Linear.weight)
//   NT : D[M,N] = A[M,K] . B[N,K]^T   (weight stored [N, K], PyTorch layout)
// fp32 accumulation (CUBLAS_COMPUTE_32F), one final rounding to D's dtype. FP8 operands are
// E4M3 (handed over as float8_e4m3fn, uint8 or int8); FP8 scales are device float32 [1]
// holding amax/448 and are multiplied in: D = (*scale_a) * (*scale_b) * A.B (SPEC 1.2).
//
// Column-major mapping. cuBLASLt is column-major, so a row-major D[M,N] is the column-major
// D^T[N,M] and every problem is handed over as D^T = B^T . A^T: cuBLASLt's first operand is
// our B, its second our A, and its (m, n, k) is our (N, M, K). For NT this is cuBLASLt's
// "TN" arrangement (both operands K-contiguous), the only one its FP8 kernels accept on
// SM89/SM90. For NN the weight [K, N] is N-contiguous, and swapping operand roles alone
// cannot make it K-contiguous, so an FP8 NN problem is first offered to cuBLASLt as is
// (newer archs take it); if the heuristic refuses, the plan falls back to transposing the
// weight on every call into a [N, K] buffer the plan owns (K * N bytes, allocated with the
// plan, outside capture) and running the NT problem. The transpose costs one extra read and
// write of the weight per call: callers that can store [N, K] should use fp8_run_dev. Only
// if that is refused too does the call raise RuntimeError. On the H100 (SM90) every FP8 NN
// call takes this fallback, except the small ones below.
//
// Small M on SM89/SM90. An FP8 NN call with M <= 64, no bias or residual epilogue and an
// unregistered weight runs neither the transpose nor cuBLASLt: flash-rt's own kernel
// (flash_rt/gemm/fp8_nn_direct.cuh, mma.sync) reads the [K, N] weight in place, once. Such calls
// need no warm-up (there is no plan) and the autotune methods do not affect them.
//
// Static weights. A weight that does not change between calls (inference) can be registered
// once with register_static_weight(B, K, N): on SM89/SM90 the runner keeps its own [N, K]
// copy, transposed at registration, and every later FP8 NN call of that runner whose B has
// the same address, K and N runs the NT problem on the copy with no per-call transpose (NT
// speed). The copy is a snapshot: after changing B in place, register it again (that
// re-transposes into the same copy); unregister_static_weight frees it. The copy is found by
// B's address (with K and N): unregister it before B's memory is freed, or a new tensor that
// a caching allocator (torch's) places at the same address would silently use the old
// weight's copy. A CUDA graph
// captured while the copy was used keeps reading the copy, so refresh or unregister only
// between replays and never free a copy a live graph uses. On other archs (FP8 NN native)
// registration makes no copy and returns false. Registration allocates and synchronises the
// stream: a setup step, refused during capture.
//
// Errors: bad arguments -> ValueError/TypeError before anything runs; every cuBLASLt/cuBLAS
// status is checked -> RuntimeError with cublasGetStatusString; an empty heuristic raises
// (an uninitialised algorithm is never run).
//
// Alignment: every operand address must be 16-byte aligned (the heuristic is queried with a
// 16-byte minimum alignment, so any address that passes runs the cached algorithm). FP8
// entries also need K % 16 == 0 and N % 16 == 0 (cuBLASLt's FP8 requirement of 16-byte
// leading dimensions); violations raise ValueError, not a cuBLASLt failure.
//
// CUDA graphs: descriptors and the heuristic's algorithm are created on the first call per
// key (op, dtypes, M, N, K, epilogue, and whether every operand address is 256-byte aligned
// or only 16: cuBLASLt's fastest kernels may need 256) and cached for the runner's lifetime. Call every shape
// once before capture (warm-up); a cache miss while `stream` is capturing raises
// RuntimeError instead of creating descriptors inside the capture. Cached calls allocate
// nothing and never sync. The benchmark/autotune methods run on stream 0, synchronise the
// device, and are never capture-safe.
//
// Threads and streams: a GemmRunner is not thread-safe (its cache, workspace and FP8 NN
// transpose buffers are unguarded); use one runner per thread, or serialise calls. Calls of
// one runner on different streams must not run concurrently (they share the workspace). The process-global runner behind fp8_gemm_descale_*
// is guarded by a mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include "flash_rt/core/tensor.h"

struct cublasLtContext;

namespace flash_rt::context {
class FvkContext;
}

namespace flash_rt::gemm {

using Stream = std::uintptr_t;

// Which family a cached plan belongs to (part of the cache key).
enum class Op : int {
  kNN16,        // fp16/bf16 NN, optional bias/GELU/residual
  kNT16,        // bf16 NT (benchmark)
  kFp8NN,       // FP8 NN, device scale pointers
  kFp8NT,       // FP8 NT, device scale pointers
  kFp8NNAlpha,  // FP8 NN, host alpha, bias epilogues
  kFp8NTAlpha,  // FP8 NT, host alpha (benchmark)
};

class GemmRunner {
 public:
  // The workspace: 32 MiB (not the original's 256 MiB): cuBLASLt's own recommendation for
  // Hopper is 32 MiB, and a smaller reservation leaves memory to the model. Raises
  // RuntimeError without a usable CUDA device. A runner made with workspace_bytes = 0 allocates
  // nothing and asks the heuristic only for algorithms that need no workspace (the SM90
  // cutlass_fp8_* path below: no device memory shared between streams).
  static constexpr std::size_t kWorkspaceBytes = 32u << 20;

  explicit GemmRunner(std::size_t workspace_bytes = kWorkspaceBytes);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  // ---- 16-bit NN (A [M,K], B [K,N], D [M,N], bias [N]; all the same 16-bit dtype) ----
  void fp16_nn(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
               Stream stream);  // fp16: D = A.B
  void bf16_nn(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
               Stream stream);  // bf16: D = A.B
  void bf16_nn_res(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                   Stream stream);  // bf16: D <- A.B + D (residual added in fp32)
  void bf16_nn_bias(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                    int M, int N, int K, Stream stream);  // bf16: D = A.B + bias
  void bf16_nn_bias_gelu(const TensorArg& A, const TensorArg& B, const TensorArg& D,
                         const TensorArg& bias, int M, int N, int K,
                         Stream stream);  // bf16: D = GELU(A.B + bias), cuBLASLt GELU_BIAS
  void bf16_nn_bias_res(const TensorArg& A, const TensorArg& B, const TensorArg& D,
                        const TensorArg& bias, int M, int N, int K,
                        Stream stream);  // bf16: D <- A.B + bias + D

  // ---- FP8 (A [M,K] E4M3; B [N,K] for NT, [K,N] for NN; scales float32 [1]) ----
  // NT, bf16 D = (*sa)(*sb) A.B^T
  void fp8_run_dev(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                   const TensorArg& d_scale_a, const TensorArg& d_scale_b, Stream stream);
  // NN, bf16 D = (*sa)(*sb) A.B
  void fp8_nn_dev(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                  const TensorArg& d_scale_a, const TensorArg& d_scale_b, Stream stream);
  // NN, fp16 D = (*act)(*w) A.B
  void fp8_descale_fp16(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                        const TensorArg& act_descale, const TensorArg& w_descale, Stream stream);
  // NN, fp16 D = alpha A.B + bias (bias fp16 [N], host alpha, no scale pointers)
  void fp8_nn_bias(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                   int M, int N, int K, float alpha, Stream stream);
  // NN, fp16 D <- alpha A.B + bias + D
  void fp8_nn_bias_res(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                       int M, int N, int K, float alpha, Stream stream);
  // NN, fp16 D = GELU(alpha A.B + bias)
  void fp8_nn_gelu_bias(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                        int M, int N, int K, float alpha, Stream stream);

  // ---- benchmarks / autotune: device sync, not capture-safe (benchmarks on stream 0) ----
  // NT bf16 D = alpha A.B^T + beta D, warmup + iters runs; mean ms per run.
  float bf16_gemm(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                  float alpha, float beta, int warmup, int iters);
  // NT FP8 -> bf16, D = scale_a * scale_b * A.B^T (host scales); mean ms per run.
  float fp8_gemm(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                 float scale_a, float scale_b, int warmup, int iters);
  // Times up to num_algos candidates for the bf16_nn / fp8_nn_dev key: the heuristic's list,
  // then configurations near its entries (other tiles, CTA swizzle, split-K) that
  // cublasLtMatmulAlgoCheck accepts within this runner's workspace. Caches the fastest if it
  // beats the heuristic's choice by 2% (else that choice), prints one line (with the
  // heuristic's first choice for comparison). Clobbers D. Each candidate is timed as 20 calls
  // captured in a CUDA graph on a private stream, replayed 5 times: GPU time, not host launch
  // time (which dominates a host-timed loop at small M); the five finalists again in 5
  // interleaved passes. A split-K choice uses the runner's workspace, as every call does.
  void autotune_bf16_nn(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                        int num_algos);
  void autotune_fp8_nn_dev(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                           const TensorArg& d_scale_a, const TensorArg& d_scale_b, int num_algos);

  // ---- static FP8 NN weights (see above); not capture-safe, synchronise `stream` ----
  // B: FP8 [K, N]. Returns true if a transposed copy now backs FP8 NN calls with this B
  // (SM89/SM90), false where FP8 NN runs natively (nothing to do, nothing allocated).
  bool register_static_weight(const TensorArg& B, int K, int N, Stream stream);
  // Frees the copy registered for (B's address, K, N); returns whether there was one.
  bool unregister_static_weight(const TensorArg& B, int K, int N);
  int static_weight_count() const { return static_cast<int>(static_weights_.size()); }

  // One cached cuBLASLt plan (descriptors + algorithm) and one validated call; both defined
  // in gemm_runner.cpp (opaque here, so only this group's launchers can build a Call).
  struct Plan;
  struct Call;
  // (op, A/B dtype, D dtype, M, N, K, epilogue, accumulate, operand alignment 16/256)
  using Key = std::tuple<int, int, int, int, int, int, int, int, int>;

  // Runs a Call that was already validated (used by fp8_gemm_descale_*).
  void run(const char* entry, const Call& c, Stream stream);
  // Whether `c`'s plan exists (its first call has happened); try_plan creates it, or returns
  // false where cuBLASLt has no algorithm for it (nothing cached, nothing raised). try_plan
  // raises while `stream` is capturing, as a first call does.
  bool has_plan(const Call& c) const;
  bool try_plan(const char* entry, const Call& c, Stream stream);

 private:
  // The cached plan of `c`; creates it on a miss (raises during capture, or when cuBLASLt has
  // no algorithm and `required`, else returns nullptr).
  Plan* find_plan(const char* entry, const Call& c, Stream stream, bool required);
  Plan& plan(const char* entry, const Call& c, Stream stream) { return *find_plan(entry, c, stream, true); }
  void autotune(const char* entry, const Call& c, int num_algos);
  float bench(const char* entry, const Call& c, int warmup, int iters);

  cublasLtContext* handle_ = nullptr;
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = kWorkspaceBytes;
  std::map<Key, std::unique_ptr<Plan>> plans_;
  // (B address, K, N) -> the [N, K] copy (register_static_weight); freed by the destructor.
  std::map<std::tuple<std::uintptr_t, int, int>, void*> static_weights_;
  // Compute capability of the runner's device (10 * major + minor): SM89/SM90 need the FP8 NN
  // fallbacks (the direct kernel, the transpose).
  int sm_ = 0;
  // Whether `c` runs on the small-M FP8 NN kernel instead of cuBLASLt (see the file comment).
  bool runs_direct(const Call& c) const;
};

// cuBLAS GemmEx, fp16 NN: C[M,N] <- A[M,K].B[K,N] + beta C, fp32 compute, CUBLAS_GEMM_DEFAULT.
// Uses ctx's handle, re-bound to `stream` (one context must not be shared by concurrent threads).
void gmm_fp16(context::FvkContext& ctx, const TensorArg& A, const TensorArg& B, const TensorArg& C, int M,
              int N, int K, float beta, Stream stream);

// NN FP8: C[M,N] = (*act_descale)(*w_descale) A[M,K].B[K,N], out fp16 / bf16 / fp32.
// Backed by one process-global GemmRunner per device, created lazily on the device's first call
// and guarded by a mutex (so callable from several threads; calls are serialised). Same capture
// rule: warm every shape up before capture. Calls on concurrent streams of one device share that
// runner's workspace: do not run them concurrently (split-K algorithms use it).
void fp8_gemm_descale_fp16(const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N, int K,
                           const TensorArg& act_descale, const TensorArg& w_descale, Stream stream);
void fp8_gemm_descale_bf16out(const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N,
                              int K, const TensorArg& act_descale, const TensorArg& w_descale,
                              Stream stream);
void fp8_gemm_descale_f32out(const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N,
                             int K, const TensorArg& act_descale, const TensorArg& w_descale,
                             Stream stream);
// The NT problem of the SM90 cutlass_fp8_* entries on cuBLASLt (gemm/cutlass_fp8.h says when and
// why): D[M,N] = alpha * A[M,K] . B[N,K]^T + beta * D (C = D), A and B E4M3, D fp16 / bf16 /
// float32. One runner per device with no workspace (so calls on concurrent streams share no
// device memory), created on first use, guarded by a mutex. The caller has validated the
// arguments (16-byte aligned addresses, K % 16 == 0). Returns false, having launched nothing,
// where cuBLASLt does not take the call: N % 16 != 0, no algorithm for the shape (remembered),
// or the shape's first call while `stream` is capturing (no descriptors inside a capture).
bool fp8_nt_alpha_cublaslt(const char* entry, DType out, const void* A, const void* B, void* D, int M, int N,
                           int K, float alpha, float beta, Stream stream);

// register_static_weight / unregister_static_weight on the process-global runner above.
bool fp8_gemm_descale_register_static_weight(const TensorArg& B, int K, int N, Stream stream);
bool fp8_gemm_descale_unregister_static_weight(const TensorArg& B, int K, int N);

}  // namespace flash_rt::gemm
