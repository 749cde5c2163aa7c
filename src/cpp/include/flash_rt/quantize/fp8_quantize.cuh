// Per-tensor FP8 E4M3 quantize kernels of the quantize group (SPEC 2.4.1):
//   encode  : q = E4M3(CLAMP448(x * r)), r = 1 / scale from a device float (static entries and
//             the second pass of the dynamic ones), or q = E4M3(x) (the cast, no scale/clamp)
//   amax    : scale = max(amax / 448, 1e-12) of the whole tensor, by a per-CTA partial maximum
//             and one atomicMax per CTA into the (zeroed) scale slot
//   fused   : amax, scale and encode by one CTA, the tensor held in registers (small tensors)
//   resident: the same by one cooperative grid, the tensor held in the registers of one wave
//             (mid-size tensors, up to ~8M elements on an H100)
// All arithmetic in fp32; one final rounding to E4M3 (SPEC 1.2).
//
// Rounding made reproducible (the module is built with --prec-div=false, where `1.f / s` and
// `a / 448.f` are approximate):
//   * the reciprocal is __frcp_rn(scale): correctly rounded, computed once per thread;
//   * scale = __fdiv_rn(amax, 448): correctly rounded.
// A float32 reference doing the same correctly rounded operations gets the same bytes. The
// module's --ftz=true still applies: subnormal float32 values (a scale below 2^-126 or above
// 2^126, whose reciprocal is subnormal) are flushed to zero. Subnormal bf16 inputs (< 2^-126)
// are flushed too; with r <= 2^116 (a scale >= 2^-116 ~ 1.2e-35: always for the floored and
// dynamic entries) their products lie below half of E4M3's smallest subnormal (2^-9) and round
// to +-0 anyway, so the bytes do not change. Only quantize_fp8_static with a scale below 2^-116
// and subnormal inputs differs from an unflushed reference.
//
// amax is taken on the raw 16-bit patterns: |x| is the pattern with the sign bit cleared, and
// for non-negative IEEE values the unsigned order of the patterns is the order of the values,
// with every NaN above +inf. So amax is NaN when any element is NaN (torch.amax semantics), and
// the scale floor keeps the NaN (`s < 1e-12 ? 1e-12 : s`, not fmaxf): a NaN anywhere gives a NaN
// scale and then every output byte is E4M3(CLAMP448(NaN)) = 0xFE, loud rather than hidden.
//
// Work split (encode, amax): 256-thread CTAs, each thread handles U vectors of VEC elements per
// sweep (VEC 8 = 16-byte loads and 8-byte E4M3 stores, or VEC 1 on misaligned views), at most
// kCtasPerSm CTAs per SM in a grid-stride loop. The n % VEC tail elements go to CTA 0. Any n works.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cooperative_groups.h>
#include <cstdint>

#include "flash_rt/device/fp8.cuh"
#include "flash_rt/device/vec.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::quantize {

// How the encode kernel scales before converting.
enum class Scale {
  kNone,     // q = E4M3(x): no scale, no clamp (NaN stays NaN, |x| > 448 saturates)
  kRaw,      // q = E4M3(CLAMP448(x * rcp(*d_scale))), no floor
  kFloored,  // q = E4M3(CLAMP448(x * rcp(floor(*d_scale)))), floor(s) = s < 1e-12 ? 1e-12 : s
};

inline constexpr float kScaleFloor = 1e-12f;
inline constexpr float kE4M3Max = 448.f;
inline constexpr int kThreads = 256;     // encode / amax CTAs
inline constexpr int kCtasPerSm = 4;     // resident at any register use <= 64: the grid is one wave
inline constexpr int kFusedIters = 4;    // vectors per thread of the one-CTA dynamic kernel
inline constexpr int kFusedThreads = 1024;
inline constexpr int64_t kFusedMaxVectors = int64_t{kFusedIters} * kFusedThreads;

template <typename T>
struct Fp8Args {
  const T* x = nullptr;      // [n] bf16 / fp16
  uint8_t* out = nullptr;    // [n] E4M3 bytes
  float* d_scale = nullptr;  // [1] device: read (static), written (dynamic), unused (cast)
  int64_t n = 0;
  bool reverse = false;      // encode: sweep the tiles last to first (see launch_dynamic)
};

