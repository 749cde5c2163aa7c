// FP8 E4M3 per-tensor quantize entries (SPEC 2.4.1): static, dynamic (device-only and
// host-synchronising) and the unscaled cast. Formulas: quantize/quantize.h.
#include "quantize/quantize.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/quantize/fp8_quantize.cuh"

namespace flash_rt::quantize {
namespace {

using Bf16 = __nv_bfloat16;
using Fp16 = __half;

template <typename T> inline constexpr DType kDType = DType::kUnknown;
template <> inline constexpr DType kDType<Fp16> = DType::kF16;
template <> inline constexpr DType kDType<Bf16> = DType::kBF16;

// The encode pass of the dynamic entries reads a scale that is already floored, so the floor
// (idempotent) changes nothing there; each dtype reuses its static entry's kernel instance.
template <typename T> inline constexpr Scale kDynamicEncode = Scale::kRaw;
template <> inline constexpr Scale kDynamicEncode<Fp16> = Scale::kFloored;

int sm_count(const ArgCheck& ck) {
  int sms = 0;
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, ck.device()), ck.entry(),
             "cudaDeviceGetAttribute");
  return sms;
}

// Whether the device takes cooperative launches (every SM70+ GPU does; MIG and MPS slices too).
bool cooperative_ok(const ArgCheck& ck) {
  int v = 0;
  check_cuda(cudaDeviceGetAttribute(&v, cudaDevAttrCooperativeLaunch, ck.device()), ck.entry(),
             "cudaDeviceGetAttribute");
  return v != 0;
}

// The vector path needs a 16-byte aligned input base and an 8-byte aligned output base (then
// every whole 8-element vector is aligned; n itself may be anything). Otherwise: scalar path.
bool vec_ok(const TensorArg& input, const TensorArg& output) {
  return all_aligned({input.data}, 16) && all_aligned({output.data}, 8);
}

template <typename T>
Fp8Args<T> fp8_args(const TensorArg& input, const TensorArg& output, const TensorArg* d_scale, int n) {
  Fp8Args<T> a;
  a.x = static_cast<const T*>(input.data);
  a.out = static_cast<uint8_t*>(output.data);
  a.d_scale = d_scale ? static_cast<float*>(d_scale->data) : nullptr;
  a.n = n;
  return a;
}

// Every kernel here reads `input` while other threads write `output` (and the dynamic ones keep
// partial scales in `output` and d_scale): an overlap would corrupt the result, so it is refused.
template <typename T>
void check_io(const ArgCheck& ck, const TensorArg& input, const TensorArg& output, int n) {
  ck.vector("input", input, {kDType<T>}, n);
  ck.vector("output", output, kFp8Bytes, n);
  ck.disjoint("output", output, n, "input", input, int64_t{n} * 2);
}

// Static quantize (S kRaw / kFloored) and the cast (S kNone, no d_scale). n == 0 is a no-op.
template <typename T, Scale S>
void run_encode(const char* entry, const TensorArg& input, const TensorArg& output, const TensorArg* d_scale,
                int n, Stream stream) {
  ArgCheck ck(entry);
  ck.non_negative("n", n);
  check_io<T>(ck, input, output, n);
  if constexpr (S != Scale::kNone) {
    ck.scale("d_scale", *d_scale);
    ck.disjoint("d_scale", *d_scale, 4, "output", output, n);  // read by every thread while output is written
  }
  if (n == 0) return;

  launch_fp8_encode<T, S>(fp8_args<T>(input, output, d_scale, n),
                          plan_fp8(n, vec_ok(input, output), sm_count(ck)), as_stream(stream));
  check_launch(entry);
}

template <typename T>
void check_dynamic(const ArgCheck& ck, const TensorArg& input, const TensorArg& output, const TensorArg& d_scale,
                   int n) {
  ck.positive("n", n);  // the amax of no elements is undefined
  check_io<T>(ck, input, output, n);
  ck.scale("d_scale", d_scale);
  ck.disjoint("d_scale", d_scale, 4, "input", input, int64_t{n} * 2);
  ck.disjoint("d_scale", d_scale, 4, "output", output, n);
}

