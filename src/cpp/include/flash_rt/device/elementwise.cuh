// One launch template for elementwise entries (activations, GLU gates, residual updates,
// casts, quantizers): the index space, the vector width, the grid, and the launch.
//
// Index space: `rows` rows of `cols` elements. Flat entries (one element count n) use
// rows = 1, cols = n; row-wise entries (a merged [S, 2H] GLU, a [D] bias broadcast over rows)
// use their rows. Work is counted in vectors of VEC elements: VEC = 8 (16-byte accesses for
// 2-byte types) when the launcher has checked every base address and, for row-wise ops, that
// a vector never straddles a row (cols % 8 == 0), VEC = 2 instead for inference-size spaces
// (elementwise_width says why), VEC = 1 otherwise. A flat space whose n is not a multiple of
// VEC runs its vector body at VEC and its last n % VEC elements one per thread in the last
// block, so no element is ever left untouched (SPEC 1.3 hazard).
//
// An Op is a small struct (passed by value as a kernel parameter) with
//   static constexpr bool kRowwise;          // false: row is always 0, col is the flat index
//   static constexpr EwMath kMath;           // the arithmetic per element (elementwise_width)
//   __device__ void init();                 // per thread, once (e.g. load a device scale)
//   template <int V> __device__ auto load(int64_t row, int64_t col) const;   // V operands, packed
//   template <int V> __device__ void store(int64_t row, int64_t col, const Regs&) const;
// Two phases so that every item of a thread has its loads in flight before the first store:
// an in-place op stores where a later item loads, so the compiler could not reorder them.
// `EwOp` supplies the defaults; `MapOp` below is a ready-made op for "out = f(in0, in1, ...)"
// over flat buffers of one dtype.
#pragma once

#include <cuda_runtime.h>
#include <cstdint>
#include <initializer_list>

#include "flash_rt/core/check.h"
#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/dtype.h"
#include "flash_rt/device/fp8.cuh"
#include "flash_rt/device/vec.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::device {

// CUDA storage type -> DType (for the launchers' dtype checks).
template <typename T> inline constexpr DType kDTypeOf = DType::kUnknown;
template <> inline constexpr DType kDTypeOf<__half> = DType::kF16;
template <> inline constexpr DType kDTypeOf<__nv_bfloat16> = DType::kBF16;

inline constexpr int kEwThreads = 256;  // threads per block
inline constexpr int kEwMaxItems = 4;   // vectors per thread the kernel template allows (plans use 1)

// The arithmetic per element, for the plan (elementwise_width): a few FMA-pipe operations (ReLU,
// residual updates, casts); an exp on the special-function unit (activation/functions.cuh: the
// 16-bit outputs' GELU / SiLU); or the accurate expf and division (~30 instructions: the FP8-output
// GLUs, whose bytes the contract fixes).
enum class EwMath { kCheap, kSfu, kAccurate };

struct EwOp {
  static constexpr bool kRowwise = false;
  static constexpr EwMath kMath = EwMath::kCheap;
  __device__ __forceinline__ void init() {}
};

// Kernel parameters besides the op (filled by plan_elementwise).
struct EwPlan {
  int vec = 1;             // 8, 2 or 1 (the sweep also times 4)
  int items = 1;           // vectors per thread: 1 (plans), kEwMaxItems in the probes only
  int tail = 0;            // flat spaces only: trailing elements (< vec) done one per thread
  int64_t row_vecs = 0;    // vectors per row
  int64_t total = 0;       // vectors in the space: rows * row_vecs
  int64_t tail_col = 0;    // first element of the tail (= row_vecs * vec)
  int64_t step_rows = 0;   // a step of kEwThreads vectors, as whole rows ...
  int64_t step_cols = 0;   // ... plus vectors (row-wise position tracking without division)
  uint32_t div_mul = 0;    // v / row_vecs for v < 2^32 as (umulhi(v, div_mul) + v) >> div_shr
  uint32_t div_shr = 0;    // (Granlund-Montgomery; row-wise spaces of < 2^32 vectors)
  int64_t blocks = 1;      // CTAs in the grid (run_elementwise rejects more than a grid holds)
  int64_t row_ctas = 0;    // row-wise, one item: CTAs per row of a 2-D grid (blockIdx.y = row); 0: 1-D
  bool trigger_late = false;  // PDL: let the next grid in after the loads (ew_trigger_late)
};

