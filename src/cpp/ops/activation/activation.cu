// Activation entries (SPEC 2.2): flat, in place, any n.
#include "activation/activation.h"

#include "flash_rt/activation/activation.cuh"
#include "flash_rt/core/check.h"
#include "flash_rt/device/elementwise.cuh"

namespace flash_rt::activation {
namespace {

using device::kDTypeOf;
using device::run_elementwise;

// x <- F(x)
template <typename T, class F>
void unary_inplace(const char* entry, const TensorArg& x, int n, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("n", n);
  ck.vector("x", x, {kDTypeOf<T>}, n);

  UnaryInplaceOp<T, F> op{};
  op.in[0] = static_cast<const T*>(x.data);
  op.out = static_cast<T*>(x.data);
  run_elementwise(ck, op, 1, n, all_aligned({x.data}, 16), stream);
}

// a <- SiLU(a + b)
template <typename T>
void add_silu(const char* entry, const TensorArg& a, const TensorArg& b, int n, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("n", n);
  ck.vector("a", a, {kDTypeOf<T>}, n);
  ck.vector("b", b, {kDTypeOf<T>}, n);

  AddSiluOp<T> op{};
  op.in[0] = static_cast<const T*>(a.data);
  op.in[1] = static_cast<const T*>(b.data);
  op.out = static_cast<T*>(a.data);
  run_elementwise(ck, op, 1, n, all_aligned({a.data, b.data}, 16), stream);
}

}  // namespace

void gelu_inplace(const TensorArg& x, int n, Stream stream) {
  unary_inplace<__nv_bfloat16, GeluSfuF>("gelu_inplace", x, n, stream);
}

void gelu_inplace_fp16(const TensorArg& x, int n, Stream stream) {
  unary_inplace<__half, GeluSfuF>("gelu_inplace_fp16", x, n, stream);
}

void silu_inplace_fp16(const TensorArg& x, int n, Stream stream) {
  unary_inplace<__half, SiluSfuF>("silu_inplace_fp16", x, n, stream);
}

void relu_inplace_fp16(const TensorArg& x, int n, Stream stream) {
  unary_inplace<__half, ReluF>("relu_inplace_fp16", x, n, stream);
}

void fused_add_silu_fp16(const TensorArg& a, const TensorArg& b, int n, Stream stream) {
  add_silu<__half>("fused_add_silu_fp16", a, b, n, stream);
}

void fused_add_silu_bf16(const TensorArg& a, const TensorArg& b, int n, Stream stream) {
  add_silu<__nv_bfloat16>("fused_add_silu_bf16", a, b, n, stream);
}

}  // namespace flash_rt::activation
