// cutlass_fp8_{sq,wide}_f32out on SM90 (sm_90a): float32 D; the tile by problem size (tiles.cuh).
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

Status run_sm90_f32(Entry e, const Problem& p) {
  using namespace tiles;
  switch (e) {
    case Entry::kSqF32:
    case Entry::kWideF32:
      return sm90_small_tile(p) ? run<Sm90Fp8PingPong<float, false, Sm90Small, Sm90SmallCluster>>(p)
                                : run<Sm90Fp8<float, false, Sm90Large, Sm90LargeCluster>>(p);
    default: return wrong_dtype();
  }
}

}  // namespace flash_rt::gemm::cutlass_fp8
