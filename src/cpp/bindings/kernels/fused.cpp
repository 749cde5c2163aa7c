// Fused elementwise gate / residual entries (SPEC 2.3, the non-normalising half). Tensor arguments: int device address or DLPack tensor.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_fused(nb::module_& m) {
  (void)m;  // TODO(#3): entries of this group
}

}  // namespace flash_rt::bindings
