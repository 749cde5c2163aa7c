// The one caster for every tensor argument: an int device address (the FlashRT convention)
// or any DLPack object (torch, JAX, CuPy, a to_dlpack capsule), never converted or copied.
// Anything else becomes TensorArg::Kind::kInvalid so that the launcher raises a TypeError
// naming the entry and the argument, instead of nanobind's generic overload error.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <string>

#include "flash_rt/core/tensor.h"

namespace nanobind::detail {

template <>
struct type_caster<flash_rt::TensorArg> {
  NB_TYPE_CASTER(flash_rt::TensorArg, const_name("int | DLPackTensor"))

  // Holds the imported tensor (and so its producer) for the duration of the call.
  make_caster<ndarray<>> array;

  bool from_python(handle src, uint8_t flags, cleanup_list* cleanup) noexcept {
    using flash_rt::TensorArg;
    PyObject* o = src.ptr();
    if (PyLong_Check(o)) {
      const unsigned long long v = PyLong_AsUnsignedLongLong(o);
      if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        value = TensorArg::invalid("an int that is not a valid address (negative or > 64 bits)");
      } else {
        value = TensorArg::address(static_cast<std::uintptr_t>(v));
      }
      return true;
    }
    if (o == Py_None) {
      value = TensorArg::invalid("None (this argument is required)");
      return true;
    }
    if (array.from_python(src, flags & ~static_cast<uint8_t>(cast_flags::convert), cleanup)) {
      const ndarray<>& a = array.value;
      if (a.ndim() > TensorArg::kMaxDims) {
        value = TensorArg::invalid("a tensor of more than 8 dimensions");
        return true;
      }
      TensorArg t;
      t.kind = TensorArg::Kind::kTensor;
      t.data = const_cast<void*>(a.data());
      const dlpack::dtype dt = a.dtype();
      t.dtype = flash_rt::dtype_from_dlpack(dt.code, dt.bits, dt.lanes);
      t.device_type = a.device_type();
      t.device_id = a.device_id();
      t.ndim = static_cast<int32_t>(a.ndim());
      for (int i = 0; i < t.ndim; ++i) {
        t.shape[i] = static_cast<int64_t>(a.shape(i));
        t.strides[i] = static_cast<int64_t>(a.stride(i));
      }
      value = std::move(t);
      return true;
    }
    PyErr_Clear();
    std::string name = "an object";
    try {
      name = std::string("an object of type ") + nanobind::type_name(src.type()).c_str();
    } catch (...) {
    }
    value = TensorArg::invalid(name);
    return true;
  }

  static handle from_cpp(const flash_rt::TensorArg&, rv_policy, cleanup_list*) noexcept { return {}; }
};

}  // namespace nanobind::detail

namespace flash_rt::bindings {
// A tensor parameter: lets None through to the caster, so that a missing tensor is reported
// as "<entry>: '<arg>' ... got None (this argument is required)" rather than as nanobind's
// generic overload error.
inline auto tensor(const char* name) { return nanobind::arg(name).none(); }
}  // namespace flash_rt::bindings
