// Launch-plan sweep (a measurement tool, not part of the package): times the shipped kernel
// templates under work splits other than the ones the launchers pick, so that a plan change
// rests on numbers. CUDA-graph replay of 200 back-to-back launches with PDL, best of 7 replays
// of 5, warm L2 except where the buffer exceeds it. Sections:
//   rms_norm_fp16 / layer_norm_no_affine_fp16 / layer_norm_fp8 (row_norm.cuh): threads per row
//     (tpr), rows per CTA (rpc), 16- or 8-byte vectors, against a 16-byte copy of the same bytes;
//   elementwise (device/elementwise.cuh): vector width 8 / 4 / 2 / 1 for ReLU, GELU, SiLU and the
//     flat and merged GEGLU, S x 2048 elements (`sweep ew` runs only this part);
//   LayerNorm by input data, and add_bias in its kernel against the elementwise template (`sweep
//     ln` runs only these two).
// Build and run on the GPU machine (one arch), e.g. inside a gpu-check round:
//   FLASH_RT_ROUND_EXTRA='nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp \
//     benchmarks/sweep_plans.cu src/cpp/ops/core/launch.cu -o /tmp/sweep && /tmp/sweep' \
//     bash ci/gpu-check.sh round
// Results of the H100 runs: docs/RESULTS-2026-11-27-H100-session3.md to -session5.md.
#include <cuda_fp16.h>
#include <cstdio>
#include <vector>
#include <string>
#include <algorithm>
#include "flash_rt/norm/row_norm.cuh"
#include "flash_rt/fused/glu.cuh"
#include "flash_rt/activation/activation.cuh"
#include "flash_rt/utility/row_ops.cuh"
#include "flash_rt/utility/grid.cuh"
#include "graph_timer.cuh"
using namespace flash_rt::norm;
using SpecRms = NormSpec<__half, Stat::kRms, Affine::kWeight, Modulate::kNone, Out::kSame>;
using SpecLnFp8 = NormSpec<__half, Stat::kLayer, Affine::kWeightBias, Modulate::kNone, Out::kFp8>;
using SpecLnAffine = NormSpec<__half, Stat::kLayer, Affine::kWeightBias, Modulate::kNone, Out::kSame>;
using SpecLn = NormSpec<__half, Stat::kLayer, Affine::kNone, Modulate::kNone, Out::kSame>;

// x[i] = a hash of i mapped to [-4, 4): inputs for the elementwise timings (no data-dependent
// fast paths from constant or drifting data).
__global__ void fill_random(__half* x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u;
    h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
    x[i] = __float2half((h >> 8) * (8.f / 16777216.f) - 4.f);
  }
}

// The benchmark's recipe for activations (flash_rt/testing/cases/base.py): 2 * N(0, 1)-like
// values (here a hash mapped to a uniform of the same spread), 1% of elements 8x larger, row 1 all
// zero. `outliers` off gives the plain uniform data.
__global__ void fill_bench_like(__half* x, int64_t rows, int dim, bool outliers) {
  const int64_t n = rows * dim;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u;
    h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
    float v = (h >> 8) * (6.9282f / 16777216.f) - 3.4641f;  // uniform with variance 4
    if (outliers && h % 100u == 0u) v *= 8.f;                       // 1% of elements
    if (outliers && i / dim == 1) v = 0.f;
    x[i] = __float2half(v);
  }
}