// ew_trigger_late (device/launch.cuh): when a grid lets the next one in after its loads.

// Blocks cover kEwThreads * ITEMS consecutive vectors; item k of thread t is vector
// block_base + k * kEwThreads + t (coalesced across the warp for every k). The plans use one
// item per thread at every size (plan_elementwise_at says why); ITEMS stays a template
// parameter for the probes that time the alternative (benchmarks/probe_fp8_glu.cu).
// PDL: grids of at least one CTA per SM let the next grid in after this thread's loads are
// issued (except row-wise ones at VEC 8), the others at the start (run_elementwise).
template <class Op, int VEC, int ITEMS>
__global__ void __launch_bounds__(kEwThreads) elementwise_kernel(Op op, const EwPlan p) {
  ::flash_rt::device::pdl_wait();  // device/launch.cuh: before any global access
  if (!p.trigger_late) ::flash_rt::device::pdl_trigger();
  op.init();
  const int64_t first = static_cast<int64_t>(blockIdx.x) * (kEwThreads * ITEMS) + threadIdx.x;
  int64_t row0 = 0, col0 = first;  // position of the thread's first vector
  // 2-D grid (ew_grid): the position comes from the block indices, no division.
  const bool two_d = Op::kRowwise && ITEMS == 1 && p.row_ctas > 0;
  if constexpr (Op::kRowwise) {
    if (two_d) {
      row0 = blockIdx.y;
      col0 = first;  // blockIdx.x * kEwThreads + threadIdx.x
    } else if (p.total <= 0xFFFFFFFFll) {  // a multiply-high instead of a division (the first load waits on it)
      const auto v = static_cast<uint32_t>(first);  // threads past the end wrap; they do nothing
      const auto q = static_cast<uint32_t>((static_cast<uint64_t>(__umulhi(v, p.div_mul)) + v) >> p.div_shr);
      row0 = q;
      col0 = first - static_cast<int64_t>(q) * p.row_vecs;
    } else {
      row0 = first / p.row_vecs;
      col0 = first - row0 * p.row_vecs;
    }
  }
  using Regs = decltype(op.template load<VEC>(int64_t{0}, int64_t{0}));
  Regs r[ITEMS];
  {
    int64_t row = row0, col = col0;
#pragma unroll
    for (int k = 0; k < ITEMS; ++k) {
      if (two_d ? col < p.row_vecs : first + k * kEwThreads < p.total) r[k] = op.template load<VEC>(row, col * VEC);
      if constexpr (Op::kRowwise) {
        row += p.step_rows;
        col += p.step_cols;
        if (col >= p.row_vecs) { col -= p.row_vecs; ++row; }
      } else {
        col += kEwThreads;
      }
    }
  }
  if (p.trigger_late) {
    ::flash_rt::device::pdl_trigger();
#pragma unroll
    for (int k = 0; k < ITEMS; ++k)  // no unpack above the trigger (fence_packed, device/vec.cuh)
      if constexpr (requires { r[k].fence(); }) r[k].fence();
  }
  {
    int64_t row = row0, col = col0;
#pragma unroll
    for (int k = 0; k < ITEMS; ++k) {
      if (two_d ? col < p.row_vecs : first + k * kEwThreads < p.total) op.template store<VEC>(row, col * VEC, r[k]);
      if constexpr (Op::kRowwise) {
        row += p.step_rows;
        col += p.step_cols;
        if (col >= p.row_vecs) { col -= p.row_vecs; ++row; }
      } else {
        col += kEwThreads;
      }
    }
  }
  if constexpr (VEC > 1 && !Op::kRowwise) {
    if (p.tail > 0 && blockIdx.x == gridDim.x - 1 && static_cast<int>(threadIdx.x) < p.tail) {
      const int64_t c = p.tail_col + threadIdx.x;
      op.template store<1>(0, c, op.template load<1>(0, c));
    }
  }
}

