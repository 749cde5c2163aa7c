// Memory / utility entries (SPEC 2.8). Tensor arguments: int device address or DLPack tensor.
// Formulas and layouts: src/cpp/ops/utility/utility.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "utility/utility.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_utility(nb::module_& m) {
  namespace u = flash_rt::utility;

  m.def("add_bias_fp16", &u::add_bias_fp16, tensor("x"), tensor("b"), "S"_a, "D"_a, "stream"_a = 0,
        "fp16, in place: x[i, j] = RN16(x[i, j] + b[j]); x [S, D], b [D].");
  m.def("add_bias_bf16", &u::add_bias_bf16, tensor("x"), tensor("b"), "S"_a, "D"_a, "stream"_a = 0,
        "bf16, in place: x[i, j] = RNbf(x[i, j] + b[j]); x [S, D], b [D].");
  m.def("gpu_cast_fp32_to_fp16", &u::gpu_cast_fp32_to_fp16, tensor("src"), tensor("dst"), "n"_a, "stream"_a = 0,
        "dst[i] = RN16(src[i]): fp32 -> fp16, n elements.");
  m.def("cast_fp16_to_bf16", &u::cast_fp16_to_bf16, tensor("in"), tensor("out"), "n"_a, "stream"_a = 0,
        "out[i] = RNbf(in[i]): fp16 -> bf16, n elements.");
  m.def("cast_bf16_to_fp16", &u::cast_bf16_to_fp16, tensor("in"), tensor("out"), "n"_a, "stream"_a = 0,
        "out[i] = RN16(in[i]): bf16 -> fp16, n elements.");
  m.def("gpu_copy", &u::gpu_copy, tensor("dst"), tensor("src"), "nbytes"_a, "stream"_a = 0,
        "Copy the first nbytes bytes of src to dst on the stream (dst first; any dtype).");
  m.def("gpu_strided_copy_fp16", &u::gpu_strided_copy_fp16, tensor("src"), tensor("dst"), "rows"_a, "dst_cols"_a,
        "src_stride"_a, "col_offset"_a, "stream"_a = 0,
        "fp16: dst[r, c] = src[r * src_stride + col_offset + c] for c < dst_cols (src first).");
  m.def("gpu_repeat_interleave_heads", &u::gpu_repeat_interleave_heads, tensor("src"), tensor("dst"), "S"_a,
        "NH_src"_a, "HD"_a, "repeat"_a, "stream"_a = 0,
        "fp16: dst[s, h] = src[s, h // repeat]; src [S, NH_src, HD], dst [S, NH_src * repeat, HD].");
  m.def("gpu_euler_step", &u::gpu_euler_step, tensor("actions"), tensor("velocity"), "T"_a, "action_dim"_a, "dt"_a,
        "vel_elem_offset"_a, "stream"_a = 0,
        "actions (fp32) += dt * velocity (fp16, read contiguously from vel_elem_offset), T * action_dim elements.");
}

}  // namespace flash_rt::bindings