// LayerNorm with the shipped plan on three inputs: constant (the other sections' data), uniform,
// and benchmark-like (outliers, a zero row). The benchmark timed layer_norm_no_affine_fp16 at
// S = 1024 at 3.66 us, this sweep (constant data) at 2.75 us for the same kernel and plan.
template <class Spec>
void ln_data_sweep(const char* name, __half* x, __half* y, __half* w, int D, cudaStream_t s, int sms) {
  printf("== %s, shipped plan, by input data (us)\n", name);
  for (int S : {256, 1024, 4096}) {
    NormArgs<__half> a; a.x = x; a.out = y; a.weight = w; a.bias = w; a.rows = S; a.dim = D; a.eps = 1e-5f;
    const RowPlan p = plan_rows(S, D, true, sms, 1024);
    printf("S=%5d (tpr=%d rpc=%d it=%d)", S, p.tpr, p.rows_per_cta, p.iters);
    cudaMemsetAsync(x, 0x3c, sizeof(__half) * S * D, s);
    printf("  constant %.3f", time_graph([&] { launch_norm_rows<Spec>(a, p, s); }, s));
    fill_bench_like<<<1024, 256, 0, s>>>(x, S, D, false);
    printf("  uniform %.3f", time_graph([&] { launch_norm_rows<Spec>(a, p, s); }, s));
    fill_bench_like<<<1024, 256, 0, s>>>(x, S, D, true);
    printf("  bench-like %.3f\n", time_graph([&] { launch_norm_rows<Spec>(a, p, s); }, s));
  }
  cudaMemsetAsync(x, 0x3c, sizeof(__half) * 16384 * D, s);
}

// x[s, c] += b[c] through the elementwise template (device/elementwise.cuh), to compare with the
// shipped add_bias_kernel (utility/row_ops.cuh), which the benchmark times at 1.55 (bf16) and
// 1.69 us (fp16) at S = 256, D = 2048, where an in-place ReLU of the same bytes takes 1.13.
template <typename T>
struct AddBiasEwOp : flash_rt::device::EwOp {
  static constexpr bool kRowwise = true;
  T* x;
  const T* b;
  int64_t dim;
  template <int V>
  struct Regs {
    flash_rt::device::Packed<T, V> x, b;
  };
  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t row, int64_t col) const {
    Regs<V> r;
    r.x = flash_rt::device::load_packed<V>(x + row * dim + col);
    r.b = flash_rt::device::load_packed<V>(b + col);
    return r;
  }
  template <int V>
  __device__ __forceinline__ void store(int64_t row, int64_t col, const Regs<V>& r) const {
    float xv[V], bv[V];
    flash_rt::device::unpack_float(r.x, xv);
    flash_rt::device::unpack_float(r.b, bv);
#pragma unroll
    for (int i = 0; i < V; ++i) xv[i] += bv[i];
    flash_rt::device::store_float<V>(x + row * dim + col, xv);
  }
};

template <typename T>
void add_bias_sweep_one(const char* name, T* x, const T* b, int D, cudaStream_t s, int sms) {
  using namespace flash_rt;
  for (int S : {1, 256, 1024}) {
    const utility::Launch l = utility::plan_rows(S, D / 8);
    const float shipped = time_graph([&] {
      device::launch(utility::add_bias_kernel<T, 8>, l.grid, l.block, 0, s, x, b, int64_t{S}, D, device::ew_trigger_late(int64_t{l.grid.x} * l.grid.y, sms)); }, s);
    AddBiasEwOp<T> op{};
    op.x = x; op.b = b; op.dim = D;
    device::EwPlan p = device::plan_elementwise(S, D, true, true, device::EwMath::kCheap, sms);  // row-wise: early trigger
    const float ew = time_graph([&] { device::launch_elementwise(op, p, s); }, s);
    printf("  %-14s S=%-5d shipped (row_ops) %.3f  elementwise template (vec %d) %.3f us\n", name, S, shipped, p.vec, ew);
  }
}

__global__ void copy_kernel(const int4* in, int4* out, int n) {
  flash_rt::device::pdl_begin();
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = in[i];
}


