// One kernel template for every row normalisation (SPEC 2.1 and the residual-fused norms of 2.3):
//   input       : x, or a residual stream updated in place first: r = residual + x (or
//                 + x * gate), residual <- RN(r); statistics from the unrounded r, the
//                 normalised value from RN(r) or from r, as each entry's contract says
//   statistics  : RMS (x^2 mean) or LayerNorm (two-pass mean / biased variance)
//   affine      : none, * w[c], or * w[c] + b[c]
//   modulation  : none, (1 + scale[c]) and + shift[c] from [D] vectors, or from a per-row
//                 style [S, 3D] = [scale | shift | gate] with the gate chunk copied out
//   output      : the input dtype, or FP8 E4M3 (unscaled / * 1/d with clamp / folded factor)
// All arithmetic in fp32; one final rounding per output (SPEC 1.2).
//
// Work split: `tpr` threads per row (a multiple of 32, up to 1024) each own VEC-element
// vectors at stride tpr*VEC. In the cached kernels the row lives in registers (up to
// kMaxIters vectors per thread: 65536 columns at VEC 8, 8192 at VEC 1), so x is read once;
// larger rows stream from memory (re-reads that mostly hit L2). There is no column cap.
#pragma once

#include <cuda_runtime.h>
#include <cstdint>

#include "flash_rt/device/fp8.cuh"
#include "flash_rt/device/reduce.cuh"
#include "flash_rt/device/vec.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::norm {

enum class Input {
  kPlain,    // x
  kAdd,      // r = residual + x;        residual <- RN(r)
  kGateAdd,  // r = residual + x * gate; residual <- RN(r)
};
enum class Stat { kRms, kLayer };
enum class Affine { kNone, kWeight, kWeightBias };
enum class Modulate { kNone, kColumns, kRowStyle };
enum class Out {
  kSame,             // RN to T
  kFp8,              // E4M3(y): no scale, no clamp, NaN stays NaN
  kFp8Scaled,        // E4M3(CLAMP448(y * (1 / *d_scale))), no floor
  kFp8Folded,        // f = rstd / max(*d_scale, 1e-12); E4M3(CLAMP448(x * f))
  kFp8ScaledFloor,   // E4M3(CLAMP448(y * (1 / max(*d_scale, 1e-12))))
};

// RoundedValue (residual inputs): normalise RN(r), the stored residual (weighted and AdaRMS
// entries), or the unrounded r (the no-weight FP8 entries).
template <typename T_, Stat S, Affine A, Modulate M, Out O, bool PreciseRsqrt = false,
          Input I = Input::kPlain, bool RoundedValue = true>
struct NormSpec {
  using T = T_;
  static constexpr Input kInput = I;
  static constexpr bool kRoundedValue = RoundedValue;
  static constexpr Stat kStat = S;
  static constexpr Affine kAffine = A;
  static constexpr Modulate kModulate = M;
  static constexpr Out kOut = O;
  static constexpr bool kPreciseRsqrt = PreciseRsqrt;
};

template <typename T>
struct NormArgs {
  const T* x = nullptr;          // [rows, dim]; with a residual input: the residual (updated)
  const T* addend = nullptr;     // [rows, dim]    (Input::kAdd / kGateAdd: the x added)
  const T* addend_gate = nullptr;  // [rows, dim]  (Input::kGateAdd)
  void* out = nullptr;           // [rows, dim] T or FP8 bytes (may alias x where the entry says so)
  const T* weight = nullptr;     // [dim]
  const T* bias = nullptr;       // [dim]
  const T* mod_scale = nullptr;  // [dim]          (Modulate::kColumns)
  const T* mod_shift = nullptr;  // [dim]          (Modulate::kColumns)
  const T* style = nullptr;      // [rows, 3*dim]  (Modulate::kRowStyle)
  T* gate_out = nullptr;         // [rows, dim]    (Modulate::kRowStyle)
  const float* d_scale = nullptr;  // [1] device, amax/448 (FP8 scaled outputs)
  int64_t rows = 0;
  int dim = 0;
  float eps = 0.f;
  bool pdl_trigger_late = false;  // set by launch_norm_rows_vec (device/launch.cuh says why)
};

