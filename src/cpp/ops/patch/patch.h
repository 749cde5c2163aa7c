// Vision patch embedding (SPEC 2.7): the C++ API behind flash_rt_kernels' patch group.
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor). fp16 only.
// Validation happens before any launch; errors are flash_rt::Error (see core/errors.h).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::patch {

using Stream = std::uintptr_t;

// im2col for 14x14 patches of 224x224x3 images (geometry fixed by the contract), a pure copy:
// output[b*256 + py*16 + px, (ky*14 + kx)*3 + c] = input[b, py*14 + ky, px*14 + kx, c]
// (patch rows row-major over the 16x16 grid; features in pixel-row, pixel-col, channel order,
// so a PyTorch conv weight [D, 3, 14, 14] must be permuted to (ky, kx, c)).
// input: NHWC [nv, 224, 224, 3] (a 4-D tensor must have exactly this shape: NCHW is
// rejected), output: [nv * 256, 588].
void patch_im2col(const TensorArg& input, const TensorArg& output, int nv, Stream stream);

// output[i, j] <- RN16(output[i, j] + bias[j] + pos_emb[i mod S_per_view, j]), added left to
// right in fp32. Not the linear projection (a separate GEMM; the catalog's "fused" is wrong).
// output: [S, D] in place, bias: [D], pos_emb: [S_per_view, D].
void patch_embed_bias_pos(const TensorArg& output, const TensorArg& bias, const TensorArg& pos_emb, int S, int D,
                          int S_per_view, Stream stream);

}  // namespace flash_rt::patch