// The vector width for a space. `vec_ok`: the launcher checked alignment (and, row-wise,
// cols % 8 == 0); otherwise 1. Otherwise 8 (16-byte accesses), except at small sizes, where
// 2-element vectors put the same bytes on 4x the threads and SMs: the loads cost the same
// latency either way, but the per-thread arithmetic shrinks 4x, and at these sizes it is on the
// critical path. How far that holds depends on the arithmetic (H100, graph replay, PDL; the
// sweep is benchmarks/sweep_plans.cu):
//   - every op, up to one block per SM at VEC 2: a 2048-element GEGLU 1.14 -> 0.81 us;
//   - ops with an exp per element (kSfu, kAccurate), up to 8 blocks per SM: at 524288 elements
//     GELU / SiLU / GEGLU 1.75-1.84 -> 1.58 us (accurate tanhf / expf); but ReLU 1.13 -> 1.58
//     us, so the cheap ops stay at VEC 8 there. With the SFU forms (activation/functions.cuh)
//     the benchmark still prefers VEC 2 at 524288 elements (GELU 1.57 against 1.73 us at VEC
//     8), although the plan sweep, out of place, times VEC 8 faster (1.35 against 1.58 us):
//     plan changes go by the benchmark (docs/RESULTS-2026-11-27-H100-session5.md).
//
// 4-element vectors where they give a grid of a quarter to a half of the GPU's 256-thread CTA
// slots (8 per SM at <= 32 registers): 524288 elements (S = 256 at D = 2048) on the H100, where
// the grid at VEC 8 (256 CTAs) or VEC 2 (1024) times in one of two modes, decided per CUDA-graph
// capture (benchmarks/probe_capture_spread.py, PDL on): ReLU in place 1.13 or 1.56-1.64 us,
// GELU 1.33 or 1.58-1.70. At VEC 4 (512 CTAs) six captures of each took ReLU 1.12-1.13 and GELU
// 1.24 (one 1.50), and the casts kept 1.15. Why: with PDL the next grid's CTAs wait in the
// slots beside the running grid; a grid of about half the slots leaves the two grids one half
// each on every SM (our reading of the numbers; not verified with a profiler). At S = 1024 VEC 4
// was slower (2048 CTAs: ReLU 2.88 against 2.17), so the rule keeps to that one band. Row-wise ops
// too since session 8, with the late PDL signal (ew_trigger_late): the merged GEGLU at S = 256 went
// from 1.58-1.61 to 1.68-1.71 us at VEC 4 with the early signal (session 6), but took 1.54-1.55
// with the late one (round 11 of session 8; bias_residual_fp16 1.27, gate_geglu_merged_fp8 1.83);
// as a rule: round 1 of session 9, 1.55 us and 1.28 (tests/fused and tests/activation passed).
//
// Session 15 (H100, the benchmark's timer, benchmarks/probe_fp8_glu.py; H = 16384) widened the
// band for ops with an exp per element, by the arithmetic:
//   - up to 8 CTAs per SM at VEC 4 (S = 64: 1024 CTAs): VEC 8 had left 1.3-2 us of exp and
//     division for one wave of threads to do after their loads. gate_geglu_merged_fp8 3.22 ->
//     2.40 us, silu_mul_split_fp8_fp16 2.67 -> 1.98, the bf16 merged GEGLU 2.26 -> 1.90-2.03.
//   - the accurate-math FP8 GLUs keep VEC 2 up to 4 CTAs per SM at VEC 2 (S = 16: 512 CTAs):
//     gate_geglu_merged_fp8 1.35 us there (late trigger) against 1.46 at VEC 4;
//   - row-wise SFU ops take VEC 4 from one CTA per SM (S = 16: 256 CTAs): the bf16 merged GEGLU
//     1.17 us against 1.26 at VEC 2. (Flat SFU ops were not timed there and keep VEC 2.)
//
// Session 16 (H100, the benchmark's timer, benchmarks/probe_residual.py, 3 captures a plan; D =
// 2048) widened it down for the cheap ops: the six residual entries at S = 16 / 64 / 128 / 256 took
// VEC 4 with the late trigger at least as fast as any other plan at every size. Below 4 CTAs per SM
// they had VEC 2 (S = 16) or VEC 8 (S = 64, 128): bias_residual S = 64 1.08 -> 1.00 us, S = 128
// 1.54 -> 1.11 (compile 1.50), cfg_combine_into_residual S = 128 1.54-1.60 -> 1.10 (compile 1.51),
// residual_add S = 128 1.19 -> 1.02 (compile 1.44); S = 16 0.86-0.92 -> 0.82-0.87. So cheap ops
// take VEC 4 from an eighth of a CTA per SM (S = 16 at D = 2048 is a quarter) up to 4.
inline int elementwise_width(int64_t rows, int64_t cols, bool rowwise, bool vec_ok, EwMath math, int num_sms) {
  if (!vec_ok) return 1;
  const int64_t n = rows * cols, sms = num_sms;
  const int64_t vec4_blocks = (n / 4 + kEwThreads - 1) / kEwThreads;
  const int64_t vec2_blocks = (n / 2 + kEwThreads - 1) / kEwThreads;
  if (math == EwMath::kAccurate && vec2_blocks <= 4 * sms) return 2;
  const int64_t vec4_from = math == EwMath::kCheap ? sms / 8 : math == EwMath::kSfu && rowwise ? sms : 2 * sms;
  const int64_t vec4_to = math == EwMath::kCheap ? 4 * sms : 8 * sms;
  if (vec4_blocks > vec4_from && vec4_blocks <= vec4_to) return 4;
  return vec2_blocks <= sms * (math == EwMath::kCheap ? 1 : 8) ? 2 : 8;
}

