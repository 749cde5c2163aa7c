// cutlass_fp8_{sq,wide,t1}_bf16out on SM90 (sm_90a): bf16 D; the tile by problem size (tiles.cuh).
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

Status run_sm90_bf16(Entry e, const Problem& p) {
  using namespace tiles;
  using T = cutlass::bfloat16_t;
  switch (e) {
    case Entry::kSqBf16:
    case Entry::kWideBf16:
    case Entry::kT1Bf16:
      return sm90_small_tile(p) ? run<Sm90Fp8PingPong<T, false, Sm90Small, Sm90SmallCluster>>(p)
                                : run<Sm90Fp8<T, false, Sm90Large, Sm90LargeCluster>>(p);
    default: return wrong_dtype();
  }
}

}  // namespace flash_rt::gemm::cutlass_fp8