// The floor of the floored entries, NaN-preserving (a comparison with NaN is false).
__device__ __forceinline__ float floor_scale(float s) { return s < kScaleFloor ? kScaleFloor : s; }

// float of a 16-bit pattern with the sign bit cleared (exact).
template <typename T>
__device__ __forceinline__ float abs_bits_to_float(uint32_t bits);
template <>
__device__ __forceinline__ float abs_bits_to_float<__nv_bfloat16>(uint32_t bits) {
  return __uint_as_float(bits << 16);
}
template <>
__device__ __forceinline__ float abs_bits_to_float<__half>(uint32_t bits) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(bits)));
}

// scale = floor(amax / 448), correctly rounded; monotone in amax, so the maximum of the per-CTA
// scales is the scale of the global amax (what lets the CTAs atomicMax the scale directly).
template <typename T>
__device__ __forceinline__ float scale_of_amax_bits(uint32_t amax_bits) {
  return floor_scale(__fdiv_rn(abs_bits_to_float<T>(amax_bits), kE4M3Max));
}

// Running maximum of |x| patterns. For VEC 8 the 16-byte word is four 32-bit words of two
// 16-bit lanes each: a per-lane unsigned max keeps two maxima in `m` (fold_lanes joins them).
template <int VEC, typename T>
__device__ __forceinline__ uint32_t abs_max_bits(const device::Packed<T, VEC>& v, uint32_t m) {
  static_assert(sizeof(T) == 2, "16-bit inputs only");
  if constexpr (VEC == 8) {
    m = __vmaxu2(m, v.word.x & 0x7FFF7FFFu);
    m = __vmaxu2(m, v.word.y & 0x7FFF7FFFu);
    m = __vmaxu2(m, v.word.z & 0x7FFF7FFFu);
    m = __vmaxu2(m, v.word.w & 0x7FFF7FFFu);
    return m;
  } else {
    static_assert(VEC == 1, "VEC 8 or 1");
    // Lane-wise too: a scalar merged into maxima of the 8-wide path must land in the low lane,
    // not be compared against both packed lanes as one 32-bit number.
    return __vmaxu2(m, static_cast<uint32_t>(v.word) & 0x7FFFu);
  }
}

__device__ __forceinline__ uint32_t fold_lanes(uint32_t m) { return max(m & 0xFFFFu, m >> 16); }

// Maximum over the CTA (blockDim.x a multiple of 32). `scratch`: 32 words of shared memory.
// Every thread gets the result.
__device__ __forceinline__ uint32_t block_max(uint32_t v, uint32_t* scratch) {
  v = __reduce_max_sync(0xffffffffu, v);
  const int warps = blockDim.x >> 5;
  if (warps == 1) return v;
  if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = v;
  __syncthreads();
  uint32_t m = 0;
  for (int w = 0; w < warps; ++w) m = max(m, scratch[w]);
  return m;
}

template <Scale S>
__device__ __forceinline__ float reciprocal_of(float s) {
  if constexpr (S == Scale::kNone) return 1.f;
  if constexpr (S == Scale::kFloored) s = floor_scale(s);
  return __frcp_rn(s);  // correctly rounded, whatever --prec-div says
}

template <Scale S, int VEC>
__device__ __forceinline__ void encode_store(uint8_t* p, float (&y)[VEC], float r) {
  if constexpr (S != Scale::kNone) {
#pragma unroll
    for (int i = 0; i < VEC; ++i) y[i] = device::clamp448(y[i] * r);
  }
  device::store_e4m3<VEC>(p, y);
}

// ---- encode: static quantize and cast ----------------------------------------------------------

template <typename T, Scale S, int VEC, int U>
__global__ void __launch_bounds__(kThreads) fp8_encode_kernel(Fp8Args<T> a) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  namespace dv = flash_rt::device;
  // The scale load and the first vector loads are all in flight before the reciprocal is
  // formed, so one memory round trip covers both.
  float s = 1.f;
  if constexpr (S != Scale::kNone) s = *a.d_scale;
  const int64_t nvec = a.n / VEC;
  const int64_t tile = int64_t{kThreads} * U;
  const int64_t ntiles = (nvec + tile - 1) / tile;
  // Tile k of this CTA's sweep is blockIdx.x + k * gridDim.x, counted from the end when
  // a.reverse; `base` is this thread's first vector of it.
  auto base_of = [&](int64_t k) {
    const int64_t t = blockIdx.x + k * gridDim.x;
    return (a.reverse ? ntiles - 1 - t : t) * tile + threadIdx.x;
  };
  int64_t k = 0;
  int64_t base = base_of(0);
  dv::Packed<T, VEC> v[U];
  const bool first_ok = blockIdx.x < ntiles;
