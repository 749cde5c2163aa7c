// Vision patch embedding (SPEC 2.7). Tensor arguments: int device address or DLPack tensor.
// Formulas and layouts: src/cpp/ops/patch/patch.h.
#include <nanobind/nanobind.h>

#include "common/tensor_caster.h"
#include "patch/patch.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace flash_rt::bindings {

void bind_patch(nb::module_& m) {
  namespace p = flash_rt::patch;

  m.def("patch_im2col", &p::patch_im2col, tensor("input"), tensor("output"), "nv"_a, "stream"_a = 0,
        "fp16 copy: NHWC [nv, 224, 224, 3] -> [nv * 256, 588] 14x14 patches, features (ky, kx, c).");
  m.def("patch_embed_bias_pos", &p::patch_embed_bias_pos, tensor("output"), tensor("bias"), tensor("pos_emb"),
        "S"_a, "D"_a, "S_per_view"_a, "stream"_a = 0,
        "fp16, in place: output[i, j] = RN16(output[i, j] + bias[j] + pos_emb[i % S_per_view, j]).");
}

}  // namespace flash_rt::bindings
