// Kernel variants of patch_im2col behind one C function, so that benchmarks/probe_im2col_views.py
// can time them under the benchmark's own protocol (flash_rt.testing.bench.time_graph) next to
// the package entry and torch.compile, by view count. A measurement tool, not part of the package.
//
// Questions (session 14): does computing the half-group kernel's input offset before the PDL wait
// shorten 3 views (1.27 us against torch.compile's 1.59: 0.80x, the target's edge)? Where do the
// half-group and group kernels cross, and does a grid of one wave (32 views: 1024 CTAs of 320
// threads against 792 resident slots on an H100), streaming cache hints, or an L2 prefetch issued
// before the wait help past the L2? Session 17 (variants 12-16): the half-group kernel's PDL
// signal placement and evict-first stores at 3 to 8 views; prefetch with streaming hints at 32 cold.
//
//   nvcc -O3 -std=c++20 -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \
//     benchmarks/probe_im2col_views.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_im2col.so
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "flash_rt/patch/patch.cuh"

namespace dv = flash_rt::device;
namespace pt = flash_rt::patch;

// The half-group kernel as it was before session 14: its input offset computed after the wait.
__global__ void __launch_bounds__(pt::kHalfThreads) half_after_wait_kernel(const __half* in, __half* out) {
  dv::pdl_wait();
  __shared__ alignas(16) __half tile[pt::kPatch * pt::kHalfSegVecs * 8];
  const int t = threadIdx.x;
  const int64_t g = blockIdx.x / 2;
  const int h = static_cast<int>(blockIdx.x & 1);
  if (t < pt::kHalfLoads) {
    const int ky = t / pt::kHalfSegVecs, j = t - ky * pt::kHalfSegVecs;
    *reinterpret_cast<uint4*>(&tile[t * 8]) = *reinterpret_cast<const uint4*>(
        pt::group_input(in, g) + int64_t{ky} * pt::kImage * pt::kChannels + (pt::kHalfFirstVec * h + j) * 8);
  }
  __syncthreads();
  dv::pdl_trigger();
  if (t < pt::kHalfOutVecs) {
    uint32_t w[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) w[k] = pt::tile_pair(tile, pt::kHalfSegVecs * 8, pt::kHalfFirstElem * h, t * 8 + 2 * k);
    *reinterpret_cast<uint4*>(out + (g * pt::kGroup + pt::kHalfPatches * h) * pt::kFeatures + t * 8) =
        make_uint4(w[0], w[1], w[2], w[3]);
  }
}

// The group kernel with either of two changes (kStreaming, kPrefetch):
//   * streaming hints: loads ld.global.cs, stores st.global.cs (evict first): every byte is
//     touched once, so L2 need not keep it;
//   * an L2 prefetch of the first iteration's input before the wait (prefetch.global.L2, no value
//     returned, so safe before the wait: L2 is the point of coherence, and the previous grid's
//     writes land there). Question: does the read latency of a cold call overlap the previous
//     call's tail (32 views, cold: 8.0 us against 6.4 for the DRAM bytes)? The package took it
//     past 16 views in session 14 (im2col_group_kernel's `prefetch`).
template <int K, bool kStreaming, bool kPrefetch>
__global__ void __launch_bounds__(pt::kGroupThreads) group_variant_kernel(const __half* in, __half* out,
                                                                          int64_t groups) {
  const int t = threadIdx.x;
  const int ky = t / pt::kSegVecs, j = t - (t / pt::kSegVecs) * pt::kSegVecs;
  const int64_t src = int64_t{ky} * pt::kImage * pt::kChannels + j * 8;
  if (kPrefetch && t < pt::kGroupVecs) {
#pragma unroll
    for (int k = 0; k < K; ++k)
      if (int64_t{blockIdx.x} * K + k < groups) dv::prefetch_l2(pt::group_input(in, int64_t{blockIdx.x} * K + k) + src);
  }
  dv::pdl_wait();
  dv::pdl_trigger();
  __shared__ alignas(16) __half tile[K][pt::kPatch * pt::kGroupRun];
  for (int64_t g0 = int64_t{blockIdx.x} * K; g0 < groups; g0 += int64_t{gridDim.x} * K) {
    uint4 v[K];
#pragma unroll
    for (int k = 0; k < K; ++k)
      if (t < pt::kGroupVecs && g0 + k < groups) {
        const auto* p = reinterpret_cast<const uint4*>(pt::group_input(in, g0 + k) + src);
        v[k] = kStreaming ? __ldcs(p) : *p;
      }
#pragma unroll
    for (int k = 0; k < K; ++k)
      if (t < pt::kGroupVecs && g0 + k < groups) *reinterpret_cast<uint4*>(&tile[k][t * 8]) = v[k];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < K; ++k)
      if (t < pt::kGroupVecs && g0 + k < groups) {
        uint32_t w[4];
#pragma unroll
        for (int h = 0; h < 4; ++h) w[h] = pt::tile_pair(tile[k], pt::kGroupRun, 0, t * 8 + 2 * h);
        auto* q = reinterpret_cast<uint4*>(out + (g0 + k) * pt::kGroupElems + t * 8);
        if (kStreaming) __stcs(q, make_uint4(w[0], w[1], w[2], w[3]));
        else *q = make_uint4(w[0], w[1], w[2], w[3]);
      }
    __syncthreads();
  }
}