#pragma unroll
  for (int u = 0; u < U; ++u)
    if (first_ok && base + u * kThreads < nvec) v[u] = dv::load_packed<VEC>(a.x + (base + u * kThreads) * VEC);
  // The n % VEC tail (fewer than kThreads elements): CTA 0, one element per thread.
  const int64_t t = nvec * VEC + threadIdx.x;
  const bool tail = VEC > 1 && blockIdx.x == 0 && t < a.n;
  dv::Packed<T, 1> vt;
  if (tail) vt = dv::load_packed<1>(a.x + t);

  const float r = reciprocal_of<S>(s);
  while (blockIdx.x + k * gridDim.x < ntiles) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t i = base + u * kThreads;
      if (i < nvec) {
        float y[VEC];
        dv::unpack_float(v[u], y);
        encode_store<S, VEC>(a.out + i * VEC, y, r);
      }
    }
    ++k;
    const bool more = blockIdx.x + k * gridDim.x < ntiles;
    base = more ? base_of(k) : nvec;
#pragma unroll
    for (int u = 0; u < U; ++u)
      if (more && base + u * kThreads < nvec) v[u] = dv::load_packed<VEC>(a.x + (base + u * kThreads) * VEC);
  }
  if (tail) {
    float y[1];
    dv::unpack_float(vt, y);
    encode_store<S, 1>(a.out + t, y, r);
  }
}

// ---- amax: scale of a large tensor (the slot must hold 0 beforehand) -------------------------

template <typename T, int VEC, int U>
__global__ void __launch_bounds__(kThreads) fp8_amax_scale_kernel(Fp8Args<T> a) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  namespace dv = flash_rt::device;
  __shared__ uint32_t scratch[32];
  const int64_t nvec = a.n / VEC;
  const int64_t tile = int64_t{kThreads} * U;
  uint32_t m = 0;
  const int64_t t = nvec * VEC + threadIdx.x;  // the n % VEC tail: CTA 0
  if (VEC > 1 && blockIdx.x == 0 && t < a.n) m = abs_max_bits<1>(dv::load_packed<1>(a.x + t), m);
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * tile + threadIdx.x; base < nvec;
       base += int64_t{gridDim.x} * tile) {
    dv::Packed<T, VEC> v[U];
#pragma unroll
    for (int k = 0; k < U; ++k)
      if (base + k * kThreads < nvec) v[k] = dv::load_packed<VEC>(a.x + (base + k * kThreads) * VEC);
#pragma unroll
    for (int k = 0; k < U; ++k)
      if (base + k * kThreads < nvec) m = abs_max_bits<VEC>(v[k], m);
  }
  m = block_max(fold_lanes(m), scratch);
  // One atomic per CTA. Scales are non-negative floats or a positive NaN, whose bit patterns
  // order like their values (NaN above +inf), so an unsigned max of the patterns is the max.
  if (threadIdx.x == 0)
    atomicMax(reinterpret_cast<unsigned int*>(a.d_scale), __float_as_uint(scale_of_amax_bits<T>(m)));
}

// ---- fused: amax, scale and quantize of a small tensor by one CTA ----------------------------

// grid 1; blockDim.x a multiple of 32 with blockDim.x * iters * VEC >= n - n % VEC, and
// blockDim.x > n % VEC (the tail elements, one per thread).
template <typename T, int VEC>
__global__ void __launch_bounds__(kFusedThreads) fp8_dynamic_cta_kernel(Fp8Args<T> a, int iters) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  namespace dv = flash_rt::device;
  __shared__ uint32_t scratch[32];
  const int64_t nvec = a.n / VEC;
  dv::Packed<T, VEC> v[kFusedIters];
  uint32_t m = 0;
