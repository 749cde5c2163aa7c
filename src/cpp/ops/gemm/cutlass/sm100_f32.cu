// cutlass_fp8_{sq,wide}_f32out on SM100 / SM110 (sm_100f, sm_110f): float32 D.
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

Status run_sm100_f32(Entry e, const Problem& p) {
  using namespace tiles;
  switch (e) {
    case Entry::kSqF32: return run<Sm100Fp8<float, false, Sm100Sq, Sm100Cluster2x2>>(p);
    case Entry::kWideF32: return run<Sm100Fp8<float, false, Sm100Wide, Sm100Cluster2x2>>(p);
    default: return wrong_dtype();
  }
}

}  // namespace flash_rt::gemm::cutlass_fp8
