// FvkContext and capability probes (SPEC 2.9).
#include <nanobind/nanobind.h>

#include "context/context.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_context(nb::module_& m) {
  using context::FvkContext;
  nb::class_<FvkContext>(m, "FvkContext", "Owns one cuBLAS handle; first argument of cuBLAS-backed entries.")
      .def(nb::init<>())
      .def_prop_ro("handle_ptr", &FvkContext::handle_ptr, "The cublasHandle_t as an int.");

  m.def("get_sm_version", &context::get_sm_version, "10 * major + minor of the current CUDA device.");
  m.def("has_nvfp4", &context::has_nvfp4, "True if this build has the cuBLASLt NVFP4 entries and the device runs them.");
  m.def("has_cutlass_sm100", &context::has_cutlass_sm100, "True if this build has cutlass_fp8_* and the device runs them.");
  m.def("has_cutlass_fmha", &context::has_cutlass_fmha, "True once an FMHA library was loaded in this process.");
}

}  // namespace flash_rt::bindings
