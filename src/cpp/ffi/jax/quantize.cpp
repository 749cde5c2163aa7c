// JAX FFI handler: quantize_fp8_static (SPEC 6), the same launcher as
// flash_rt_kernels.quantize_fp8_static (ops/quantize/quantize.h).
//
//   operands: x     bf16, any shape (n = x.size elements)
//             scale float32, exactly one element (device; amax / 448)
//   result:   y     E4M3 bytes, float8_e4m3fn / uint8 / int8, n elements (the wrappers declare x's shape)
//   y = E4M3(CLAMP448(x * rcp(scale))), no floor.
//
// Every one of the n elements is written, odd n included (the original's pair kernel left the
// last byte of an odd count unwritten). n == 0 launches nothing. Capture-safe: one kernel on
// XLA's stream, nothing allocated, so the handler carries the command-buffer trait.
#include "ffi/jax/common.h"
#include "quantize/quantize.h"

namespace flash_rt::jax_ffi {
namespace {

constexpr const char* kEntry = "quantize_fp8_static";

ffi::Error quantize_fp8_static(cudaStream_t stream, int32_t device, ffi::AnyBuffer x, ffi::AnyBuffer scale,
                               ffi::Result<ffi::AnyBuffer> y) {
  return guarded(kEntry, [&]() -> ffi::Error {
    // Operand checks first, in the JAX wrapper's names; nothing touches the device before them.
    expect_dtype(kEntry, "x", x, {ffi::DataType::BF16});
    expect_rank(kEntry, "x", x);
    expect_scalar(kEntry, "scale", scale);
    expect_rank(kEntry, "scale", scale);
    expect_dtype(kEntry, "y", *y, {ffi::DataType::F8E4M3FN, ffi::DataType::U8, ffi::DataType::S8});
    expect_rank(kEntry, "y", *y);
    const int64_t n64 = static_cast<int64_t>(x.element_count());
    if (static_cast<int64_t>(y->element_count()) != n64)
      throw_error(ErrorKind::kValue, kEntry, ": 'y' expected ", n64, " elements (as many as x, shape ", dims_str(x),
                  "), got shape ", dims_str(*y));
    const int n = checked_int(kEntry, "the element count of 'x'", n64);
    if (n == 0) return ffi::Error::Success();

    DeviceScope dev(kEntry, static_cast<int>(device));
    if (capturing(stream)) count(kCapturedCalls);
    quantize::quantize_fp8_static(tensor(kEntry, "x", x, dev.device()), tensor(kEntry, "y", *y, dev.device()),
                                  tensor(kEntry, "scale", scale, dev.device()), n,
                                  reinterpret_cast<quantize::Stream>(stream));
    count(kQuantizeCalls);
    return ffi::Error::Success();
  });
}

}  // namespace
}  // namespace flash_rt::jax_ffi

namespace ffi = ::xla::ffi;

FLASH_RT_FFI_EXPORT XLA_FFI_Error* flash_rt_quantize_fp8_static(XLA_FFI_CallFrame* call_frame);
XLA_FFI_DEFINE_HANDLER_SYMBOL(flash_rt_quantize_fp8_static, flash_rt::jax_ffi::quantize_fp8_static,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::PlatformStream<cudaStream_t>>()
                                  .Ctx<ffi::DeviceOrdinal>()  // XLA's device (cudaStreamGetDevice fails while capturing)
                                  .Arg<ffi::AnyBuffer>()  // x
                                  .Arg<ffi::AnyBuffer>()  // scale
                                  .Ret<ffi::AnyBuffer>(), // y
                              {ffi::Traits::kCmdBufferCompatible});

// The original library's symbol name (pre-rename prefix), same handler.
FLASH_RT_FFI_EXPORT XLA_FFI_Error* flashvla_quantize_fp8_static(XLA_FFI_CallFrame* call_frame) {
  return flash_rt_quantize_fp8_static(call_frame);
}
