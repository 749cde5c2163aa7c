// Row-structured utility entries (SPEC 2.8): bias add, strided column copy, GQA head repeat.
#include <algorithm>

#include "flash_rt/utility/row_ops.cuh"
#include "utility/common.cuh"
#include "utility/utility.h"
#include "flash_rt/device/elementwise.cuh"
#include "flash_rt/device/launch.cuh"

namespace flash_rt::utility {
namespace {

constexpr int64_t kRepeatUnitsPerSm = 2048;  // its unit kernel up to this many destination units per SM

template <typename T>
void add_bias(const char* entry, const TensorArg& x, const TensorArg& b, int S, int D, Stream stream) {
  ArgCheck ck(entry);
  ck.positive("S", S);
  ck.positive("D", D);
  ck.rows("x", x, {kDType<T>}, S, D);
  ck.vector("b", b, {kDType<T>}, D);
  ready(ck);
  const bool vec8 = vec16_ok({x.data, b.data}, {D}, sizeof(T));
  const Launch l = plan_rows(S, vec8 ? D / 8 : D);
  const bool late = ::flash_rt::device::ew_trigger_late(int64_t{l.grid.x} * l.grid.y, sm_count(ck));
  if (vec8)
    ::flash_rt::device::launch(add_bias_kernel<T, 8>, l.grid, l.block, 0, as_stream(stream), mptr<T>(x), cptr<T>(b),
                               S, D, late);
  else
    ::flash_rt::device::launch(add_bias_kernel<T, 1>, l.grid, l.block, 0, as_stream(stream), mptr<T>(x), cptr<T>(b),
                               S, D, late);
  check_launch(ck.entry());
}

}  // namespace

void add_bias_fp16(const TensorArg& x, const TensorArg& b, int S, int D, Stream stream) {
  add_bias<__half>("add_bias_fp16", x, b, S, D, stream);
}

void add_bias_bf16(const TensorArg& x, const TensorArg& b, int S, int D, Stream stream) {
  add_bias<__nv_bfloat16>("add_bias_bf16", x, b, S, D, stream);
}

void gpu_strided_copy_fp16(const TensorArg& src, const TensorArg& dst, int rows, int dst_cols, int64_t src_stride,
                           int64_t col_offset, Stream stream) {
  using T = __half;
  ArgCheck ck("gpu_strided_copy_fp16");
  ck.positive("rows", rows);
  ck.positive("dst_cols", dst_cols);
  ck.non_negative("src_stride", src_stride);
  ck.non_negative("col_offset", col_offset);
  const int64_t last = span_end(ck, "src_stride", col_offset, rows - 1, src_stride);
  const int64_t need = span_end(ck, "src_stride", last, 1, dst_cols);
  check_span(ck, "src", src, {DType::kF16}, need, "(rows - 1) * src_stride + col_offset + dst_cols");
  ck.rows("dst", dst, {DType::kF16}, rows, dst_cols);
  ready(ck);
  const T* s = cptr<T>(src) + col_offset;
  const bool vec8 = vec16_ok({s, dst.data}, {dst_cols, rows > 1 ? src_stride : 0}, sizeof(T));
  const Launch l = plan_rows(rows, vec8 ? dst_cols / 8 : dst_cols);
  if (vec8) ::flash_rt::device::launch(strided_copy_kernel<T, 8>, l.grid, l.block, 0, as_stream(stream), s, mptr<T>(dst), rows, dst_cols, src_stride);
  else ::flash_rt::device::launch(strided_copy_kernel<T, 1>, l.grid, l.block, 0, as_stream(stream), s, mptr<T>(dst), rows, dst_cols, src_stride);
  check_launch(ck.entry());
}

void gpu_repeat_interleave_heads(const TensorArg& src, const TensorArg& dst, int S, int NH_src, int HD, int repeat,
                                 Stream stream) {
  using T = __half;
  ArgCheck ck("gpu_repeat_interleave_heads");
  ck.positive("S", S);
  ck.positive("NH_src", NH_src);
  ck.positive("HD", HD);
  ck.positive("repeat", repeat);
  const int64_t src_width = int64_t{NH_src} * HD;
  const int64_t dst_width = src_width * repeat;
  ck.rows("src", src, {DType::kF16}, S, src_width);
  ck.rows("dst", dst, {DType::kF16}, S, dst_width);
  ready(ck);
  // 16-byte units stay inside one head: HD a multiple of 8 (then so are both row widths).
  const bool vec8 = vec16_ok({src.data, dst.data}, {HD}, sizeof(T));
  const bool wide = dst_width >= (int64_t{1} << 32);
  const cudaStream_t st = as_stream(stream);
  const T* s = cptr<T>(src);
  T* d = mptr<T>(dst);
  // The unit kernel (one thread per source unit, `repeat` stores each) up to 2048 destination
  // units per SM, the kernel of one thread per destination unit past that. H100, benchmark, one KV
  // head of 256 to 8 (session 14): the unit kernel S = 1 0.77 us, 256 1.07 (the other 1.02 and
  // 1.67; torch.compile 1.15 and 1.55); at S = 1024 (1986 destination units per SM) 2.31 against
  // 2.33; at 4096 6.66 against 5.61, where 8x the threads keep more stores in flight.
  // Source rows planned by plan_unit_rows (grid.cuh). Past the L2 the row kernel stays: at S = 16384,
  // cold, the benchmark times it at 27.7-27.8 us, 0.90 of the copy, level with torch.compile (H100,
  // sessions 18-19). In benchmarks/probe_repeat_heads.py --cold (session 18) none of two / four units
  // a thread, evict-first stores, one thread per source unit or a flat grid beat it; that probe timed
  // torch.compile first, whose evict_last loads left the KV head in the L2 (this kernel then 25.6-27.0),
  // so it now times compile last. Bulk (TMA) stores are probe variants 9-13 (11-13: the form this
  // launcher would take, rows staged per CTA in shared memory), not yet timed with compile last.
  const int64_t units = vec8 ? src_width / 8 : src_width;
  const int64_t sms = sm_count(ck);
  Launch l;
  const bool unit = int64_t{S} * units * repeat <= kRepeatUnitsPerSm * sms && plan_unit_rows(S, units, sms, &l);
  if (!unit) l = plan_rows(S, vec8 ? dst_width / 8 : dst_width);
  with_vec_idx(vec8, wide, [&](auto vec, auto idx) {
    constexpr int V = decltype(vec)::value;
    using I = decltype(idx);
    if (unit)
      ::flash_rt::device::launch(repeat_heads_unit_kernel<T, V, I>, l.grid, l.block, 0, st, s, d, int64_t{S}, NH_src,
                                 HD, repeat);
    else
      ::flash_rt::device::launch(repeat_heads_kernel<T, V, I>, l.grid, l.block, 0, st, s, d, S, NH_src, HD, repeat);
  });
  check_launch(ck.entry());
}

}  // namespace flash_rt::utility
