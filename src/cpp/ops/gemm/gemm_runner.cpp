// GemmRunner (SPEC 2.5.1), gmm_fp16 (2.5.2), fp8_gemm_descale_* (2.5.3). Host code only:
// cuBLASLt / cuBLAS do the work. Layout mapping, errors and the capture rule: gemm.h.
#include "gemm/gemm.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "context/context.h"
#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"
#include "gemm/fp8_nn_direct.h"
#include "gemm/transpose.h"

namespace flash_rt::gemm {

// Everything one cuBLASLt call needs, validated. Sizes are ours (row-major M, N, K).
struct GemmRunner::Call {
  Op op = Op::kNN16;
  DType ab = DType::kBF16;   // A and B element type (kF8E4M3 for FP8)
  DType out = DType::kBF16;  // D (and C) element type
  int M = 0, N = 0, K = 0;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  bool accumulate = false;  // C = D with beta 1 (residual)
  bool nt = false;          // B is [N, K] (else [K, N])
  bool device_scales = false;
  const void* a = nullptr;        // [M, K]
  const void* b = nullptr;        // [K, N] or [N, K]
  void* d = nullptr;              // [M, N]
  const void* bias = nullptr;     // [N] or null
  const float* scale_a = nullptr; // [1] device, FP8 entries with device scales
  const float* scale_b = nullptr;
  float alpha = 1.f, beta = 0.f;  // host

  // The alignment every operand address has (16 or 256 bytes): the heuristic is asked for
  // algorithms that need no more. 256 is cuBLASLt's default assumption and what torch's
  // allocator gives; some of the fastest kernels need it (measured on the H100: with a
  // 16-byte minimum, fp8_run_dev ran at 0.87x torch._scaled_mm at 1024x2048x32768).
  uint32_t align = 16;

  Key key() const {
    return {static_cast<int>(op), static_cast<int>(ab), static_cast<int>(out), M, N, K,
            static_cast<int>(epilogue), accumulate ? 1 : 0, static_cast<int>(align)};
  }
};

struct GemmRunner::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr;  // cuBLASLt's A = our B
  cublasLtMatrixLayout_t lb = nullptr;  // cuBLASLt's B = our A
  cublasLtMatrixLayout_t ld = nullptr;  // C and D: column-major [N, M] = row-major D[M, N]
  cublasLtMatmulAlgo_t algo{};
  // FP8 NN fallback: cuBLASLt refused the [K, N] weight, so each call first transposes it
  // into `bt` ([N, K], K * N bytes, owned) and runs the NT ("TN") problem.
  void* bt = nullptr;