void glu_sweep(__half* x, __half* y, cudaStream_t s, int sms);
template <class Spec>
void sweep(const char*, __half*, __half*, __half*, int, cudaStream_t, int, std::initializer_list<int>);
int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IONBF, 0);
  const bool only_ew = argc > 1 && std::string(argv[1]) == "ew";  // `sweep ew`: the elementwise part only
  const bool only_ln = argc > 1 && std::string(argv[1]) == "ln";  // `sweep ln`: LayerNorm by input data
                                                                 // and the add_bias comparison only
  const int D = 2048;
  const int maxS = 16384;
  __half *x, *y, *w;
  cudaMalloc(&x, sizeof(__half) * maxS * D); cudaMalloc(&y, sizeof(__half) * maxS * D); cudaMalloc(&w, sizeof(__half) * D);
  cudaMemset(x, 0x3c, sizeof(__half) * maxS * D); cudaMemset(w, 0x3c, sizeof(__half) * D);
  cudaStream_t s; cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  if (!only_ew) {
  ln_data_sweep<SpecLn>("layer_norm_no_affine_fp16", x, y, w, D, s, sms);
  ln_data_sweep<SpecLnAffine>("layer_norm_fp16", x, y, w, D, s, sms);
  printf("== add_bias, in place, D = %d (us)\n", D);
  add_bias_sweep_one<__half>("add_bias_fp16", y, w, D, s, sms);
  add_bias_sweep_one<__nv_bfloat16>("add_bias_bf16", reinterpret_cast<__nv_bfloat16*>(y),
                                    reinterpret_cast<const __nv_bfloat16*>(w), D, s, sms);
  }
  if (!only_ew && !only_ln) {
  sweep<SpecRms>("rms_norm_fp16", x, y, w, D, s, sms, {1, 16, 64, 256, 1024, 4096});
  sweep<SpecLn>("layer_norm_no_affine_fp16", x, y, w, D, s, sms, {256, 1024});
  sweep<SpecLnFp8>("layer_norm_fp8", x, y, w, D, s, sms, {1024, 4096, 16384});
  sweep<SpecLnAffine>("layer_norm_fp16", x, y, w, D, s, sms, {4096, 16384});
  sweep<SpecRms>("rms_norm_fp16", x, y, w, D, s, sms, {16384});
  }
  if (!only_ln) {
  fill_random<<<1024, 256, 0, s>>>(x, int64_t{maxS} * D);
  glu_sweep(x, y, s, sms);
  }
  cudaError_t e = cudaDeviceSynchronize();
  printf("status %s\n", cudaGetErrorString(e));
  return 0;
}
template <class Spec>
void sweep(const char* name, __half* x, __half* y, __half* w, int D, cudaStream_t s, int sms, std::initializer_list<int> Ss) {
  printf("== %s\n", name);
  for (int S : Ss) {
    const int n16 = S * D / 8;
    float tc = time_graph([&] { flash_rt::device::launch(copy_kernel, dim3((n16 + 255) / 256), dim3(256), 0, s,
                                                       (const int4*)x, (int4*)y, n16); }, s);
    NormArgs<__half> a; a.x = x; a.out = y; a.weight = w; a.bias = w; a.rows = S; a.dim = D; a.eps = 1e-6f;
    RowPlan cur = plan_rows(S, D, true, sms, 1024);
    float tcur = time_graph([&] { launch_norm_rows<Spec>(a, cur, s); }, s);
    printf("S=%5d copy %.3f  current(tpr=%d rpc=%d it=%d) %.3f\n", S, tc, cur.tpr, cur.rows_per_cta, cur.iters, tcur);
    for (int tpr : {32, 64, 128, 256, 512}) {
      for (int rpc : {1, 2, 4}) {
        if (tpr * rpc > 1024) continue;
        RowPlan p = cur; p.vec = 8; p.tpr = tpr; p.rows_per_cta = rpc;
        p.iters = (D / 8 + tpr - 1) / tpr;
        if (p.iters > kMaxIters) continue;
        p.cache = p.iters <= kSmallIters ? kSmallIters : kMaxIters;
        float t = time_graph([&] { launch_norm_rows<Spec>(a, p, s); }, s);
        printf("   tpr=%4d rpc=%d it=%d  %.3f us\n", tpr, rpc, p.iters, t);
      }
    }
    for (int tpr : {256, 512, 1024}) {  // 8-byte vectors
      RowPlan p = cur; p.vec = 4; p.tpr = tpr; p.rows_per_cta = 1;
      p.iters = (D / 4 + tpr - 1) / tpr;
      if (p.iters > kSmallIters || p.iters < 1) continue;
      p.cache = kSmallIters;
      const dim3 block(p.tpr, 1), grid(S);
      float t = time_graph([&] { launch_norm_rows_vec<Spec, 4>(a, p, grid, block, s); }, s);
      printf("   vec=4 tpr=%4d it=%d  %.3f us\n", tpr, p.iters, t);
    }
  }
}

