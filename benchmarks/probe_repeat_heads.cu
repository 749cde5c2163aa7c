// Probe library (a measurement tool, not part of the package): gpu_repeat_interleave_heads's GQA
// expansion under other kernels, for benchmarks/probe_repeat_heads.py (the benchmark's timer).
//
// Why (session 17, H100): the benchmark's large row, S = 16384, one KV head of 256 expanded to 8
// (8.4 MB read, 67 MB written, past the L2), timed 27.8 us: 0.90 of the copy ceiling that run
// (3035 GB/s), a miss by rounding, torch.compile 27.5. But a write-only stream goes faster than
// the copy: gpu_fill_neginf_fp16 wrote 134 MB in 41.5 us (3.2 TB/s) in the same run, so the
// expansion's 67 MB of stores could take about 21 us. The shipped kernel for it is
// utility::repeat_heads_kernel over plan_rows (one 16-byte destination unit per thread, 16384
// CTAs of 256, PDL wait and signal at the start).
//
// Variants (v): 0 the shipped kernel and plan; 1 / 2 two / four destination units per thread
// (CTA-strided over the flat destination, as utility::fill_kernel, no loop); 3 the shipped kernel
// with evict-first stores (st.global.cs); 4 two units with evict-first stores; 5 one thread per
// source unit storing all `repeat` copies (the shipped small-grid kernel's work split) with
// evict-first stores; 6 as 5 with plain stores; 7 / 8 one destination unit per thread over a flat
// grid (no row loop), plain / evict-first stores; 9 / 10 bulk (TMA) stores from shared memory,
// 11-13 the same for any shape at three sizes of a CTA's rows (below, session 19).
//
// Session 18: the benchmark's row is cold (two input sets rotated, so every store evicts a dirty
// line of the other set), while one set (session 17's probe: 21.9 us, the benchmark 27.8) rewrites
// lines still in the L2; benchmarks/probe_repeat_heads.py --cold times it the benchmark's way.
//   nvcc -O3 -std=c++20 --expt-relaxed-constexpr -arch=sm_90a -shared -Xcompiler -fPIC \
//     -I src/cpp/include -I src/cpp benchmarks/probe_repeat_heads.cu src/cpp/ops/core/launch.cu \
//     -o .exp/libprobe_repeat_heads.so
#include <cuda_fp16.h>

#include "flash_rt/utility/grid.cuh"
#include "flash_rt/utility/row_ops.cuh"

namespace dv = flash_rt::device;
namespace ut = flash_rt::utility;

namespace {

const char* const kVariants[] = {"shipped kernel", "2 units", "4 units", "evict-first", "2 units evict-first",
                                 "per source unit, evict-first", "per source unit", "flat 1 unit",
                                 "flat 1 unit evict-first", "bulk store per head", "bulk store per CTA",
                                 "bulk rows 32 KB", "bulk rows 16 KB", "bulk rows 8 KB"};
constexpr int kVariantCount = sizeof(kVariants) / sizeof(kVariants[0]);

// The source of destination unit u (8 halves) of a [rows, nh_src * repeat * hd] expansion.
__device__ __forceinline__ const uint4* source_of(const __half* src, int64_t u, int64_t dst_units, int hd,
                                                 int nh_src, int repeat) {
  const int64_t row = u / dst_units;
  const int64_t e = (u - row * dst_units) * 8;
  const int64_t h = e / hd, c = e - h * hd;
  return reinterpret_cast<const uint4*>(src + row * int64_t{nh_src} * hd + (h / repeat) * hd + c);
}

template <int U, bool kStreaming>
__global__ void __launch_bounds__(256) units_kernel(const __half* src, __half* dst, int64_t units, int64_t dst_units,
                                                    int hd, int nh_src, int repeat) {
  dv::pdl_begin();
  uint4 v[U];
#pragma unroll
  for (int k = 0; k < U; ++k) {
    const int64_t u = (static_cast<int64_t>(blockIdx.x) * U + k) * 256 + threadIdx.x;
    if (u < units) v[k] = *source_of(src, u, dst_units, hd, nh_src, repeat);
  }
#pragma unroll
  for (int k = 0; k < U; ++k) {
    const int64_t u = (static_cast<int64_t>(blockIdx.x) * U + k) * 256 + threadIdx.x;
    if (u < units) {
      uint4* p = reinterpret_cast<uint4*>(dst) + u;
      if constexpr (kStreaming) __stcs(p, v[k]);
      else *p = v[k];
    }
  }
}

// The shipped kernel's loop (utility::repeat_heads_kernel) with evict-first stores.
__global__ void __launch_bounds__(ut::kMaxRowThreads) rows_cs_kernel(const __half* src, __half* dst, int64_t rows,
                                                                     int nh_src, int hd, int repeat) {
  dv::pdl_begin();
  const int64_t width = int64_t{nh_src} * repeat * hd, units = width / 8;
  for (int64_t row = ut::grid_row(); row < rows; row += ut::grid_row_stride()) {
    const __half* s = src + row * int64_t{nh_src} * hd;
    __half* d = dst + row * width;
    for (int64_t u = ut::grid_unit(); u < units; u += ut::grid_unit_stride()) {
      const int64_t e = u * 8, h = e / hd, c = e - h * hd;
      __stcs(reinterpret_cast<uint4*>(d + e), *reinterpret_cast<const uint4*>(s + (h / repeat) * hd + c));
    }
  }
}

// One thread per source unit, `repeat` stores (evict-first or plain; flat over the source).
template <bool kStreaming>
__global__ void __launch_bounds__(256) per_source_kernel(const __half* src, __half* dst, int64_t src_units,
                                                         int64_t row_units, int hd, int repeat) {
  dv::pdl_begin();
  const int64_t u = static_cast<int64_t>(blockIdx.x) * 256 + threadIdx.x;
  if (u >= src_units) return;
  const int64_t row = u / row_units;
  const int64_t e = (u - row * row_units) * 8, h = e / hd, c = e - h * hd;
  const uint4 v = reinterpret_cast<const uint4*>(src)[u];
  __half* d = dst + row * row_units * 8 * repeat + h * repeat * hd + c;
  for (int r = 0; r < repeat; ++r) {
    uint4* p = reinterpret_cast<uint4*>(d + int64_t{r} * hd);
    if constexpr (kStreaming) __stcs(p, v);
    else *p = v;
  }
}

// Session 19, v9 / v10: stores by the TMA unit (cp.async.bulk, SM90) instead of 16-byte st.global.
// A CTA of 256 threads stages 256 source units (8 rows of 32 units at HD 256) in shared memory, then
// v9: one bulk store of a head (hd * 2 bytes) per (row, destination head), issued by as many
// threads; v10: the CTA expands its rows in shared memory (32 KB at HD 256) and one thread stores
// them with one bulk copy (the rows are contiguous in dst). Probe only: HD * 2 a multiple of 16, the
// source row a divisor of 256 units.
__device__ __forceinline__ void bulk_store(void* gdst, const void* ssrc, unsigned bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(ssrc));
  asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;\n" ::"l"(gdst), "r"(s), "r"(bytes)
               : "memory");
  asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
  asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void fence_to_async_proxy() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

