// cutlass_fp8_{sq,wide,t1}_bf16out on SM100 / SM110 (sm_100f, sm_110f): bf16 D.
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

Status run_sm100_bf16(Entry e, const Problem& p) {
  using namespace tiles;
  using T = cutlass::bfloat16_t;
  switch (e) {
    case Entry::kSqBf16: return run<Sm100Fp8<T, false, Sm100Sq, Sm100Cluster2x2>>(p);
    case Entry::kWideBf16: return run<Sm100Fp8<T, false, Sm100Wide, Sm100Cluster2x2>>(p);
    case Entry::kT1Bf16: return run<Sm100Fp8<T, false, Sm100T1, Sm100Cluster2x1>>(p);
    default: return wrong_dtype();
  }
}

}  // namespace flash_rt::gemm::cutlass_fp8