// Register cache depth of the two cached kernels. The small one also prefetches the per-column
// and per-row operands (weight, bias, scale, shift, style) with x, before the reduction, so a
// small batch pays one memory round trip instead of two; the large one (big rows), and the small
// one for big batches (plan_rows: RowPlan::prefetch), load them after the reduction, where other
// warps hide the latency.
inline constexpr int kSmallIters = 2;
inline constexpr int kMaxIters = 8;

// Everything one VEC-wide column slice needs besides x, kept packed until it is used.
// Members an entry does not use are never touched, so they cost no registers.
template <typename T, int VEC>
struct Operands {
  device::Packed<T, VEC> w, b, sc, sh, gate;
};

template <class Spec, int VEC>
__device__ __forceinline__ void load_operands(const NormArgs<typename Spec::T>& a, int64_t row, int c,
                                              Operands<typename Spec::T, VEC>& o) {
  namespace dv = flash_rt::device;
  if constexpr (Spec::kAffine != Affine::kNone) o.w = dv::load_packed<VEC>(a.weight + c);
  if constexpr (Spec::kAffine == Affine::kWeightBias) o.b = dv::load_packed<VEC>(a.bias + c);
  if constexpr (Spec::kModulate == Modulate::kColumns) {
    o.sc = dv::load_packed<VEC>(a.mod_scale + c);
    o.sh = dv::load_packed<VEC>(a.mod_shift + c);
  } else if constexpr (Spec::kModulate == Modulate::kRowStyle) {
    const auto* st = a.style + row * 3 * static_cast<int64_t>(a.dim);
    o.sc = dv::load_packed<VEC>(st + c);
    o.sh = dv::load_packed<VEC>(st + a.dim + c);
    o.gate = dv::load_packed<VEC>(st + 2 * a.dim + c);
  }
}

// y = normalised x -> affine -> modulation -> output encoding; also writes gate_out.
template <class Spec, int VEC>
__device__ __forceinline__ void norm_store(const NormArgs<typename Spec::T>& a, int64_t row, int c,
                                           const float (&v)[VEC], const Operands<typename Spec::T, VEC>& o,
                                           float mean, float rstd, float out_mul) {
  using T = typename Spec::T;
  namespace dv = flash_rt::device;
  float y[VEC];
#pragma unroll
  for (int i = 0; i < VEC; ++i) y[i] = (Spec::kStat == Stat::kLayer ? v[i] - mean : v[i]) * rstd;
  if constexpr (Spec::kAffine != Affine::kNone) {
    float w[VEC];
    dv::unpack_float(o.w, w);
#pragma unroll
    for (int i = 0; i < VEC; ++i) y[i] *= w[i];
    if constexpr (Spec::kAffine == Affine::kWeightBias) {
      float b[VEC];
      dv::unpack_float(o.b, b);
#pragma unroll
      for (int i = 0; i < VEC; ++i) y[i] += b[i];
    }
  }
  const int64_t off = row * a.dim + c;
  if constexpr (Spec::kModulate != Modulate::kNone) {
    float sc[VEC], sh[VEC];
    dv::unpack_float(o.sc, sc);
    dv::unpack_float(o.sh, sh);
#pragma unroll
    for (int i = 0; i < VEC; ++i) y[i] = y[i] * (1.f + sc[i]) + sh[i];
    if constexpr (Spec::kModulate == Modulate::kRowStyle) dv::store_packed(a.gate_out + off, o.gate);
  }
  if constexpr (Spec::kOut == Out::kSame) {
    dv::store_float<VEC>(static_cast<T*>(a.out) + off, y);
  } else {
    if constexpr (Spec::kOut == Out::kFp8Scaled || Spec::kOut == Out::kFp8ScaledFloor) {
#pragma unroll
      for (int i = 0; i < VEC; ++i) y[i] = dv::clamp448(y[i] * out_mul);
    } else if constexpr (Spec::kOut == Out::kFp8Folded) {
#pragma unroll
      for (int i = 0; i < VEC; ++i) y[i] = dv::clamp448(y[i]);
    }
    dv::store_e4m3<VEC>(static_cast<uint8_t*>(a.out) + off, y);
  }
}

