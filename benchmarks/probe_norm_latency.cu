// Where the time of a one-row norm goes (a measurement tool, not part of the package).
//
// At S = 1 and 16, D = 2048 fp16, the shipped rms_norm_fp16 kernel takes 1.34-1.40 us per call
// under graph replay with PDL, where a 16-byte copy of the same bytes takes about 0.75-0.84
// (sessions 2, 3 and 7; every threads-per-row plan timed the same). This ladder adds one piece of
// the norm at a time to the copy, each a separate hand-written kernel with one 16-byte vector per
// thread and one row per CTA of 256 threads, then times the shipped kernel under its own plan and
// a few others, all in the same process and graph protocol as benchmarks/sweep_plans.cu.
//
// Build and run on the GPU machine (one arch), e.g. inside a gpu-check round:
//   FLASH_RT_ROUND_EXTRA='nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp \
//     benchmarks/probe_norm_latency.cu src/cpp/ops/core/launch.cu -o /tmp/probe && /tmp/probe' \
//     bash ci/gpu-check.sh round
#include <cuda_fp16.h>
#include <cstdio>
#include <cstdlib>
#include <algorithm>

#include "flash_rt/norm/row_norm.cuh"
#include "flash_rt/fused/glu.cuh"
#include "graph_timer.cuh"

using namespace flash_rt::norm;
namespace dv = flash_rt::device;
using SpecRms = NormSpec<__half, Stat::kRms, Affine::kWeight, Modulate::kNone, Out::kSame>;
// plain_res_rms_fp8_fp16: residual += x (in place), RMS without weight, E4M3 out.
using SpecResFp8 = NormSpec<__half, Stat::kRms, Affine::kNone, Modulate::kNone, Out::kFp8, false, Input::kAdd, true>;

// The shipped kernel (cached, prefetching) under a forced split and trigger placement.
template <class Spec>
float time_split(NormArgs<__half> a, int S, int D, int tpr, bool late, cudaStream_t s) {
  const int iters = (D / 8 + tpr - 1) / tpr;
  a.pdl_trigger_late = late;
  if (iters <= kSmallIters)
    return time_graph([&] { dv::launch(norm_rows_kernel<Spec, 8, kSmallIters>, dim3(S), dim3(tpr), 0, s, a, iters); }, s);
  return time_graph([&] { dv::launch(norm_rows_kernel<Spec, 8, kMaxIters>, dim3(S), dim3(tpr), 0, s, a, iters); }, s);
}

// The rungs, each adding one thing to the one below.
enum Rung : int {
  kCopy = 0,       // y = x
  kWeight,         // y = x * w                          (+ a second load)
  kWarpSum,        // y = x * warp_sum(x^2)              (+ 5 shuffles)
  kBlockSum,       // y = x * row_sum(x^2)               (+ shared memory and a barrier)
  kRms,            // y = x * rsqrt(mean(x^2) + eps) * w (the whole RMSNorm, hand-written)
  kRmsLate,        // as kRms, the PDL trigger after the reduction
  kRmsNoTrigger,   // as kRms, no explicit trigger (the grid's end triggers)
  kRmsBounds1024,  // as kRms, compiled with __launch_bounds__(1024, 1) like the shipped kernel
  kRmsVec,         // as kRms, the cross-warp step by device/reduce.cuh (16-byte loads, a tree)
  kRmsVecLate,     // as kRmsVec, the PDL trigger after the reduction
  kRmsShfl,        // as kRms, the cross-warp step as one shared load per lane and a shuffle tree
  kRmsShflLate,    // as kRmsShfl, the PDL trigger after the reduction
  kRungs
};
const char* kRungNames[kRungs] = {"copy", "x * w", "+ warp sum", "+ block sum (smem, barrier)",
                                  "rms norm, hand-written", "  trigger after the reduction",
                                  "  no explicit trigger", "  __launch_bounds__(1024, 1)",
                                  "  row_sum (vector combine)", "  row_sum, trigger after it",
                                  "  shuffle combine", "  shuffle combine, trigger after it"};