  ~Plan() {
    if (bt) cudaFree(bt);
    if (ld) cublasLtMatrixLayoutDestroy(ld);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

namespace {

constexpr int kAutotuneCalls = 20;    // calls per captured graph (autotune timing)
constexpr int kAutotuneReplays = 5;   // timed replays of that graph
constexpr int kFinalRounds = 5;       // interleaved passes over autotune's finalists
constexpr float kSwitchMargin = 0.98f;  // a finalist must beat the heuristic's choice by 2%
constexpr int kAlign = 16;         // bytes: every operand address, and the heuristic's minimum
constexpr int kAlignLarge = 256;   // bytes: cuBLASLt's default; plans are keyed by which one holds

void check_lt(cublasStatus_t st, const char* entry, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS)
    throw_error(ErrorKind::kRuntime, entry, ": ", what, " failed: ", cublasGetStatusName(st), " (",
                cublasGetStatusString(st), ")");
}

cudaDataType_t cuda_type(DType t) {
  switch (t) {
    case DType::kF16: return CUDA_R_16F;
    case DType::kBF16: return CUDA_R_16BF;
    case DType::kF32: return CUDA_R_32F;
    default: return CUDA_R_8F_E4M3;
  }
}

bool is_fp8(DType t) { return t == DType::kF8E4M3; }

template <typename T>
void set_attr(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& v, const char* entry) {
  check_lt(cublasLtMatmulDescSetAttribute(desc, attr, &v, sizeof(v)), entry, "cublasLtMatmulDescSetAttribute");
}

// A heuristic preference: the workspace size and the operands' alignment (Call::align).
class Preference {
 public:
  Preference(const char* entry, uint32_t align, std::size_t workspace_bytes) {
    check_lt(cublasLtMatmulPreferenceCreate(&pref_), entry, "cublasLtMatmulPreferenceCreate");
    set(entry, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, workspace_bytes);
    for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
      set(entry, attr, align);
  }
  ~Preference() { cublasLtMatmulPreferenceDestroy(pref_); }
  Preference(const Preference&) = delete;
  Preference& operator=(const Preference&) = delete;
  operator cublasLtMatmulPreference_t() const { return pref_; }

 private:
  template <typename T>
  void set(const char* entry, cublasLtMatmulPreferenceAttributes_t attr, const T& v) {
    check_lt(cublasLtMatmulPreferenceSetAttribute(pref_, attr, &v, sizeof(v)), entry,
             "cublasLtMatmulPreferenceSetAttribute");
  }
  cublasLtMatmulPreference_t pref_ = nullptr;
};

// The per-call pointers (bias, device scales) on a cached descriptor. Host-side only, so it
// is allowed during capture; a captured graph keeps the pointers of the captured call.
void set_pointers(cublasLtMatmulDesc_t desc, const GemmRunner::Call& c, const char* entry) {
  if (c.bias) set_attr(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, c.bias, entry);
  if (c.device_scales) {
    // cuBLASLt's A is our B (the weight), its B our A: the product is the same either way.
    set_attr(desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, c.scale_b, entry);
    set_attr(desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, c.scale_a, entry);
  }
}

bool capturing(Stream stream) {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  const cudaError_t err = cudaStreamIsCapturing(as_stream(stream), &st);
  if (err != cudaSuccess) {
    // The legacy stream while another stream captures globally reports an error: that is
    // a capture in progress too.
    (void)cudaGetLastError();
    return err == cudaErrorStreamCaptureImplicit || err == cudaErrorStreamCaptureUnsupported;
  }
  return st != cudaStreamCaptureStatusNone;
}

// ---- validation ----------------------------------------------------------------------

void matrix(const ArgCheck& ck, const char* name, const TensorArg& t, DType dt, int64_t rows, int64_t cols) {
  if (is_fp8(dt)) ck.rows(name, t, kFp8Bytes, rows, cols);
  else ck.rows(name, t, {dt}, rows, cols);
  ck.aligned(name, t, kAlign, "cuBLASLt");
}

struct Operands {
  const TensorArg* A;
  const TensorArg* B;
  const TensorArg* D;
  const TensorArg* bias = nullptr;     // [N], dtype bias_dtype
  const TensorArg* scale_a = nullptr;  // [1] float32
  const TensorArg* scale_b = nullptr;
  DType bias_dtype = DType::kBF16;
  const char* scale_a_name = "d_scale_a";
  const char* scale_b_name = "d_scale_b";
  const char* d_name = "D";
};

// Validates and fills the pointer part of `c` (op, dtypes, sizes, layout already set).
void validate(const char* entry, GemmRunner::Call& c, const Operands& o) {
  ArgCheck ck(entry);
  ck.positive("M", c.M);
  ck.positive("N", c.N);
  ck.positive("K", c.K);
  if (is_fp8(c.ab)) {
    // cuBLASLt FP8: leading dimensions and K must be multiples of 16 bytes/elements.
    if (c.K % 16 != 0)
      throw_error(ErrorKind::kValue, entry, ": 'K' expected a multiple of 16 (cuBLASLt FP8), got ", c.K);
    if (c.N % 16 != 0)
      throw_error(ErrorKind::kValue, entry, ": 'N' expected a multiple of 16 (cuBLASLt FP8), got ", c.N);
  }
  matrix(ck, "A", *o.A, c.ab, c.M, c.K);
  if (c.nt) matrix(ck, "B", *o.B, c.ab, c.N, c.K);
  else matrix(ck, "B", *o.B, c.ab, c.K, c.N);
  matrix(ck, o.d_name, *o.D, c.out, c.M, c.N);
  if (o.bias) {
    ck.vector("bias", *o.bias, {o.bias_dtype}, c.N);
    ck.aligned("bias", *o.bias, kAlign, "cuBLASLt");
  }
  if (o.scale_a) ck.scale(o.scale_a_name, *o.scale_a);
  if (o.scale_b) ck.scale(o.scale_b_name, *o.scale_b);
  c.a = o.A->data;
  c.b = o.B->data;
  c.d = o.D->data;
  c.bias = o.bias ? o.bias->data : nullptr;
  c.align = all_aligned({c.a, c.b, c.d, c.bias}, kAlignLarge) ? kAlignLarge : kAlign;
  c.device_scales = o.scale_a != nullptr;
  c.scale_a = o.scale_a ? static_cast<const float*>(o.scale_a->data) : nullptr;
  c.scale_b = o.scale_b ? static_cast<const float*>(o.scale_b->data) : nullptr;
}

GemmRunner::Call nn16(DType t, int M, int N, int K, cublasLtEpilogue_t epi, bool accumulate) {
  GemmRunner::Call c;
  c.op = Op::kNN16;
  c.ab = c.out = t;
  c.M = M, c.N = N, c.K = K;
  c.epilogue = epi;
  c.accumulate = accumulate;
  c.beta = accumulate ? 1.f : 0.f;
  return c;
}

GemmRunner::Call fp8(Op op, DType out, int M, int N, int K, bool nt) {
  GemmRunner::Call c;
  c.op = op;
  c.ab = DType::kF8E4M3;
  c.out = out;
  c.M = M, c.N = N, c.K = K;
  c.nt = nt;
  return c;
}

GemmRunner::Call fp8_scaled(const char* entry, Op op, DType out, bool nt, const TensorArg& A,
                            const TensorArg& B, const TensorArg& D, int M, int N, int K,
                            const TensorArg& sa, const TensorArg& sb, bool descale_names = false) {
  GemmRunner::Call c = fp8(op, out, M, N, K, nt);
  Operands o{&A, &B, &D, nullptr, &sa, &sb};
  if (descale_names) o.scale_a_name = "act_descale", o.scale_b_name = "w_descale";
  validate(entry, c, o);
  return c;
}

// The FP8 NN refusal on SM89/SM90 (see gemm.h): say what to do instead.
const char* heuristic_hint(const GemmRunner::Call& c) {
  if (is_fp8(c.ab) && !c.nt)
    return "; cuBLASLt's FP8 kernels on SM89/SM90 take only K-contiguous operands: store the weight as "
           "[N, K] and use the NT entry (fp8_run_dev)";
  return "";
}

}  // namespace

// ---- GemmRunner --------------------------------------------------------------------------

GemmRunner::GemmRunner(std::size_t workspace_bytes) : workspace_bytes_(workspace_bytes) {
  const char* entry = "GemmRunner";
  int dev = 0;
  const cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw_error(ErrorKind::kRuntime, entry, ": no usable CUDA device (", cudaGetErrorName(err), ": ",
                cudaGetErrorString(err), ")");
  }
  int major = 0, minor = 0;
  check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), entry, "cudaDeviceGetAttribute");
  check_cuda(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev), entry, "cudaDeviceGetAttribute");
  sm_ = 10 * major + minor;
  cublasLtHandle_t h = nullptr;
  check_lt(cublasLtCreate(&h), entry, "cublasLtCreate");
  handle_ = h;
  if (workspace_bytes_ == 0) return;
  const cudaError_t merr = cudaMalloc(&workspace_, workspace_bytes_);
  if (merr != cudaSuccess) {
    (void)cudaGetLastError();
    cublasLtDestroy(handle_);
    handle_ = nullptr;
    workspace_ = nullptr;
    throw_error(ErrorKind::kRuntime, entry, ": cudaMalloc of the ", workspace_bytes_ >> 20,
                " MiB workspace failed: ", cudaGetErrorName(merr), " (", cudaGetErrorString(merr), ")");
  }
}

