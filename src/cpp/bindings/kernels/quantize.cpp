// FP8 quantize group (SPEC 2.4.1). Tensor arguments: int device address or DLPack tensor.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_quantize(nb::module_& m) {
  (void)m;  // TODO(#3): entries of this group
}

}  // namespace flash_rt::bindings
