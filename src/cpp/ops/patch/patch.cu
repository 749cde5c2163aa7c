// Vision patch embedding entries (SPEC 2.7).
#include <algorithm>

#include "flash_rt/patch/patch.cuh"
#include "patch/patch.h"

#include "flash_rt/core/cuda_check.h"
#include "utility/common.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::patch {

namespace {
constexpr int kPrefetchViews = 16;  // patch_im2col: L2 prefetch before the wait past this many views
}  // namespace

void patch_im2col(const TensorArg& input, const TensorArg& output, int nv, Stream stream) {
  ArgCheck ck("patch_im2col");
  ck.positive("nv", nv);
  // Same element count, wrong layout: an NCHW [nv, 3, 224, 224] batch is the likely mistake.
  // Checked first (before the device), like the other shape checks: a 4-D input must be exactly
  // NHWC, a 3-D or 5-D one channels-last.
  const bool layout_ok =
      !input.is_tensor() || input.dtype != DType::kF16 || input.numel() != nv * kImageElems || input.ndim < 3 ||
      (input.shape[input.ndim - 1] == kChannels &&
       (input.ndim != 4 || (input.shape[1] == kImage && input.shape[2] == kImage)));
  if (!layout_ok)
    throw_error(ErrorKind::kValue, ck.entry(), ": 'input' expected NHWC [nv, 224, 224, 3] = [", nv,
                ", 224, 224, 3], got shape ", utility::shape_of(input),
                " (channels last: permute an NCHW batch with .permute(0, 2, 3, 1).contiguous())");
  ck.rows("input", input, {DType::kF16}, nv, kImageElems);
  ck.rows("output", output, {DType::kF16}, int64_t{nv} * kPatches, kFeatures);
  utility::ready(ck);
  const int64_t rows = int64_t{nv} * kPatches;
  const __half* in = utility::cptr<__half>(input);
  __half* out = utility::mptr<__half>(output);
  if (all_aligned({in, out}, 16)) {  // 16-byte vectors both ways, permuted in shared memory
    const int64_t groups = rows / kGroup;
    const int sms = utility::sm_count(ck);
    // Up to 4 groups per SM (8 views on an H100) the half-group kernel, one task per CTA, is the
    // faster; past that the group kernel. H100, benchmarks/probe_patch_latency.cu (graph replay,
    // warm L2), half groups against the group kernel: 1 view 1.02 / 1.14 us, 4 views 1.39 / 1.48,
    // 8 views 1.94 / 1.98, 16 views 3.54 / 2.87.
    if (groups <= 4 * int64_t{sms}) {
      ::flash_rt::device::launch(im2col_half_group_kernel, dim3(static_cast<unsigned>(2 * groups)),
                                 dim3(kHalfThreads), 0, as_stream(stream), in, out, groups);
    } else {
      const bool pairs = groups >= 8 * int64_t{sms};  // two groups per CTA still fill the GPU
      const int64_t ctas = pairs ? (groups + 1) / 2 : groups;
      const dim3 grid(static_cast<unsigned>(ctas < utility::kMaxGridX ? ctas : utility::kMaxGridX));
      const bool prefetch = nv > kPrefetchViews;  // the input is not expected in L2 (im2col_group_kernel)
      if (pairs)
        ::flash_rt::device::launch(im2col_group_kernel<2>, grid, dim3(kGroupThreads), 0, as_stream(stream), in, out,
                                   groups, prefetch);
      else
        ::flash_rt::device::launch(im2col_group_kernel<1>, grid, dim3(kGroupThreads), 0, as_stream(stream), in, out,
                                   groups, prefetch);
    }
    check_launch(ck.entry());
    return;
  }
  // Every 42-element run starts at an even element of both buffers: 4-byte accesses when the
  // bases allow.
  const bool vec2 = all_aligned({in, out}, 4);
  const utility::Launch l =
      utility::plan_rows((rows + kIm2colRows - 1) / kIm2colRows, vec2 ? kFeatures / 2 : kFeatures);
  if (vec2) ::flash_rt::device::launch(im2col_kernel<2>, l.grid, l.block, 0, as_stream(stream), in, out, rows);
  else ::flash_rt::device::launch(im2col_kernel<1>, l.grid, l.block, 0, as_stream(stream), in, out, rows);
  check_launch(ck.entry());
}

