// Memory / utility entries (SPEC 2.8). Tensor arguments: int device address or DLPack tensor.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_utility(nb::module_& m) {
  (void)m;  // TODO(#3): entries of this group
}

}  // namespace flash_rt::bindings
