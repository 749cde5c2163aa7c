// Probe library (a measurement tool, not part of the package): the fused residual entries'
// shipped kernels (fused/residual.cuh on the elementwise template) under forced launch plans, for
// benchmarks/probe_residual.py, which times them with the benchmark's own timer.
//
// Why: session 16's first full run of the fused group (H100) timed residual_add,
// bias_residual(_fp16) and cfg_combine_into_residual at S = 64, D = 2048 (131072 elements) at
// 0.80-0.86x torch.compile where 0.8x is asked; session 14 timed residual_add there at 1.15 us in
// one run and 0.95 in another, on the same plan (VEC 8, 64 CTAs, early PDL trigger). Which plan is
// fastest there, and is any of them steady across captures?
//
// Entries (e): 0 residual_add, 1 residual_add_fp16, 2 bias_residual, 3 bias_residual_fp16,
// 4 cfg_combine_into_residual, 5 cfg_combine_into_residual_fp16. Pointers: the case's tensor
// arguments in call order (residual first). Variants (v): 0 the launcher's plan, then VEC 8 / 4 /
// 2 / 1 with one item per thread x PDL trigger early / late.
//   nvcc -O3 -std=c++20 --ftz=true --prec-div=false --prec-sqrt=false --expt-relaxed-constexpr \
//     -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \
//     benchmarks/probe_residual.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_residual.so
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flash_rt/fused/residual.cuh"

using namespace flash_rt;

namespace {

const char* const kVariants[] = {"launcher plan", "v8 early", "v8 late", "v4 early", "v4 late",
                                 "v2 early",      "v2 late",  "v1 early", "v1 late"};
constexpr int kVariantCount = sizeof(kVariants) / sizeof(kVariants[0]);

template <class Op>
int run(int v, const Op& op, int64_t rows, int64_t cols, cudaStream_t s) {
  using namespace flash_rt::device;
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0) != cudaSuccess) return -1;
  EwPlan p;
  if (v == 0) {  // as run_elementwise
    p = plan_elementwise(rows, cols, Op::kRowwise, true, Op::kMath, sms);
    p.trigger_late = ew_plan_trigger_late(p, Op::kRowwise, sms);
  } else {
    const int vec = 8 >> ((v - 1) / 2);
    p = plan_elementwise_at(rows, cols, Op::kRowwise, vec);
    p.trigger_late = v % 2 == 0;
  }
  switch (p.vec) {
    case 8: launch(elementwise_kernel<Op, 8, 1>, ew_grid(p), kEwThreads, 0, s, op, p); break;
    case 4: launch(elementwise_kernel<Op, 4, 1>, ew_grid(p), kEwThreads, 0, s, op, p); break;
    case 2: launch(elementwise_kernel<Op, 2, 1>, ew_grid(p), kEwThreads, 0, s, op, p); break;
    default: launch(elementwise_kernel<Op, 1, 1>, ew_grid(p), kEwThreads, 0, s, op, p); break;
  }
  return cudaGetLastError() == cudaSuccess ? 0 : -2;
}

template <typename T, int N, class F>
int flat(int v, void* const* ptrs, int64_t n, F f, cudaStream_t s) {
  fused::ResidualOp<T, N, F> op{};
  for (int j = 0; j < N; ++j) op.in[j] = static_cast<const T*>(ptrs[j]);
  op.out = static_cast<T*>(ptrs[0]);
  op.f = f;
  return run(v, op, 1, n, s);
}

template <typename T>
int bias(int v, void* const* ptrs, int S, int D, cudaStream_t s) {
  fused::BiasResidualOp<T> op{};
  op.residual = static_cast<T*>(ptrs[0]);
  op.x = static_cast<const T*>(ptrs[1]);
  op.bias = static_cast<const T*>(ptrs[2]);
  op.dim = D;
  return run(v, op, S, D, s);
}

}  // namespace

extern "C" const char* probe_variant_name(int v) { return v >= 0 && v < kVariantCount ? kVariants[v] : nullptr; }

// ptrs: the entry's tensors in call order (residual first), S rows of D, beta for the CFG entries.
extern "C" int probe_launch(int v, int e, void* const* ptrs, int S, int D, float beta, void* stream_) {
  if (v < 0 || v >= kVariantCount) return -4;
  const auto s = static_cast<cudaStream_t>(stream_);
  const int64_t n = int64_t{S} * D;
  switch (e) {
    case 0: return flat<__nv_bfloat16, 2>(v, ptrs, n, fused::AddF{}, s);
    case 1: return flat<__half, 2>(v, ptrs, n, fused::AddF{}, s);
    case 2: return bias<__nv_bfloat16>(v, ptrs, S, D, s);
    case 3: return bias<__half>(v, ptrs, S, D, s);
    case 4: return flat<__nv_bfloat16, 3>(v, ptrs, n, fused::CfgF{beta}, s);
    case 5: return flat<__half, 3>(v, ptrs, n, fused::CfgF{beta}, s);
    default: return -4;
  }
}
