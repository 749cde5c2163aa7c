// Quantize group, FP8 E4M3 per-tensor scale (SPEC 2.4.1): the C++ API behind flash_rt_kernels'
// quantize entries.
//
// Every tensor argument is a TensorArg (an int device address or a DLPack tensor). `input` and
// `output` are dense tensors of `n` elements, any shape (a [S, D] activation is n = S * D
// flattened); `output` holds E4M3 bytes (float8_e4m3fn, uint8 or int8). `d_scale` is a device
// float32 [1] holding scale = amax / 448: read by the static entries, written by the dynamic
// ones. All math in fp32 with one final rounding to E4M3; every one of the n elements is read
// and written, odd n included (the original dropped odd or n % 4 tails), and misaligned views
// take a scalar path.
//
//   E4M3(y)    : round-nearest-even, finite overflow and +-inf saturate to +-448, NaN kept
//   CLAMP448(y): min(max(y, -448), 448) with fmaxf/fminf semantics, so NaN becomes -448 (0xFE)
//   r          : __frcp_rn(scale), the correctly rounded float32 reciprocal, once per thread
//                (the module is built with --prec-div=false, where 1.f / s would be approximate;
//                a reference computing 1/scale correctly rounded in float32 gets the same bytes)
//   floor(s)   : s < 1e-12 ? 1e-12 : s, which keeps a NaN scale NaN (unlike fmaxf)
//   dynamic    : amax = max |x| over all n elements; scale = floor(amax / 448), the division
//                correctly rounded. NaN policy: a NaN anywhere in the input makes amax and the
//                scale NaN (as torch.amax does), so every output byte is 0xFE: a broken
//                activation shows up in the scale instead of being quantized around. +-inf gives
//                scale = inf, r = 0: finite elements become +-0, the infinities NaN -> 0xFE.
// --ftz=true also applies: a scale below 2^-126 or above 2^126 (reciprocal subnormal) is
// flushed to zero first, and subnormal bf16 inputs are flushed (which changes a byte only for
// quantize_fp8_static with a scale below 2^-116). Validation happens before any launch; errors
// are flash_rt::Error (core/errors.h).
#pragma once

#include <cstdint>

#include "flash_rt/core/tensor.h"

namespace flash_rt::quantize {

using Stream = std::uintptr_t;

// Dynamic, host-synchronising: as quantize_fp8_device, then copies *d_scale to the host, waits
// for the stream and returns the scale.  input bf16 [n] -> output E4M3 [n], d_scale f32 [1]
// Not capture-safe (the wait): raises RuntimeError if `stream` is being captured, before
// anything is launched, so the capture stays valid. No allocation (d_scale is the accumulator).
// n >= 1.
float quantize_fp8(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                   Stream stream);

// Every entry here refuses (ValueError) an `output` that overlaps `input`, and a `d_scale` that
// overlaps `output` (or, dynamic entries, `input`): the kernels read one while writing the other.
//
// Dynamic, device-only, capture-safe: *d_scale <- floor(amax / 448); output = E4M3(CLAMP448(x * r)).
// d_scale is scratch and output. One kernel when one CTA can hold the tensor in registers
// (n <= 32768 on the vector path, 4096 on the scalar one); on the vector path, one cooperative
// kernel when one wave of CTAs can (n <= 8,650,752 on a 132-SM H100; its partial scales sit in
// the first 4 * grid bytes of `output` until they are overwritten); else a 4-byte memset of d_scale, an amax kernel (per-CTA maximum, one atomicMax of
// the per-CTA scale per CTA) and the encode kernel, all on `stream` (the input is then read
// twice).   input bf16 [n]; n >= 1
void quantize_fp8_device(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                         Stream stream);
// same, fp16 input (the calibration "measure amax" primitive, SPEC 7.2)
void quantize_fp8_device_fp16(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale,
                              int n, Stream stream);

// output = E4M3(CLAMP448(x * rcp(*d_scale))), no floor (scale 0 -> +-448, 0 * inf -> 0xFE).
// input bf16 [n]; n >= 0 (0: nothing to do). This is also the JAX FFI quantize (SPEC 6).
void quantize_fp8_static(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale, int n,
                         Stream stream);
// output = E4M3(CLAMP448(x * rcp(floor(*d_scale)))); input fp16 [n]; n >= 0. d_scale is a device
// float (the catalog's "host scalar" is wrong).
void quantize_fp8_static_fp16(const TensorArg& input, const TensorArg& output, const TensorArg& d_scale,
                              int n, Stream stream);

// output = E4M3(x): no scale, no clamp; |x| > 448 (inf included) saturates to +-448 (torch's own
// cast gives NaN beyond 464), NaN stays NaN.   input fp16 [n]; n >= 0
void cast_fp16_fp8(const TensorArg& input, const TensorArg& output, int n, Stream stream);

}  // namespace flash_rt::quantize
