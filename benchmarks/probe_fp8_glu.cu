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
// of copy). Variants (v): 0 the launcher's plan, then VEC 8 / 4 / 2 with one item per thread x PDL
// trigger early / late, then VEC 8 with four items per thread (the large-size kernel) x early / late.
// 7-10: entries 0-3 computed by the candidate below (the SFU forms, checked, with the contract's
// form for elements near an E4M3 rounding boundary): their bytes must equal the entries'.
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
                                 "v8x4 early", "v8x4 late"};

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
  if (v > 8) return -4;
  const int vec = v <= 2 || v >= 7 ? 8 : v <= 4 ? 4 : 2;
  const int items = v >= 7 ? kEwMaxItems : 1;
  EwPlan p = plan_elementwise_at(rows, cols, Op::kRowwise, vec, items);
  p.trigger_late = v % 2 == 0;
  if (items == kEwMaxItems) launch(elementwise_kernel<Op, 8, kEwMaxItems>, ew_grid(p), kEwThreads, 0, s, op, p);
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

// ---- candidate: the FP8 GLUs' exact bytes from the SFU forms -------------------------------------
// Session 15, round 1 (C++ timer): the accurate expf / division cost ~15 more instructions per
// element than the SFU forms (activation/functions.cuh), and at S = 64 the math is ~0.5 us of the
// kernel. The SFU form stays within a small relative distance of the contract's (probe_delta
// measures it over every 16-bit input; the margin below assumes < 2^-14) while its base-2 exponent stays <= 120 (past it the accurate division scales its operands) and
// 1 / d <= 2^100 (a product flushed to zero in one form and not the other is < 2^-26 after scaling:
// E4M3 zero either way). So wherever q (1 - 2^-13) and q (1 + 2^-13) round to the same code, that
// code is the contract's. The few elements near a rounding boundary (~0.3%) are re-done with the
// contract's form one at a time by the whole warp (ballot + shuffle), so no lane diverges.
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
  const float inv = 1.f / (S == Store::kFp8ScaledFloor ? fmaxf(d, 1e-12f) : d);
  if constexpr (V == 1) {
    p[0] = device::e4m3(device::clamp448(A::exact(g[0]) * u[0] * inv));
  } else {
    constexpr int P = V / 2;
    constexpr float lo = 1.f - 0x1p-13f, hi = 1.f + 0x1p-13f;
    const bool scale_ok = inv <= 0x1p100f;
    uint32_t code[P];
    uint32_t redo = 0;  // bit i: element i takes the contract's form
#pragma unroll
    for (int j = 0; j < P; ++j) {
      bool ok0 = scale_ok, ok1 = scale_ok;
      const float q0 = device::clamp448(A::fast(g[2 * j], ok0) * u[2 * j] * inv);
      const float q1 = device::clamp448(A::fast(g[2 * j + 1], ok1) * u[2 * j + 1] * inv);
      code[j] = device::e4m3x2(q0 * lo, q1 * lo);
      const uint32_t diff = code[j] ^ device::e4m3x2(q0 * hi, q1 * hi);
      redo |= ((!ok0 || (diff & 0xFFu)) ? 1u : 0u) << (2 * j);
      redo |= ((!ok1 || (diff & 0xFF00u)) ? 1u : 0u) << (2 * j + 1);
    }
    const unsigned active = __activemask();
    const int lane = static_cast<int>(threadIdx.x % 32);
    for (unsigned any = __ballot_sync(active, redo != 0); any != 0; any = __ballot_sync(active, redo != 0)) {
      const int leader = __ffs(static_cast<int>(any)) - 1;
      const int mine = __ffs(static_cast<int>(redo)) - 1;
      float sg = 0.f, su = 0.f;
#pragma unroll
      for (int i = 0; i < V; ++i)
        if (mine == i) sg = g[i], su = u[i];
      const int idx = __shfl_sync(active, mine, leader);
      sg = __shfl_sync(active, sg, leader);
      su = __shfl_sync(active, su, leader);
      const uint32_t c = device::e4m3x2(device::clamp448(A::exact(sg) * su * inv), 0.f) & 0xFFu;
      if (lane == leader) {
#pragma unroll
        for (int j = 0; j < P; ++j)
          if (idx / 2 == j) code[j] = (idx & 1) ? ((code[j] & 0x00FFu) | (c << 8)) : ((code[j] & 0xFF00u) | c);
        redo &= redo - 1;
      }
    }
    if constexpr (V == 2) *reinterpret_cast<uint16_t*>(p) = static_cast<uint16_t>(code[0]);
    else if constexpr (V == 4) *reinterpret_cast<uint32_t*>(p) = code[0] | (code[1] << 16);
    else *reinterpret_cast<uint2*>(p) = make_uint2(code[0] | (code[1] << 16), code[2] | (code[3] << 16));
  }
}