template <class Spec>
__device__ __forceinline__ float norm_rstd(float mean_square, float eps) {
  if constexpr (Spec::kPreciseRsqrt) return __frsqrt_rn(mean_square + eps);
  else return rsqrtf(mean_square + eps);
}

template <class Spec>
inline constexpr bool kUsesScale = Spec::kOut == Out::kFp8Scaled || Spec::kOut == Out::kFp8Folded ||
                                   Spec::kOut == Out::kFp8ScaledFloor;

// One VEC-wide slice of the row input, kept packed: x, or residual + addend (+ gate).
template <typename T, int VEC>
struct RowIn {
  device::Packed<T, VEC> x, add, gate;
};

template <class Spec, int VEC>
__device__ __forceinline__ RowIn<typename Spec::T, VEC> load_row_in(const NormArgs<typename Spec::T>& a,
                                                                   int64_t off) {
  namespace dv = flash_rt::device;
  RowIn<typename Spec::T, VEC> in;
  in.x = dv::load_packed<VEC>(a.x + off);
  if constexpr (Spec::kInput != Input::kPlain) in.add = dv::load_packed<VEC>(a.addend + off);
  if constexpr (Spec::kInput == Input::kGateAdd) in.gate = dv::load_packed<VEC>(a.addend_gate + off);
  return in;
}

// stat: what the statistics see (the unrounded r); val: what gets normalised.
template <class Spec, int VEC>
__device__ __forceinline__ void row_values(const RowIn<typename Spec::T, VEC>& in, float (&stat)[VEC],
                                           float (&val)[VEC]) {
  using T = typename Spec::T;
  namespace dv = flash_rt::device;
  dv::unpack_float(in.x, stat);
  if constexpr (Spec::kInput != Input::kPlain) {
    float add[VEC];
    dv::unpack_float(in.add, add);
    if constexpr (Spec::kInput == Input::kGateAdd) {
      float g[VEC];
      dv::unpack_float(in.gate, g);
#pragma unroll
      for (int i = 0; i < VEC; ++i) stat[i] += add[i] * g[i];
    } else {
#pragma unroll
      for (int i = 0; i < VEC; ++i) stat[i] += add[i];
    }
  }
#pragma unroll
  for (int i = 0; i < VEC; ++i)
    val[i] = (Spec::kInput != Input::kPlain && Spec::kRoundedValue)
                 ? dv::to_float(dv::from_float<T>(stat[i]))  // RN(r), the value stored back
                 : stat[i];
}

// The residual write-back of residual inputs: residual <- RN(r).
template <class Spec, int VEC>
__device__ __forceinline__ void store_residual(const NormArgs<typename Spec::T>& a, int64_t off,
                                               const float (&r)[VEC]) {
  if constexpr (Spec::kInput != Input::kPlain)
    device::store_float<VEC>(const_cast<typename Spec::T*>(a.x) + off, r);
}

// grid.x = ceil(rows / blockDim.y); block = (threads per row, rows per CTA).
// ITERS > 0: the row is cached in registers, ITERS vectors per thread at most (`iters` at run
// time); ITERS == 0: streaming, for rows larger than the cache.
// Residual inputs keep two or three packed vectors per slice in registers: at most 512
// threads per CTA, so each thread may use 128 registers without spilling.
template <class Spec>
inline constexpr int kMaxThreads = Spec::kInput == Input::kPlain ? 1024 : 512;

// The large-batch kernel (small cache, no prefetch) is bandwidth-bound and lives on occupancy:
// it asks for 2048 threads per SM, i.e. at most 32 registers. Without the bound the compiler
// gave the same LayerNorm kernel 62 registers after an unrelated change to the reduction
// (session 7), and the H100 benchmark lost what the no-prefetch plan had won (0.97 -> 0.85 of
// copy at 16384 x 4096).
// The residual inputs and the per-row style entries (more packed operands per slice) spill at
// 32 (20-36 bytes) and keep the compiler's choice.
template <class Spec, int ITERS, bool PREFETCH>
inline constexpr int kMinCtas = (ITERS == kSmallIters && !PREFETCH && Spec::kInput == Input::kPlain &&
                                 Spec::kModulate != Modulate::kRowStyle)
                                    ? 2048 / kMaxThreads<Spec>
                                    : 1;

