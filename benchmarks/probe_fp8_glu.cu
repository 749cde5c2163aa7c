// Probe library (a measurement tool, not part of the package): the GLU entries' shipped kernels
// (fused/glu.cuh on the elementwise template) under forced launch plans, for
// benchmarks/probe_fp8_glu.py, which times them with the benchmark's own timer.
//
// Why: session 14's full benchmark timed the FP8-output GLUs at S = 16 / 64 (H = 16384) at
// 0.82-1.06x torch.compile where 0.8x is the target, and a C++ graph timer (session 15, round 1,
// best of 7 replays of 200 calls) timed the same kernels faster under other plans: at S = 16
// gate_geglu_merged_fp8 took 1.77 us at the shipped VEC 2 / early trigger and 1.32 at VEC 4 /
// early. The two timers have disagreed before (session 13), so plans are judged by the
// benchmark's timer.
//
// Entries (e): 0 gate_geglu_merged_fp8, 1 gate_geglu_merged_fp8_fp16, 2 geglu_fp8_static_fp16,
// 3 silu_mul_split_fp8_fp16, 4 gate_geglu_merged, 5 gelu_inplace_fp16, 6 gate_geglu_fp16 (the last
// two for the large-size kernel: BENCH.md's S = 4096 rows at D = 16384 tie with compile at 0.97-1.0
// of copy), 7 relu_inplace_fp16 (session 17: S = 256 ties with compile in L2, 3.75 against 3.74 us).
// Variants (v): 0 the launcher's plan, then VEC 8 / 4 / 2 with one item per thread x PDL trigger
// early / late, then VEC 8 with four items per thread (the large-size kernel) x early / late, then
// VEC 8 with two items per thread x early / late (session 17: gpu_fill_neginf_fp16's two units a
// thread took 4096 x 2048 from 5.71 to 4.86 us; does a load-and-store op gain the same in L2?).
// Session 15 also timed a candidate here (entries 7-10, removed after round 2; in git history at
// commit fa580a1): the FP8 entries' exact bytes from the SFU forms, checked against E4M3 rounding
// boundaries (docs/RESULTS-2026-12-07-H100-session15.md section 2: exact, but slower).
//   nvcc -O3 -std=c++20 --ftz=true --prec-div=false --prec-sqrt=false --expt-relaxed-constexpr \
//     -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \
//     benchmarks/probe_fp8_glu.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_fp8_glu.so
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flash_rt/activation/activation.cuh"
#include "flash_rt/fused/glu.cuh"

using namespace flash_rt;
using device::Encoder;
using device::Store;

namespace {

const char* const kVariants[] = {"launcher plan", "v8 early", "v8 late", "v4 early", "v4 late", "v2 early", "v2 late",
                                 "v8x4 early", "v8x4 late", "v8x2 early", "v8x2 late"};

template <class Op>
int run(int v, const Op& op, int64_t rows, int64_t cols, cudaStream_t s) {
  using namespace flash_rt::device;
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0) != cudaSuccess) return -1;
  if (v == 0) {  // as run_elementwise
    EwPlan p = plan_elementwise(rows, cols, Op::kRowwise, true, Op::kMath, sms);
    p.trigger_late = ew_plan_trigger_late(p, Op::kRowwise, sms);
    launch_elementwise(op, p, s);
    return cudaGetLastError() == cudaSuccess ? 0 : -2;
  }
  if (v > 10) return -4;
  const int vec = v <= 2 || v >= 7 ? 8 : v <= 4 ? 4 : 2;
  const int items = v >= 9 ? 2 : v >= 7 ? kEwMaxItems : 1;
  EwPlan p = plan_elementwise_at(rows, cols, Op::kRowwise, vec, items);
  p.trigger_late = v % 2 == 0;
  if (items == kEwMaxItems) launch(elementwise_kernel<Op, 8, kEwMaxItems>, ew_grid(p), kEwThreads, 0, s, op, p);
  else if (items == 2) launch(elementwise_kernel<Op, 8, 2>, ew_grid(p), kEwThreads, 0, s, op, p);
  else if (vec == 8) launch(elementwise_kernel<Op, 8, 1>, ew_grid(p), kEwThreads, 0, s, op, p);
  else if (vec == 4) launch(elementwise_kernel<Op, 4, 1>, ew_grid(p), kEwThreads, 0, s, op, p);
  else launch(elementwise_kernel<Op, 2, 1>, ew_grid(p), kEwThreads, 0, s, op, p);
  return cudaGetLastError() == cudaSuccess ? 0 : -2;
}

template <typename T, class F, class Enc>
int merged(int v, const void* m, void* out, const void* d, int S, int H, cudaStream_t s) {
  fused::MergedGluOp<T, F, Enc> op{};
  op.merged = static_cast<const T*>(m);
  op.out = static_cast<typename Enc::Elem*>(out);
  op.half_dim = H;
  if constexpr (requires { op.enc.d_scale; }) op.enc.d_scale = static_cast<const float*>(d);
  return run(v, op, S, H, s);
}

}  // namespace

extern "C" const char* probe_variant_name(int v) { return v >= 0 && v < 11 ? kVariants[v] : nullptr; }

// a: merged (or gate), b: up (split entries), out, d: the scale, S rows of H (split: n = S * H).
extern "C" int probe_launch(int v, int e, const void* a, const void* b, void* out, const void* d, int S, int H,
                            void* stream_) {
  const auto s = static_cast<cudaStream_t>(stream_);
  switch (e) {
    case 0: return merged<__nv_bfloat16, fused::GegluF<false>, Encoder<uint8_t, Store::kFp8Scaled>>(v, a, out, d, S, H, s);
    case 1: return merged<__half, fused::GegluF<true>, Encoder<uint8_t, Store::kFp8ScaledFloor>>(v, a, out, d, S, H, s);
    case 2: return merged<__half, fused::GegluF<false>, Encoder<uint8_t, Store::kFp8ScaledFloor>>(v, a, out, d, S, H, s);
    case 3: {
      fused::SplitGluOp<__half, fused::SwigluF, Encoder<uint8_t, Store::kFp8Scaled>> op{};
      op.in[0] = static_cast<const __half*>(a);
      op.in[1] = static_cast<const __half*>(b);
      op.out = static_cast<uint8_t*>(out);
      op.enc.d_scale = static_cast<const float*>(d);
      return run(v, op, 1, int64_t{S} * H, s);
    }
    case 4: return merged<__nv_bfloat16, fused::GegluSfuF, Encoder<__nv_bfloat16, Store::kSame>>(v, a, out, d, S, H, s);
    case 5: {
      activation::UnaryInplaceOp<__half, activation::GeluSfuF> op{};
      op.in[0] = static_cast<const __half*>(a);
      op.out = static_cast<__half*>(out);
      return run(v, op, 1, int64_t{S} * H, s);
    }
    case 6: {
      fused::SplitGluOp<__half, fused::GegluSfuF, Encoder<__half, Store::kSame>> op{};
      op.in[0] = static_cast<const __half*>(a);
      op.in[1] = static_cast<const __half*>(b);
      op.out = static_cast<__half*>(out);
      return run(v, op, 1, int64_t{S} * H, s);
    }
    case 7: {
      activation::UnaryInplaceOp<__half, activation::ReluF> op{};
      op.in[0] = static_cast<const __half*>(a);
      op.out = static_cast<__half*>(out);
      return run(v, op, 1, int64_t{S} * H, s);
    }
    default: return -4;
  }
}
