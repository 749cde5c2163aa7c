// Every cutlass_fp8_* entry on SM90 (sm_90a) with the 128x128 tile (cooperative, 2x1 cluster);
// tiles.cuh says when.
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

namespace {
template <class ElementD, bool kGelu>
using Kernel = tiles::Sm90Cooperative<ElementD, kGelu, tiles::Shape<tiles::_128, tiles::_128, tiles::_128>>;
}  // namespace

Status run_sm90_128x128(Entry e, const Problem& p) { return run_sm90_entry<Kernel>(e, p); }

}  // namespace flash_rt::gemm::cutlass_fp8