template <bool kWholeCta>
__global__ void __launch_bounds__(256) bulk_kernel(const __half* src, __half* dst, int64_t rows, int hd, int nh_src,
                                                   int repeat) {
  extern __shared__ __align__(128) uint4 smem[];
  dv::pdl_begin();
  const int su = nh_src * hd / 8;           // source units per row
  const int per_cta = 256 / su;             // rows per CTA
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * per_cta;
  const int n = static_cast<int>(rows - row0 < per_cta ? rows - row0 : per_cta);
  const int t = threadIdx.x;
  const int nhd = nh_src * repeat, hu = hd / 8;  // destination heads, units per head
  const uint4 v = t < n * su ? reinterpret_cast<const uint4*>(src)[row0 * su + t] : uint4{};
  if constexpr (!kWholeCta) {
    smem[t] = v;
    fence_to_async_proxy();
    __syncthreads();
    if (t < n * nhd) {
      const int r = t / nhd, h = t - r * nhd;
      bulk_store(dst + (row0 + r) * int64_t{nhd} * hd + int64_t{h} * hd, smem + r * su + (h / repeat) * hu,
                 static_cast<unsigned>(hd * 2));
    }
  } else {
    if (t < n * su) {  // unit t = (row r, source head g, unit c) goes to heads g*repeat .. g*repeat+repeat-1
      const int r = t / su, rem = t - r * su, g = rem / hu, c = rem - g * hu;
      uint4* d = smem + r * nhd * hu + g * repeat * hu + c;
      for (int k = 0; k < repeat; ++k) d[k * hu] = v;
    }
    fence_to_async_proxy();
    __syncthreads();
    if (t == 0)
      bulk_store(dst + row0 * int64_t{nhd} * hd, smem, static_cast<unsigned>(n) * nhd * hd * 2);
  }
}

// v11-v13 (session 19): v10 for any shape, the form the package would take. A CTA expands as many
// whole rows as fit a byte budget (32 / 16 / 8 KB, at least one row) in shared memory, its threads
// looping over the source units, and one thread writes them with one bulk store (the rows are
// contiguous in dst). A destination row over 48 KB is refused (the row kernel stays there).
__global__ void __launch_bounds__(256) bulk_rows_kernel(const __half* src, __half* dst, int64_t rows,
                                                        int rows_per_cta, int hd, int nh_src, int repeat) {
  extern __shared__ __align__(128) uint4 smem[];
  dv::pdl_begin();
  const int hu = hd / 8, su = nh_src * hu, du = su * repeat;  // 16-byte units: head, source row, dst row
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * rows_per_cta;
  const int n = static_cast<int>(rows - row0 < rows_per_cta ? rows - row0 : rows_per_cta);
  const uint4* s = reinterpret_cast<const uint4*>(src) + row0 * su;
  for (int t = threadIdx.x; t < n * su; t += blockDim.x) {
    const uint4 v = s[t];
    const int r = t / su, rem = t - r * su, g = rem / hu, c = rem - g * hu;
    uint4* d = smem + r * du + g * repeat * hu + c;  // source head g -> heads g*repeat .. +repeat-1
    for (int k = 0; k < repeat; ++k) d[k * hu] = v;
  }
  fence_to_async_proxy();
  __syncthreads();
  if (threadIdx.x == 0)
    bulk_store(reinterpret_cast<uint4*>(dst) + row0 * du, smem, static_cast<unsigned>(n) * du * 16);
}

