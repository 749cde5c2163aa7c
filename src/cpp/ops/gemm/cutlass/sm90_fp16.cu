// cutlass_fp8_{sq,t1,wide,plain,gelu} on SM90 (sm_90a): fp16 D; the tile by problem size (tiles.cuh).
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

Status run_sm90_fp16(Entry e, const Problem& p) {
  using namespace tiles;
  using T = cutlass::half_t;
  const bool small = sm90_small_tile(p);
  switch (e) {
    case Entry::kSq:
    case Entry::kWide:
    case Entry::kT1:
    case Entry::kPlain:
      return small ? run<Sm90Fp8PingPong<T, false, Sm90Small, Sm90SmallCluster>>(p)
                   : run<Sm90Fp8<T, false, Sm90Large, Sm90LargeCluster>>(p);
    case Entry::kGelu:
      return small ? run<Sm90Fp8PingPong<T, true, Sm90Small, Sm90SmallCluster>>(p)
                   : run<Sm90Fp8<T, true, Sm90Large, Sm90LargeCluster>>(p);
    default: return wrong_dtype();
  }
}

}  // namespace flash_rt::gemm::cutlass_fp8
