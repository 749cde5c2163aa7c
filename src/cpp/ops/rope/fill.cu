// gpu_fill_neginf_fp16 / _bf16 (SPEC 2.6): the attention logits pre-fill.
#include "flash_rt/utility/flat_ops.cuh"
#include "rope/rope.h"
#include "utility/common.cuh"

namespace flash_rt::rope {
namespace {

// dst[i] = RN_T(-1e30): -inf in fp16 (beyond its range), a finite ~-1e30 in bf16.
template <typename T>
void fill_neginf(const char* entry, const char* name, const TensorArg& dst, int64_t n, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("n", n);
  ck.vector(name, dst, {utility::kDType<T>}, n);
  utility::ready(ck);
  const utility::FillOp<T> op{utility::mptr<T>(dst), -1e30f};
  if (all_aligned({dst.data}, 16)) utility::launch_fill<8>(op, n, utility::sm_count(ck), as_stream(stream));
  else utility::launch_flat<1>(op, n, utility::sm_count(ck), as_stream(stream));
  check_launch(ck.entry());
}

}  // namespace

void gpu_fill_neginf_fp16(const TensorArg& dst, int64_t n, Stream stream) {
  fill_neginf<__half>("gpu_fill_neginf_fp16", "dst", dst, n, stream);
}

void gpu_fill_neginf_bf16(const TensorArg& x, int64_t n, Stream stream) {
  fill_neginf<__nv_bfloat16>("gpu_fill_neginf_bf16", "x", x, n, stream);
}

}  // namespace flash_rt::rope