GemmRunner::~GemmRunner() {
  plans_.clear();
  for (auto& kv : static_weights_) cudaFree(kv.second);
  if (workspace_) cudaFree(workspace_);
  if (handle_) cublasLtDestroy(handle_);
}

bool GemmRunner::has_plan(const Call& c) const { return plans_.count(c.key()) != 0; }

bool GemmRunner::try_plan(const char* entry, const Call& c, Stream stream) {
  return find_plan(entry, c, stream, false) != nullptr;
}

GemmRunner::Plan* GemmRunner::find_plan(const char* entry, const Call& c, Stream stream, bool required) {
  const Key key = c.key();
  if (auto it = plans_.find(key); it != plans_.end()) return it->second.get();
  if (capturing(stream))
    throw_error(ErrorKind::kRuntime, entry, ": first call for this shape (M=", c.M, ", N=", c.N, ", K=", c.K,
                ") during CUDA graph capture; call it once before capture (warm-up) so that its "
                "cuBLASLt descriptors and algorithm exist");

  auto p = std::make_unique<Plan>();
  check_lt(cublasLtMatmulDescCreate(&p->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), entry, "cublasLtMatmulDescCreate");
  // D^T[N,M] = op(B-buffer) . A-buffer^T, see gemm.h; TRANSA is set per layout below.
  const cublasOperation_t tb = CUBLAS_OP_N;
  set_attr(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, tb, entry);
  if (c.epilogue != CUBLASLT_EPILOGUE_DEFAULT) {
    set_attr(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, c.epilogue, entry);
    // Bias in D's dtype (bf16 for the bf16 entries, fp16 for the FP8 ones).
    const cudaDataType_t bt = cuda_type(c.out);
    set_attr(p->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, bt, entry);
  }
  set_pointers(p->desc, c, entry);

  const cudaDataType_t ab = cuda_type(c.ab), out = cuda_type(c.out);
  check_lt(cublasLtMatrixLayoutCreate(&p->lb, ab, c.K, c.M, c.K), entry, "cublasLtMatrixLayoutCreate");
  check_lt(cublasLtMatrixLayoutCreate(&p->ld, out, c.N, c.M, c.N), entry, "cublasLtMatrixLayoutCreate");

  const Preference pref(entry, c.align, workspace_bytes_);

  // cuBLASLt's A: the B buffer, column-major [K, N] (ld K) transposed when B is [N, K]
  // ("TN"), else column-major [N, K] (ld N).
  auto try_layout = [&](bool b_is_nk, cublasStatus_t& st, int& found, cublasLtMatmulHeuristicResult_t& result) {
    if (p->la) cublasLtMatrixLayoutDestroy(p->la), p->la = nullptr;
    const cublasOperation_t ta = b_is_nk ? CUBLAS_OP_T : CUBLAS_OP_N;
    set_attr(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, ta, entry);
    if (b_is_nk)
      check_lt(cublasLtMatrixLayoutCreate(&p->la, ab, c.K, c.N, c.K), entry, "cublasLtMatrixLayoutCreate");
    else
      check_lt(cublasLtMatrixLayoutCreate(&p->la, ab, c.N, c.K, c.N), entry, "cublasLtMatrixLayoutCreate");
    found = 0;
    st = cublasLtMatmulAlgoGetHeuristic(handle_, p->desc, p->la, p->lb, p->ld, p->ld, pref, 1, &result, &found);
    return st == CUBLAS_STATUS_SUCCESS && found > 0;
  };
  cublasLtMatmulHeuristicResult_t result{};
  cublasStatus_t st = CUBLAS_STATUS_SUCCESS;
  int found = 0;
  bool ok = try_layout(c.nt, st, found, result);
  if (!ok && is_fp8(c.ab) && !c.nt) {
    // FP8 NN refused (SM89/SM90 FP8 kernels take only K-contiguous operands): transpose the
    // weight into a buffer of this plan on every call and run NT. Allocated here, outside
    // any capture (checked above).
    cublasLtMatmulHeuristicResult_t r2{};
    cublasStatus_t st2 = CUBLAS_STATUS_SUCCESS;
    int found2 = 0;
    if (try_layout(true, st2, found2, r2)) {
      check_cuda(cudaMalloc(&p->bt, static_cast<std::size_t>(c.K) * c.N), entry,
                 "cudaMalloc (FP8 NN weight transpose buffer)");
      ok = true, result = r2;
    }
  }
  if (!ok && !required) return nullptr;
  if (!ok)
    throw_error(ErrorKind::kRuntime, entry, ": cuBLASLt has no algorithm for M=", c.M, ", N=", c.N, ", K=", c.K,
                " (cublasLtMatmulAlgoGetHeuristic: ", cublasGetStatusName(st), ", ", cublasGetStatusString(st),
                ", ", found, " results)", heuristic_hint(c));
  p->algo = result.algo;
  return plans_.emplace(key, std::move(p)).first->second.get();
}

bool GemmRunner::runs_direct(const Call& c) const {
  return is_fp8(c.ab) && !c.nt && c.epilogue == CUBLASLT_EPILOGUE_DEFAULT && !c.accumulate && c.bias == nullptr &&
         fp8_nn_direct_applies(sm_, c.M) &&
         static_weights_.find({reinterpret_cast<std::uintptr_t>(c.b), c.K, c.N}) == static_weights_.end();
}

