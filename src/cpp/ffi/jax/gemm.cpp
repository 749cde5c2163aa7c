// JAX FFI handler: fp8_gemm_bf16_out (SPEC 6), GemmRunner::fp8_nn_dev (ops/gemm/gemm.h), the
// same launcher as flash_rt_kernels.GemmRunner.fp8_nn_dev.
//
//   operands: x         E4M3 bytes (float8_e4m3fn / uint8 / int8), rank >= 2, [..., K]
//             w         E4M3 bytes, [K, N] (NN: the transpose of a Linear weight)
//             act_scale float32, one element (amax/448 of x)
//             w_scale   float32, one element (amax/448 of w)
//   result:   y         bf16, [..., N] with x's leading dims
//   y = act_scale * w_scale * (x @ w), fp32 accumulation, one rounding to bf16. The leading
//   dims of x collapse to M. K and N must be multiples of 16 (cuBLASLt FP8). An empty x or
//   w (M == 0 or N == 0) launches nothing.
//
// One GemmRunner per CUDA device, created on first use, shared by every call site on that
// device and guarded by a mutex (the runner is not thread-safe). Its cuBLASLt workspace is
// shared too, so two GEMMs of one device must not run at once on two streams; XLA runs a
// device's custom calls on its one compute stream. (The original used one process-wide
// runner.)
//
// CUDA graphs. XLA may trace this handler into a command buffer (a CUDA graph) the first
// time an executable runs. The runner creates a plan (cuBLASLt descriptors, the heuristic's
// algorithm and, for FP8 NN on SM89/SM90, a cudaMalloc'ed transpose buffer) on the first
// call per key, and refuses to do that while the stream is capturing. Its key is (M, N, K)
// and whether x, w and y all sit on 256-byte boundaries (else the plan is for 16-byte
// alignment); XLA's own buffers are only 128-byte aligned, so both happen. The plan must
// exist before XLA captures. What this library does, in order:
//   1. An initialize-stage handler. XLA runs it before every execution on the execution's
//      stream, and for command buffers before recording them (its command-buffer Initialize,
//      outside any capture). For a new key it creates the plan by running the GEMM once into
//      a scratch output on the same 256/16 boundary as the real y, allocated and freed
//      stream-ordered (cudaMallocAsync / cudaFreeAsync on that stream): ordered after all
//      work already on the stream, so the shared workspace and the transpose buffer are never
//      used by two GEMMs at once, and nothing of the caller's is written (y may alias a
//      donated input that earlier ops still read). It reads x and w, which XLA says may hold
//      garbage at that point: harmless, the scratch result is thrown away. A known key costs
//      one mutex and one set lookup. If the stream is capturing at that point (an XLA that
//      initialises inside the trace), it does nothing.
//   2. flash_rt_jax_ffi_prepare_fp8_gemm (below), which flash_rt.jax calls at trace time for
//      each new (M, N, K) and device: both alignment keys, on a private stream, while holding
//      the runner's mutex and after the Python side waited for JAX's outstanding work. For
//      an XLA that records command buffers without running the initialize stage first.
//   3. The execute handler with a key it has never seen while the stream is capturing
//      returns FAILED_PRECONDITION naming the shape and the fix, instead of creating
//      anything inside the capture; uncaptured, it creates the plan itself.
// Rejected: warming up on a side stream from inside the capture (that GEMM would share the
// workspace with work still in flight on XLA's stream, with no legal way to wait for it).
// The keys mirror GemmRunner's (gemm_runner.cpp, Call::key); if they drift apart, a captured
// call either gets this FAILED_PRECONDITION or the runner's own RuntimeError, never a plan
// built inside a capture.
#include <cuda_runtime.h>

#include <array>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>

#include "ffi/jax/common.h"
#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "gemm/gemm.h"