// Elementwise ops at forced vector widths 8 / 4 / 2 / 1 (one item per thread below the
// large-size threshold, as the launcher does), for cheap (ReLU) and exp/tanh ops (GELU, SiLU,
// the GEGLU flat and merged), S x 2048 elements.
template <class Op, int VEC>
float ew_time_at(const Op& op, const flash_rt::device::EwPlan& p, cudaStream_t s) {
  using namespace flash_rt::device;
  return time_graph([&] {
    if (p.items == kEwMaxItems) launch(elementwise_kernel<Op, VEC, kEwMaxItems>, ew_grid(p), kEwThreads, 0, s, op, p);
    else launch(elementwise_kernel<Op, VEC, 1>, ew_grid(p), kEwThreads, 0, s, op, p);
  }, s);
}
template <class Op>
void ew_time(const char* name, const Op& op, int64_t rows, int64_t cols, int sms, cudaStream_t s) {
  using namespace flash_rt::device;
  const int cur = elementwise_width(rows, cols, Op::kRowwise, true, Op::kMath, sms);
  printf("  %-8s S=%-5lld H=%lld (plan: vec %d)", name, (long long)rows, (long long)cols, cur);
  for (int vec : {8, 4, 2, 1}) {
    EwPlan p = plan_elementwise_at(rows, cols, Op::kRowwise, vec);
    p.trigger_late = ew_plan_trigger_late(p, Op::kRowwise, sms);
    float t = vec == 8 ? ew_time_at<Op, 8>(op, p, s) : vec == 4 ? ew_time_at<Op, 4>(op, p, s)
            : vec == 2 ? ew_time_at<Op, 2>(op, p, s) : ew_time_at<Op, 1>(op, p, s);
    printf("  v%d %.3f", vec, t);
  }
  printf(" us\n");
}
void glu_sweep(__half* x, __half* y, cudaStream_t s, int sms) {
  using namespace flash_rt;
  using Enc = device::Encoder<__half, device::Store::kSame>;
  printf("== elementwise (us per call at vector width 8 / 4 / 2 / 1)\n");
  for (int S : {1, 16, 64, 128, 256, 512, 1024}) {
    const int64_t H = 2048, n = int64_t{S} * H;
    // Out of place (x -> y), so every call sees the same random inputs (in place, 1000 calls of
    // GELU or SiLU drive the data towards 0).
    activation::UnaryInplaceOp<__half, activation::ReluF> relu{};
    relu.in[0] = x; relu.out = y;
    ew_time("relu", relu, 1, n, sms, s);
    activation::UnaryInplaceOp<__half, activation::GeluSfuF> gelu{};
    gelu.in[0] = x; gelu.out = y;
    ew_time("gelu", gelu, 1, n, sms, s);
    activation::UnaryInplaceOp<__half, activation::SiluSfuF> silu{};
    silu.in[0] = x; silu.out = y;
    ew_time("silu", silu, 1, n, sms, s);
    fused::SplitGluOp<__half, fused::GegluSfuF, Enc> sp{};
    sp.in[0] = x; sp.in[1] = x + n; sp.out = y;
    ew_time("geglu", sp, 1, n, sms, s);
    fused::MergedGluOp<__half, fused::GegluSfuF, Enc> mg{};
    mg.merged = x; mg.out = y; mg.half_dim = H;
    ew_time("merged", mg, S, H, sms, s);
  }
}
