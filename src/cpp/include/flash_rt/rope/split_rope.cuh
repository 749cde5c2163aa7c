// QKV split, interleaved-pair RoPE and KV-cache writes (SPEC 2.6.2), one kernel for all of them.
//
// A row of the problem is up to three column segments (Q, K, V). Segment g reads `width`
// elements at src_g + row * src_stride_g and writes them at dst_g + row * dst_stride_g (dst_g
// already includes any element offset, e.g. kc_offset). The first `rotated` segments are
// rotated with the interleaved-pair table rope[row, 2p] = cos, rope[row, 2p + 1] = sin:
//
//   (a, b) = (x[2p'], x[2p' + 1]) -> (a cos - b sin, b cos + a sin),  p = p' mod (head_dim / 2)
//
// i.e. the pair index is taken within each head, for every head of Q and of K alike (the
// original took K's pair index over the whole K row, which is only right for one KV head).
// Products and sums are rounded to fp32 one by one (no FMA contraction), then once to T.
//
// Entries: qkv_split (no rotation), qkv_split_rope (Q, K rotated, V copied), the KV-cache
// variant (K, V written at kc_offset + row * kc_stride), rope_apply (Q and K in place: a unit
// reads all its elements before writing any, so src == dst is safe).
//
// Work split (utility/grid.cuh): one unit per thread across the whole row, so decode (one
// row) still has every load in flight at once; rotated rows from kWholeRowRows rows on: one
// CTA per row, its threads looping over the units (launch_split_rope says why). VEC = 8: a unit is 8 elements (16 bytes; 4
// pairs and the matching 8 table entries), taken when every segment width, stride, base and
// head_dim allow it. VEC = 1: element accesses; a rotated unit is one pair, a copied unit one
// element (odd V widths, misaligned views).
#pragma once

#include <cstdint>

#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/vec_io.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::rope {

template <typename T>
struct Segment {
  const T* src = nullptr;  // row 0 of the segment in the source
  T* dst = nullptr;        // row 0 of the segment in the destination
  int64_t src_stride = 0;  // elements between rows
  int64_t dst_stride = 0;
  int64_t units = 0;       // work units per row (0: segment absent)
};

template <typename T>
struct SplitArgs {
  Segment<T> seg[3];
  const T* rope = nullptr;  // [rows, head_dim]: (cos, sin) per pair, row = local row
  int64_t rows = 0;
  int head_dim = 0;
  int rotated = 0;          // segments [0, rotated) are rotated
};

// Elements per work unit.
template <int VEC>
inline constexpr int kRotatedUnit = VEC > 1 ? VEC : 2;  // whole pairs
template <int VEC>
inline constexpr int kCopiedUnit = VEC;

// (a, b) -> (a c - b s, b c + a s) on N / 2 pairs; accesses of A elements.
template <int N, int A, typename T>
__device__ __forceinline__ void rotate_pairs(const T* in, const T* table, T* out) {
  namespace u = flash_rt::utility;
  const u::Vec<T, N> x = u::load_vec<N, A>(in);
  const u::Vec<T, N> t = u::load_vec<N, A>(table);
  u::Vec<T, N> y;
#pragma unroll
  for (int p = 0; p < N / 2; ++p) {
    const float a = u::f32(x.v[2 * p]), b = u::f32(x.v[2 * p + 1]);
    const float c = u::f32(t.v[2 * p]), s = u::f32(t.v[2 * p + 1]);
    y.v[2 * p] = u::round_to<T>(__fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s)));
    y.v[2 * p + 1] = u::round_to<T>(__fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s)));
  }
  u::store_vec<N, A>(out, y);
}

template <typename T, int VEC>
__global__ void __launch_bounds__(utility::kMaxRowThreads) split_rope_kernel(const SplitArgs<T> a) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  namespace u = flash_rt::utility;
  const int64_t units0 = a.seg[0].units, units01 = units0 + a.seg[1].units;
  const int64_t total = units01 + a.seg[2].units;
  for (int64_t row = u::grid_row(); row < a.rows; row += u::grid_row_stride()) {
    for (int64_t unit = u::grid_unit(); unit < total; unit += u::grid_unit_stride()) {
      // Segment fields picked one by one (no dynamic indexing into the parameter struct).
      const int g = unit < units0 ? 0 : unit < units01 ? 1 : 2;
      const int64_t v = unit - (g == 0 ? 0 : g == 1 ? units0 : units01);
      const T* src = g == 0 ? a.seg[0].src : g == 1 ? a.seg[1].src : a.seg[2].src;
      T* dst = g == 0 ? a.seg[0].dst : g == 1 ? a.seg[1].dst : a.seg[2].dst;
      const int64_t ss = g == 0 ? a.seg[0].src_stride : g == 1 ? a.seg[1].src_stride : a.seg[2].src_stride;
      const int64_t ds = g == 0 ? a.seg[0].dst_stride : g == 1 ? a.seg[1].dst_stride : a.seg[2].dst_stride;
      if (g < a.rotated) {
        constexpr int kN = kRotatedUnit<VEC>;
        const int64_t e = v * kN;  // element within the segment row
        // Column within the head = position in the table row (2p, 2p + 1 for pair p).
        const uint32_t in_head = static_cast<uint32_t>(e) % static_cast<uint32_t>(a.head_dim);
        rotate_pairs<kN, VEC>(src + row * ss + e, a.rope + row * a.head_dim + in_head, dst + row * ds + e);
      } else {
        constexpr int kN = kCopiedUnit<VEC>;
        const int64_t e = v * kN;
        u::store_vec<kN>(dst + row * ds + e, u::load_vec<kN>(src + row * ss + e));
      }
    }
  }
}

// Rows from which a rotated row is walked by one CTA (see launch_split_rope).
inline constexpr int64_t kWholeRowRows = 1024;

template <typename T>
void launch_split_rope(const SplitArgs<T>& a, bool vec8, cudaStream_t stream) {
  utility::Launch l = utility::plan_rows(a.rows, a.seg[0].units + a.seg[1].units + a.seg[2].units);
  // A wide row is split into chunks of about one head (blockIdx.y), and the scheduler runs a
  // row's chunks far apart (blockIdx.x, the row, varies fastest). With rotation every head of
  // Q and K reads the same table row, so at large S (a table bigger than L2) it came from DRAM
  // once per head: 0.81x torch.compile at 16384 rows on the H100. There, one CTA walks the
  // whole row instead (the kernel's unit loop) and the table row stays on chip between heads;
  // small S keeps the chunks, so a decode row still has all its loads in flight at once.
  if (a.rotated > 0 && a.rows >= kWholeRowRows) l.grid.y = 1;
  if (vec8) ::flash_rt::device::launch(split_rope_kernel<T, 8>, l.grid, l.block, 0, stream, a);
  else ::flash_rt::device::launch(split_rope_kernel<T, 1>, l.grid, l.block, 0, stream, a);
}

}  // namespace flash_rt::rope