template <class Spec, int VEC, int ITERS, bool PREFETCH = (ITERS > 0 && ITERS <= kSmallIters)>
__global__ void __launch_bounds__(kMaxThreads<Spec>, (kMinCtas<Spec, ITERS, PREFETCH>))
    norm_rows_kernel(NormArgs<typename Spec::T> a, int iters) {
  using T = typename Spec::T;
  namespace dv = flash_rt::device;
  constexpr bool kCached = ITERS > 0;
  constexpr bool kPrefetch = kCached && PREFETCH;
  // Reduction scratch: [0, 128) for the first reduction (64 floats per row of the CTA, enough
  // for row_sum2's pairs), [128, 256) for a second one, so no barrier is needed between them.
  __shared__ __align__(16) float scratch[256];
  const int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  const bool valid = row < a.rows;  // invalid rows still join the block-wide reductions
  const int step = blockDim.x * VEC;
  const int first = threadIdx.x * VEC;
  const float inv_dim = 1.f / static_cast<float>(a.dim);
  // The lines above read only the launch's parameters and built-ins, so they may run while PDL
  // holds this grid for the previous one: `ready` makes them finish before the wait instead of
  // after it (the compiler put the IEEE reciprocal, with its slow-path branch, after the wait).
  dv::ready(inv_dim);
  dv::ready(row);
  dv::pdl_wait();  // device/launch.cuh: before any global access
  if (!a.pdl_trigger_late) dv::pdl_trigger();
  // Issued first so its latency hides behind the row loads.
  float d_scale = 1.f;
  if constexpr (kUsesScale<Spec>) d_scale = valid ? *a.d_scale : 1.f;

  RowIn<T, VEC> xc[kCached ? ITERS : 1];
  Operands<T, VEC> oc[kPrefetch ? ITERS : 1];
  const int64_t row_off = row * a.dim;
  if constexpr (kCached) {
#pragma unroll
    for (int it = 0; it < ITERS; ++it) {
      const int c = first + it * step;
      if (valid && it < iters && c < a.dim) {
        xc[it] = load_row_in<Spec, VEC>(a, row_off + c);
        if constexpr (kPrefetch) load_operands<Spec, VEC>(a, row, c, oc[it]);
      }
    }
  }

  float mean = 0.f, rstd;
  if constexpr (Spec::kStat == Stat::kRms) {
    float acc = 0.f;
    if constexpr (kCached) {
#pragma unroll
      for (int it = 0; it < ITERS; ++it) {
        const int c = first + it * step;
        if (valid && it < iters && c < a.dim) {
          float st[VEC], v[VEC];
          row_values<Spec, VEC>(xc[it], st, v);
#pragma unroll
          for (int i = 0; i < VEC; ++i) acc += st[i] * st[i];
        }
      }
    } else {
      for (int c = first; valid && c < a.dim; c += step) {
        float st[VEC], v[VEC];
        row_values<Spec, VEC>(load_row_in<Spec, VEC>(a, row_off + c), st, v);
#pragma unroll
        for (int i = 0; i < VEC; ++i) acc += st[i] * st[i];
      }
    }
    rstd = norm_rstd<Spec>(dv::row_sum(acc, scratch) * inv_dim, a.eps);
  } else if constexpr (kCached) {
    // LayerNorm from the registers in one reduction round: sums of x and x^2, var = E[x^2] -
    // E[x]^2. The cancellation costs log2(mean^2 / var) bits; when that exceeds 6 of fp32's 24
    // (|mean| > 8 std: a row with a large common offset), the row falls back to the exact second
    // pass over the registers, so the result always has the accuracy of the two-pass formula
    // (SPEC 1.2). Until session 7 the sums were taken around a pivot (the row's first element,
    // one more load on the critical path), which made the fallback rarer but not more accurate.
    float2 acc = make_float2(0.f, 0.f);
#pragma unroll
    for (int it = 0; it < ITERS; ++it) {
      const int c = first + it * step;
      if (valid && it < iters && c < a.dim) {
        float st[VEC], v[VEC];
        row_values<Spec, VEC>(xc[it], st, v);
#pragma unroll
        for (int i = 0; i < VEC; ++i) {
          acc.x += st[i];
          acc.y += st[i] * st[i];
        }
      }
    }
    const float2 tot = dv::row_sum2(acc, scratch);
    mean = tot.x * inv_dim;
    float var = fmaxf(tot.y * inv_dim - mean * mean, 0.f);
    if (!(mean * mean <= 64.f * var)) {  // ill-conditioned (or NaN): exact second pass
      // The corrected two-pass formula around the first-pass mean m0 (as the streaming path):
      // sum(d) puts back the low bits that the fp32 sum of x lost (mean 100, std 0.01 at D = 83
      // was 3-425 ulps off without it, round 5 of session 7).
      float2 acc2 = make_float2(0.f, 0.f);
#pragma unroll
      for (int it = 0; it < ITERS; ++it) {
        const int c = first + it * step;
        if (valid && it < iters && c < a.dim) {
          float st[VEC], v[VEC];
          row_values<Spec, VEC>(xc[it], st, v);
#pragma unroll
          for (int i = 0; i < VEC; ++i) {
            const float d = st[i] - mean;
            acc2.x += d;
            acc2.y += d * d;
          }
        }
      }
      const float2 t2 = dv::row_sum2(acc2, scratch + 128);
      const float corr = t2.x * inv_dim;
      mean += corr;
      var = fmaxf(t2.y * inv_dim - corr * corr, 0.f);
    }
    rstd = norm_rstd<Spec>(var, a.eps);
  } else {
    // Streaming LayerNorm: a pass for the mean m0, a second for the sums of d = x - m0 and d^2
    // (the corrected two-pass formula): mean = m0 + sum(d) / D, var = sum(d^2) / D - (sum(d) /
    // D)^2. For a row with a large common offset (mean >> std; D = 70000 in the tests) the fp32
    // sum of x loses low bits of m0, enough that another summation order moved outputs by 2
    // ulps; sum(d) is over small terms and puts those bits back. Same passes, same loads.
    // Streaming rows are wide, so tpr >= 512 and one row per CTA: row_sum2's 64 floats per row
    // fit in scratch[128, 256) (the cached fallback above uses them the same way).
    float acc = 0.f;
    for (int c = first; valid && c < a.dim; c += step) {
      float st[VEC], v[VEC];
      row_values<Spec, VEC>(load_row_in<Spec, VEC>(a, row_off + c), st, v);
#pragma unroll
      for (int i = 0; i < VEC; ++i) acc += st[i];
    }
    const float m0 = dv::row_sum(acc, scratch) * inv_dim;
    float2 acc2 = make_float2(0.f, 0.f);
    for (int c = first; valid && c < a.dim; c += step) {
      float st[VEC], v[VEC];
      row_values<Spec, VEC>(load_row_in<Spec, VEC>(a, row_off + c), st, v);
#pragma unroll
      for (int i = 0; i < VEC; ++i) {
        const float d = st[i] - m0;
        acc2.x += d;
        acc2.y += d * d;
      }
    }
    const float2 tot = dv::row_sum2(acc2, scratch + 128);
    const float shift = tot.x * inv_dim;
    mean = m0 + shift;
    rstd = norm_rstd<Spec>(fmaxf(tot.y * inv_dim - shift * shift, 0.f), a.eps);
  }
  if (a.pdl_trigger_late) ::flash_rt::device::pdl_trigger();  // every thread, before any return
  if (!valid) return;

  float out_mul = 1.f;
  if constexpr (Spec::kOut == Out::kFp8Scaled) out_mul = 1.f / d_scale;
  if constexpr (Spec::kOut == Out::kFp8ScaledFloor) out_mul = 1.f / fmaxf(d_scale, 1e-12f);
  if constexpr (Spec::kOut == Out::kFp8Folded) rstd = rstd / fmaxf(d_scale, 1e-12f);

  // Each thread reads its own slice of the residual before writing it back (in the cached
  // kernels long before; streaming: read, then write), so the in-place update is safe.
  if constexpr (kCached) {
#pragma unroll
    for (int it = 0; it < ITERS; ++it) {
      const int c = first + it * step;
      if (it < iters && c < a.dim) {
        float st[VEC], v[VEC];
        row_values<Spec, VEC>(xc[it], st, v);
        store_residual<Spec, VEC>(a, row_off + c, st);
        if constexpr (kPrefetch) {
          norm_store<Spec, VEC>(a, row, c, v, oc[it], mean, rstd, out_mul);
        } else {
          Operands<T, VEC> o;
          load_operands<Spec, VEC>(a, row, c, o);
          norm_store<Spec, VEC>(a, row, c, v, o, mean, rstd, out_mul);
        }
      }
    }
  } else {
    for (int c = first; c < a.dim; c += step) {
      float st[VEC], v[VEC];
      row_values<Spec, VEC>(load_row_in<Spec, VEC>(a, row_off + c), st, v);
      Operands<T, VEC> o;
      load_operands<Spec, VEC>(a, row, c, o);
      store_residual<Spec, VEC>(a, row_off + c, st);
      norm_store<Spec, VEC>(a, row, c, v, o, mean, rstd, out_mul);
    }
  }
}