// The grid for a space at a given vector width (1, 2, 4 or 8): one vector per thread at every
// size. Until session 15 spaces of at least 4 waves took 4 per thread (fewer, longer blocks);
// timed at the benchmark's S = 4096, D = 16384 rows (H100, benchmarks/probe_fp8_glu.py), one
// item was as fast or faster: gelu_inplace_fp16 89.96 us against 93.7 (torch.compile 90.5),
// gate_geglu_fp16 132.9 against 134.1 (compile 132.9). `items` (kEwMaxItems) is for probes.
inline EwPlan plan_elementwise_at(int64_t rows, int64_t cols, bool rowwise, int vec, int items = 1) {
  EwPlan p;
  p.vec = vec;
  if (rowwise) {
    p.row_vecs = cols / p.vec;  // vec_ok implies cols % 8 == 0
    p.total = rows * p.row_vecs;
  } else {
    const int64_t n = rows * cols;
    p.row_vecs = n / p.vec;
    p.total = p.row_vecs;
    p.tail = static_cast<int>(n - p.row_vecs * p.vec);
    p.tail_col = p.row_vecs * p.vec;
  }
  p.items = items;
  const int64_t per_block = int64_t{kEwThreads} * p.items;
  const int64_t blocks = (p.total + per_block - 1) / per_block;
  p.blocks = blocks > 0 ? blocks : 1;  // a tail-only space still needs one block
  // Row-wise ops with rows of at least one CTA and one item per thread take a 2-D grid: the
  // 1-D grid's division of the thread index by the row length sits in front of the first load.
  // H100, benchmarks/probe_norm_latency.cu (session 9), gate_geglu_merged_fp16 S = 256, H = 2048,
  // VEC 4, late trigger: 1.62 us with the 1-D grid, 1.28-1.30 with the 2-D one (the split-buffer
  // GEGLU of the same bytes: 1.32). At most one partly idle CTA per row.
  if (rowwise && p.items == 1 && p.row_vecs >= kEwThreads && rows <= 65535) {
    p.row_ctas = (p.row_vecs + kEwThreads - 1) / kEwThreads;
    p.blocks = p.row_ctas * rows;
  }
  if (p.row_vecs > 0) {
    p.step_rows = kEwThreads / p.row_vecs;
    p.step_cols = kEwThreads % p.row_vecs;
  }
  if (rowwise && p.row_vecs > 1 && p.row_vecs < (int64_t{1} << 32)) {
    int l = 0;  // ceil(log2(row_vecs))
    while ((int64_t{1} << l) < p.row_vecs) ++l;
    const uint64_t d = static_cast<uint64_t>(p.row_vecs);
    p.div_mul = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << l) - d)) / d + 1);
    p.div_shr = static_cast<uint32_t>(l);
  }  // row_vecs == 1: mul 0, shift 0 gives v itself
  return p;
}