// The half-group kernel with its PDL signal moved or its stores hinted (session 17). Question: at
// 3 views (384 CTAs of 160 threads, about 3 per SM) the shipped kernel takes 1.27-1.29 us against
// torch.compile's 1.42-1.60, the 0.8x target's edge. kTrigger: 0 after the exchange (shipped),
// 1 at the start (right after the wait), 2 none (the grid's end lets the next one in). kStream:
// stores st.global.cs (evict first): gpu_fill_neginf_fp16 at 1024 x 2048 took 1.66 us with them
// against 1.98 (benchmarks/probe_fill.py, session 16).
template <int kTrigger, bool kStream>
__global__ void __launch_bounds__(pt::kHalfThreads) half_variant_kernel(const __half* in, __half* out) {
  const int64_t src = pt::half_group_load(blockIdx.x / 2, static_cast<int>(blockIdx.x & 1), threadIdx.x);
  dv::ready(src);
  dv::pdl_wait();
  if (kTrigger == 1) dv::pdl_trigger();
  __shared__ alignas(16) __half tile[pt::kPatch * pt::kHalfSegVecs * 8];
  const int t = threadIdx.x;
  const int64_t g = blockIdx.x / 2;
  const int h = static_cast<int>(blockIdx.x & 1);
  if (t < pt::kHalfLoads) *reinterpret_cast<uint4*>(&tile[t * 8]) = *reinterpret_cast<const uint4*>(in + src);
  __syncthreads();
  if (kTrigger == 0) dv::pdl_trigger();
  if (t < pt::kHalfOutVecs) {
    uint32_t w[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) w[k] = pt::tile_pair(tile, pt::kHalfSegVecs * 8, pt::kHalfFirstElem * h, t * 8 + 2 * k);
    auto* q = reinterpret_cast<uint4*>(out + (g * pt::kGroup + pt::kHalfPatches * h) * pt::kFeatures + t * 8);
    if (kStream) __stcs(q, make_uint4(w[0], w[1], w[2], w[3]));
    else *q = make_uint4(w[0], w[1], w[2], w[3]);
  }
}

namespace {
int resident_ctas(const void* kernel, int threads) {
  int dev = 0, sms = 0, per_sm = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0);
  return sms * per_sm;
}
template <int K>
void group(const __half* in, __half* out, int64_t groups, int64_t ctas, cudaStream_t s) {
  dv::launch(pt::im2col_group_kernel<K>, dim3(static_cast<unsigned>(ctas)), dim3(pt::kGroupThreads), 0, s, in, out,
             groups, false);
}
template <int kTrigger, bool kStream>
void half_variant(const __half* in, __half* out, int64_t groups, cudaStream_t s) {
  dv::launch(half_variant_kernel<kTrigger, kStream>, dim3(static_cast<unsigned>(2 * groups)), dim3(pt::kHalfThreads),
             0, s, in, out);
}
}  // namespace