namespace flash_rt::jax_ffi {
namespace {

constexpr const char* kEntry = "fp8_gemm_bf16_out";
constexpr int kMaxDevices = 64;
constexpr std::uintptr_t kAlignLarge = 256;  // GemmRunner's large alignment class

// The shape of one call, validated against the contract (the device-side checks are the
// launcher's, after these).
struct Problem {
  int64_t M = 0, N = 0, K = 0;
  bool empty() const { return M == 0 || N == 0; }
};

// (M, N, K, every operand 256-byte aligned): GemmRunner's plan key for fp8_nn_dev.
using PlanKey = std::tuple<int64_t, int64_t, int64_t, bool>;

PlanKey key(const Problem& p, const void* x, const void* w, const void* y) {
  return {p.M, p.N, p.K, all_aligned({x, w, y}, kAlignLarge)};
}

Problem problem(const ffi::AnyBuffer& x, const ffi::AnyBuffer& w, const ffi::AnyBuffer& act_scale,
                const ffi::AnyBuffer& w_scale, const ffi::AnyBuffer& y) {
  const auto fp8 = {ffi::DataType::F8E4M3FN, ffi::DataType::U8, ffi::DataType::S8};
  expect_dtype(kEntry, "x", x, fp8);
  expect_dtype(kEntry, "w", w, fp8);
  expect_scalar(kEntry, "act_scale", act_scale);
  expect_scalar(kEntry, "w_scale", w_scale);
  expect_dtype(kEntry, "y", y, {ffi::DataType::BF16});
  expect_rank(kEntry, "x", x);
  expect_rank(kEntry, "act_scale", act_scale);
  expect_rank(kEntry, "w_scale", w_scale);
  expect_rank(kEntry, "y", y);
  const auto xd = x.dimensions(), wd = w.dimensions(), yd = y.dimensions();
  if (xd.size() < 2)
    throw_error(ErrorKind::kValue, kEntry, ": 'x' expected rank >= 2 ([..., K]), got shape ", dims_str(x));
  if (wd.size() != 2)
    throw_error(ErrorKind::kValue, kEntry, ": 'w' expected rank 2 ([K, N]), got shape ", dims_str(w));
  Problem p;
  p.K = xd[xd.size() - 1];
  p.N = wd[1];
  if (wd[0] != p.K)
    throw_error(ErrorKind::kValue, kEntry, ": 'w' expected [K, N] with K = ", p.K, " (the last dim of x, shape ",
                dims_str(x), "), got shape ", dims_str(w));
  p.M = 1;
  for (size_t i = 0; i + 1 < xd.size(); ++i) p.M *= xd[i];
  bool y_ok = yd.size() == xd.size() && yd[yd.size() - 1] == p.N;
  for (size_t i = 0; y_ok && i + 1 < xd.size(); ++i) y_ok = yd[i] == xd[i];
  if (!y_ok)
    throw_error(ErrorKind::kValue, kEntry, ": 'y' expected x's leading dims and N = ", p.N, " (x ", dims_str(x),
                ", w ", dims_str(w), "), got shape ", dims_str(y));
  checked_int(kEntry, "M (the product of x's leading dims)", p.M);
  checked_int(kEntry, "N", p.N);
  checked_int(kEntry, "K", p.K);
  return p;
}

// One runner per CUDA device, the keys it has a plan for, and a private stream for stage 2.
struct DeviceGemm {
  std::mutex mu;
  std::unique_ptr<gemm::GemmRunner> runner;  // created on first use, on this device
  std::set<PlanKey> planned;
  cudaStream_t side = nullptr;