inline EwPlan plan_elementwise(int64_t rows, int64_t cols, bool rowwise, bool vec_ok, EwMath math, int num_sms) {
  return plan_elementwise_at(rows, cols, rowwise, elementwise_width(rows, cols, rowwise, vec_ok, math, num_sms));
}

// PDL: grids of at least one CTA per SM let the next grid in after their loads (ew_trigger_late),
// except row-wise ones at VEC 8 (round 11 of session 8: the late signal made the merged GEGLU
// slower at VEC 2 then, 1.60 -> 2.27 us at S = 256, D = 2048, a size that now runs at VEC 4;
// session 15 timed VEC 2 at S = 16, H = 16384 the other way: gate_geglu_merged_fp8 1.68 -> 1.35 us).
// VEC 4 grids take it from an eighth of a CTA per SM (only the cheap ops' plans have VEC 4 grids
// under one CTA per SM): session 16's residual probe timed it as fast as the early signal or faster
// there, and steadier across captures (cfg_combine_into_residual S = 16: 0.85 us in each capture
// late, 0.85-1.11 early; S = 64 0.99 late, 0.99-1.09 early).
inline bool ew_plan_trigger_late(const EwPlan& p, bool rowwise, int num_sms) {
  if (p.vec == 4 && p.blocks * 8 > num_sms && num_sms > 0) return true;
  return (!rowwise || p.vec != 8) && ew_trigger_late(p.blocks, num_sms);
}

// The launch grid of a plan: 1-D, or (CTAs per row, rows) for the 2-D row-wise grid.
inline dim3 ew_grid(const EwPlan& p) {
  if (p.row_ctas > 0) return dim3(static_cast<unsigned>(p.row_ctas), static_cast<unsigned>(p.blocks / p.row_ctas));
  return dim3(static_cast<unsigned>(p.blocks));
}

template <class Op>
void launch_elementwise(const Op& op, const EwPlan& p, cudaStream_t stream) {
  const dim3 grid = ew_grid(p);
  if (p.vec == 8) ::flash_rt::device::launch(elementwise_kernel<Op, 8, 1>, grid, kEwThreads, 0, stream, op, p);
  else if (p.vec == 4) ::flash_rt::device::launch(elementwise_kernel<Op, 4, 1>, grid, kEwThreads, 0, stream, op, p);
  else if (p.vec == 2) ::flash_rt::device::launch(elementwise_kernel<Op, 2, 1>, grid, kEwThreads, 0, stream, op, p);
  else ::flash_rt::device::launch(elementwise_kernel<Op, 1, 1>, grid, kEwThreads, 0, stream, op, p);
}

