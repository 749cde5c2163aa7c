// Tile and cluster shapes of the cutlass_fp8_* entries, per architecture (SPEC 2.5.4 calls
// them a performance choice; the math is the same for every tile).
//
// SM100/SM110 keep the contract's shapes (MMA tile M of 256 = a 2-SM CTA pair).
// SM90 has no 2-SM MMA, and FP8 with fp32 promotion needs twice the accumulator registers
// (cutlass_fp8.cuh), so its tiles are smaller, and every entry picks one of five by problem size
// (sm90_tile in cutlass_fp8_problem.h), not by its name:
//   - cooperative (two consumer warp groups share a tile), 2x1 cluster (B tiles multicast to
//     both CTAs): 128x128 (the large-problem tile), 128x192 (fewer tiles: one wave where 128x128
//     needs two), 128x64 (more tiles for M of a few hundred);
//   - ping-pong (each consumer warp group its own tile, one's epilogue overlapping the other's
//     MMAs): 64x128 and 64x64, for M <= 64, where 64x64 spreads a small problem over more SMs.
// The sweep that chose them (H100, benchmarks/sweep_cutlass_sm90.cu) also timed 64x32 ping-pong
// (never faster than 64x64), 128x128 without a cluster (within 2% of the 2x1 cluster), and 64x128
// ping-pong with a 1x2 cluster (slower than without).
#pragma once

#include "flash_rt/gemm/cutlass_fp8.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

namespace tiles {
using cute::_1;
using cute::_128;
using cute::_192;
using cute::_2;
using cute::_256;
using cute::_64;
using cute::Shape;

template <class ElementD, bool kGelu, class MmaTile>
using Sm90Cooperative = Sm90Fp8<ElementD, kGelu, MmaTile, Shape<_2, _1, _1>>;
template <class ElementD, bool kGelu, class MmaTile>
using Sm90PingPong = Sm90Fp8PingPong<ElementD, kGelu, MmaTile, Shape<_1, _1, _1>>;

using Sm100Sq = Shape<_256, _256, _128>;    // cutlass_fp8_sq*
using Sm100T1 = Shape<_128, _256, _128>;    // cutlass_fp8_t1*
using Sm100Wide = Shape<_256, _128, _128>;  // cutlass_fp8_wide*
using Sm100Plain = Shape<_256, _128, _64>;  // cutlass_fp8_plain, cutlass_fp8_gelu
using Sm100Cluster2x2 = Shape<_2, _2, _1>;
using Sm100Cluster2x1 = Shape<_2, _1, _1>;
}  // namespace tiles

// An entry routed to a translation unit of another output dtype: a launcher bug, reported
// as a failed step rather than run with the wrong element type.
inline Status wrong_dtype() {
  Status s;
  s.step = "dispatch";
  s.message = "entry routed to a kernel of another output dtype";
  return s;
}

// SM90: entry e on kernel family Kernel<ElementD, kGelu> (one tile), by the entry's output
// dtype and epilogue. Each sm90_<tile>.cu instantiates it once.
template <template <class, bool> class Kernel>
Status run_sm90_entry(Entry e, const Problem& p) {
  switch (e) {
    case Entry::kSq:
    case Entry::kT1:
    case Entry::kWide:
    case Entry::kPlain: return run<Kernel<cutlass::half_t, false>>(p);
    case Entry::kGelu: return run<Kernel<cutlass::half_t, true>>(p);
    case Entry::kSqF32:
    case Entry::kWideF32: return run<Kernel<float, false>>(p);
    case Entry::kSqBf16:
    case Entry::kWideBf16:
    case Entry::kT1Bf16: return run<Kernel<cutlass::bfloat16_t, false>>(p);
  }
  return wrong_dtype();
}

}  // namespace flash_rt::gemm::cutlass_fp8