  gemm::GemmRunner& get() {
    if (!runner) runner = std::make_unique<gemm::GemmRunner>();
    return *runner;
  }
};

// Never destroyed: destruction order at exit against the CUDA runtime is not ours to win
// (the same choice as the process-global runner of fp8_gemm_descale_*).
DeviceGemm& device_gemm(int device) {
  if (device < 0 || device >= kMaxDevices)
    throw_error(ErrorKind::kRuntime, kEntry, ": CUDA device ", device, " is beyond the ", kMaxDevices,
                " this library keeps runners for");
  static auto* all = new std::array<DeviceGemm, kMaxDevices>();
  return (*all)[device];
}

void launch(gemm::GemmRunner& r, const Problem& p, const TensorArg& x, const TensorArg& w, const TensorArg& y,
            const TensorArg& act_scale, const TensorArg& w_scale, cudaStream_t stream) {
  r.fp8_nn_dev(x, w, y, static_cast<int>(p.M), static_cast<int>(p.N), static_cast<int>(p.K), act_scale, w_scale,
               reinterpret_cast<gemm::Stream>(stream));
}

ffi::Error execute(cudaStream_t stream, int32_t device, ffi::AnyBuffer x, ffi::AnyBuffer w, ffi::AnyBuffer act_scale,
                   ffi::AnyBuffer w_scale, ffi::Result<ffi::AnyBuffer> y) {
  return guarded(kEntry, [&]() -> ffi::Error {
    const Problem p = problem(x, w, act_scale, w_scale, *y);
    if (p.empty()) return ffi::Error::Success();

    DeviceScope dev(kEntry, static_cast<int>(device));
    const int d = dev.device();
    const bool captured = capturing(stream);
    if (captured) count(kCapturedCalls);
    DeviceGemm& g = device_gemm(d);
    std::lock_guard<std::mutex> lock(g.mu);
    const PlanKey k = key(p, x.untyped_data(), w.untyped_data(), y->untyped_data());
    const bool planned = g.planned.count(k) != 0;
    if (!planned && captured) {
      count(kColdCapture);
      return ffi::Error(
          ffi::ErrorCode::kFailedPrecondition,
          detail::cat(kEntry, ": first call for M=", p.M, ", N=", p.N, ", K=", p.K,
                      std::get<3>(k) ? " (256-byte aligned operands)" : " (16-byte aligned operands)", " on cuda:", d,
                      " while XLA captures a CUDA graph (command buffer), and this XLA did not run the initialize "
                      "stage first; the cuBLASLt plan cannot be created inside a capture. Call "
                      "flash_rt.jax.warmup_fp8_gemm(",
                      p.M, ", ", p.N, ", ", p.K,
                      ") before running this executable (flash_rt.jax.fp8_gemm_bf16_out does it at trace time "
                      "unless FLASH_RT_JAX_WARMUP=0)"));
    }
    launch(g.get(), p, tensor(kEntry, "x", x, d), tensor(kEntry, "w", w, d), tensor(kEntry, "y", *y, d),
           tensor(kEntry, "act_scale", act_scale, d), tensor(kEntry, "w_scale", w_scale, d), stream);
    if (!planned) {
      g.planned.insert(k);
      count(kWarmupExecute);
    }
    count(kGemmCalls);
    return ffi::Error::Success();
  });
}

// Device memory freed on scope exit (stream-ordered when `stream` is set).
struct Scratch {
  void* p = nullptr;
  cudaStream_t stream = nullptr;
  bool async = false;
  ~Scratch() {
    if (!p) return;
    if (async) (void)cudaFreeAsync(p, stream);
    else (void)cudaFree(p);
  }
};

// 256-byte aligned inside `s` (allocated with 512 bytes of slack), plus 16 when `large` is false:
// an address in the other alignment class, still 16-byte aligned as the runner requires.
void* placed(void* base, bool large) {
  const auto a = (reinterpret_cast<std::uintptr_t>(base) + kAlignLarge - 1) / kAlignLarge * kAlignLarge;
  return reinterpret_cast<void*>(a + (large ? 0 : 16));
}

// Stage 1 of the comment at the top: plan creation before the execution, outside capture.
ffi::Error initialize(cudaStream_t stream, int32_t device, ffi::AnyBuffer x, ffi::AnyBuffer w, ffi::AnyBuffer act_scale,
                      ffi::AnyBuffer w_scale, ffi::Result<ffi::AnyBuffer> y) {
  return guarded(kEntry, [&]() -> ffi::Error {
    Problem p;
    try {
      p = problem(x, w, act_scale, w_scale, *y);
    } catch (const flash_rt::Error&) {
      return ffi::Error::Success();  // the execute stage reports bad operands, once
    }
    if (p.empty()) return ffi::Error::Success();
    DeviceScope dev(kEntry, static_cast<int>(device));
    const int d = dev.device();
    DeviceGemm& g = device_gemm(d);
    std::lock_guard<std::mutex> lock(g.mu);
    const PlanKey k = key(p, x.untyped_data(), w.untyped_data(), y->untyped_data());
    if (g.planned.count(k) != 0 || capturing(stream)) return ffi::Error::Success();

    // y's stand-in: M * N bf16 on the same side of the 256-byte boundary as y.
    Scratch out{nullptr, stream, true};
    const size_t bytes = static_cast<size_t>(p.M) * static_cast<size_t>(p.N) * 2 + 2 * kAlignLarge;
    if (cudaMallocAsync(&out.p, bytes, stream) != cudaSuccess) {
      (void)cudaGetLastError();
      out.p = nullptr;
      return ffi::Error::Success();  // the execute stage creates the plan (uncaptured) or says why it cannot
    }
    const bool large = all_aligned({y->untyped_data()}, kAlignLarge);
    launch(g.get(), p, tensor(kEntry, "x", x, d), tensor(kEntry, "w", w, d),
           TensorArg::address(reinterpret_cast<std::uintptr_t>(placed(out.p, large))),
           tensor(kEntry, "act_scale", act_scale, d), tensor(kEntry, "w_scale", w_scale, d), stream);
    g.planned.insert(k);
    count(kWarmupInitialize);
    return ffi::Error::Success();
  });
}

}  // namespace

// Stage 2 of the comment at the top. Creates the plans of an (M, N, K) fp8_gemm_bf16_out on
// CUDA device `device` for both alignment keys, by running the GEMM on scratch buffers on a
// private stream and waiting for it, all under the device's runner mutex (so no XLA call of
// this library launches meanwhile). The caller must make sure no earlier GEMM of this library
// is still running on the device (flash_rt.jax waits for JAX's live arrays first). Not during
// a capture of the calling thread. Returns the number of plans created (0: all existed), or
// -1 with a message in `err`.
int prepare_fp8_gemm(int device, int64_t M, int64_t N, int64_t K, char* err, int err_len) {
  const char* entry = "warmup_fp8_gemm";
  try {
    ArgCheck ck(entry);
    ck.positive("M", M);
    ck.positive("N", N);
    ck.positive("K", K);
    Problem p;
    p.M = checked_int(entry, "M", M), p.N = checked_int(entry, "N", N), p.K = checked_int(entry, "K", K);
    DeviceScope dev(entry, device);
    DeviceGemm& g = device_gemm(device);
    std::lock_guard<std::mutex> lock(g.mu);
    const PlanKey large{M, N, K, true}, small{M, N, K, false};
    if (g.planned.count(large) && g.planned.count(small)) return 0;
    if (!g.side) check_cuda(cudaStreamCreateWithFlags(&g.side, cudaStreamNonBlocking), entry, "cudaStreamCreate");
    Scratch x, w, y, s;  // contents do not matter: only the plans are kept
    const auto alloc = [&](Scratch& b, size_t bytes) {
      check_cuda(cudaMalloc(&b.p, bytes + 2 * kAlignLarge), entry, "cudaMalloc (warm-up operands)");
    };
    alloc(x, static_cast<size_t>(M) * static_cast<size_t>(K));
    alloc(w, static_cast<size_t>(K) * static_cast<size_t>(N));
    alloc(y, static_cast<size_t>(M) * static_cast<size_t>(N) * 2);
    // The two scales 256 bytes apart, each as aligned as a real scale buffer: with them 4 bytes
    // apart, cublasLtMatmul returned NOT_SUPPORTED for the NN plan on the H100 (2026-11-27).
    alloc(s, kAlignLarge + sizeof(float));
    check_cuda(cudaMemsetAsync(s.p, 0, 3 * kAlignLarge + sizeof(float), g.side), entry, "cudaMemsetAsync");
    const auto addr = [](void* q) { return TensorArg::address(reinterpret_cast<std::uintptr_t>(q)); };
    int created = 0;
    for (const PlanKey& k : {large, small}) {
      if (g.planned.count(k)) continue;
      const bool big = std::get<3>(k);
      launch(g.get(), p, addr(placed(x.p, true)), addr(placed(w.p, true)), addr(placed(y.p, big)),
             addr(placed(s.p, true)), addr(static_cast<char*>(placed(s.p, true)) + kAlignLarge), g.side);
      g.planned.insert(k);
      count(kWarmupPrepare);
      ++created;
    }
    check_cuda(cudaStreamSynchronize(g.side), entry, "cudaStreamSynchronize");
    return created;
  } catch (const std::exception& e) {
    std::snprintf(err, static_cast<size_t>(err_len), "%s", e.what());
  } catch (...) {
    std::snprintf(err, static_cast<size_t>(err_len), "%s: unknown C++ exception", entry);
  }
  return -1;
}

}  // namespace flash_rt::jax_ffi