void GemmRunner::run(const char* entry, const Call& c, Stream stream) {
  if (runs_direct(c)) {  // small-M FP8 NN on SM89/SM90: the weight read in place (gemm.h)
    fp8_nn_direct(entry, c.out, c.a, c.b, c.d, c.M, c.N, c.K, c.alpha, c.scale_a, c.scale_b, as_stream(stream));
    return;
  }
  Plan& p = plan(entry, c, stream);
  set_pointers(p.desc, c, entry);
  const void* b = c.b;
  if (p.bt) {  // FP8 NN fallback: the registered copy of a static weight, else transpose now
    const auto it = static_weights_.find({reinterpret_cast<std::uintptr_t>(c.b), c.K, c.N});
    if (it != static_weights_.end()) {
      b = it->second;
    } else {
      transpose_bytes(entry, c.b, p.bt, c.K, c.N, as_stream(stream));
      b = p.bt;
    }
  }
  // C = D: read only when beta != 0 (the residual entries).
  check_lt(cublasLtMatmul(handle_, p.desc, &c.alpha, b, p.la, c.a, p.lb, &c.beta, c.d, p.ld, c.d, p.ld, &p.algo,
                          workspace_, workspace_bytes_, as_stream(stream)),
           entry, "cublasLtMatmul");
}

namespace {
// Mean ms of `iters` calls of `fn` on stream 0 after `warmup` calls; the device is synchronised.
template <typename F>
float time_ms(const char* entry, int warmup, int iters, F&& fn) {
  check_cuda(cudaDeviceSynchronize(), entry, "cudaDeviceSynchronize");
  for (int i = 0; i < warmup; ++i) fn();
  cudaEvent_t start = nullptr, stop = nullptr;
  check_cuda(cudaEventCreate(&start), entry, "cudaEventCreate");
  check_cuda(cudaEventCreate(&stop), entry, "cudaEventCreate");
  float ms = 0.f;
  try {
    check_cuda(cudaEventRecord(start, nullptr), entry, "cudaEventRecord");
    for (int i = 0; i < iters; ++i) fn();
    check_cuda(cudaEventRecord(stop, nullptr), entry, "cudaEventRecord");
    check_cuda(cudaEventSynchronize(stop), entry, "cudaEventSynchronize");
    check_cuda(cudaEventElapsedTime(&ms, start, stop), entry, "cudaEventElapsedTime");
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  check_cuda(cudaDeviceSynchronize(), entry, "cudaDeviceSynchronize");
  return ms / iters;
}
// Mean ms per call of fn(stream) as the GPU sees it: `calls` back-to-back calls captured into one
// CUDA graph on a private stream, one untimed replay, then `replays` timed ones. Returns a
// negative value if fn reports failure (fn returns false) or the capture does not hold.
// Why a graph: a host-timed loop of 4-10 us GEMMs measures launch overhead, and autotune then
// picks at random (on the H100 at M = 1 it kept an algorithm slower than the heuristic's
// default in graph replay: 10.4 us against 8.8 us).
template <typename F>
float graph_time_ms(const char* entry, int calls, int replays, F&& fn) {
  struct Resources {
    cudaStream_t stream = nullptr;
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    cudaEvent_t start = nullptr, stop = nullptr;
    ~Resources() {
      if (exec) cudaGraphExecDestroy(exec);
      if (graph) cudaGraphDestroy(graph);
      if (start) cudaEventDestroy(start);
      if (stop) cudaEventDestroy(stop);
      if (stream) cudaStreamDestroy(stream);
    }
  } r;
  check_cuda(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking), entry, "cudaStreamCreateWithFlags");
  if (!fn(r.stream)) return -1.f;  // uncaptured first call: module loading, and a quick refusal
  check_cuda(cudaStreamSynchronize(r.stream), entry, "cudaStreamSynchronize");
  check_cuda(cudaStreamBeginCapture(r.stream, cudaStreamCaptureModeThreadLocal), entry, "cudaStreamBeginCapture");
  bool ok = true;
  for (int i = 0; i < calls && ok; ++i) ok = fn(r.stream);
  const cudaError_t end = cudaStreamEndCapture(r.stream, &r.graph);
  if (!ok || end != cudaSuccess || r.graph == nullptr) {
    (void)cudaGetLastError();
    return -1.f;
  }
  check_cuda(cudaGraphInstantiate(&r.exec, r.graph, 0), entry, "cudaGraphInstantiate");
  check_cuda(cudaEventCreate(&r.start), entry, "cudaEventCreate");
  check_cuda(cudaEventCreate(&r.stop), entry, "cudaEventCreate");
  check_cuda(cudaGraphLaunch(r.exec, r.stream), entry, "cudaGraphLaunch");  // untimed
  check_cuda(cudaEventRecord(r.start, r.stream), entry, "cudaEventRecord");
  for (int i = 0; i < replays; ++i) check_cuda(cudaGraphLaunch(r.exec, r.stream), entry, "cudaGraphLaunch");
  check_cuda(cudaEventRecord(r.stop, r.stream), entry, "cudaEventRecord");
  check_cuda(cudaEventSynchronize(r.stop), entry, "cudaEventSynchronize");
  float ms = 0.f;
  check_cuda(cudaEventElapsedTime(&ms, r.start, r.stop), entry, "cudaEventElapsedTime");
  return ms / static_cast<float>(calls * replays);
}
}  // namespace

float GemmRunner::bench(const char* entry, const Call& c, int warmup, int iters) {
  ArgCheck ck(entry);
  ck.non_negative("warmup", warmup);
  ck.positive("iters", iters);
  return time_ms(entry, warmup, iters, [&] { run(entry, c, 0); });
}

namespace {

// The configuration of an algorithm that autotune varies, to skip duplicates.
struct AlgoKey {
  int32_t id = 0, splitk = 1;
  uint32_t tile = 0, stages = 0, scheme = 0, swizzle = 0;
  bool operator==(const AlgoKey&) const = default;
};

AlgoKey key_of(const cublasLtMatmulAlgo_t& algo) {
  AlgoKey k;
  std::size_t w = 0;
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_ID, &k.id, sizeof(k.id), &w);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &k.splitk, sizeof(k.splitk), &w);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &k.tile, sizeof(k.tile), &w);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &k.stages, sizeof(k.stages), &w);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, &k.scheme, sizeof(k.scheme), &w);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, &k.swizzle, sizeof(k.swizzle), &w);
  return k;
}