#pragma unroll
  for (int it = 0; it < kFusedIters; ++it) {
    const int64_t i = int64_t{it} * blockDim.x + threadIdx.x;
    if (it < iters && i < nvec) v[it] = dv::load_packed<VEC>(a.x + i * VEC);
  }
  const int64_t t = nvec * VEC + threadIdx.x;
  const bool tail = VEC > 1 && t < a.n;
  dv::Packed<T, 1> vt;
  if (tail) vt = dv::load_packed<1>(a.x + t);
#pragma unroll
  for (int it = 0; it < kFusedIters; ++it) {
    const int64_t i = int64_t{it} * blockDim.x + threadIdx.x;
    if (it < iters && i < nvec) m = abs_max_bits<VEC>(v[it], m);
  }
  if (tail) m = abs_max_bits<1>(vt, m);

  const float scale = scale_of_amax_bits<T>(block_max(fold_lanes(m), scratch));
  if (threadIdx.x == 0) *a.d_scale = scale;
  const float r = __frcp_rn(scale);
#pragma unroll
  for (int it = 0; it < kFusedIters; ++it) {
    const int64_t i = int64_t{it} * blockDim.x + threadIdx.x;
    if (it < iters && i < nvec) {
      float y[VEC];
      dv::unpack_float(v[it], y);
      encode_store<Scale::kRaw, VEC>(a.out + i * VEC, y, r);
    }
  }
  if (tail) {
    float y[1];
    dv::unpack_float(vt, y);
    encode_store<Scale::kRaw, 1>(a.out + t, y, r);
  }
}

// ---- resident: amax, scale and quantize by one cooperative grid (mid-size tensors) ----------

inline constexpr int kResidentThreads = 512;
inline constexpr int kResidentCtasPerSm = 2;   // at most: fewer CTAs, fewer arrivals at the barrier
inline constexpr uint32_t kSlotRead = 0x80000000u;  // a slot's "every value read" flag (sign bit)

// The whole tensor is held in registers by one wave of CTAs (U vectors of 8 per thread, one
// sweep), so x is read once and there is one launch instead of memset + amax + encode (three
// graph nodes, ~5 us at 256 x 2048 on the H100, where the data moves in under 1 us).
// The reduction needs one grid barrier (the driver's) and no scratch: the per-CTA partial
// scales go into the first 4 * grid bytes of `out`, which belong to CTA 0's own output and are
// written last:
//   1. every CTA loads its vectors, forms its partial scale, stores it in slot blockIdx.x;
//   2. grid barrier; every CTA reads all slots and takes the maximum (the same in every CTA),
//      then marks its own slot read (sign bit: scales are non-negative or a positive NaN);
//   3. every CTA encodes its registers; CTA 0 first waits until every slot is marked (no CTA
//      still reads the slots), writes *d_scale, then overwrites the slots with its output.
// Launched with launch_cooperative. Needs grid * kResidentThreads * U * 8 >= n - n % 8 and
// 4 * grid <= 8 * kResidentThreads * U (plan_resident); `out` must not overlap `x`.
template <typename T, int U>
__global__ void __launch_bounds__(kResidentThreads) fp8_dynamic_grid_kernel(Fp8Args<T> a) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  namespace dv = flash_rt::device;
  namespace cg = cooperative_groups;
  constexpr int VEC = 8;
  __shared__ uint32_t scratch[32];
  const int64_t nvec = a.n / VEC;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kResidentThreads * U + threadIdx.x;
  dv::Packed<T, VEC> v[U];
#pragma unroll
  for (int k = 0; k < U; ++k)
    if (base + k * kResidentThreads < nvec) v[k] = dv::load_packed<VEC>(a.x + (base + k * kResidentThreads) * VEC);
  const int64_t t = nvec * VEC + threadIdx.x;  // the n % VEC tail: CTA 0, one element per thread
  const bool tail = blockIdx.x == 0 && t < a.n;
  dv::Packed<T, 1> vt;
  if (tail) vt = dv::load_packed<1>(a.x + t);
  uint32_t m = 0;
