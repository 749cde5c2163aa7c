// Memory / utility entries (SPEC 2.8): the C++ API behind flash_rt_kernels' utility group.
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor). Layouts are
// dense row-major; sizes and offsets are element counts (bytes for gpu_copy). All math in fp32
// with one final RN rounding. Odd sizes and any alignment are handled (16-byte accesses where
// every base and row width allows, the n % 8 tail of flat entries element by element).
// Buffers addressed through an offset or stride (strided source, velocity) are checked against
// the span the call reads when they are tensors. Validation happens before any launch; errors
// are flash_rt::Error (see core/errors.h).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::utility {

using Stream = std::uintptr_t;

// x[i, j] <- RN16(x[i, j] + b[j]).          x: [S, D] fp16 in place, b: [D] fp16
void add_bias_fp16(const TensorArg& x, const TensorArg& b, int S, int D, Stream stream);
// same, bf16
void add_bias_bf16(const TensorArg& x, const TensorArg& b, int S, int D, Stream stream);

// dst[i] = RN16(src[i]).                    src: [n] fp32, dst: [n] fp16
void gpu_cast_fp32_to_fp16(const TensorArg& src, const TensorArg& dst, int64_t n, Stream stream);
// out[i] = RNbf(f32(in[i])).                in: [n] fp16, out: [n] bf16
void cast_fp16_to_bf16(const TensorArg& in, const TensorArg& out, int64_t n, Stream stream);
// out[i] = RN16(f32(in[i])) (beyond the fp16 range: +-inf).   in: [n] bf16, out: [n] fp16
void cast_bf16_to_fp16(const TensorArg& in, const TensorArg& out, int64_t n, Stream stream);

// The first nbytes bytes of src to dst, on `stream` (dst first). Any dtype; with tensors,
// nbytes must not exceed either tensor's size in bytes. src and dst must not overlap.
void gpu_copy(const TensorArg& dst, const TensorArg& src, int64_t nbytes, Stream stream);
// dst[r, c] = src[r * src_stride + col_offset + c], c < dst_cols (src first).   fp16
// dst: dense [rows, dst_cols]; src: at least (rows - 1) * src_stride + col_offset + dst_cols elements.
void gpu_strided_copy_fp16(const TensorArg& src, const TensorArg& dst, int rows, int dst_cols, int64_t src_stride,
                           int64_t col_offset, Stream stream);
// dst[s, h, :] = src[s, h / repeat, :] (consecutive grouping, torch.repeat_interleave on the
// head dim).                                src: [S, NH_src, HD], dst: [S, NH_src * repeat, HD] fp16
void gpu_repeat_interleave_heads(const TensorArg& src, const TensorArg& dst, int S, int NH_src, int HD, int repeat,
                                 Stream stream);
// actions[i] += dt * f32(velocity[vel_elem_offset + i]), i < T * action_dim; velocity read
// contiguously from the element offset (no row stride). The product and the sum are each
// rounded to fp32.                          actions: [T, action_dim] fp32 in place, velocity fp16
void gpu_euler_step(const TensorArg& actions, const TensorArg& velocity, int T, int action_dim, float dt,
                    int64_t vel_elem_offset, Stream stream);

}  // namespace flash_rt::utility
