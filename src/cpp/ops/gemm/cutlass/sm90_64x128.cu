// Every cutlass_fp8_* entry on SM90 (sm_90a) with the 64x128 tile (ping-pong);
// tiles.cuh says when.
#include "tiles.cuh"

namespace flash_rt::gemm::cutlass_fp8 {

namespace {
template <class ElementD, bool kGelu>
using Kernel = tiles::Sm90PingPong<ElementD, kGelu, tiles::Shape<tiles::_64, tiles::_128, tiles::_128>>;
}  // namespace

Status run_sm90_64x128(Entry e, const Problem& p) { return run_sm90_entry<Kernel>(e, p); }

}  // namespace flash_rt::gemm::cutlass_fp8
