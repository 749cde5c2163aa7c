// Activation group (SPEC 2.2). Tensor arguments: int device address or DLPack tensor.
// Formulas: src/cpp/ops/activation/activation.h.
#include <nanobind/nanobind.h>

#include "activation/activation.h"
#include "common/tensor_caster.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_activation(nb::module_& m) {
  namespace a = flash_rt::activation;

  m.def("gelu_inplace", &a::gelu_inplace, tensor("x"), "n"_a, "stream"_a = 0,
        "bf16, in place: x <- 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))); any n.");
  m.def("gelu_inplace_fp16", &a::gelu_inplace_fp16, tensor("x"), "n"_a, "stream"_a = 0,
        "fp16, in place: x <- 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))); any n.");
  m.def("silu_inplace_fp16", &a::silu_inplace_fp16, tensor("x"), "n"_a, "stream"_a = 0,
        "fp16, in place: x <- x / (1 + exp(-x)); any n.");
  m.def("relu_inplace_fp16", &a::relu_inplace_fp16, tensor("x"), "n"_a, "stream"_a = 0,
        "fp16, in place: x <- max(x, 0) (NaN -> 0); any n.");
  m.def("fused_add_silu_fp16", &a::fused_add_silu_fp16, tensor("a"), tensor("b"), "n"_a, "stream"_a = 0,
        "fp16, in place: a <- SiLU(a + b), the sum in fp32; b: a full n-element tensor.");
  m.def("fused_add_silu_bf16", &a::fused_add_silu_bf16, tensor("a"), tensor("b"), "n"_a, "stream"_a = 0,
        "bf16, in place: a <- SiLU(a + b), the sum in fp32; b: a full n-element tensor.");
}

}  // namespace flash_rt::bindings