#pragma unroll
  for (int k = 0; k < U; ++k)
    if (base + k * kResidentThreads < nvec) m = abs_max_bits<VEC>(v[k], m);
  if (tail) m = abs_max_bits<1>(vt, m);
  const uint32_t partial = __float_as_uint(scale_of_amax_bits<T>(block_max(fold_lanes(m), scratch)));

  uint32_t* slots = reinterpret_cast<uint32_t*>(a.out);
  if (threadIdx.x == 0) slots[blockIdx.x] = partial;
  cg::this_grid().sync();
  uint32_t s = 0;
  for (int i = threadIdx.x; i < static_cast<int>(gridDim.x); i += kResidentThreads)
    s = max(s, __ldcg(slots + i) & ~kSlotRead);  // scales order like their bit patterns
  s = block_max(s, scratch);  // returns after every thread's slot loads have completed
  if (threadIdx.x == 0) reinterpret_cast<volatile uint32_t*>(slots)[blockIdx.x] = partial | kSlotRead;
  const float scale = __uint_as_float(s);
  if (blockIdx.x == 0) {
    for (int i = threadIdx.x; i < static_cast<int>(gridDim.x); i += kResidentThreads)
      while (!(reinterpret_cast<volatile uint32_t*>(slots)[i] & kSlotRead)) {
      }
    if (threadIdx.x == 0) *a.d_scale = scale;
    __syncthreads();
  }
  const float r = __frcp_rn(scale);
#pragma unroll
  for (int k = 0; k < U; ++k) {
    const int64_t i = base + k * kResidentThreads;
    if (i < nvec) {
      float y[VEC];
      dv::unpack_float(v[k], y);
      encode_store<Scale::kRaw, VEC>(a.out + i * VEC, y, r);
    }
  }
  if (tail) {
    float y[1];
    dv::unpack_float(vt, y);
    encode_store<Scale::kRaw, 1>(a.out + t, y, r);
  }
}

// ---- host side ---------------------------------------------------------------------------------

struct Fp8Plan {
  int vec;     // elements per access: 8 (16-byte loads, 8-byte stores) or 1
  int unroll;  // vectors per thread per sweep: 1, 2 or 4
  int grid;    // CTAs of kThreads
};

// One wave of at most kCtasPerSm CTAs per SM; each thread takes as many vectors per sweep (1, 2,
// 4) as that wave needs to cover the tensor once, so small tensors spread one vector per thread
// over many SMs and large ones keep 4 loads per thread in flight. The scalar path takes 4.
inline Fp8Plan plan_fp8(int64_t n, bool vec_ok, int num_sms) {
  Fp8Plan p{};
  p.vec = vec_ok ? 8 : 1;
  const int64_t nvec = n / p.vec;
  const int64_t wave = int64_t{num_sms > 0 ? num_sms : 1} * kCtasPerSm;
  const int64_t per_thread = (nvec + wave * kThreads - 1) / (wave * kThreads);
  p.unroll = p.vec == 1 || per_thread > 2 ? 4 : per_thread > 1 ? 2 : 1;
  const int64_t tile = int64_t{kThreads} * p.unroll;
  const int64_t blocks = (nvec + tile - 1) / tile;
  p.grid = static_cast<int>(blocks < 1 ? 1 : blocks > wave ? wave : blocks);
  return p;
}

template <typename T, Scale S>
void launch_fp8_encode(const Fp8Args<T>& a, const Fp8Plan& p, cudaStream_t stream) {
  const dim3 grid(p.grid), block(kThreads);
  if (p.vec == 1) {
    ::flash_rt::device::launch(fp8_encode_kernel<T, S, 1, 4>, grid, block, 0, stream, a);
    return;
  }
  switch (p.unroll) {
    case 1: ::flash_rt::device::launch(fp8_encode_kernel<T, S, 8, 1>, grid, block, 0, stream, a); break;
    case 2: ::flash_rt::device::launch(fp8_encode_kernel<T, S, 8, 2>, grid, block, 0, stream, a); break;
    default: ::flash_rt::device::launch(fp8_encode_kernel<T, S, 8, 4>, grid, block, 0, stream, a); break;
  }
}

template <typename T>
void launch_fp8_amax_scale(const Fp8Args<T>& a, const Fp8Plan& p, cudaStream_t stream) {
  const dim3 grid(p.grid), block(kThreads);
  if (p.vec == 1) {
    ::flash_rt::device::launch(fp8_amax_scale_kernel<T, 1, 4>, grid, block, 0, stream, a);
    return;
  }
  switch (p.unroll) {
    case 1: ::flash_rt::device::launch(fp8_amax_scale_kernel<T, 8, 1>, grid, block, 0, stream, a); break;
    case 2: ::flash_rt::device::launch(fp8_amax_scale_kernel<T, 8, 2>, grid, block, 0, stream, a); break;
    default: ::flash_rt::device::launch(fp8_amax_scale_kernel<T, 8, 4>, grid, block, 0, stream, a); break;
  }
}