template <typename T, class A, Store S>
struct MergedChecked : device::EwOp {
  static constexpr bool kRowwise = true;
  static constexpr device::EwMath kMath = device::EwMath::kAccurate;
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
    return {device::load_packed<V>(m), device::load_packed<V>(m + half_dim)};
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
struct SplitChecked : device::EwOp {
  static constexpr device::EwMath kMath = device::EwMath::kAccurate;
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
    return {device::load_packed<V>(gate + c), device::load_packed<V>(up + c)};
  }
  template <int V>
  __device__ __forceinline__ void store(int64_t, int64_t c, const Regs<V>& r) const {
    float g[V], u[V];
    device::unpack_float(r.g, g);
    device::unpack_float(r.u, u);
    store_checked<A, S, V>(out + c, g, u, enc.d);
  }
};

// Largest relative difference of A::fast from A::exact over every 16-bit input whose flag stays
// set (non-finite pairs must be equal, else 1), as float bits (atomicMax on non-negative floats).
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
  float r;
  if (!isfinite(a) || !isfinite(f) || a == 0.f) r = (f == a || (isnan(f) && isnan(a))) ? 0.f : 1.f;
  else r = fabsf(f - a) / fabsf(a);
  atomicMax(worst, __float_as_uint(r));
}

template <class Op>
int checked(int v, Op op, const void* out, const void* d, int64_t rows, int64_t cols, cudaStream_t s) {
  op.out = static_cast<uint8_t*>(const_cast<void*>(out));
  op.enc.d_scale = static_cast<const float*>(d);
  return run(v, op, rows, cols, s);
}

}  // namespace

// worst[0..3]: GELU (expf) over bf16 inputs, over fp16, GELU (__expf) over fp16, SiLU over fp16.
extern "C" int probe_delta(float* worst) {
  unsigned* w = nullptr;
  if (cudaMalloc(&w, 16) != cudaSuccess || cudaMemset(w, 0, 16) != cudaSuccess) return -1;
  delta_kernel<__nv_bfloat16, GeluPair<false>><<<256, 256>>>(w);
  delta_kernel<__half, GeluPair<false>><<<256, 256>>>(w + 1);
  delta_kernel<__half, GeluPair<true>><<<256, 256>>>(w + 2);
  delta_kernel<__half, SiluPair><<<256, 256>>>(w + 3);
  const bool ok = cudaMemcpy(worst, w, 16, cudaMemcpyDeviceToHost) == cudaSuccess;
  cudaFree(w);
  return ok ? 0 : -2;
}

extern "C" const char* probe_variant_name(int v) { return v >= 0 && v < 9 ? kVariants[v] : nullptr; }

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
    case 7: { MergedChecked<__nv_bfloat16, GeluPair<false>, Store::kFp8Scaled> op{};
      op.merged = static_cast<const __nv_bfloat16*>(a); op.half_dim = H;
      return checked(v, op, out, d, S, H, s); }
    case 8: { MergedChecked<__half, GeluPair<true>, Store::kFp8ScaledFloor> op{};
      op.merged = static_cast<const __half*>(a); op.half_dim = H;
      return checked(v, op, out, d, S, H, s); }
    case 9: { MergedChecked<__half, GeluPair<false>, Store::kFp8ScaledFloor> op{};
      op.merged = static_cast<const __half*>(a); op.half_dim = H;
      return checked(v, op, out, d, S, H, s); }
    case 10: { SplitChecked<__half, SiluPair, Store::kFp8Scaled> op{};
      op.gate = static_cast<const __half*>(a); op.up = static_cast<const __half*>(b);
      return checked(v, op, out, d, 1, int64_t{S} * H, s); }
    default: return -4;
  }
}