template <int R>
__device__ __forceinline__ void rung_body(const int4* x, const int4* w, int4* y, float eps) {
  __shared__ __align__(16) float scratch[32];
  dv::pdl_wait();
  constexpr bool kLate = R == kRmsLate || R == kRmsVecLate || R == kRmsShflLate;
  if (!kLate && R != kRmsNoTrigger) dv::pdl_trigger();
  const int row = blockIdx.x, t = threadIdx.x;
  const int4 xv = x[row * blockDim.x + t];
  if constexpr (R == kCopy) {
    y[row * blockDim.x + t] = xv;
    return;
  } else {
    const __half2* xh = reinterpret_cast<const __half2*>(&xv);
    float f[8];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 p = __half22float2(xh[i]);
      f[2 * i] = p.x;
      f[2 * i + 1] = p.y;
    }
    float mul = 1.f;
    if constexpr (R >= kWarpSum) {
      float acc = 0.f;
#pragma unroll
      for (int i = 0; i < 8; ++i) acc += f[i] * f[i];
      if constexpr (R == kWarpSum) {
        mul = dv::warp_sum(acc);
      } else if constexpr (R >= kRmsShfl) {
        acc = dv::warp_sum(acc);
        if ((t & 31) == 0) scratch[t >> 5] = acc;
        __syncthreads();
        const int warps = blockDim.x >> 5;
        float tot = scratch[t & (warps - 1)];
        for (int o = warps >> 1; o > 0; o >>= 1) tot += __shfl_xor_sync(0xffffffffu, tot, o);
        mul = rsqrtf(tot * (1.f / 2048.f) + eps);
      } else if constexpr (R >= kRmsVec) {
        mul = rsqrtf(dv::row_sum(acc, scratch) * (1.f / 2048.f) + eps);
      } else {
        acc = dv::warp_sum(acc);
        if ((t & 31) == 0) scratch[t >> 5] = acc;
        __syncthreads();
        float tot = 0.f;
        for (int i = 0; i < static_cast<int>(blockDim.x >> 5); ++i) tot += scratch[i];
        mul = R == kBlockSum ? tot : rsqrtf(tot * (1.f / 2048.f) + eps);
      }
    }
    if (kLate) dv::pdl_trigger();
    float wf[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) wf[i] = 1.f;
    if constexpr (R == kWeight || R >= kRms) {
      const int4 wv = w[t];
      const __half2* wh = reinterpret_cast<const __half2*>(&wv);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float2 p = __half22float2(wh[i]);
        wf[2 * i] = p.x;
        wf[2 * i + 1] = p.y;
      }
    }
    int4 out;
    __half2* oh = reinterpret_cast<__half2*>(&out);
#pragma unroll
    for (int i = 0; i < 4; ++i) oh[i] = __floats2half2_rn(f[2 * i] * mul * wf[2 * i], f[2 * i + 1] * mul * wf[2 * i + 1]);
    y[row * blockDim.x + t] = out;
  }
}

template <int R>
__global__ void __launch_bounds__(256) rung_kernel(const int4* x, const int4* w, int4* y, float eps) {
  rung_body<R>(x, w, y, eps);
}
__global__ void __launch_bounds__(1024, 1) rung_kernel_1024(const int4* x, const int4* w, int4* y, float eps) {
  rung_body<kRms>(x, w, y, eps);
}

// The merged GEGLU (gate_geglu_merged_fp16) with a 2-D grid: blockIdx.y = row, so no division
// before the first load. VEC 4, 256 threads, the trigger after the loads.
template <class Op>
__global__ void __launch_bounds__(256) merged_2d_kernel(Op op, int64_t row_vecs, bool late) {
  dv::pdl_wait();
  if (!late) dv::pdl_trigger();
  const int64_t row = blockIdx.y;
  const int64_t c = static_cast<int64_t>(blockIdx.x) * 256 + threadIdx.x;
  if (c >= row_vecs) {
    if (late) dv::pdl_trigger();
    return;
  }
  const auto r = op.template load<4>(row, c * 4);
  if (late) dv::pdl_trigger();
  op.template store<4>(row, c * 4, r);
}

