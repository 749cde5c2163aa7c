// Tile and cluster shapes of the cutlass_fp8_* entries, per architecture (SPEC 2.5.4 calls
// them a performance choice; the math is the same for every tile).
//
// SM100/SM110 keep the contract's shapes (MMA tile M of 256 = a 2-SM CTA pair).
// SM90 has no 2-SM MMA; a cooperative CTA computes 128 rows with two consumer warp groups.
// Its two shapes: "large" 128x256x128 with a 2x1 cluster (B tiles multicast to both CTAs),
// for the square/wide entries; "medium" 128x128x128, one CTA per cluster, for t1, plain and
// gelu (twice the CTAs, so better occupancy when M * N is small).
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

using Sm90Large = Shape<_128, _256, _128>;
using Sm90LargeCluster = Shape<_2, _1, _1>;
using Sm90Medium = Shape<_128, _128, _128>;
using Sm90MediumCluster = Shape<_1, _1, _1>;

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

}  // namespace flash_rt::gemm::cutlass_fp8