// Configurations near one heuristic candidate, for autotune to time after the heuristic's own
// list, most promising first (H100 FP8, benchmarks/autotune_depth.py: the wins came from other
// tiles): every other tile at the candidate's stages, the other CTA swizzle, split-K 2 / 3 / 4
// with each supported reduction scheme, then the remaining (tile, stages) pairs. Unchecked: the
// caller keeps those that cublasLtMatmulAlgoCheck accepts within the workspace.
std::vector<cublasLtMatmulAlgo_t> neighbours(const cublasLtMatmulAlgo_t& base) {
  std::vector<cublasLtMatmulAlgo_t> out;
  std::size_t w = 0;
  int32_t splitk_ok = 0;
  uint32_t schemes = 0, swizzle_ok = 0;
  cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_SPLITK_SUPPORT, &splitk_ok, sizeof(splitk_ok), &w);
  cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_REDUCTION_SCHEME_MASK, &schemes, sizeof(schemes), &w);
  cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_CTA_SWIZZLING_SUPPORT, &swizzle_ok, sizeof(swizzle_ok),
                                    &w);
  std::size_t tiles_bytes = 0, stages_bytes = 0;
  cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_TILE_IDS, nullptr, 0, &tiles_bytes);
  cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_STAGES_IDS, nullptr, 0, &stages_bytes);
  std::vector<uint32_t> tiles(tiles_bytes / sizeof(uint32_t)), stages(stages_bytes / sizeof(uint32_t));
  if (!tiles.empty())
    cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_TILE_IDS, tiles.data(), tiles_bytes, &w);
  if (!stages.empty())
    cublasLtMatmulAlgoCapGetAttribute(&base, CUBLASLT_ALGO_CAP_STAGES_IDS, stages.data(), stages_bytes, &w);
  const AlgoKey k = key_of(base);
  auto tile_stage = [&](uint32_t tile, uint32_t stage) {
    cublasLtMatmulAlgo_t a = base;
    cublasLtMatmulAlgoConfigSetAttribute(&a, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof(tile));
    cublasLtMatmulAlgoConfigSetAttribute(&a, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stage, sizeof(stage));
    out.push_back(a);
  };
  for (uint32_t tile : tiles)
    if (tile != k.tile) tile_stage(tile, k.stages);
  if (swizzle_ok) {
    cublasLtMatmulAlgo_t a = base;
    const uint32_t other = k.swizzle ? 0u : 1u;
    cublasLtMatmulAlgoConfigSetAttribute(&a, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, &other, sizeof(other));
    out.push_back(a);
  }
  if (splitk_ok) {
    for (int32_t split : {2, 3, 4}) {
      for (uint32_t scheme : {uint32_t{CUBLASLT_REDUCTION_SCHEME_INPLACE}, uint32_t{CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE},
                              uint32_t{CUBLASLT_REDUCTION_SCHEME_OUTPUT_TYPE}}) {
        if (!(schemes & scheme)) continue;
        cublasLtMatmulAlgo_t a = base;
        cublasLtMatmulAlgoConfigSetAttribute(&a, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &split, sizeof(split));
        cublasLtMatmulAlgoConfigSetAttribute(&a, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME, &scheme, sizeof(scheme));
        out.push_back(a);
      }
    }
  }
  for (uint32_t tile : tiles)
    for (uint32_t stage : stages)
      if (stage != k.stages) tile_stage(tile, stage);
  return out;
}

}  // namespace

