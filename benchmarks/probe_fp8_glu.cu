// Probe (a measurement tool, not part of the package): where the time of the FP8-output GLU
// entries goes at inference sizes (S = 16 / 64 rows of H = 16384, the BENCH.md shape), and what
// a change of plan or of the arithmetic buys. Session 14 measured them at 0.82-1.06x
// torch.compile where 0.8x is the target (gate_geglu_merged_fp8 S = 16: 1.76 us against 1.80),
// while the 16-bit merged GEGLU of the same plan takes 1.23.
//
// Ops (each the shipped template unless marked "probe"):
//   fp8_bf16_acc   gate_geglu_merged_fp8 (accurate expf, no floor)
//   fp8_f16_fast   gate_geglu_merged_fp8_fp16 (__expf, floor)
//   fp8_f16_acc    geglu_fp8_static_fp16 (accurate expf, floor)
//   swiglu_fp8     silu_mul_split_fp8_fp16 (split buffers, flat)
//   bf16_sfu       gate_geglu_merged (16-bit out, SFU math): the reference point
//   probe_sfu_fp8  the SFU GELU with the FP8 store (not the contract's bytes): the math's share
//   probe_mul_fp8  g * u with the FP8 store (no activation): the floor of the FP8 store
//   probe_const_d  fp8_bf16_acc with the scale passed by value (no d_scale load): the load's share
//   checked        fp8_bf16_acc's bytes from the SFU math, re-done with expf where the SFU result
//                  lies within 2^-13 (relative) of an E4M3 rounding boundary (fused/glu.cuh)
// For each: vector width 8 / 4 / 2 (one item per thread) x PDL trigger early / late, CUDA-graph
// replay (graph_timer.cuh). `checked` is also compared byte for byte with fp8_bf16_acc.
// Build and run on the GPU machine:
//   nvcc -O3 -std=c++20 --ftz=true --prec-div=false --prec-sqrt=false -arch=sm_90a -I src/cpp/include \
//     -I src/cpp benchmarks/probe_fp8_glu.cu src/cpp/ops/core/launch.cu -o /tmp/probe_fp8_glu
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdio>
#include <cstring>
#include <vector>

#include "flash_rt/fused/glu.cuh"
#include "graph_timer.cuh"

using namespace flash_rt;
using device::Encoder;
using device::Store;

// Benchmark-like data (flash_rt/testing/cases/base.py): uniform of variance 4, 1% 8x larger.
template <typename T>
__global__ void fill_bench_like(T* x, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = (static_cast<uint32_t>(i) ^ seed) * 2654435761u;
    h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
    float v = (h >> 8) * (6.9282f / 16777216.f) - 3.4641f;
    if (h % 100u == 0u) v *= 8.f;
    x[i] = static_cast<T>(v);
  }
}

// Every 16-bit pattern, permuted (NaN, inf, subnormals, both signs).
__global__ void fill_all_patterns(uint16_t* x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    x[i] = static_cast<uint16_t>((static_cast<uint32_t>(i) * 40503u) ^ static_cast<uint32_t>(i >> 16));
}

// probe: g * u (no activation)
struct MulF {
  static constexpr bool kHeavyMath = true;
  __device__ __forceinline__ float operator()(const float (&v)[2]) const { return v[0] * v[1]; }
};

// probe: the FP8 store with the scale as a kernel parameter (no load)
struct ConstEnc {
  using Elem = uint8_t;
  float d = 1.f;
  __device__ __forceinline__ void init() {}
  template <int V>
  __device__ __forceinline__ void store(uint8_t* p, const float (&y)[V]) const {
    const float inv = 1.f / d;
    float q[V];
#pragma unroll
    for (int i = 0; i < V; ++i) q[i] = device::clamp448(y[i] * inv);
    device::store_e4m3<V>(p, q);
  }
};