// ---- host side ---------------------------------------------------------------------------

struct RowPlan {
  int vec;           // elements per access: 8 (16-byte) or 1
  int tpr;           // threads per row
  int rows_per_cta;  // rows sharing one CTA
  int iters;         // vectors per thread (cached kernels)
  int cache;         // 0 streaming, kSmallIters or kMaxIters
  bool prefetch;     // kSmallIters only: operands loaded with x, before the reduction
};

// Batches with at least this many warps per SM (16384 x 4096 rows: 124) skip the operand
// prefetch (p.prefetch below).
inline constexpr int kNoPrefetchWarpsPerSm = 64;

// Picks the work split. Rows of up to kSmallIters vectors per thread at <= 1024 threads
// (16384 columns at VEC 8) take the prefetching kernel: every operand is in flight before the
// reduction, which is what both latency (small S) and bandwidth (large S) want. Small batches
// (fewer than 8 warps per SM) spread a row over more warps, down to one vector per thread:
// at decode sizes the per-thread arithmetic is on the critical path, as it was for the
// elementwise kernels (device/elementwise.cuh). Bigger rows take the deep cache, rows beyond
// it stream.
inline RowPlan plan_rows(int64_t rows, int dim, bool vec_ok, int num_sms, int max_tpr = 1024) {
  RowPlan p{};
  p.vec = vec_ok ? 8 : 1;
  const int64_t nvec = (dim + p.vec - 1) / p.vec;
  p.tpr = 32;
  while (p.tpr < max_tpr && p.tpr * int64_t{kSmallIters} < nvec) p.tpr *= 2;
  if (p.tpr * int64_t{kSmallIters} < nvec)  // too big for the small cache even at max_tpr threads
    while (p.tpr > 32 && (p.tpr / 2) * int64_t{kMaxIters} >= nvec) p.tpr /= 2;
  const bool fits = p.tpr * int64_t{kMaxIters} >= nvec;
  const int64_t target_warps = int64_t{num_sms} * 8;
  while (fits && p.tpr < max_tpr && p.tpr * 2 <= nvec && rows * (p.tpr / 32) < target_warps) p.tpr *= 2;
  p.iters = static_cast<int>((nvec + p.tpr - 1) / p.tpr);
  p.cache = !fits ? 0 : p.iters <= kSmallIters ? kSmallIters : kMaxIters;
  // Several rows share a CTA only when each row is one warp: then no row-level branch can
  // split a CTA's barriers (the LayerNorm fallback is decided per row).
  p.rows_per_cta = p.tpr == 32 ? 4 : 1;
  // Large batches load the operands after the reduction instead: the prefetch holds them in
  // registers across it (LayerNorm with weight and bias: 62 registers instead of 32, 4 CTAs of
  // 256 per SM instead of 8), and at that size other warps hide the second round trip. H100,
  // benchmark protocol, cold L2 (session 7): layer_norm_fp8 16384 x 4096 77.0 -> 69.0 us (0.87
  // -> 0.97 of copy), 16384 x 2048 38.0 -> 36.0; layer_norm_fp16 4096 x 2048 8.71 -> 7.95 us;
  // rms_norm_fp16 unchanged within 1%. Only the 16-byte path has the variant.
  p.prefetch = p.cache == kSmallIters &&
               !(p.vec == 8 && rows * (p.tpr / 32) >= int64_t{num_sms} * kNoPrefetchWarpsPerSm);
  return p;
}

