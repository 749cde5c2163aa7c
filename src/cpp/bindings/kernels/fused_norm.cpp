// Residual-fused norms (SPEC 2.3, the normalising half). Tensor arguments: int device address
// or DLPack tensor. Formulas and layouts: src/cpp/ops/fused_norm/fused_norm.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "fused_norm/fused_norm.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_fused_norm(nb::module_& m) {
  namespace f = flash_rt::fused_norm;
  // d_scale defaults to None and is required (the original defaulted it to a null pointer).
  m.def("residual_add_rms_norm", &f::residual_add_rms_norm, tensor("residual"), tensor("x"), tensor("weight"),
        tensor("out"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6, "stream"_a = 0,
        "bf16: residual <- RN(residual + x); out = RN(residual) * rstd * weight (stats from the unrounded sum).");
  m.def("residual_add_rms_norm_fp8", &f::residual_add_rms_norm_fp8, tensor("residual"), tensor("x"),
        tensor("weight"), tensor("out"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6, tensor("d_scale") = nb::none(),
        "stream"_a = 0, "bf16 -> FP8: residual_add_rms_norm, then E4M3(CLAMP448(. / d_scale)).");
  m.def("residual_add_rms_norm_fp8_fp16", &f::residual_add_rms_norm_fp8_fp16, tensor("residual"), tensor("x"),
        tensor("weight"), tensor("out"), "seq_len"_a, "dim"_a, "eps"_a = 1e-6, tensor("d_scale") = nb::none(),
        "stream"_a = 0, "fp16 -> FP8: residual_add_rms_norm, then E4M3(CLAMP448(. / d_scale)).");
  m.def("residual_add_rms_norm_fp8_noweight_fp16", &f::residual_add_rms_norm_fp8_noweight_fp16,
        tensor("residual"), tensor("x"), tensor("out"), "seq_len"_a, "dim"_a, tensor("d_scale"), "stream"_a = 0,
        "fp16 -> FP8: residual <- RN(r = residual + x); out = E4M3(CLAMP448(r * rsqrt_rn(mean(r^2) + 1e-6) / "
        "max(d_scale, 1e-12))).");
  m.def("residual_add_rms_norm_fp8_noweight_bf16", &f::residual_add_rms_norm_fp8_noweight_bf16,
        tensor("residual"), tensor("x"), tensor("out"), "seq_len"_a, "dim"_a, tensor("d_scale"), "stream"_a = 0,
        "bf16 -> FP8: residual <- RN(r = residual + x); out = E4M3(CLAMP448(r * rsqrt_rn(mean(r^2) + 1e-6) / "
        "max(d_scale, 1e-12))).");
  m.def("plain_rms_fp8_fp16", &f::plain_rms_fp8_fp16, tensor("x"), tensor("out"), "seq_len"_a, "dim"_a,
        "stream"_a = 0, "fp16 -> FP8: out = E4M3(x * rsqrt(mean(x^2) + 1e-6)), no scale, no clamp.");
  m.def("plain_res_rms_fp8_fp16", &f::plain_res_rms_fp8_fp16, tensor("residual"), tensor("x"), tensor("out"),
        "seq_len"_a, "dim"_a, "stream"_a = 0,
        "fp16 -> FP8: residual <- RN16(residual + x); out = E4M3(residual * rstd), eps 1e-6, no clamp.");
  m.def("fused_adarms_fp8_static_fp16", &f::fused_adarms_fp8_static_fp16, tensor("x"), tensor("style"),
        tensor("out"), tensor("gate_out"), "S"_a, "D"_a, tensor("descale"), "stream"_a = 0,
        "fp16 -> FP8: out = E4M3(CLAMP448((x * rstd * (1 + scale) + shift) / max(descale, 1e-12))); "
        "gate_out = gate; style [S, 3D].");
  m.def("gate_res_adarms_fp8_static_fp16", &f::gate_res_adarms_fp8_static_fp16, tensor("gemm_out"),
        tensor("prev_gate"), tensor("residual"), tensor("style"), tensor("fp8_out"), tensor("gate_out"), "S"_a,
        "D"_a, tensor("descale"), "stream"_a = 0,
        "fp16: residual <- RN16(residual + gemm_out * prev_gate); fp8_out = E4M3(CLAMP448((RN16(r) * rstd * "
        "(1 + scale) + shift) / max(descale, 1e-12))); gate_out = gate.");
  m.def("gate_residual_ada_norm_fp8", &f::gate_residual_ada_norm_fp8, tensor("residual"), tensor("x"),
        tensor("gate"), tensor("weight"), tensor("style"), tensor("out"), tensor("gate_out"), "seq_len"_a, "dim"_a,
        "eps"_a = 1e-6, tensor("d_scale") = nb::none(), "stream"_a = 0,
        "bf16: residual <- RNbf(residual + x * gate); out = E4M3(CLAMP448((RNbf(r) * rstd * weight * (1 + scale) "
        "+ shift) / d_scale)); gate_out = gate.");
}

}  // namespace flash_rt::bindings