// The launcher tail: size the grid for this device, launch, surface launch errors at the call.
template <class Op>
void run_elementwise(const ArgCheck& ck, const Op& op, int64_t rows, int64_t cols, bool vec_ok,
                     std::uintptr_t stream) {
  int sms = 0;
  check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, ck.device()), ck.entry(),
             "cudaDeviceGetAttribute");
  EwPlan p = plan_elementwise(rows, cols, Op::kRowwise, vec_ok, Op::kMath, sms);
  p.trigger_late = ew_plan_trigger_late(p, Op::kRowwise, sms);
  if (p.blocks > 0x7FFFFFFF)  // 2^31 - 1 blocks of 256 threads: ~5e11 elements
    throw_error(ErrorKind::kValue, ck.entry(), ": ", rows, " x ", cols, " elements are more than one launch covers");
  launch_elementwise(op, p, as_stream(stream));
  check_launch(ck.entry());
}

// ---- output encodings ------------------------------------------------------------------------

// How an fp32 result is stored (SPEC 1.2): rounded to the storage type, or as FP8
// E4M3(CLAMP448(y * (1 / d))) with d = *d_scale (amax / 448), optionally floored at 1e-12.
// init() only issues the load of d, before the operand loads; the reciprocal is formed where
// it is used (once per thread: the compiler shares it between items), so that no instruction
// waiting for d sits in front of the operand loads.
enum class Store { kSame, kFp8Scaled, kFp8ScaledFloor };

template <typename OutT, Store S>
struct Encoder {
  using Elem = OutT;
  __device__ __forceinline__ void init() {}
  template <int V>
  __device__ __forceinline__ void store(OutT* p, const float (&y)[V]) const { store_float<V>(p, y); }
};

template <Store S>
struct Encoder<uint8_t, S> {
  static_assert(S != Store::kSame, "FP8 outputs need a scale");
  using Elem = uint8_t;
  const float* d_scale = nullptr;  // [1] device
  float d = 1.f;
  __device__ __forceinline__ void init() { d = *d_scale; }
  template <int V>
  __device__ __forceinline__ void store(uint8_t* p, const float (&y)[V]) const {
    const float inv = 1.f / (S == Store::kFp8ScaledFloor ? fmaxf(d, 1e-12f) : d);
    float q[V];
#pragma unroll
    for (int i = 0; i < V; ++i) q[i] = clamp448(y[i] * inv);
    store_e4m3<V>(p, q);
  }
};

// ---- a ready-made flat op: out[i] = F(in[0][i], ..., in[N-1][i]) ------------------------------

// All inputs of type T; `F` is a functor `float operator()(const float (&v)[N]) const`.
// `out` may be one of the inputs (in-place entries).
// F also declares `static constexpr EwMath kMath` (its arithmetic, for the plan).
template <typename T, int N, class F, class Enc>
struct MapOp : EwOp {
  static constexpr EwMath kMath = F::kMath;
  const T* in[N];
  typename Enc::Elem* out;
  F f;
  Enc enc;

  template <int V>
  struct Regs {
    Packed<T, V> v[N];
    __device__ __forceinline__ void fence() {
#pragma unroll
      for (int j = 0; j < N; ++j) fence_packed(v[j]);
    }
  };

  __device__ __forceinline__ void init() { enc.init(); }

  template <int V>
  __device__ __forceinline__ Regs<V> load(int64_t, int64_t c) const {
    Regs<V> r;
#pragma unroll
    for (int j = 0; j < N; ++j) r.v[j] = load_packed<V>(in[j] + c);
    return r;
  }

  template <int V>
  __device__ __forceinline__ void store(int64_t, int64_t c, const Regs<V>& r) const {
    float x[N][V];
#pragma unroll
    for (int j = 0; j < N; ++j) unpack_float(r.v[j], x[j]);
    float y[V];
#pragma unroll
    for (int i = 0; i < V; ++i) {
      float e[N];
#pragma unroll
      for (int j = 0; j < N; ++j) e[j] = x[j][i];
      y[i] = f(e);
    }
    enc.template store<V>(out + c, y);
  }
};

}  // namespace flash_rt::device
