// Tile and cluster shapes of the cutlass_fp8_* entries, per architecture (SPEC 2.5.4 calls
// them a performance choice; the math is the same for every tile).
//
// SM100/SM110 keep the contract's shapes (MMA tile M of 256 = a 2-SM CTA pair).
// SM90 has no 2-SM MMA, and FP8 with fp32 promotion needs twice the accumulator registers
// (cutlass_fp8.cuh), so its tiles are smaller: "large" = 128x128x128 cooperative with a 2x1
// cluster (B tiles multicast to both CTAs); "small" = 64x128x128 ping-pong (two consumer warp
// groups alternate tiles, overlapping one's epilogue with the other's MMAs). On SM90 every
// entry picks one of the two by problem size (sm90_small_tile), not by its name.
#pragma once

#include "flash_rt/gemm/cutlass_fp8.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

namespace tiles {
using cute::_1;
using cute::_128;
using cute::_2;
using cute::_256;
using cute::_64;
using cute::Shape;

using Sm90Large = Shape<_128, _128, _128>;
using Sm90LargeCluster = Shape<_2, _1, _1>;
using Sm90Small = Shape<_64, _128, _128>;
using Sm90SmallCluster = Shape<_1, _1, _1>;

using Sm100Sq = Shape<_256, _256, _128>;    // cutlass_fp8_sq*
using Sm100T1 = Shape<_128, _256, _128>;    // cutlass_fp8_t1*
using Sm100Wide = Shape<_256, _128, _128>;  // cutlass_fp8_wide*
using Sm100Plain = Shape<_256, _128, _64>;  // cutlass_fp8_plain, cutlass_fp8_gelu
using Sm100Cluster2x2 = Shape<_2, _2, _1>;
using Sm100Cluster2x1 = Shape<_2, _1, _1>;
}  // namespace tiles

// SM90: the small tile when the large one would leave at least half the SMs idle (at most
// sm_count / 2 output tiles of 128x128). H100, bf16 out, against torch._scaled_mm
// (docs/RESULTS-2026-11-27-H100-session4.md, -session5.md):
//   - M <= 64: the small tile 0.47x (M = 1) and 0.80-0.82x (M = 64), the large 0.39 / 0.54x;
//   - M >= 1024, >= 160 large tiles: large 0.64-0.91x, small 0.58-0.63x;
//   - 1024 x 16384 x 2048 has 128 large tiles on 132 SMs: large 0.91x, small 0.57-0.60x (a
//     long K gives each tile enough work that 4 idle SMs cost little). A rule of "fewer tiles
//     than SMs" took the small tile there; half the SMs is where the small tile starts to win.
inline bool sm90_small_tile(const Problem& p) {
  const long long tiles = static_cast<long long>((p.M + 127) / 128) * ((p.N + 127) / 128);
  return 2 * tiles <= p.sm_count;
}

// An entry routed to a translation unit of another output dtype: a launcher bug, reported
// as a failed step rather than run with the wrong element type.
inline Status wrong_dtype() {
  Status s;
  s.step = "dispatch";
  s.message = "entry routed to a kernel of another output dtype";
  return s;
}

}  // namespace flash_rt::gemm::cutlass_fp8