// Dynamic quantize, arguments already validated. d_scale is both the amax accumulator and the
// result, so nothing is allocated.
template <typename T>
void launch_dynamic(const ArgCheck& ck, const TensorArg& input, const TensorArg& output, const TensorArg& d_scale,
                    int n, cudaStream_t stream) {
  (void)ck.device();  // with int addresses nothing has asked yet: no GPU is reported as such
  const Fp8Args<T> a = fp8_args<T>(input, output, &d_scale, n);
  const bool vec = vec_ok(input, output);
  if (fits_one_cta(n, vec)) {  // amax, scale, quantize: one kernel, one CTA
    launch_fp8_dynamic_cta<T>(a, vec, stream);
    check_launch(ck.entry());
    return;
  }
  const int sms = sm_count(ck);
  if (vec && cooperative_ok(ck)) {  // one wave holds the tensor: one cooperative kernel
    const ResidentPlan r = plan_resident<T>(n, ck.device(), sms);
    if (r.grid > 0) {
      if (launch_fp8_dynamic_resident<T>(a, r, stream) == cudaSuccess) return;
      (void)cudaGetLastError();  // refused (e.g. SMs held by another context): the general path
    }
  }
  // Zero the slot, atomicMax the per-CTA scales into it, then encode with it.
  check_cuda(cudaMemsetAsync(a.d_scale, 0, sizeof(float), stream), ck.entry(), "cudaMemsetAsync");
  const Fp8Plan p = plan_fp8(n, vec, sms);
  launch_fp8_amax_scale<T>(a, p, stream);
  check_launch(ck.entry());
  // The amax pass sweeps x first to last, so L2 (50 MB on an H100) ends up holding x's last
  // part: the encode pass sweeps last to first and starts on those lines. Measured gain: small
  // (H100, 16384 x 4096 bf16, L2 flushed: 115.8 / 114.7 us against 119.3 / 114.7 forward; L2
  // eviction hints on both passes did not help either, 118-120 us: benchmarks/probe_quantize_l2.cu).
  // A tensor this size moves 2.5 times its bf16 bytes (read twice, written once as FP8) at the
  // HBM rate; only the one-wave resident path above avoids the second read.
  Fp8Args<T> encode = a;
  encode.reverse = true;
  launch_fp8_encode<T, kDynamicEncode<T>>(encode, p, stream);
  check_launch(ck.entry());
}

template <typename T>
void run_dynamic(const char* entry, const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                 Stream stream) {
  ArgCheck ck(entry);
  check_dynamic<T>(ck, input, output, d_scale, n);
  launch_dynamic<T>(ck, input, output, d_scale, n, as_stream(stream));
}

// Lets this thread make calls that a global-mode capture on another stream would forbid (the
// host copy and the wait of quantize_fp8 on a stream that is not being captured); restores the
// previous mode on exit.
class RelaxedCaptureMode {
 public:
  RelaxedCaptureMode() { ok_ = cudaThreadExchangeStreamCaptureMode(&mode_) == cudaSuccess; }
  ~RelaxedCaptureMode() {
    if (ok_) (void)cudaThreadExchangeStreamCaptureMode(&mode_);
  }
  RelaxedCaptureMode(const RelaxedCaptureMode&) = delete;
  RelaxedCaptureMode& operator=(const RelaxedCaptureMode&) = delete;

 private:
  cudaStreamCaptureMode mode_ = cudaStreamCaptureModeRelaxed;
  bool ok_ = false;
};

// quantize_fp8 waits for its stream: refuse a stream under capture before launching anything,
// so the caller's capture is left intact.
void require_not_capturing(const ArgCheck& ck, cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  const cudaError_t err = cudaStreamIsCapturing(stream, &status);
  if (err == cudaErrorStreamCaptureImplicit) {
    (void)cudaGetLastError();
    throw_error(ErrorKind::kRuntime, ck.entry(),
                ": not capture-safe (it waits for the stream to return the scale), and 'stream' is the legacy "
                "default stream while another stream is being captured; use quantize_fp8_device inside graphs");
  }
  check_cuda(err, ck.entry(), "cudaStreamIsCapturing");
  if (status != cudaStreamCaptureStatusNone)
    throw_error(ErrorKind::kRuntime, ck.entry(),
                ": not capture-safe (it waits for the stream to return the scale), and 'stream' is being "
                "captured into a CUDA graph; use quantize_fp8_device inside graphs (same math, scale stays "
                "on the device)");
}

}  // namespace

float quantize_fp8(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                   Stream stream) {
  ArgCheck ck("quantize_fp8");
  check_dynamic<Bf16>(ck, input, output, d_scale, n);
  (void)ck.device();  // no GPU is reported as such, not as a failed capture query
  const cudaStream_t s = as_stream(stream);
  require_not_capturing(ck, s);
  RelaxedCaptureMode relaxed;
  launch_dynamic<Bf16>(ck, input, output, d_scale, n, s);
  float scale = 0.f;
  check_cuda(cudaMemcpyAsync(&scale, d_scale.data, sizeof(float), cudaMemcpyDeviceToHost, s), ck.entry(),
             "cudaMemcpyAsync (scale to host)");
  check_cuda(cudaStreamSynchronize(s), ck.entry(), "cudaStreamSynchronize");
  return scale;
}

void quantize_fp8_device(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                         Stream stream) {
  run_dynamic<Bf16>("quantize_fp8_device", input, output, d_scale, n, stream);
}

void quantize_fp8_device_fp16(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                              Stream stream) {
  run_dynamic<Fp16>("quantize_fp8_device_fp16", input, output, d_scale, n, stream);
}

void quantize_fp8_static(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                         Stream stream) {
  run_encode<Bf16, Scale::kRaw>("quantize_fp8_static", input, output, &d_scale, n, stream);
}

void quantize_fp8_static_fp16(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                              Stream stream) {
  run_encode<Fp16, Scale::kFloored>("quantize_fp8_static_fp16", input, output, &d_scale, n, stream);
}

void cast_fp16_fp8(const TensorArg& input, const TensorArg& output, int n, Stream stream) {
  run_encode<Fp16, Scale::kNone>("cast_fp16_fp8", input, output, nullptr, n, stream);
}

}  // namespace flash_rt::quantize