namespace {
// The unit kernel's launch plan (benchmarks/probe_bias_pos_protocol.py --sweep; session 13, on an
// H200, 132 SMs, us, docs/RESULTS-2026-11-28-H100-session13.md): chunks of <= 128 units for grids
// of up to 4 CTAs per SM (S = 1: 0.68 against 0.70 for 256), of <= 256 beyond (768 x 1152: 1.27
// against 2.20), and two rows a CTA from 16 CTAs per SM (4096 x 1152: 3.89 against 5.63; 16384 x
// 1152: 14.0 against 20.6; torch.compile 4.08 and 19.7).
constexpr int kSmallChunk = 128, kChunk = 256;
}  // namespace

void patch_embed_bias_pos(const TensorArg& output, const TensorArg& bias, const TensorArg& pos_emb, int S, int D,
                          int S_per_view, Stream stream) {
  ArgCheck ck("patch_embed_bias_pos");
  ck.positive("S", S);
  ck.positive("D", D);
  ck.positive("S_per_view", S_per_view);
  ck.rows("output", output, {DType::kF16}, S, D);
  ck.vector("bias", bias, {DType::kF16}, D);
  ck.rows("pos_emb", pos_emb, {DType::kF16}, S_per_view, D);
  utility::ready(ck);
  const bool vec8 = utility::vec16_ok({output.data, bias.data, pos_emb.data}, {D}, sizeof(__half));
  const int64_t units = vec8 ? D / 8 : D;
  __half* out = utility::mptr<__half>(output);
  const __half* b = utility::cptr<__half>(bias);
  const __half* p = utility::cptr<__half>(pos_emb);
  const cudaStream_t st = as_stream(stream);
  // One unit per thread and no loop: CTAs of (chunk of a row) x (1 or 2 rows), chunks balanced to
  // whole warps (D = 1152: 144 units, one chunk of 160 threads). The looping kernel replaced by
  // it cost 0.2-0.4 us at S <= 1024 and up to 45% at 16384 x 1152 (H200, same sweep); it stays for
  // rows of more than 65535 chunks (D > 16.7M elements unaligned).
  const int64_t sms = utility::sm_count(ck);
  int64_t chunks = (units + kSmallChunk - 1) / kSmallChunk;
  int by = 1;
  if (S * chunks > 4 * sms) {
    chunks = (units + kChunk - 1) / kChunk;
    if (S * chunks >= 16 * sms) by = 2;
  }
  if (chunks <= utility::kMaxGridY) {
    const dim3 grid(static_cast<unsigned>((int64_t{S} + by - 1) / by), static_cast<unsigned>(chunks));
    const dim3 block(static_cast<unsigned>(((units + chunks - 1) / chunks + 31) / 32 * 32), by);
    if (vec8)
      ::flash_rt::device::launch(bias_pos_unit_kernel<8>, grid, block, 0, st, out, b, p, S, D, S_per_view);
    else
      ::flash_rt::device::launch(bias_pos_unit_kernel<1>, grid, block, 0, st, out, b, p, S, D, S_per_view);
  } else {
    const utility::Launch l = utility::plan_rows(S, units);
    if (vec8)
      ::flash_rt::device::launch(bias_pos_kernel<8>, l.grid, l.block, 0, st, out, b, p, S, D, S_per_view);
    else
      ::flash_rt::device::launch(bias_pos_kernel<1>, l.grid, l.block, 0, st, out, b, p, S, D, S_per_view);
  }
  check_launch(ck.entry());
}

}  // namespace flash_rt::patch
