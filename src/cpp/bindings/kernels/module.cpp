// flash_rt_kernels: the always-built module. Each group file declares its entries.
#include <nanobind/nanobind.h>

#include "flash_rt/core/errors.h"

namespace nb = nanobind;

namespace flash_rt::bindings {
void bind_context(nb::module_& m);
void bind_norm(nb::module_& m);
void bind_fused_norm(nb::module_& m);
void bind_activation(nb::module_& m);
void bind_fused(nb::module_& m);
void bind_quantize(nb::module_& m);
void bind_rope(nb::module_& m);
void bind_utility(nb::module_& m);
void bind_patch(nb::module_& m);
void bind_gemm(nb::module_& m);
}  // namespace flash_rt::bindings

namespace {

PyObject* python_type(flash_rt::ErrorKind kind) {
  switch (kind) {
    case flash_rt::ErrorKind::kValue: return PyExc_ValueError;
    case flash_rt::ErrorKind::kType: return PyExc_TypeError;
    case flash_rt::ErrorKind::kNotImplemented: return PyExc_NotImplementedError;
    default: return PyExc_RuntimeError;
  }
}

constexpr void (*kGroups[])(nb::module_&) = {
    flash_rt::bindings::bind_context,    flash_rt::bindings::bind_norm,    flash_rt::bindings::bind_fused_norm,
    flash_rt::bindings::bind_activation, flash_rt::bindings::bind_fused,   flash_rt::bindings::bind_quantize,
    flash_rt::bindings::bind_rope,       flash_rt::bindings::bind_utility, flash_rt::bindings::bind_patch,
    flash_rt::bindings::bind_gemm,
};

}  // namespace

NB_MODULE(flash_rt_kernels, m) {
  m.doc() = "flash-rt kernels: norms, activations, fused residual/norm/quantize, GEMM, attention helpers.";
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const flash_rt::Error& e) {
      PyErr_SetString(python_type(e.kind()), e.what());
    }
  });
  for (auto bind : kGroups) bind(m);
}