extern "C" const char* probe_variant_name(int v) {
  switch (v) {
    case 0: return "half-group kernel (package), offset before the wait";
    case 1: return "half-group kernel, offset after the wait (before session 14)";
    case 2: return "group kernel <1>, one CTA per group";
    case 3: return "group kernel <2>, one CTA per 2 groups";
    case 4: return "group kernel <4>, one CTA per 4 groups";
    case 5: return "group kernel <2>, one wave of CTAs (loops)";
    case 6: return "group kernel <1>, one wave of CTAs (loops)";
    case 7: return "group kernel <2>, streaming hints (ld/st .cs)";
    case 8: return "group kernel <1>, streaming hints (ld/st .cs)";
    case 9: return "group kernel <2>, L2 prefetch before the wait (the package's past 16 views since session 14)";
    case 10: return "group kernel <4>, L2 prefetch before the wait";
    case 11: return "group kernel <1>, L2 prefetch before the wait";
    case 12: return "half-group kernel, PDL trigger at the start";
    case 13: return "half-group kernel, stores .cs (evict first)";
    case 14: return "half-group kernel, trigger at the start + stores .cs";
    case 15: return "half-group kernel, no trigger (the grid's end)";
    case 16: return "group kernel <2>, L2 prefetch + streaming hints (32 views cold sat at 0.90 of copy)";
    default: return nullptr;
  }
}

// Launches variant v for nv views on `stream` (16-byte aligned buffers). Returns the CUDA error.
extern "C" int probe_launch(int v, const void* in_, void* out_, int nv, void* stream_) {
  const auto* in = static_cast<const __half*>(in_);
  auto* out = static_cast<__half*>(out_);
  auto s = static_cast<cudaStream_t>(stream_);
  const int64_t groups = int64_t{nv} * pt::kPatches / pt::kGroup;
  switch (v) {
    case 0:
      dv::launch(pt::im2col_half_group_kernel, dim3(2 * groups), dim3(pt::kHalfThreads), 0, s, in, out, groups);
      break;
    case 1: dv::launch(half_after_wait_kernel, dim3(2 * groups), dim3(pt::kHalfThreads), 0, s, in, out); break;
    case 2: group<1>(in, out, groups, groups, s); break;
    case 3: group<2>(in, out, groups, (groups + 1) / 2, s); break;
    case 4: group<4>(in, out, groups, (groups + 3) / 4, s); break;
    case 5: {
      static const int slots = resident_ctas(reinterpret_cast<const void*>(pt::im2col_group_kernel<2>), pt::kGroupThreads);
      group<2>(in, out, groups, std::min<int64_t>((groups + 1) / 2, slots), s);
      break;
    }
    case 6: {
      static const int slots = resident_ctas(reinterpret_cast<const void*>(pt::im2col_group_kernel<1>), pt::kGroupThreads);
      group<1>(in, out, groups, std::min<int64_t>(groups, slots), s);
      break;
    }
    case 7:
      dv::launch(group_variant_kernel<2, true, false>, dim3((groups + 1) / 2), dim3(pt::kGroupThreads), 0, s, in, out,
                 groups);
      break;
    case 8: dv::launch(group_variant_kernel<1, true, false>, dim3(groups), dim3(pt::kGroupThreads), 0, s, in, out, groups); break;
    case 9: dv::launch(group_variant_kernel<2, false, true>, dim3((groups + 1) / 2), dim3(pt::kGroupThreads), 0, s, in, out, groups); break;
    case 10: dv::launch(group_variant_kernel<4, false, true>, dim3((groups + 3) / 4), dim3(pt::kGroupThreads), 0, s, in, out, groups); break;
    case 11: dv::launch(group_variant_kernel<1, false, true>, dim3(groups), dim3(pt::kGroupThreads), 0, s, in, out, groups); break;
    case 12: half_variant<1, false>(in, out, groups, s); break;
    case 13: half_variant<0, true>(in, out, groups, s); break;
    case 14: half_variant<1, true>(in, out, groups, s); break;
    case 15: half_variant<2, false>(in, out, groups, s); break;
    case 16: dv::launch(group_variant_kernel<2, true, true>, dim3((groups + 1) / 2), dim3(pt::kGroupThreads), 0, s, in, out, groups); break;
    default: return static_cast<int>(cudaErrorInvalidValue);
  }
  return static_cast<int>(cudaGetLastError());
}