// Candidates: the heuristic's list (up to num_algos), then, while fewer than num_algos are
// collected, the neighbours of each heuristic candidate in rank order that cublasLtMatmulAlgoCheck
// accepts within the workspace (the heuristic on the H100 returns at most 8 for the FP8 NT
// problems). Every candidate is timed by graph replay; the four fastest and the heuristic's first
// choice are timed again in interleaved passes, and the fastest median is kept if it beats the
// heuristic's choice by kSwitchMargin.
void GemmRunner::autotune(const char* entry, const Call& c, int num_algos) {
  ArgCheck(entry).positive("num_algos", num_algos);
  Plan& p = plan(entry, c, 0);
  set_pointers(p.desc, c, entry);
  const void* b = c.b;
  if (p.bt) {  // FP8 NN fallback: time the NT problem on the transposed weight
    transpose_bytes(entry, c.b, p.bt, c.K, c.N, nullptr);
    b = p.bt;
  }
  const Preference pref(entry, c.align, workspace_bytes_);
  std::vector<cublasLtMatmulHeuristicResult_t> results(num_algos);
  int found = 0;
  check_lt(cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.la, p.lb, p.ld, p.ld, pref, num_algos, results.data(),
                                          &found),
           entry, "cublasLtMatmulAlgoGetHeuristic");
  std::vector<cublasLtMatmulAlgo_t> algos;
  std::vector<AlgoKey> keys;
  auto add = [&](const cublasLtMatmulAlgo_t& a) {
    const AlgoKey k = key_of(a);
    for (const AlgoKey& seen : keys)
      if (seen == k) return;
    keys.push_back(k);
    algos.push_back(a);
  };
  for (int i = 0; i < found; ++i) add(results[i].algo);
  const int from_heuristic = static_cast<int>(algos.size());
  for (int i = 0; i < found && static_cast<int>(algos.size()) < num_algos; ++i) {
    for (const cublasLtMatmulAlgo_t& a : neighbours(results[i].algo)) {
      if (static_cast<int>(algos.size()) >= num_algos) break;
      cublasLtMatmulHeuristicResult_t check{};
      if (cublasLtMatmulAlgoCheck(handle_, p.desc, p.la, p.lb, p.ld, p.ld, &a, &check) == CUBLAS_STATUS_SUCCESS &&
          check.workspaceSize <= workspace_bytes_)
        add(a);
    }
  }
  check_cuda(cudaDeviceSynchronize(), entry, "cudaDeviceSynchronize");
  auto time_algo = [&](int i, int replays) {
    const cublasLtMatmulAlgo_t algo = algos[i];
    auto once = [&](cudaStream_t s) {  // a candidate that refuses to run is skipped, not fatal
      return cublasLtMatmul(handle_, p.desc, &c.alpha, b, p.la, c.a, p.lb, &c.beta, c.d, p.ld, c.d, p.ld, &algo,
                            workspace_, workspace_bytes_, s) == CUBLAS_STATUS_SUCCESS;
    };
    return graph_time_ms(entry, kAutotuneCalls, replays, once);
  };
  std::vector<std::pair<float, int>> timed;
  for (int i = 0; i < static_cast<int>(algos.size()); ++i) {
    const float ms = time_algo(i, kAutotuneReplays);
    if (ms > 0.f) timed.emplace_back(ms, i);
  }
  if (timed.empty())
    throw_error(ErrorKind::kRuntime, entry, ": none of the ", algos.size(), " cuBLASLt candidates ran for M=", c.M,
                ", N=", c.N, ", K=", c.K, heuristic_hint(c));
  std::sort(timed.begin(), timed.end());
  timed.resize(std::min<std::size_t>(timed.size(), 4));
  bool first_in = false;
  for (const auto& t : timed) first_in = first_in || t.second == 0;
  if (!first_in) timed.emplace_back(0.f, 0);  // the heuristic's choice is always in the final round
  // Final round: kFinalRounds passes over the finalists, the order rotated each pass, median per
  // finalist. Large GEMMs drift with the card's power state by several percent within a second;
  // interleaving puts that drift into every finalist alike.
  const int finalists = static_cast<int>(timed.size());
  std::vector<std::vector<float>> samples(finalists);
  for (int r = 0; r < kFinalRounds; ++r)
    for (int j = 0; j < finalists; ++j) {
      const int f = (j + r) % finalists;
      const float ms = time_algo(timed[f].second, kAutotuneReplays);
      if (ms > 0.f) samples[f].push_back(ms);
    }
  check_cuda(cudaDeviceSynchronize(), entry, "cudaDeviceSynchronize");
  auto median = [](std::vector<float> v) {
    if (v.empty()) return -1.f;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  float best = -1.f, first = -1.f;
  int best_i = -1;
  for (int f = 0; f < finalists; ++f) {
    const float ms = median(samples[f]);
    if (timed[f].second == 0) first = ms;
    if (ms > 0.f && (best_i < 0 || ms < best)) best = ms, best_i = timed[f].second;
  }
  // Another algorithm replaces the heuristic's choice only when clearly faster (the margin
  // covers the timing noise at large sizes, where the H100's power state moves 2-5%).
  if (best_i < 0 || (best_i != 0 && first > 0.f && best > kSwitchMargin * first)) best_i = 0, best = first;
  p.algo = algos[best_i];
  const AlgoKey k = key_of(p.algo);
  std::printf("%s: M=%d N=%d K=%d: candidate %d of %zu (%d from the heuristic) is fastest, %.4f ms (heuristic's "
              "first: %.4f ms); algo %d tile %u stages %u split-k %d scheme %u swizzle %u\n",
              entry, c.M, c.N, c.K, best_i, algos.size(), from_heuristic, static_cast<double>(best),
              static_cast<double>(first), k.id, k.tile, k.stages, k.splitk, k.scheme, k.swizzle);
  std::fflush(stdout);
}

// ---- 16-bit NN ----

void GemmRunner::fp16_nn(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                         Stream stream) {
  Call c = nn16(DType::kF16, M, N, K, CUBLASLT_EPILOGUE_DEFAULT, false);
  validate("fp16_nn", c, {&A, &B, &D});
  run("fp16_nn", c, stream);
}

void GemmRunner::bf16_nn(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                         Stream stream) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_DEFAULT, false);
  validate("bf16_nn", c, {&A, &B, &D});
  run("bf16_nn", c, stream);
}

void GemmRunner::bf16_nn_res(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                             Stream stream) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_DEFAULT, true);
  validate("bf16_nn_res", c, {&A, &B, &D});
  run("bf16_nn_res", c, stream);
}

void GemmRunner::bf16_nn_bias(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                              int M, int N, int K, Stream stream) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_BIAS, false);
  validate("bf16_nn_bias", c, {&A, &B, &D, &bias, nullptr, nullptr, DType::kBF16});
  run("bf16_nn_bias", c, stream);
}

void GemmRunner::bf16_nn_bias_gelu(const TensorArg& A, const TensorArg& B, const TensorArg& D,
                                   const TensorArg& bias, int M, int N, int K, Stream stream) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_GELU_BIAS, false);
  validate("bf16_nn_bias_gelu", c, {&A, &B, &D, &bias, nullptr, nullptr, DType::kBF16});
  run("bf16_nn_bias_gelu", c, stream);
}

void GemmRunner::bf16_nn_bias_res(const TensorArg& A, const TensorArg& B, const TensorArg& D,
                                  const TensorArg& bias, int M, int N, int K, Stream stream) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_BIAS, true);
  validate("bf16_nn_bias_res", c, {&A, &B, &D, &bias, nullptr, nullptr, DType::kBF16});
  run("bf16_nn_bias_res", c, stream);
}

// ---- FP8 ----

void GemmRunner::fp8_run_dev(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                             const TensorArg& d_scale_a, const TensorArg& d_scale_b, Stream stream) {
  run("fp8_run_dev",
      fp8_scaled("fp8_run_dev", Op::kFp8NT, DType::kBF16, true, A, B, D, M, N, K, d_scale_a, d_scale_b), stream);
}

void GemmRunner::fp8_nn_dev(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                            const TensorArg& d_scale_a, const TensorArg& d_scale_b, Stream stream) {
  run("fp8_nn_dev",
      fp8_scaled("fp8_nn_dev", Op::kFp8NN, DType::kBF16, false, A, B, D, M, N, K, d_scale_a, d_scale_b), stream);
}