// probe: fp8_bf16_acc's bytes from the SFU GELU. The SFU form differs from the accurate one by
// at most kDelta (relative, measured exhaustively over every 16-bit g below, `delta` kernel) while
// its base-2 exponent stays <= 120 (past it the accurate division scales its operands) and the
// reciprocal of the scale <= 2^100 (so a product flushed to zero in one form and not in the other
// is < 2^-26 after scaling: E4M3 0 either way). Then q's code is the accurate q's code whenever
// q (1 - eps) and q (1 + eps) round to the same code, eps = 2^-13 > kDelta + the products'
// roundings; else the element's vector is re-done with expf.
// Activation pairs: `fast` on the SFU with the flag, `exact` the entry's contract form.
template <bool FastExp>
struct GeluPair {
  __device__ __forceinline__ static float fast(float g, bool& ok) {
    constexpr float k1 = -2.3022081981f, k2 = -0.1029432396f;
    const float a = g * fmaf(k2, g * g, k1);
    ok = ok && a <= 120.f;  // NaN fails
    return g * activation::rcp_sfu(1.f + activation::exp2_sfu(a));
  }
  __device__ __forceinline__ static float exact(float g) { return activation::gelu_sigmoid<FastExp>(g); }
};
struct SiluPair {
  __device__ __forceinline__ static float fast(float x, bool& ok) {
    const float a = x * -1.4426950409f;
    ok = ok && a <= 120.f;
    return x * activation::rcp_sfu(1.f + activation::exp2_sfu(a));
  }
  __device__ __forceinline__ static float exact(float x) { return activation::silu(x); }
};

template <class A, Store S, int V>
__device__ __forceinline__ void store_checked(uint8_t* p, const float (&g)[V], const float (&u)[V], float d) {
  float q[V];
  const float inv = 1.f / (S == Store::kFp8ScaledFloor ? fmaxf(d, 1e-12f) : d);
  bool ok = V > 1 && inv <= 0x1p100f;  // V = 1 (unaligned views): the accurate form only
#pragma unroll
  for (int i = 0; i < V; ++i) q[i] = device::clamp448(A::fast(g[i], ok) * u[i] * inv);
  constexpr float lo = 1.f - 0x1p-13f, hi = 1.f + 0x1p-13f;
  uint32_t code[(V + 1) / 2];
#pragma unroll
  for (int j = 0; j < V / 2; ++j) {
    code[j] = device::e4m3x2(q[2 * j] * lo, q[2 * j + 1] * lo);
    ok = ok && code[j] == device::e4m3x2(q[2 * j] * hi, q[2 * j + 1] * hi);
  }
  if (ok) {
    if constexpr (V == 2) *reinterpret_cast<uint16_t*>(p) = static_cast<uint16_t>(code[0]);
    else if constexpr (V == 4) *reinterpret_cast<uint32_t*>(p) = code[0] | (code[1] << 16);
    else if constexpr (V == 8) *reinterpret_cast<uint2*>(p) = make_uint2(code[0] | (code[1] << 16), code[2] | (code[3] << 16));
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) q[i] = device::clamp448(A::exact(g[i]) * u[i] * inv);
    device::store_e4m3<V>(p, q);
  }
}

template <typename T, class A, Store S>
struct MergedGluFp8Checked : device::EwOp {
  static constexpr bool kRowwise = true;
  static constexpr bool kHeavyMath = true;
  const T* merged;
  uint8_t* out;
  int64_t half_dim;
  Encoder<uint8_t, S> enc;
  template <int V>
  struct Regs {
    device::Packed<T, V> g, u;
    __device__ __forceinline__ void fence() { device::fence_packed(g), device::fence_packed(u); }
  };
  __device__ __forceinline__ void init() { enc.init(); }
  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t row, int64_t col) const {
    const T* m = merged + row * 2 * half_dim + col;
    Regs<V> r;
    r.g = device::load_packed<V>(m);
    r.u = device::load_packed<V>(m + half_dim);
    return r;
  }
  template <int V>
  __device__ __forceinline__ void store(int64_t row, int64_t col, const Regs<V>& r) const {
    float g[V], u[V];
    device::unpack_float(r.g, g);
    device::unpack_float(r.u, u);
    store_checked<A, S, V>(out + row * half_dim + col, g, u, enc.d);
  }
};
template <typename T, class A, Store S>
struct SplitGluFp8Checked : device::EwOp {
  const T* gate;
  const T* up;
  uint8_t* out;
  Encoder<uint8_t, S> enc;
  template <int V>
  struct Regs {
    device::Packed<T, V> g, u;
    __device__ __forceinline__ void fence() { device::fence_packed(g), device::fence_packed(u); }
  };
  __device__ __forceinline__ void init() { enc.init(); }
  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t, int64_t c) const {
    Regs<V> r;
    r.g = device::load_packed<V>(gate + c);
    r.u = device::load_packed<V>(up + c);
    return r;
  }
  template <int V>
  __device__ __forceinline__ void store(int64_t, int64_t c, const Regs<V>& r) const {
    float g[V], u[V];
    device::unpack_float(r.g, g);
    device::unpack_float(r.u, u);
    store_checked<A, S, V>(out + c, g, u, enc.d);
  }
};

