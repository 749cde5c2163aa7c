// cutlass_fp8_{sq,t1,wide,plain,gelu} on SM100 / SM110 (sm_100f, sm_110f): fp16 D.
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

Status run_sm100_fp16(Entry e, const Problem& p) {
  using namespace tiles;
  using T = cutlass::half_t;
  switch (e) {
    case Entry::kSq: return run<Sm100Fp8<T, false, Sm100Sq, Sm100Cluster2x2>>(p);
    case Entry::kT1: return run<Sm100Fp8<T, false, Sm100T1, Sm100Cluster2x1>>(p);
    case Entry::kWide: return run<Sm100Fp8<T, false, Sm100Wide, Sm100Cluster2x2>>(p);
    case Entry::kPlain: return run<Sm100Fp8<T, false, Sm100Plain, Sm100Cluster2x2>>(p);
    case Entry::kGelu: return run<Sm100Fp8<T, true, Sm100Plain, Sm100Cluster2x2>>(p);
    default: return wrong_dtype();
  }
}

}  // namespace flash_rt::gemm::cutlass_fp8