template <int R>
float time_rung(int S, const __half* x, const __half* w, __half* y, cudaStream_t s) {
  const auto* xi = reinterpret_cast<const int4*>(x);
  const auto* wi = reinterpret_cast<const int4*>(w);
  auto* yi = reinterpret_cast<int4*>(y);
  if constexpr (R == kRmsBounds1024)
    return time_graph([&] { dv::launch(rung_kernel_1024, dim3(S), dim3(256), 0, s, xi, wi, yi, 1e-6f); }, s);
  else
    return time_graph([&] { dv::launch(rung_kernel<R>, dim3(S), dim3(256), 0, s, xi, wi, yi, 1e-6f); }, s);
}

template <int... R>
void ladder(int S, const __half* x, const __half* w, __half* y, cudaStream_t s,
            std::integer_sequence<int, R...>) {
  ((printf("  S=%-3d %-32s %.3f us\n", S, kRungNames[R], time_rung<R>(S, x, w, y, s))), ...);
}

int main() {
  setvbuf(stdout, nullptr, _IONBF, 0);
  const int D = 2048, maxS = 512;
  __half *x, *y, *w, *z;
  cudaMalloc(&z, sizeof(__half) * maxS * D);
  cudaMalloc(&x, sizeof(__half) * maxS * D);
  cudaMalloc(&y, sizeof(__half) * maxS * D);
  cudaMalloc(&w, sizeof(__half) * D);
  cudaMemset(x, 0x3c, sizeof(__half) * maxS * D);
  cudaMemset(w, 0x3c, sizeof(__half) * D);
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  int sms;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  // gate_geglu_merged_fp16 at S = 256, H = 2048 (1.55 us in the benchmark against 1.24 for the
  // split-buffer gate_geglu_fp16 of the same bytes): the shipped template, the split op, a 2-D grid.
  {
    using Enc = dv::Encoder<__half, dv::Store::kSame>;
    const int64_t S = 256, H = 2048;
    flash_rt::fused::MergedGluOp<__half, flash_rt::fused::GegluSfuF, Enc> mg{};
    mg.merged = x; mg.out = y; mg.half_dim = H;
    flash_rt::fused::SplitGluOp<__half, flash_rt::fused::GegluSfuF, Enc> sp{};
    sp.in[0] = x; sp.in[1] = x + S * H; sp.out = y;
    dv::EwPlan pm = dv::plan_elementwise(S, H, true, true, dv::EwMath::kSfu, sms);
    pm.trigger_late = dv::ew_plan_trigger_late(pm, true, sms);
    dv::EwPlan ps = dv::plan_elementwise(1, S * H, false, true, dv::EwMath::kSfu, sms);
    ps.trigger_late = dv::ew_plan_trigger_late(ps, false, sms);
    const float tm = time_graph([&] { dv::launch_elementwise(mg, pm, s); }, s);
    const float ts = time_graph([&] { dv::launch_elementwise(sp, ps, s); }, s);
    printf("  geglu S=256 H=2048: merged, template (vec %d, %lld CTAs, late %d) %.3f us; split (vec %d, late %d) %.3f us\n",
           pm.vec, (long long)pm.blocks, int(pm.trigger_late), tm, ps.vec, int(ps.trigger_late), ts);
    for (int late = 0; late < 2; ++late) {
      const float t2 = time_graph([&] {
        dv::launch(merged_2d_kernel<decltype(mg)>, dim3(H / 4 / 256, S), dim3(256), 0, s, mg, H / 4, bool(late));
      }, s);
      printf("  geglu S=256 H=2048: merged, 2-D grid, vec 4, trigger %s: %.3f us\n", late ? "late" : "early", t2);
    }
  }
  // patch_im2col's trigger placement moved to benchmarks/probe_patch_latency.cu (session 12).
  // Threads per row x trigger placement at S = 128 / 256 / 512 for RMSNorm and the residual FP8
  // entry (plain_res_rms_fp8_fp16, 1.83 us against compile's 2.21 at S = 256: 1.21x, the rule
  // asks 1.25x). The addend is zero so that the residual stays the same over the replays.
  cudaMemset(z, 0, sizeof(__half) * maxS * D);
  for (int S : {128, 256, 512}) {
    for (int which = 0; which < 2; ++which) {
      NormArgs<__half> a;
      a.x = x; a.out = y; a.weight = w; a.addend = z; a.rows = S; a.dim = D; a.eps = 1e-6f;
      const RowPlan p = plan_rows(S, D, true, sms, which ? 512 : 1024);
      printf("  S=%-4d %-24s plan tpr=%d:", S, which ? "plain_res_rms_fp8_fp16" : "rms_norm_fp16", p.tpr);
      for (int tpr : {64, 128, 256, 512}) {
        const float e = which ? time_split<SpecResFp8>(a, S, D, tpr, false, s) : time_split<SpecRms>(a, S, D, tpr, false, s);
        const float l = which ? time_split<SpecResFp8>(a, S, D, tpr, true, s) : time_split<SpecRms>(a, S, D, tpr, true, s);
        printf("  tpr %d %.3f/%.3f", tpr, e, l);
      }
      printf("  us (early/late)\n");
    }
  }
  // The shipped kernel under its plan with the PDL trigger forced early (at the start) or late
  // (after the statistics), at the sizes where pdl_trigger_late picks early.
  for (int S : {1, 16, 64, 256}) {
    NormArgs<__half> a;
    a.x = x; a.out = y; a.weight = w; a.rows = S; a.dim = D; a.eps = 1e-6f;
    const RowPlan p = plan_rows(S, D, true, sms, 1024);
    const dim3 block(p.tpr, p.rows_per_cta), grid((S + p.rows_per_cta - 1) / p.rows_per_cta);
    float t[2];
    for (int late = 0; late < 2; ++late) {
      a.pdl_trigger_late = late;
      t[late] = time_graph([&] { dv::launch(norm_rows_kernel<SpecRms, 8, kSmallIters>, grid, block, 0, s, a, p.iters); }, s);
    }
    printf("  S=%-4d shipped kernel (tpr=%d it=%d prefetch=%d): trigger early %.3f  late %.3f us\n", S, p.tpr, p.iters,
           int(p.prefetch), t[0], t[1]);
  }
  for (int S : {1, 16}) {
    printf("== S = %d, D = %d, fp16, one 16-byte vector per thread, 256 threads per row\n", S, D);
    ladder(S, x, w, y, s, std::make_integer_sequence<int, kRungs>{});
    NormArgs<__half> a;
    a.x = x; a.out = y; a.weight = w; a.rows = S; a.dim = D; a.eps = 1e-6f;
    const RowPlan cur = plan_rows(S, D, true, sms, 1024);
    printf("  S=%-3d shipped kernel, its plan (tpr=%d rpc=%d it=%d)  %.3f us\n", S, cur.tpr, cur.rows_per_cta,
           cur.iters, time_graph([&] { launch_norm_rows<SpecRms>(a, cur, s); }, s));
    for (int tpr : {32, 64, 128, 256}) {
      RowPlan p = cur;
      p.tpr = tpr;
      p.rows_per_cta = 1;
      p.iters = (D / 8 + tpr - 1) / tpr;
      p.cache = p.iters <= kSmallIters ? kSmallIters : kMaxIters;
      p.prefetch = p.cache == kSmallIters;
      printf("  S=%-3d shipped kernel, tpr=%-4d it=%d  %.3f us\n", S, tpr, p.iters,
             time_graph([&] { launch_norm_rows<SpecRms>(a, p, s); }, s));
    }
  }
  const cudaError_t e = cudaDeviceSynchronize();
  printf("status %s\n", cudaGetErrorString(e));
  return e == cudaSuccess ? 0 : 1;
}