// Not taken: a narrower split for bandwidth-bound LayerNorm with FP8 output (32 threads and 4
// rows per CTA at D = 2048). benchmarks/sweep_plans.cu, which replays one buffer, timed it
// faster (S = 16384: 38.4 -> 36.9 us), but the benchmark's cold-L2 protocol on the same H100
// timed it slower (37.9 -> 43.8 us, 0.88 -> 0.78 of copy). Plan changes go by the benchmark.
// Also not taken (session 7, same protocol): one 4-element vector per thread at S = 256, D =
// 2048 (256 CTAs of 512 threads, the band where the elementwise kernels left their slow timing
// mode): rms_norm_fp16 1.71 -> 1.74 us, layer_norm_fp16 1.99 -> 2.21, layer_norm_fp8 1.98 -> 2.28.

template <auto Kernel, typename T>
void launch_norm_rows_with(NormArgs<T> a, int iters, dim3 grid, dim3 block, cudaStream_t stream) {
  namespace dv = ::flash_rt::device;
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) == cudaSuccess &&
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) == cudaSuccess) {
    const int threads = static_cast<int>(block.x * block.y);
    // Grids of at most 4 CTAs per SM with rows of >= 128 threads also signal late, after the
    // statistics. H100, benchmarks/probe_norm_latency.cu (session 9), D = 2048, early / late:
    //   rms_norm_fp16          S = 1 1.17 / 1.03 us, 16 1.22 / 1.08, 64 1.23 / 1.21, 256 1.61 / 1.56
    //   plain_res_rms_fp8_fp16 S = 128 1.52 / 1.50, 256 1.83 / 1.74, 512 (tpr 256) 2.32 / 2.20
    // but with 64 threads per row the residual entry lost (S = 256: 2.19 / 2.82), so narrower rows
    // keep the early signal. Larger grids follow the parked-CTA rule.
    a.pdl_trigger_late = (grid.x <= 4u * static_cast<unsigned>(sms) && block.x >= 128) ||
                         dv::pdl_trigger_late(grid.x, dv::ctas_per_sm<Kernel>(dev, threads), sms);
  } else {
    (void)cudaGetLastError();
  }
  dv::launch(Kernel, grid, block, 0, stream, a, iters);
}

