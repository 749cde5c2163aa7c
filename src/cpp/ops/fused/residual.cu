// Residual update entries (SPEC 2.3): residual <- residual + (x, x * gate, x + bias,
// v_u + beta (v_c - v_u)) in fp32, rounded once to the storage type, in place.
#include "fused/fused.h"

#include "flash_rt/core/check.h"
#include "flash_rt/device/elementwise.cuh"
#include "flash_rt/fused/residual.cuh"

namespace flash_rt::fused {
namespace {

using device::kDTypeOf;
using device::run_elementwise;

// residual <- F(residual, others...) over n elements. `names` / `args` are the entry's tensor
// arguments in call order (validated in that order, under the catalog's names); `res` is the
// residual's position among them. F receives the residual first, then the others in call order.
template <typename T, int N, class F>
void flat_residual(const char* entry, const char* const (&names)[N], const TensorArg* const (&args)[N], int res,
                   int n, F f, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("n", n);
  for (int j = 0; j < N; ++j) ck.vector(names[j], *args[j], {kDTypeOf<T>}, n);

  ResidualOp<T, N, F> op{};
  op.in[0] = static_cast<const T*>(args[res]->data);
  bool vec = true;
  for (int j = 0, k = 1; j < N; ++j) {
    vec = vec && all_aligned({args[j]->data}, 16);
    if (j != res) op.in[k++] = static_cast<const T*>(args[j]->data);
  }
  op.out = static_cast<T*>(args[res]->data);
  op.f = f;
  run_elementwise(ck, op, 1, n, vec, stream);
}

template <typename T>
void bias_res(const char* entry, const TensorArg& residual, const TensorArg& x, const TensorArg& bias,
              int seq_len, int dim, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("seq_len", seq_len);
  ck.positive("dim", dim);
  ck.rows("residual", residual, {kDTypeOf<T>}, seq_len, dim);
  ck.rows("x", x, {kDTypeOf<T>}, seq_len, dim);
  ck.vector("bias", bias, {kDTypeOf<T>}, dim);

  BiasResidualOp<T> op{};
  op.residual = static_cast<T*>(residual.data);
  op.x = static_cast<const T*>(x.data);
  op.bias = static_cast<const T*>(bias.data);
  op.dim = dim;
  const bool vec = dim % 8 == 0 && all_aligned({residual.data, x.data, bias.data}, 16);
  run_elementwise(ck, op, seq_len, dim, vec, stream);
}

}  // namespace

void gate_mul_residual(const TensorArg& residual, const TensorArg& x, const TensorArg& gate, int n,
                       Stream stream) {
  flat_residual<__nv_bfloat16, 3>("gate_mul_residual", {"residual", "x", "gate"}, {&residual, &x, &gate}, 0, n,
                                  GateMulAddF{}, stream);
}

void gate_res_fp16(const TensorArg& gemm_out, const TensorArg& gate, const TensorArg& residual, int n,
                   Stream stream) {
  // Same math as gate_mul_residual, fp16, arguments (gemm_out, gate, residual).
  flat_residual<__half, 3>("gate_res_fp16", {"gemm_out", "gate", "residual"}, {&gemm_out, &gate, &residual}, 2,
                           n, GateMulAddF{}, stream);
}

void residual_add(const TensorArg& residual, const TensorArg& x, int n, Stream stream) {
  flat_residual<__nv_bfloat16, 2>("residual_add", {"residual", "x"}, {&residual, &x}, 0, n, AddF{}, stream);
}

void residual_add_fp16(const TensorArg& residual, const TensorArg& x, int n, Stream stream) {
  flat_residual<__half, 2>("residual_add_fp16", {"residual", "x"}, {&residual, &x}, 0, n, AddF{}, stream);
}

void bias_residual(const TensorArg& residual, const TensorArg& x, const TensorArg& bias, int seq_len, int dim,
                   Stream stream) {
  bias_res<__nv_bfloat16>("bias_residual", residual, x, bias, seq_len, dim, stream);
}

void bias_residual_fp16(const TensorArg& residual, const TensorArg& x, const TensorArg& bias, int seq_len,
                        int dim, Stream stream) {
  bias_res<__half>("bias_residual_fp16", residual, x, bias, seq_len, dim, stream);
}

void cfg_combine_into_residual(const TensorArg& residual, const TensorArg& v_cond, const TensorArg& v_uncond,
                               float beta, int n, Stream stream) {
  flat_residual<__nv_bfloat16, 3>("cfg_combine_into_residual", {"residual", "v_cond", "v_uncond"},
                                  {&residual, &v_cond, &v_uncond}, 0, n, CfgF{beta}, stream);
}

void cfg_combine_into_residual_fp16(const TensorArg& residual, const TensorArg& v_cond,
                                    const TensorArg& v_uncond, float beta, int n, Stream stream) {
  flat_residual<__half, 3>("cfg_combine_into_residual_fp16", {"residual", "v_cond", "v_uncond"},
                           {&residual, &v_cond, &v_uncond}, 0, n, CfgF{beta}, stream);
}

}  // namespace flash_rt::fused