namespace ffi = ::xla::ffi;

FLASH_RT_FFI_EXPORT XLA_FFI_Error* flash_rt_fp8_gemm_bf16_out(XLA_FFI_CallFrame* call_frame);
XLA_FFI_DEFINE_HANDLER_SYMBOL(flash_rt_fp8_gemm_bf16_out, flash_rt::jax_ffi::execute,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::PlatformStream<cudaStream_t>>()
                                  .Ctx<ffi::DeviceOrdinal>()  // XLA's device (cudaStreamGetDevice fails while capturing)
                                  .Arg<ffi::AnyBuffer>()  // x
                                  .Arg<ffi::AnyBuffer>()  // w
                                  .Arg<ffi::AnyBuffer>()  // act_scale
                                  .Arg<ffi::AnyBuffer>()  // w_scale
                                  .Ret<ffi::AnyBuffer>(), // y
                              {ffi::Traits::kCmdBufferCompatible});

FLASH_RT_FFI_EXPORT XLA_FFI_Error* flash_rt_fp8_gemm_bf16_out_initialize(XLA_FFI_CallFrame* call_frame);
XLA_FFI_DEFINE_HANDLER_SYMBOL(flash_rt_fp8_gemm_bf16_out_initialize, flash_rt::jax_ffi::initialize,
                              ffi::Ffi::Bind<ffi::ExecutionStage::kInitialize>()
                                  .Ctx<ffi::PlatformStream<cudaStream_t>>()
                                  .Ctx<ffi::DeviceOrdinal>()  // XLA's device (cudaStreamGetDevice fails while capturing)
                                  .Arg<ffi::AnyBuffer>()
                                  .Arg<ffi::AnyBuffer>()
                                  .Arg<ffi::AnyBuffer>()
                                  .Arg<ffi::AnyBuffer>()
                                  .Ret<ffi::AnyBuffer>());

// The original library's symbol name (pre-rename prefix), same handler.
FLASH_RT_FFI_EXPORT XLA_FFI_Error* flashvla_fp8_gemm_bf16_out(XLA_FFI_CallFrame* call_frame) {
  return flash_rt_fp8_gemm_bf16_out(call_frame);
}

FLASH_RT_FFI_EXPORT int flash_rt_jax_ffi_prepare_fp8_gemm(int device, int64_t M, int64_t N, int64_t K, char* err,
                                                          int err_len) {
  return flash_rt::jax_ffi::prepare_fp8_gemm(device, M, N, K, err, err_len);
}