template <class Spec, int VEC>
void launch_norm_rows_vec(const NormArgs<typename Spec::T>& a, const RowPlan& p, dim3 grid, dim3 block,
                          cudaStream_t stream) {
  switch (p.cache) {
    case kSmallIters:
      if constexpr (VEC == 8) {
        if (!p.prefetch) {
          launch_norm_rows_with<norm_rows_kernel<Spec, VEC, kSmallIters, false>>(a, p.iters, grid, block, stream);
          break;
        }
      }
      launch_norm_rows_with<norm_rows_kernel<Spec, VEC, kSmallIters>>(a, p.iters, grid, block, stream);
      break;
    case kMaxIters: launch_norm_rows_with<norm_rows_kernel<Spec, VEC, kMaxIters>>(a, p.iters, grid, block, stream); break;
    default: launch_norm_rows_with<norm_rows_kernel<Spec, VEC, 0>>(a, p.iters, grid, block, stream); break;
  }
}

template <class Spec>
void launch_norm_rows(const NormArgs<typename Spec::T>& a, const RowPlan& p, cudaStream_t stream) {
  const dim3 block(p.tpr, p.rows_per_cta);
  const dim3 grid(static_cast<unsigned>((a.rows + p.rows_per_cta - 1) / p.rows_per_cta));
  if (p.vec == 8) launch_norm_rows_vec<Spec, 8>(a, p, grid, block, stream);
  else launch_norm_rows_vec<Spec, 1>(a, p, grid, block, stream);
}

}  // namespace flash_rt::norm
