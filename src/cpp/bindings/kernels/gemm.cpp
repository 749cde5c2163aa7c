// GEMM group (SPEC 2.5). Tensor arguments: int device address or DLPack tensor.
// Layouts, scales, errors and the graph-capture rule: src/cpp/ops/gemm/gemm.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "context/context.h"
#include "gemm/cutlass_fp8.h"
#include "gemm/gemm.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_gemm(nb::module_& m) {
  using gemm::GemmRunner;
  namespace g = flash_rt::gemm;

  nb::class_<GemmRunner>(m, "GemmRunner",
                         "cuBLASLt GEMMs with a 32 MiB workspace and a per-shape plan cache. Call each shape once "
                         "before CUDA graph capture. Not thread-safe: one runner per thread.")
      .def(nb::init<>())
      .def("fp16_nn", &GemmRunner::fp16_nn, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a, "stream"_a = 0,
           "fp16 NN: D[M,N] = A[M,K] . B[K,N].")
      .def("bf16_nn", &GemmRunner::bf16_nn, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a, "stream"_a = 0,
           "bf16 NN: D[M,N] = A[M,K] . B[K,N].")
      .def("bf16_nn_res", &GemmRunner::bf16_nn_res, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a,
           "stream"_a = 0, "bf16 NN: D <- A . B + D.")
      .def("bf16_nn_bias", &GemmRunner::bf16_nn_bias, tensor("A"), tensor("B"), tensor("D"), tensor("bias"), "M"_a,
           "N"_a, "K"_a, "stream"_a = 0, "bf16 NN: D = A . B + bias[N].")
      .def("bf16_nn_bias_gelu", &GemmRunner::bf16_nn_bias_gelu, tensor("A"), tensor("B"), tensor("D"), tensor("bias"),
           "M"_a, "N"_a, "K"_a, "stream"_a = 0, "bf16 NN: D = GELU(A . B + bias[N]) (cuBLASLt GELU_BIAS).")
      .def("bf16_nn_bias_res", &GemmRunner::bf16_nn_bias_res, tensor("A"), tensor("B"), tensor("D"), tensor("bias"),
           "M"_a, "N"_a, "K"_a, "stream"_a = 0, "bf16 NN: D <- A . B + bias[N] + D.")
      .def("fp8_run_dev", &GemmRunner::fp8_run_dev, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a,
           tensor("d_scale_a"), tensor("d_scale_b"), "stream"_a = 0,
           "FP8 NT -> bf16: D[M,N] = sa * sb * A[M,K] . B[N,K]^T; scales device float32 [1].")
      .def("fp8_nn_dev", &GemmRunner::fp8_nn_dev, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a,
           tensor("d_scale_a"), tensor("d_scale_b"), "stream"_a = 0,
           "FP8 NN -> bf16: D[M,N] = sa * sb * A[M,K] . B[K,N]; scales device float32 [1].")
      .def("fp8_descale_fp16", &GemmRunner::fp8_descale_fp16, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a,
           "K"_a, tensor("act_descale"), tensor("w_descale"), "stream"_a = 0,
           "FP8 NN -> fp16: D = act * w * A . B; descales device float32 [1].")
      .def("fp8_nn_bias", &GemmRunner::fp8_nn_bias, tensor("A"), tensor("B"), tensor("D"), tensor("bias"), "M"_a,
           "N"_a, "K"_a, "alpha"_a = 1.0f, "stream"_a = 0, "FP8 NN -> fp16: D = alpha * A . B + bias[N] (fp16).")
      .def("fp8_nn_bias_res", &GemmRunner::fp8_nn_bias_res, tensor("A"), tensor("B"), tensor("D"), tensor("bias"),
           "M"_a, "N"_a, "K"_a, "alpha"_a = 1.0f, "stream"_a = 0, "FP8 NN -> fp16: D <- alpha * A . B + bias[N] + D.")
      .def("fp8_nn_gelu_bias", &GemmRunner::fp8_nn_gelu_bias, tensor("A"), tensor("B"), tensor("D"), tensor("bias"),
           "M"_a, "N"_a, "K"_a, "alpha"_a = 1.0f, "stream"_a = 0,
           "FP8 NN -> fp16: D = GELU(alpha * A . B + bias[N]) (cuBLASLt GELU_BIAS).")
      .def("bf16_gemm", &GemmRunner::bf16_gemm, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a,
           "alpha"_a = 1.0f, "beta"_a = 0.0f, "warmup"_a = 3, "iters"_a = 100,
           "Benchmark, bf16 NT D = alpha A . B^T + beta D on stream 0 (device sync); mean ms.")
      .def("fp8_gemm", &GemmRunner::fp8_gemm, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a,
           "scale_a"_a = 1.0f, "scale_b"_a = 1.0f, "warmup"_a = 3, "iters"_a = 100,
           "Benchmark, FP8 NT -> bf16 D = scale_a scale_b A . B^T on stream 0 (device sync); mean ms.")
      .def("autotune_bf16_nn", &GemmRunner::autotune_bf16_nn, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a,
           "K"_a, "num_algos"_a = 16,
           "Time up to num_algos candidates for the bf16_nn shape (the heuristic's, then configurations "
           "near them), keep the fastest if it beats the heuristic's choice by 2%.")
      .def("autotune_fp8_nn_dev", &GemmRunner::autotune_fp8_nn_dev, tensor("A"), tensor("B"), tensor("D"), "M"_a,
           "N"_a, "K"_a, tensor("d_scale_a"), tensor("d_scale_b"), "num_algos"_a = 16,
           "Time up to num_algos candidates for the fp8_nn_dev shape (the heuristic's, then configurations "
           "near them), keep the fastest if it beats the heuristic's choice by 2%.")
      .def("register_static_weight", &GemmRunner::register_static_weight, tensor("B"), "K"_a, "N"_a,
           "stream"_a = 0,
           "Keep a transposed copy of the FP8 [K, N] weight B for this runner's FP8 NN calls (SM89/SM90: "
           "no per-call transpose). A snapshot found by B's address: register again after changing B, "
           "unregister before freeing it. Synchronises `stream`; not during capture. False where FP8 NN "
           "runs natively (no copy needed).")
      .def("unregister_static_weight", &GemmRunner::unregister_static_weight, tensor("B"), "K"_a, "N"_a,
           "Free the copy registered for B (same K, N); False if there was none.")
      .def_prop_ro("static_weight_count", &GemmRunner::static_weight_count, "Registered static weights.");

  m.def("gmm_fp16", &g::gmm_fp16, "ctx"_a, tensor("A"), tensor("B"), tensor("C"), "M"_a, "N"_a, "K"_a, "beta"_a = 0.0f,
        "stream"_a = 0, "cuBLAS fp16 NN: C[M,N] <- A[M,K] . B[K,N] + beta C, fp32 compute; uses ctx's handle.");
  m.def("fp8_gemm_descale_fp16", &g::fp8_gemm_descale_fp16, tensor("A"), tensor("B"), tensor("C"), "M"_a, "N"_a,
        "K"_a, tensor("act_descale"), tensor("w_descale"), "stream"_a = 0,
        "FP8 NN -> fp16: C[M,N] = act * w * A[M,K] . B[K,N] (process-global runner; warm up before capture).");
  m.def("fp8_gemm_descale_bf16out", &g::fp8_gemm_descale_bf16out, tensor("A"), tensor("B"), tensor("C"), "M"_a,
        "N"_a, "K"_a, tensor("act_descale"), tensor("w_descale"), "stream"_a = 0,
        "FP8 NN -> bf16: C[M,N] = act * w * A[M,K] . B[K,N] (process-global runner; warm up before capture).");
  m.def("fp8_gemm_descale_f32out", &g::fp8_gemm_descale_f32out, tensor("A"), tensor("B"), tensor("C"), "M"_a, "N"_a,
        "K"_a, tensor("act_descale"), tensor("w_descale"), "stream"_a = 0,
        "FP8 NN -> float32: C[M,N] = act * w * A[M,K] . B[K,N] (process-global runner; warm up before capture).");

  m.def("fp8_gemm_descale_register_static_weight", &g::fp8_gemm_descale_register_static_weight, tensor("B"),
        "K"_a, "N"_a, "stream"_a = 0,
        "GemmRunner.register_static_weight on the runner behind fp8_gemm_descale_*.");
  m.def("fp8_gemm_descale_unregister_static_weight", &g::fp8_gemm_descale_unregister_static_weight, tensor("B"),
        "K"_a, "N"_a, "GemmRunner.unregister_static_weight on the runner behind fp8_gemm_descale_*.");

  // cutlass_fp8_* (SPEC 2.5.4): NT, D = alpha * A[M,K] . B[N,K]^T + beta * D; returns 0 (errors raise).
  struct CutlassEntry {
    const char* name;
    decltype(&g::cutlass_fp8_sq) fn;
    const char* doc;
  };
  static constexpr CutlassEntry kCutlass[] = {
      {"cutlass_fp8_sq", &g::cutlass_fp8_sq, "CUTLASS FP8 NT -> fp16 (square tile)."},
      {"cutlass_fp8_t1", &g::cutlass_fp8_t1, "CUTLASS FP8 NT -> fp16 (128-row tile)."},
      {"cutlass_fp8_wide", &g::cutlass_fp8_wide, "CUTLASS FP8 NT -> fp16 (wide tile)."},
      {"cutlass_fp8_plain", &g::cutlass_fp8_plain, "CUTLASS FP8 NT -> fp16 (K-64 tile)."},
      {"cutlass_fp8_gelu", &g::cutlass_fp8_gelu, "CUTLASS FP8 NT -> fp16, D = GELU_erf(alpha A.B^T + beta D)."},
      {"cutlass_fp8_sq_f32out", &g::cutlass_fp8_sq_f32out, "CUTLASS FP8 NT -> float32 (square tile)."},
      {"cutlass_fp8_wide_f32out", &g::cutlass_fp8_wide_f32out, "CUTLASS FP8 NT -> float32 (wide tile)."},
      {"cutlass_fp8_sq_bf16out", &g::cutlass_fp8_sq_bf16out, "CUTLASS FP8 NT -> bf16 (square tile)."},
      {"cutlass_fp8_wide_bf16out", &g::cutlass_fp8_wide_bf16out, "CUTLASS FP8 NT -> bf16 (wide tile)."},
      {"cutlass_fp8_t1_bf16out", &g::cutlass_fp8_t1_bf16out, "CUTLASS FP8 NT -> bf16 (128-row tile)."},
  };
  for (const CutlassEntry& e : kCutlass)
    m.def(e.name, e.fn, tensor("A"), tensor("B"), tensor("D"), "M"_a, "N"_a, "K"_a, "alpha"_a = 1.0f, "beta"_a = 0.0f,
          "stream"_a = 0, e.doc);
  m.def("cutlass_fp8_archs", &g::cutlass_fp8_archs, "Architectures this build has cutlass_fp8_* kernels for.");
  m.def("cutlass_fp8_sm90_backend", &g::cutlass_fp8_sm90_backend, "policy"_a = "",
        "SM90 backend policy of cutlass_fp8_*: 'auto' (default), 'cutlass' or 'cublaslt'; sets it when given, "
        "returns the policy in force.");
}

}  // namespace flash_rt::bindings