// The resident (cooperative) plan: the smallest U of 1, 2, 4, 8 for which one wave of at most
// kResidentCtasPerSm CTAs per SM (and at most the kernel's occupancy) holds every vector. grid 0:
// the tensor is too large (or the occupancy unknown); take memset + amax + encode.
struct ResidentPlan {
  int unroll = 0;
  int grid = 0;
};

template <typename T>
int resident_ctas_per_sm(int device, int unroll) {
  namespace dv = flash_rt::device;
  switch (unroll) {
    case 1: return dv::ctas_per_sm<fp8_dynamic_grid_kernel<T, 1>>(device, kResidentThreads);
    case 2: return dv::ctas_per_sm<fp8_dynamic_grid_kernel<T, 2>>(device, kResidentThreads);
    case 4: return dv::ctas_per_sm<fp8_dynamic_grid_kernel<T, 4>>(device, kResidentThreads);
    default: return dv::ctas_per_sm<fp8_dynamic_grid_kernel<T, 8>>(device, kResidentThreads);
  }
}

template <typename T>
ResidentPlan plan_resident(int64_t n, int device, int num_sms) {
  ResidentPlan p;
  const int64_t nvec = n / 8;
  for (int u = 1; u <= 8; u *= 2) {
    int per_sm = resident_ctas_per_sm<T>(device, u);
    per_sm = per_sm < kResidentCtasPerSm ? per_sm : kResidentCtasPerSm;
    const int64_t wave = int64_t{per_sm} * num_sms;
    const int64_t tile = int64_t{kResidentThreads} * u;
    const int64_t blocks = (nvec + tile - 1) / tile;
    // The slots (4 bytes per CTA) must lie in CTA 0's whole vectors: 4 * grid <= 8 * tile.
    if (per_sm > 0 && blocks <= wave && 4 * blocks <= 8 * tile && blocks >= 1) {
      p.unroll = u;
      p.grid = static_cast<int>(blocks);
      return p;
    }
  }
  return p;
}

template <typename T>
cudaError_t launch_fp8_dynamic_resident(const Fp8Args<T>& a, const ResidentPlan& p, cudaStream_t stream) {
  namespace dv = flash_rt::device;
  const dim3 grid(p.grid), block(kResidentThreads);
  switch (p.unroll) {
    case 1: return dv::launch_cooperative(fp8_dynamic_grid_kernel<T, 1>, grid, block, 0, stream, a);
    case 2: return dv::launch_cooperative(fp8_dynamic_grid_kernel<T, 2>, grid, block, 0, stream, a);
    case 4: return dv::launch_cooperative(fp8_dynamic_grid_kernel<T, 4>, grid, block, 0, stream, a);
    default: return dv::launch_cooperative(fp8_dynamic_grid_kernel<T, 8>, grid, block, 0, stream, a);
  }
}

// True when one CTA holds the whole tensor in registers (kFusedIters vectors per thread).
inline bool fits_one_cta(int64_t n, bool vec_ok) {
  const int vec = vec_ok ? 8 : 1;
  return (n + vec - 1) / vec <= kFusedMaxVectors;
}

template <typename T>
void launch_fp8_dynamic_cta(const Fp8Args<T>& a, bool vec_ok, cudaStream_t stream) {
  const int vec = vec_ok ? 8 : 1;
  const int64_t nvec = a.n / vec;
  const int iters = static_cast<int>(nvec <= kFusedThreads ? 1 : (nvec + kFusedThreads - 1) / kFusedThreads);
  int64_t threads = (nvec + iters - 1) / iters;
  threads = threads < vec ? vec : threads;  // one thread per tail element at least (tail < vec)
  threads = (threads + 31) / 32 * 32;
  const dim3 block(static_cast<unsigned>(threads));
  if (vec == 8) ::flash_rt::device::launch(fp8_dynamic_cta_kernel<T, 8>, 1, block, 0, stream, a, iters);
  else ::flash_rt::device::launch(fp8_dynamic_cta_kernel<T, 1>, 1, block, 0, stream, a, iters);
}

}  // namespace flash_rt::quantize