void GemmRunner::fp8_descale_fp16(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                                  const TensorArg& act_descale, const TensorArg& w_descale, Stream stream) {
  run("fp8_descale_fp16",
      fp8_scaled("fp8_descale_fp16", Op::kFp8NN, DType::kF16, false, A, B, D, M, N, K, act_descale, w_descale,
                 true),
      stream);
}

namespace {
GemmRunner::Call fp8_bias(const char* entry, const TensorArg& A, const TensorArg& B, const TensorArg& D,
                          const TensorArg& bias, int M, int N, int K, float alpha, cublasLtEpilogue_t epi,
                          bool accumulate) {
  GemmRunner::Call c = fp8(Op::kFp8NNAlpha, DType::kF16, M, N, K, false);
  c.epilogue = epi;
  c.accumulate = accumulate;
  c.alpha = alpha;
  c.beta = accumulate ? 1.f : 0.f;
  validate(entry, c, {&A, &B, &D, &bias, nullptr, nullptr, DType::kF16});
  return c;
}
}  // namespace

void GemmRunner::fp8_nn_bias(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                             int M, int N, int K, float alpha, Stream stream) {
  run("fp8_nn_bias", fp8_bias("fp8_nn_bias", A, B, D, bias, M, N, K, alpha, CUBLASLT_EPILOGUE_BIAS, false), stream);
}

void GemmRunner::fp8_nn_bias_res(const TensorArg& A, const TensorArg& B, const TensorArg& D, const TensorArg& bias,
                                 int M, int N, int K, float alpha, Stream stream) {
  run("fp8_nn_bias_res", fp8_bias("fp8_nn_bias_res", A, B, D, bias, M, N, K, alpha, CUBLASLT_EPILOGUE_BIAS, true),
      stream);
}

void GemmRunner::fp8_nn_gelu_bias(const TensorArg& A, const TensorArg& B, const TensorArg& D,
                                  const TensorArg& bias, int M, int N, int K, float alpha, Stream stream) {
  run("fp8_nn_gelu_bias",
      fp8_bias("fp8_nn_gelu_bias", A, B, D, bias, M, N, K, alpha, CUBLASLT_EPILOGUE_GELU_BIAS, false), stream);
}

// ---- benchmarks / autotune ----

float GemmRunner::bf16_gemm(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                            float alpha, float beta, int warmup, int iters) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_DEFAULT, beta != 0.f);
  c.op = Op::kNT16;
  c.nt = true;
  c.alpha = alpha;
  c.beta = beta;
  validate("bf16_gemm", c, {&A, &B, &D});
  return bench("bf16_gemm", c, warmup, iters);
}

float GemmRunner::fp8_gemm(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                           float scale_a, float scale_b, int warmup, int iters) {
  Call c = fp8(Op::kFp8NTAlpha, DType::kBF16, M, N, K, true);
  c.alpha = scale_a * scale_b;
  validate("fp8_gemm", c, {&A, &B, &D});
  return bench("fp8_gemm", c, warmup, iters);
}

void GemmRunner::autotune_bf16_nn(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N, int K,
                                  int num_algos) {
  Call c = nn16(DType::kBF16, M, N, K, CUBLASLT_EPILOGUE_DEFAULT, false);  // the bf16_nn key
  validate("autotune_bf16_nn", c, {&A, &B, &D});
  autotune("autotune_bf16_nn", c, num_algos);
}

void GemmRunner::autotune_fp8_nn_dev(const TensorArg& A, const TensorArg& B, const TensorArg& D, int M, int N,
                                     int K, const TensorArg& d_scale_a, const TensorArg& d_scale_b,
                                     int num_algos) {
  autotune("autotune_fp8_nn_dev",
           fp8_scaled("autotune_fp8_nn_dev", Op::kFp8NN, DType::kBF16, false, A, B, D, M, N, K, d_scale_a,
                      d_scale_b),
           num_algos);
}

// ---- static FP8 NN weights ----

namespace {
void static_weight_args(const char* entry, const TensorArg& B, int K, int N) {
  ArgCheck ck(entry);
  ck.positive("K", K);
  ck.positive("N", N);
  if (K % 16 != 0) throw_error(ErrorKind::kValue, entry, ": 'K' expected a multiple of 16 (cuBLASLt FP8), got ", K);
  if (N % 16 != 0) throw_error(ErrorKind::kValue, entry, ": 'N' expected a multiple of 16 (cuBLASLt FP8), got ", N);
  matrix(ck, "B", B, DType::kF8E4M3, K, N);
}
}  // namespace

bool GemmRunner::register_static_weight(const TensorArg& B, int K, int N, Stream stream) {
  const char* entry = "register_static_weight";
  static_weight_args(entry, B, K, N);
  if (capturing(stream))
    throw_error(ErrorKind::kRuntime, entry, ": called during CUDA graph capture; register static weights "
                "before capture (it allocates and synchronises)");
  if (sm_ != 89 && sm_ != 90) return false;  // cuBLASLt runs FP8 NN natively here
  const auto key = std::make_tuple(reinterpret_cast<std::uintptr_t>(B.data), K, N);
  void*& copy = static_weights_[key];
  if (!copy) {
    const cudaError_t err = cudaMalloc(&copy, static_cast<std::size_t>(K) * N);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      static_weights_.erase(key);
      throw_error(ErrorKind::kRuntime, entry, ": cudaMalloc of the ", static_cast<std::size_t>(K) * N,
                  "-byte [N, K] copy failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
    }
  }
  transpose_bytes(entry, B.data, copy, K, N, as_stream(stream));
  check_cuda(cudaStreamSynchronize(as_stream(stream)), entry, "cudaStreamSynchronize");
  return true;
}

