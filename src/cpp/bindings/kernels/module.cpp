// flash_rt_kernels: the always-built module. Each group file declares its entries.
#include <nanobind/nanobind.h>

#include "flash_rt/core/errors.h"

namespace nb = nanobind;

namespace flash_rt::bindings {
void bind_context(nb::module_& m);
void bind_norm(nb::module_& m);
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
    flash_rt::bindings::bind_context,
    flash_rt::bindings::bind_norm,
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