// Largest relative difference of A::fast from A::exact over every 16-bit pattern of the input
// whose flag stays set, as float bits (atomicMax on non-negative floats).
template <typename T, class A>
__global__ void delta_kernel(unsigned* worst) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= 65536) return;
  const unsigned short bits = static_cast<unsigned short>(i);
  const float g = static_cast<float>(*reinterpret_cast<const T*>(&bits));
  bool ok = true;
  const float f = A::fast(g, ok);
  if (!ok) return;
  const float a = A::exact(g);
  const float r = a == 0.f ? (f == 0.f ? 0.f : 1.f) : fabsf(f - a) / fabsf(a);
  atomicMax(worst, __float_as_uint(r));
}

template <class Op, int VEC>
float time_at(const Op& op, const device::EwPlan& p, cudaStream_t s) {
  using namespace flash_rt::device;
  return time_graph([&] { launch(elementwise_kernel<Op, VEC, 1>, ew_grid(p), kEwThreads, 0, s, op, p); }, s);
}

template <class Op>
void sweep(const char* name, const Op& op, int64_t rows, int64_t cols, int sms, cudaStream_t s) {
  using namespace flash_rt::device;
  const int cur = elementwise_width(rows, cols, Op::kRowwise, true, Op::kHeavyMath, sms);
  printf("  %-14s S=%-4lld (shipped: v%d %s)", name, (long long)rows, cur,
         (!Op::kRowwise || cur == 4) ? "late" : "early");
  for (int vec : {8, 4, 2}) {
    for (int late : {0, 1}) {
      EwPlan p = plan_elementwise_at(rows, cols, Op::kRowwise, vec, sms);
      if (p.items != 1) continue;
      p.trigger_late = late != 0;
      const float t = vec == 8 ? time_at<Op, 8>(op, p, s) : vec == 4 ? time_at<Op, 4>(op, p, s) : time_at<Op, 2>(op, p, s);
      printf("  v%d%s %.3f", vec, late ? "L" : "E", t);
    }
  }
  printf(" us\n");
}

template <class Op>
void run_shipped_plan(const Op& op, int64_t rows, int64_t cols, int sms, cudaStream_t s) {
  using namespace flash_rt::device;
  EwPlan p = plan_elementwise(rows, cols, Op::kRowwise, true, Op::kHeavyMath, sms);
  p.trigger_late = (!Op::kRowwise || p.vec == 4) && ew_trigger_late(p.blocks, sms);
  launch_elementwise(op, p, s);
}

