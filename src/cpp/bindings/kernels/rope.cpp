// RoPE / QKV split / KV-cache writes (SPEC 2.6.2) and gpu_fill_neginf_* (SPEC 2.6). Tensor arguments: int device address or DLPack tensor.
// Formulas and layouts: src/cpp/ops/rope/rope.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "rope/rope.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_rope(nb::module_& m) {
  namespace r = flash_rt::rope;

  m.def("qkv_split", &r::qkv_split, tensor("qkv"), tensor("Q"), tensor("K"), tensor("V"), "seq"_a, "q_dim"_a,
        "k_dim"_a, "v_dim"_a, "stream"_a = 0,
        "bf16: Q, K, V = qkv[:, :q_dim], qkv[:, q_dim:q_dim+k_dim], qkv[:, q_dim+k_dim:] (dense copies).");
  m.def("qkv_split_fp16", &r::qkv_split_fp16, tensor("qkv"), tensor("Q"), tensor("K"), tensor("V"), "seq"_a,
        "q_dim"_a, "k_dim"_a, "v_dim"_a, "stream"_a = 0,
        "fp16: Q, K, V = qkv[:, :q_dim], qkv[:, q_dim:q_dim+k_dim], qkv[:, q_dim+k_dim:] (dense copies).");
  m.def("qkv_split_rope", &r::qkv_split_rope, tensor("qkv"), tensor("rope_weights"), tensor("Q"), tensor("K"),
        tensor("V"), "seq"_a, "q_dim"_a, "k_dim"_a, "v_dim"_a, "head_dim"_a, "stream"_a = 0,
        "bf16: split qkv, interleaved-pair RoPE on every head of Q and K (any number of KV heads), V copied; "
        "rope_weights [seq, head_dim] = (cos, sin) pairs.");
  m.def("qkv_split_rope_kvcache_fp16", &r::qkv_split_rope_kvcache_fp16, tensor("qkv"), tensor("rope"), tensor("Q"),
        tensor("Kc"), tensor("Vc"), "S"_a, "Q_dim"_a, "K_dim"_a, "HD"_a, "qkv_stride"_a, "kc_offset"_a,
        "kc_stride"_a, "stream"_a = 0,
        "fp16: RoPE(Q) -> Q [S, Q_dim]; RoPE(K), V -> Kc, Vc at kc_offset + s * kc_stride (elements); "
        "V width = qkv_stride - Q_dim - K_dim.");
  m.def("rope_apply", &r::rope_apply, tensor("rope_weights"), tensor("Q"), tensor("K"), "seq_len"_a, "num_heads"_a,
        "head_dim"_a, "stream"_a = 0,
        "bf16, in place: interleaved-pair RoPE on Q [S, NH, HD] per head and on K [S, HD] (one KV head).");
  m.def("rope_rotate_half_fp16", &r::rope_rotate_half_fp16, tensor("x"), tensor("cos_table"), tensor("sin_table"),
        "S"_a, "NH"_a, "HD"_a, "stream"_a = 0,
        "fp16, in place on x [S, NH, HD]: split-halves RoPE, cos/sin tables [S, HD] (first HD/2 columns read).");
  m.def("gpu_fill_neginf_fp16", &r::gpu_fill_neginf_fp16, tensor("dst"), "n"_a, "stream"_a = 0,
        "fp16: dst[i] = RN16(-1e30) = -inf for i < n.");
  m.def("gpu_fill_neginf_bf16", &r::gpu_fill_neginf_bf16, tensor("x"), "n"_a, "stream"_a = 0,
        "bf16: x[i] = RNbf(-1e30), a finite ~-1e30 (not -inf), for i < n.");
}

}  // namespace flash_rt::bindings
