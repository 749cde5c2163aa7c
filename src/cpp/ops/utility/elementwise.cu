// Flat utility entries (SPEC 2.8): casts, byte copy, Euler step.
#include "flash_rt/utility/flat_ops.cuh"
#include "utility/common.cuh"
#include "utility/utility.h"

namespace flash_rt::utility {
namespace {

template <typename In, typename Out>
void cast(const char* entry, const char* in_name, const char* out_name, const TensorArg& in, const TensorArg& out,
          int64_t n, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("n", n);
  ck.vector(in_name, in, {kDType<In>}, n);
  ck.vector(out_name, out, {kDType<Out>}, n);
  ready(ck);
  const CastOp<In, Out> op{cptr<In>(in), mptr<Out>(out)};
  if (all_aligned({in.data, out.data}, 16)) launch_flat<8>(op, n, sm_count(ck), as_stream(stream));
  else launch_flat<1>(op, n, sm_count(ck), as_stream(stream));
  check_launch(ck.entry());
}

// A byte buffer of at least nbytes bytes: any dtype the caster knows; with an address, non-null.
void check_bytes(const ArgCheck& ck, const char* name, const TensorArg& t, int64_t nbytes) {
  if (!t.is_tensor()) {
    ck.vector(name, t, {DType::kU8}, nbytes);
    return;
  }
  if (t.dtype == DType::kUnknown)
    throw_error(ErrorKind::kType, ck.entry(), ": '", name,
                "' expected a tensor of a supported dtype (float16, bfloat16, float32, float8_e4m3fn, uint8, "
                "int8, int32, int64), got an unsupported dtype");
  const int64_t have = t.numel() * dtype_size(t.dtype);
  if (have < nbytes)
    throw_error(ErrorKind::kValue, ck.entry(), ": '", name, "' expected at least nbytes = ", nbytes,
                " bytes, got shape ", shape_of(t), " of ", dtype_name(t.dtype), " (", have, " bytes)");
  ck.vector(name, t, {t.dtype}, t.numel());
}

}  // namespace

void gpu_cast_fp32_to_fp16(const TensorArg& src, const TensorArg& dst, int64_t n, Stream stream) {
  cast<float, __half>("gpu_cast_fp32_to_fp16", "src", "dst", src, dst, n, stream);
}

void cast_fp16_to_bf16(const TensorArg& in, const TensorArg& out, int64_t n, Stream stream) {
  cast<__half, __nv_bfloat16>("cast_fp16_to_bf16", "in", "out", in, out, n, stream);
}

void cast_bf16_to_fp16(const TensorArg& in, const TensorArg& out, int64_t n, Stream stream) {
  cast<__nv_bfloat16, __half>("cast_bf16_to_fp16", "in", "out", in, out, n, stream);
}

// A kernel rather than cudaMemcpyAsync: under CUDA-graph replay a memcpy node runs on the copy
// engine, ~20% below the SM copy bandwidth on an H100 (BENCH.md), and it costs more at small sizes.
void gpu_copy(const TensorArg& dst, const TensorArg& src, int64_t nbytes, Stream stream) {
  ArgCheck ck("gpu_copy");
  ck.positive("nbytes", nbytes);
  check_bytes(ck, "dst", dst, nbytes);
  check_bytes(ck, "src", src, nbytes);
  ready(ck);
  const CopyBytesOp op{static_cast<uint8_t*>(dst.data), static_cast<const uint8_t*>(src.data)};
  if (all_aligned({dst.data, src.data}, 16)) launch_flat<16>(op, nbytes, sm_count(ck), as_stream(stream));
  else if (all_aligned({dst.data, src.data}, 4)) launch_flat<4>(op, nbytes, sm_count(ck), as_stream(stream));
  else launch_flat<1>(op, nbytes, sm_count(ck), as_stream(stream));
  check_launch(ck.entry());
}

void gpu_euler_step(const TensorArg& actions, const TensorArg& velocity, int T, int action_dim, float dt,
                    int64_t vel_elem_offset, Stream stream) {
  ArgCheck ck("gpu_euler_step");
  ck.positive("T", T);
  ck.positive("action_dim", action_dim);
  check_finite(ck, "dt", dt);
  ck.non_negative("vel_elem_offset", vel_elem_offset);
  const int64_t n = int64_t{T} * action_dim;
  const int64_t need = span_end(ck, "vel_elem_offset", vel_elem_offset, 1, n);
  ck.rows("actions", actions, {DType::kF32}, T, action_dim);
  check_span(ck, "velocity", velocity, {DType::kF16}, need, "vel_elem_offset + T * action_dim");
  ready(ck);
  const __half* vel = cptr<__half>(velocity) + vel_elem_offset;
  const EulerOp op{mptr<float>(actions), vel, dt};
  if (all_aligned({actions.data, vel}, 16)) launch_flat<8>(op, n, sm_count(ck), as_stream(stream));
  else launch_flat<1>(op, n, sm_count(ck), as_stream(stream));
  check_launch(ck.entry());
}

}  // namespace flash_rt::utility
