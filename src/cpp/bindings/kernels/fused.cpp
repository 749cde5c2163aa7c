// Fused elementwise gate / residual entries (SPEC 2.3, the non-normalising half). Tensor
// arguments: int device address or DLPack tensor. Formulas: src/cpp/ops/fused/fused.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "fused/fused.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_fused(nb::module_& m) {
  namespace f = flash_rt::fused;
  // GELU_t(g) = g / (1 + exp(-1.5957691216057308 g (1 + 0.044715 g^2))). Merged buffers are
  // [seq, 2 * half_dim] = [gate | up]. d_scale / descale: device float32 [1] = amax / 448,
  // required (gate_geglu_merged_fp8 keeps a None default only for the argument order).

  m.def("gate_geglu", &f::gate_geglu, tensor("gate"), tensor("up"), tensor("out"), "n"_a, "stream"_a = 0,
        "bf16: out = GELU_t(gate) * up over n elements.");
  m.def("gate_geglu_fp16", &f::gate_geglu_fp16, tensor("gate"), tensor("up"), tensor("out"), "n"_a,
        "stream"_a = 0, "fp16: out = GELU_t(gate) * up over n elements.");
  m.def("gate_geglu_merged", &f::gate_geglu_merged, tensor("merged"), tensor("out"), "seq"_a, "half_dim"_a,
        "stream"_a = 0, "bf16: out[s, h] = GELU_t(merged[s, h]) * merged[s, half_dim + h].");
  m.def("gate_geglu_merged_fp16", &f::gate_geglu_merged_fp16, tensor("merged"), tensor("out"), "seq"_a,
        "half_dim"_a, "stream"_a = 0, "fp16: out[s, h] = GELU_t(merged[s, h]) * merged[s, half_dim + h].");
  m.def("gate_geglu_merged_fp8", &f::gate_geglu_merged_fp8, tensor("merged"), tensor("out"), "seq"_a,
        "half_dim"_a, tensor("d_scale") = nb::none(), "stream"_a = 0,
        "bf16 -> FP8: out = E4M3(CLAMP448(GELU_t(g) * u / d_scale)), no scale floor.");
  m.def("gate_geglu_merged_fp8_fp16", &f::gate_geglu_merged_fp8_fp16, tensor("merged"), tensor("out"), "seq"_a,
        "half_dim"_a, tensor("d_scale"), "stream"_a = 0,
        "fp16 -> FP8: out = E4M3(CLAMP448(GELU_t(g) * u / max(d_scale, 1e-12))), fast exp; any half_dim.");
  m.def("silu_mul_split_fp8_fp16", &f::silu_mul_split_fp8_fp16, tensor("gate"), tensor("up"), tensor("out"),
        "n"_a, tensor("d_scale"), "stream"_a = 0,
        "fp16 -> FP8: out = E4M3(CLAMP448(SiLU(gate) * up / d_scale)), no scale floor.");
  m.def("geglu_fp8_static_fp16", &f::geglu_fp8_static_fp16, tensor("merged"), tensor("out"), "S"_a, "H"_a,
        tensor("descale"), "stream"_a = 0,
        "fp16 -> FP8: out = E4M3(CLAMP448(GELU_t(g) * u / max(descale, 1e-12))), accurate exp.");

  m.def("gate_mul_residual", &f::gate_mul_residual, tensor("residual"), tensor("x"), tensor("gate"), "n"_a,
        "stream"_a = 0, "bf16, in place: residual <- residual + x * gate.");
  m.def("gate_res_fp16", &f::gate_res_fp16, tensor("gemm_out"), tensor("gate"), tensor("residual"), "n"_a,
        "stream"_a = 0, "fp16, in place: residual <- residual + gemm_out * gate (note the argument order).");
  m.def("residual_add", &f::residual_add, tensor("residual"), tensor("x"), "n"_a, "stream"_a = 0,
        "bf16, in place: residual <- residual + x.");
  m.def("residual_add_fp16", &f::residual_add_fp16, tensor("residual"), tensor("x"), "n"_a, "stream"_a = 0,
        "fp16, in place: residual <- residual + x.");
  m.def("bias_residual", &f::bias_residual, tensor("residual"), tensor("x"), tensor("bias"), "seq_len"_a,
        "dim"_a, "stream"_a = 0, "bf16, in place: residual[s, j] <- residual[s, j] + x[s, j] + bias[j].");
  m.def("bias_residual_fp16", &f::bias_residual_fp16, tensor("residual"), tensor("x"), tensor("bias"),
        "seq_len"_a, "dim"_a, "stream"_a = 0,
        "fp16, in place: residual[s, j] <- residual[s, j] + x[s, j] + bias[j].");
  m.def("cfg_combine_into_residual", &f::cfg_combine_into_residual, tensor("residual"), tensor("v_cond"),
        tensor("v_uncond"), "beta"_a, "n"_a, "stream"_a = 0,
        "bf16, in place: residual <- residual + v_uncond + beta * (v_cond - v_uncond).");
  m.def("cfg_combine_into_residual_fp16", &f::cfg_combine_into_residual_fp16, tensor("residual"),
        tensor("v_cond"), tensor("v_uncond"), "beta"_a, "n"_a, "stream"_a = 0,
        "fp16, in place: residual <- residual + v_uncond + beta * (v_cond - v_uncond).");
}

}  // namespace flash_rt::bindings
