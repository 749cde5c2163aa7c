// Vision patch embedding entries (SPEC 2.7).
#include <algorithm>

#include "flash_rt/patch/patch.cuh"
#include "patch/patch.h"

#include "flash_rt/core/cuda_check.h"
#include "utility/common.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::patch {

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
      if (pairs)
        ::flash_rt::device::launch(im2col_group_kernel<2>, grid, dim3(kGroupThreads), 0, as_stream(stream), in, out,
                                   groups);
      else
        ::flash_rt::device::launch(im2col_group_kernel<1>, grid, dim3(kGroupThreads), 0, as_stream(stream), in, out,
                                   groups);
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
constexpr int kSplitRows = 4, kSplitThreads = 64;
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
  const int units = vec8 ? D / 8 : D;
  utility::Launch l = utility::plan_rows(S, units);
  // A few rows: each row split over CTAs of 64 threads (blockIdx.y chunks), so its three loads per
  // thread come from several SMs. H100, S = 1, D = 2048: benchmarks/probe_patch_latency.cu (in
  // place) one CTA of 256 threads 1.24 us, four of 64 0.98; the benchmark 0.96-0.98 -> 0.88 us
  // (torch.compile 1.16-1.17; docs/RESULTS-2026-11-28-H100-session11.md).
  const bool split = S <= kSplitRows && units >= 2 * kSplitThreads;
  if (split) {
    const int64_t chunks = std::min<int64_t>((units + kSplitThreads - 1) / kSplitThreads, utility::kMaxGridY);
    l.grid = dim3(static_cast<unsigned>(S), static_cast<unsigned>(chunks));  // the kernel loops past kMaxGridY
    l.block = dim3(kSplitThreads);
  }
  // The PDL signal after the loads only for grids of one to four CTAs per SM. The benchmark on
  // an H100 (docs/RESULTS-2026-11-28-H100-session12.md), late against early: S = 256 (256 CTAs)
  // 1.38 against 1.62-1.65 us; S = 1 (the split row, 4 CTAs) 0.98-1.03 against 0.88-0.95, though
  // benchmarks/probe_flat_modes.cu timed the other order there (0.87 against 0.97); S = 4096 7.45
  // against 7.20-7.25; S = 16384 95.3 against 90.8-90.9.
  const int64_t blocks = int64_t{l.grid.x} * l.grid.y;
  const int sms = utility::sm_count(ck);
  const bool late = blocks >= sms && blocks <= 4 * int64_t{sms};
  __half* out = utility::mptr<__half>(output);
  const __half* b = utility::cptr<__half>(bias);
  const __half* p = utility::cptr<__half>(pos_emb);
  if (vec8)
    ::flash_rt::device::launch(bias_pos_kernel<8>, l.grid, l.block, 0, as_stream(stream), out, b, p, S, D, S_per_view,
                               late);
  else
    ::flash_rt::device::launch(bias_pos_kernel<1>, l.grid, l.block, 0, as_stream(stream), out, b, p, S, D, S_per_view,
                               late);
  check_launch(ck.entry());
}

}  // namespace flash_rt::patch