bool GemmRunner::unregister_static_weight(const TensorArg& B, int K, int N) {
  const auto it = static_weights_.find({reinterpret_cast<std::uintptr_t>(B.data), K, N});
  if (it == static_weights_.end()) return false;
  check_cuda(cudaFree(it->second), "unregister_static_weight", "cudaFree");
  static_weights_.erase(it);
  return true;
}

// ---- gmm_fp16 (cuBLAS) ----

void gmm_fp16(context::FvkContext& ctx, const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N,
              int K, float beta, Stream stream) {
  const char* entry = "gmm_fp16";
  ArgCheck ck(entry);
  ck.positive("M", M);
  ck.positive("N", N);
  ck.positive("K", K);
  ck.rows("A", A, {DType::kF16}, M, K);
  ck.rows("B", B, {DType::kF16}, K, N);
  ck.rows("C", C, {DType::kF16}, M, N);
  cublasHandle_t h = ctx.handle();
  check_lt(cublasSetStream(h, as_stream(stream)), entry, "cublasSetStream");
  check_lt(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST), entry, "cublasSetPointerMode");
  const float alpha = 1.f;
  // Row-major C = A.B is column-major C^T = B^T . A^T (see gemm.h). beta 0: C is not read.
  check_lt(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &alpha, B.data, CUDA_R_16F, N, A.data, CUDA_R_16F, K,
                        &beta, C.data, CUDA_R_16F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
           entry, "cublasGemmEx");
}

// ---- fp8_gemm_descale_* (process-global runner) ----

namespace {

std::mutex g_mutex;
constexpr int kMaxDevices = 64;

// The current device's runner: created on first use per device (a runner's plans, workspace and
// weight copies live on the device it was made on), kept for the process (never destroyed:
// destruction order at exit against the CUDA runtime is not ours to win). Guarded by g_mutex.
GemmRunner& global_runner(const char* entry) {
  static GemmRunner* runners[kMaxDevices] = {};
  const int dev = ArgCheck(entry).device();  // "<entry>: no usable CUDA device" without one
  if (dev < 0 || dev >= kMaxDevices)
    throw_error(ErrorKind::kRuntime, entry, ": device ", dev, " is beyond the ", kMaxDevices,
                " devices this process-global runner serves");
  if (!runners[dev]) runners[dev] = new GemmRunner();
  return *runners[dev];
}

void descale(const char* entry, DType out, const TensorArg& A, const TensorArg& B, const TensorArg& C, int M,
             int N, int K, const TensorArg& act, const TensorArg& w, Stream stream) {
  // Validation first, so that bad arguments never create the runner.
  GemmRunner::Call c = fp8(Op::kFp8NN, out, M, N, K, false);
  Operands o{&A, &B, &C, nullptr, &act, &w};
  o.scale_a_name = "act_descale", o.scale_b_name = "w_descale", o.d_name = "C";
  validate(entry, c, o);
  std::lock_guard<std::mutex> lock(g_mutex);
  global_runner(entry).run(entry, c, stream);
}

}  // namespace

void fp8_gemm_descale_fp16(const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N, int K,
                           const TensorArg& act_descale, const TensorArg& w_descale, Stream stream) {
  descale("fp8_gemm_descale_fp16", DType::kF16, A, B, C, M, N, K, act_descale, w_descale, stream);
}

void fp8_gemm_descale_bf16out(const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N, int K,
                              const TensorArg& act_descale, const TensorArg& w_descale, Stream stream) {
  descale("fp8_gemm_descale_bf16out", DType::kBF16, A, B, C, M, N, K, act_descale, w_descale, stream);
}

void fp8_gemm_descale_f32out(const TensorArg& A, const TensorArg& B, const TensorArg& C, int M, int N, int K,
                             const TensorArg& act_descale, const TensorArg& w_descale, Stream stream) {
  descale("fp8_gemm_descale_f32out", DType::kF32, A, B, C, M, N, K, act_descale, w_descale, stream);
}

// ---- the SM90 cutlass_fp8_* path (no-workspace runners, one per device) ----

namespace {

std::mutex g_nt_mutex;

}  // namespace

bool fp8_nt_alpha_cublaslt(const char* entry, DType out, const void* A, const void* B, void* D, int M, int N,
                           int K, float alpha, float beta, Stream stream) {
  if (N % 16 != 0 || K % 16 != 0) return false;  // cuBLASLt FP8: 16-element leading dimensions
  GemmRunner::Call c = fp8(Op::kFp8NTAlpha, out, M, N, K, true);
  c.a = A, c.b = B, c.d = D;
  c.alpha = alpha, c.beta = beta;  // a host value per call: one plan serves every beta
  c.align = all_aligned({A, B, D}, kAlignLarge) ? kAlignLarge : kAlign;
  int dev = 0;
  check_cuda(cudaGetDevice(&dev), entry, "cudaGetDevice");
  if (dev < 0 || dev >= kMaxDevices) return false;
  static GemmRunner* runners[kMaxDevices] = {};  // kept for the process, as global_runner()
  static std::set<GemmRunner::Key> refused[kMaxDevices];
  std::lock_guard<std::mutex> lock(g_nt_mutex);
  GemmRunner*& r = runners[dev];
  if (r == nullptr || !r->has_plan(c)) {
    if (capturing(stream) || refused[dev].count(c.key()) != 0) return false;
    if (r == nullptr) r = new GemmRunner(0);
    if (!r->try_plan(entry, c, stream)) {
      refused[dev].insert(c.key());
      return false;
    }
  }
  r->run(entry, c, stream);
  return true;
}

bool fp8_gemm_descale_register_static_weight(const TensorArg& B, int K, int N, Stream stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return global_runner("fp8_gemm_descale_register_static_weight").register_static_weight(B, K, N, stream);
}

bool fp8_gemm_descale_unregister_static_weight(const TensorArg& B, int K, int N) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return global_runner("fp8_gemm_descale_unregister_static_weight").unregister_static_weight(B, K, N);
}

}  // namespace flash_rt::gemm