int main() {
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaDeviceProp prop{};
  CK(cudaGetDeviceProperties(&prop, 0));
  printf("probe_fp8_glu on %s (%d SMs)\n", prop.name, sms);
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int64_t H = 16384, max_rows = 256;
  const int64_t n_in = max_rows * 2 * H;
  __nv_bfloat16* xb; __half* xh; uint8_t* o8; uint8_t* o8b; __nv_bfloat16* ob; float* d;
  CK(cudaMalloc(&xb, n_in * 2)); CK(cudaMalloc(&xh, n_in * 2));
  CK(cudaMalloc(&o8, max_rows * H)); CK(cudaMalloc(&o8b, max_rows * H)); CK(cudaMalloc(&ob, max_rows * H * 2));
  CK(cudaMalloc(&d, 4));
  fill_bench_like<<<1024, 256, 0, s>>>(xb, n_in, 0x1234u);
  fill_bench_like<<<1024, 256, 0, s>>>(xh, n_in, 0x5678u);
  const float dval = 24.f / 448.f;  // amax of the data ~ 24 (8x outliers of |x| <= 3.5, times up)
  CK(cudaMemcpyAsync(d, &dval, 4, cudaMemcpyHostToDevice, s));
  CK(cudaStreamSynchronize(s));

  {
    unsigned* w; CK(cudaMalloc(&w, 32)); CK(cudaMemset(w, 0, 32));
    delta_kernel<__nv_bfloat16, GeluPair<false>><<<256, 256, 0, s>>>(w);
    delta_kernel<__half, GeluPair<false>><<<256, 256, 0, s>>>(w + 1);
    delta_kernel<__half, GeluPair<true>><<<256, 256, 0, s>>>(w + 2);
    delta_kernel<__half, SiluPair><<<256, 256, 0, s>>>(w + 3);
    unsigned hw[4]; CK(cudaMemcpy(hw, w, 16, cudaMemcpyDeviceToHost));
    float f[4]; memcpy(f, hw, 16);
    printf("SFU form vs the contract's, largest relative difference over all 16-bit inputs: GELU bf16 %.3g, "
           "GELU fp16 %.3g, GELU(__expf) fp16 %.3g, SiLU fp16 %.3g (eps 2^-13 = %.3g)\n", f[0], f[1], f[2], f[3], 0x1p-13);
  }
  // Exactness of the checked ops against the shipped ones: bench-like data at several scales,
  // and every 16-bit pattern (NaN, inf, subnormals) in gate and up.
  {
    const float scales[] = {24.f / 448.f, 1.f / 448.f, 1.f, 1e-3f, 3e-30f, 1e-37f};
    auto compare = [&](const char* name, auto shipped, auto checked, auto* x, int64_t rows, int64_t cols) {
      long long mism = 0, total = 0;
      for (int data = 0; data < 5; ++data) {
        if (data < 4) fill_bench_like<<<1024, 256, 0, s>>>(x, n_in, 77u * data + 1u);
        else fill_all_patterns<<<1024, 256, 0, s>>>(reinterpret_cast<uint16_t*>(x), n_in);
        for (float dv : scales) {
          CK(cudaMemcpyAsync(d, &dv, 4, cudaMemcpyHostToDevice, s));
          run_shipped_plan(shipped, rows, cols, sms, s);
          run_shipped_plan(checked, rows, cols, sms, s);
          std::vector<uint8_t> ha(max_rows * H), hb(max_rows * H);
          CK(cudaMemcpyAsync(ha.data(), o8, ha.size(), cudaMemcpyDeviceToHost, s));
          CK(cudaMemcpyAsync(hb.data(), o8b, hb.size(), cudaMemcpyDeviceToHost, s));
          CK(cudaStreamSynchronize(s));
          for (size_t i = 0; i < ha.size(); ++i) mism += ha[i] != hb[i];
          total += static_cast<long long>(ha.size());
        }
      }
      printf("%s: checked vs shipped: %lld of %lld bytes differ\n", name, mism, total);
    };
    { fused::MergedGluOp<__nv_bfloat16, fused::GegluF<false>, Encoder<uint8_t, Store::kFp8Scaled>> a{};
      a.merged = xb; a.out = o8; a.half_dim = H; a.enc.d_scale = d;
      MergedGluFp8Checked<__nv_bfloat16, GeluPair<false>, Store::kFp8Scaled> b{};
      b.merged = xb; b.out = o8b; b.half_dim = H; b.enc.d_scale = d;
      compare("gate_geglu_merged_fp8", a, b, xb, max_rows, H); }
    { fused::MergedGluOp<__half, fused::GegluF<true>, Encoder<uint8_t, Store::kFp8ScaledFloor>> a{};
      a.merged = xh; a.out = o8; a.half_dim = H; a.enc.d_scale = d;
      MergedGluFp8Checked<__half, GeluPair<true>, Store::kFp8ScaledFloor> b{};
      b.merged = xh; b.out = o8b; b.half_dim = H; b.enc.d_scale = d;
      compare("gate_geglu_merged_fp8_fp16", a, b, xh, max_rows, H); }
    { fused::MergedGluOp<__half, fused::GegluF<false>, Encoder<uint8_t, Store::kFp8ScaledFloor>> a{};
      a.merged = xh; a.out = o8; a.half_dim = H; a.enc.d_scale = d;
      MergedGluFp8Checked<__half, GeluPair<false>, Store::kFp8ScaledFloor> b{};
      b.merged = xh; b.out = o8b; b.half_dim = H; b.enc.d_scale = d;
      compare("geglu_fp8_static_fp16", a, b, xh, max_rows, H); }
    { fused::SplitGluOp<__half, fused::SwigluF, Encoder<uint8_t, Store::kFp8Scaled>> a{};
      a.in[0] = xh; a.in[1] = xh + max_rows * H; a.out = o8; a.enc.d_scale = d;
      SplitGluFp8Checked<__half, SiluPair, Store::kFp8Scaled> b{};
      b.gate = xh; b.up = xh + max_rows * H; b.out = o8b; b.enc.d_scale = d;
      compare("silu_mul_split_fp8_fp16", a, b, xh, 1, max_rows * H); }
    CK(cudaMemcpyAsync(d, &dval, 4, cudaMemcpyHostToDevice, s));
    fill_bench_like<<<1024, 256, 0, s>>>(xb, n_in, 0x1234u);
    fill_bench_like<<<1024, 256, 0, s>>>(xh, n_in, 0x5678u);
    CK(cudaStreamSynchronize(s));
  }

  printf("== us per call, vector width 8 / 4 / 2, trigger Early / Late (H = %lld)\n", (long long)H);
  for (int64_t S : {16, 64, 256}) {
    { fused::MergedGluOp<__nv_bfloat16, fused::GegluF<false>, Encoder<uint8_t, Store::kFp8Scaled>> op{};
      op.merged = xb; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("fp8_bf16_acc", op, S, H, sms, s); }
    { fused::MergedGluOp<__half, fused::GegluF<true>, Encoder<uint8_t, Store::kFp8ScaledFloor>> op{};
      op.merged = xh; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("fp8_f16_fast", op, S, H, sms, s); }
    { fused::MergedGluOp<__half, fused::GegluF<false>, Encoder<uint8_t, Store::kFp8ScaledFloor>> op{};
      op.merged = xh; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("fp8_f16_acc", op, S, H, sms, s); }
    { fused::SplitGluOp<__half, fused::SwigluF, Encoder<uint8_t, Store::kFp8Scaled>> op{};
      op.in[0] = xh; op.in[1] = xh + S * H; op.out = o8; op.enc.d_scale = d;
      sweep("swiglu_fp8", op, 1, S * H, sms, s); }
    { fused::MergedGluOp<__nv_bfloat16, fused::GegluSfuF, Encoder<__nv_bfloat16, Store::kSame>> op{};
      op.merged = xb; op.out = ob; op.half_dim = H;
      sweep("bf16_sfu", op, S, H, sms, s); }
    { fused::MergedGluOp<__nv_bfloat16, fused::GegluSfuF, Encoder<uint8_t, Store::kFp8Scaled>> op{};
      op.merged = xb; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("probe_sfu_fp8", op, S, H, sms, s); }
    { fused::MergedGluOp<__nv_bfloat16, MulF, Encoder<uint8_t, Store::kFp8Scaled>> op{};
      op.merged = xb; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("probe_mul_fp8", op, S, H, sms, s); }
    { fused::MergedGluOp<__nv_bfloat16, fused::GegluF<false>, ConstEnc> op{};
      op.merged = xb; op.out = o8; op.half_dim = H; op.enc.d = dval;
      sweep("probe_const_d", op, S, H, sms, s); }
    { MergedGluFp8Checked<__nv_bfloat16, GeluPair<false>, Store::kFp8Scaled> op{};
      op.merged = xb; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("chk_bf16_acc", op, S, H, sms, s); }
    { MergedGluFp8Checked<__half, GeluPair<true>, Store::kFp8ScaledFloor> op{};
      op.merged = xh; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("chk_f16_fast", op, S, H, sms, s); }
    { MergedGluFp8Checked<__half, GeluPair<false>, Store::kFp8ScaledFloor> op{};
      op.merged = xh; op.out = o8; op.half_dim = H; op.enc.d_scale = d;
      sweep("chk_f16_acc", op, S, H, sms, s); }
    { SplitGluFp8Checked<__half, SiluPair, Store::kFp8Scaled> op{};
      op.gate = xh; op.up = xh + S * H; op.out = o8; op.enc.d_scale = d;
      sweep("chk_swiglu", op, 1, S * H, sms, s); }
  }
  return 0;
}
