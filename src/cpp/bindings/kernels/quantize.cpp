// FP8 quantize group (SPEC 2.4.1). Tensor arguments: int device address or DLPack tensor.
// Formulas, rounding, NaN policy: src/cpp/ops/quantize/quantize.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "quantize/quantize.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_quantize(nb::module_& m) {
  namespace q = flash_rt::quantize;

  m.def("quantize_fp8", &q::quantize_fp8, tensor("input"), tensor("output"), tensor("d_scale"), "n"_a, "stream"_a = 0,
        "bf16 -> FP8, dynamic: d_scale = max(amax/448, 1e-12) over all n elements, output = "
        "E4M3(CLAMP448(x / d_scale)); returns the scale. Waits for the stream: not capture-safe (raises "
        "RuntimeError under capture; use quantize_fp8_device in graphs).");
  m.def("quantize_fp8_device", &q::quantize_fp8_device, tensor("input"), tensor("output"), tensor("d_scale"), "n"_a,
        "stream"_a = 0,
        "bf16 -> FP8, dynamic, capture-safe: d_scale = max(amax/448, 1e-12) (NaN if any x is NaN), "
        "output = E4M3(CLAMP448(x / d_scale)).");
  m.def("quantize_fp8_device_fp16", &q::quantize_fp8_device_fp16, tensor("input"), tensor("output"), tensor("d_scale"),
        "n"_a, "stream"_a = 0,
        "fp16 -> FP8, dynamic, capture-safe: d_scale = max(amax/448, 1e-12) (NaN if any x is NaN), "
        "output = E4M3(CLAMP448(x / d_scale)).");
  m.def("quantize_fp8_static", &q::quantize_fp8_static, tensor("input"), tensor("output"), tensor("d_scale"), "n"_a,
        "stream"_a = 0, "bf16 -> FP8: output = E4M3(CLAMP448(x / d_scale)), no floor; d_scale: device float32 [1].");
  m.def("quantize_fp8_static_fp16", &q::quantize_fp8_static_fp16, tensor("input"), tensor("output"), tensor("d_scale"),
        "n"_a, "stream"_a = 0,
        "fp16 -> FP8: output = E4M3(CLAMP448(x / max(d_scale, 1e-12))); d_scale: device float32 [1].");
  m.def("cast_fp16_fp8", &q::cast_fp16_fp8, tensor("input"), tensor("output"), "n"_a, "stream"_a = 0,
        "fp16 -> FP8: output = E4M3(x), no scale, no clamp; saturates to +-448, NaN stays NaN.");
}

}  // namespace flash_rt::bindings
