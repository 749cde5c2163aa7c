// Norm group (SPEC 2.1). Tensor arguments: int device address or DLPack tensor.
// Formulas and layouts: src/cpp/ops/norm/norm.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "norm/norm.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_norm(nb::module_& m) {
  namespace n = flash_rt::norm;
  // d_scale defaults to None and is required (the original defaulted it to a null pointer).

  m.def("rms_norm", &n::rms_norm, tensor("x"), tensor("weight"), tensor("out"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6,
        "stream"_a = 0, "bf16: out = x * rsqrt(mean(x^2) + eps) * weight.");
  m.def("rms_norm_fp16", &n::rms_norm_fp16, tensor("x"), tensor("weight"), tensor("out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-6, "stream"_a = 0, "fp16: out = x * rsqrt(mean(x^2) + eps) * weight.");
  m.def("rms_norm_inplace", &n::rms_norm_inplace, tensor("weight"), tensor("x"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6,
        "stream"_a = 0, "bf16, in place: x <- x * rsqrt(mean(x^2) + eps) * weight (weight first).");
  m.def("rms_norm_fp8", &n::rms_norm_fp8, tensor("x"), tensor("weight"), tensor("out"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6,
        tensor("d_scale") = nb::none(), "stream"_a = 0,
        "bf16 -> FP8: out = E4M3(CLAMP448(x * rstd * weight / d_scale)); d_scale: device float32 [1].");
  m.def("rms_norm_fp8_fp16", &n::rms_norm_fp8_fp16, tensor("x"), tensor("weight"), tensor("out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-6, tensor("d_scale") = nb::none(), "stream"_a = 0,
        "fp16 -> FP8: out = E4M3(CLAMP448(x * rstd * weight / d_scale)); d_scale: device float32 [1].");
  m.def("rms_norm_fp8_noweight_fp16", &n::rms_norm_fp8_noweight_fp16, tensor("x"), tensor("out"), "seq_len"_a, "dim"_a,
        tensor("d_scale"), "stream"_a = 0,
        "fp16 -> FP8, eps 1e-6: out = E4M3(CLAMP448(x * rsqrt_rn(mean(x^2) + eps) / max(d_scale, 1e-12))).");
  m.def("rms_norm_fp8_noweight_bf16", &n::rms_norm_fp8_noweight_bf16, tensor("x"), tensor("out"), "seq_len"_a, "dim"_a,
        tensor("d_scale"), "stream"_a = 0,
        "bf16 -> FP8, eps 1e-6: out = E4M3(CLAMP448(x * rsqrt_rn(mean(x^2) + eps) / max(d_scale, 1e-12))).");

  m.def("layer_norm", &n::layer_norm, tensor("x"), tensor("weight"), tensor("bias"), tensor("out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-6, "stream"_a = 0, "bf16: out = (x - mean) * rsqrt(var + eps) * weight + bias.");
  m.def("layer_norm_fp16", &n::layer_norm_fp16, tensor("x"), tensor("weight"), tensor("bias"), tensor("out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-6, "stream"_a = 0, "fp16: out = (x - mean) * rsqrt(var + eps) * weight + bias.");
  m.def("layer_norm_fp8", &n::layer_norm_fp8, tensor("x"), tensor("out"), tensor("gamma"), tensor("beta"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-6, "stream"_a = 0,
        "fp16 -> FP8: out = E4M3((x - mean) * rsqrt(var + eps) * gamma + beta), no scale, no clamp.");
  m.def("layer_norm_no_affine_fp16", &n::layer_norm_no_affine_fp16, tensor("x"), tensor("out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-5, "stream"_a = 0, "fp16: out = (x - mean) * rsqrt(var + eps).");
  m.def("layer_norm_no_affine_bf16", &n::layer_norm_no_affine_bf16, tensor("x"), tensor("out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-5, "stream"_a = 0, "bf16: out = (x - mean) * rsqrt(var + eps).");
  m.def("ada_layer_norm_fp16", &n::ada_layer_norm_fp16, tensor("x"), tensor("scale"), tensor("shift"), tensor("out"), "seq_len"_a,
        "dim"_a, "eps"_a = 1e-5, "stream"_a = 0,
        "fp16: out = LN(x) * (1 + scale) + shift; scale, shift: [dim] broadcast over rows.");
  m.def("ada_layer_norm_bf16", &n::ada_layer_norm_bf16, tensor("x"), tensor("scale"), tensor("shift"), tensor("out"), "seq_len"_a,
        "dim"_a, "eps"_a = 1e-5, "stream"_a = 0,
        "bf16: out = LN(x) * (1 + scale) + shift; scale, shift: [dim] broadcast over rows.");

  m.def("ada_rms_norm_style", &n::ada_rms_norm_style, tensor("x"), tensor("weight"), tensor("style"), tensor("out"), tensor("gate_out"),
        "seq_len"_a, "dim"_a, "eps"_a = 1e-6, "stream"_a = 0,
        "bf16: n = x * rstd * weight; out = n * (1 + scale) + shift; gate_out = gate; style [S, 3D].");
  m.def("ada_rms_norm_style_fp8", &n::ada_rms_norm_style_fp8, tensor("x"), tensor("weight"), tensor("style"), tensor("out"),
        tensor("gate_out"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6, tensor("d_scale") = nb::none(), "stream"_a = 0,
        "bf16 -> FP8: out = E4M3(CLAMP448((n * (1 + scale) + shift) / d_scale)); gate_out bf16.");
  m.def("adarms_fp16", &n::adarms_fp16, tensor("x"), tensor("style"), tensor("out"), tensor("gate_out"), "S"_a, "D"_a,
        "stream"_a = 0, "fp16, eps 1e-6: out = x * rstd * (1 + scale) + shift; gate_out = gate; style [S, 3D].");
}

}  // namespace flash_rt::bindings