template <int U, bool kStreaming>
void units(const __half* src, __half* dst, int64_t rows, int nh_src, int hd, int repeat, cudaStream_t s) {
  const int64_t dst_units = int64_t{nh_src} * repeat * hd / 8, all = rows * dst_units;
  const int64_t blocks = (all + 256 * U - 1) / (256 * U);
  dv::launch(units_kernel<U, kStreaming>, dim3(static_cast<unsigned>(blocks)), dim3(256), 0, s, src, dst, all,
             dst_units, hd, nh_src, repeat);
}

}  // namespace

extern "C" const char* probe_variant_name(int v) { return v >= 0 && v < kVariantCount ? kVariants[v] : nullptr; }

// src [rows, nh_src * hd], dst [rows, nh_src * repeat * hd], fp16, hd % 8 == 0, 16-byte aligned.
extern "C" int probe_launch(int v, const void* src_, void* dst_, long long rows, int nh_src, int hd, int repeat,
                            void* stream_) {
  const auto s = static_cast<cudaStream_t>(stream_);
  const auto* src = static_cast<const __half*>(src_);
  auto* dst = static_cast<__half*>(dst_);
  if (hd % 8 != 0 || reinterpret_cast<uintptr_t>(src) % 16 != 0 || reinterpret_cast<uintptr_t>(dst) % 16 != 0)
    return -3;
  const ut::Launch l = ut::plan_rows(rows, int64_t{nh_src} * repeat * hd / 8);
  switch (v) {
    case 0:
      dv::launch(ut::repeat_heads_kernel<__half, 8, uint32_t>, l.grid, l.block, 0, s, src, dst, int64_t{rows}, nh_src,
                 hd, repeat);
      break;
    case 1: units<2, false>(src, dst, rows, nh_src, hd, repeat, s); break;
    case 2: units<4, false>(src, dst, rows, nh_src, hd, repeat, s); break;
    case 3: dv::launch(rows_cs_kernel, l.grid, l.block, 0, s, src, dst, int64_t{rows}, nh_src, hd, repeat); break;
    case 4: units<2, true>(src, dst, rows, nh_src, hd, repeat, s); break;
    case 5:
    case 6: {
      const int64_t row_units = int64_t{nh_src} * hd / 8, all = rows * row_units;
      const dim3 grid(static_cast<unsigned>((all + 255) / 256));
      if (v == 5) dv::launch(per_source_kernel<true>, grid, dim3(256), 0, s, src, dst, all, row_units, hd, repeat);
      else dv::launch(per_source_kernel<false>, grid, dim3(256), 0, s, src, dst, all, row_units, hd, repeat);
      break;
    }
    case 7: units<1, false>(src, dst, rows, nh_src, hd, repeat, s); break;
    case 8: units<1, true>(src, dst, rows, nh_src, hd, repeat, s); break;
    case 9:
    case 10: {
      const int su = nh_src * hd / 8;
      if (256 % su != 0) return -3;
      const int per_cta = 256 / su;
      const dim3 grid(static_cast<unsigned>((rows + per_cta - 1) / per_cta));
      const size_t smem = v == 9 ? 256 * 16 : size_t{256} * 16 * repeat;
      if (v == 9) {
        dv::launch(bulk_kernel<false>, grid, dim3(256), smem, s, src, dst, int64_t{rows}, hd, nh_src, repeat);
      } else {
        static size_t opted = 48 * 1024;  // set once, before the capture (the check call comes first)
        if (smem > opted) {
          if (cudaFuncSetAttribute(bulk_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)) !=
              cudaSuccess)
            return -3;
          opted = smem;
        }
        dv::launch(bulk_kernel<true>, grid, dim3(256), smem, s, src, dst, int64_t{rows}, hd, nh_src, repeat);
      }
      break;
    }
    case 11:
    case 12:
    case 13: {
      const int64_t row_bytes = int64_t{nh_src} * repeat * hd * 2;
      if (row_bytes > 48 * 1024) return -3;
      const int64_t budget = int64_t{32 * 1024} >> (v - 11);
      const int per_cta = static_cast<int>(budget / row_bytes > 1 ? budget / row_bytes : 1);
      const dim3 grid(static_cast<unsigned>((rows + per_cta - 1) / per_cta));
      dv::launch(bulk_rows_kernel, grid, dim3(256), static_cast<size_t>(per_cta * row_bytes), s, src, dst,
                 int64_t{rows}, per_cta, hd, nh_src, repeat);
      break;
    }
    default: return -4;
  }
  return cudaGetLastError() == cudaSuccess ? 0 : -2;
}
