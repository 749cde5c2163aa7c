// Where patch_im2col's time at one view goes (a measurement tool, not part of the package).
//
// The benchmark rule asks <= 0.8x torch.compile (1.34 us) at one view, i.e. <= 1.07 us; the
// shipped 16-byte group kernel takes 1.13-1.15 under graph replay with PDL. This probe times,
// in one process and the graph protocol of graph_timer.cuh (warm L2):
//   * the shipped kernel, PDL trigger at the start / after the exchange;
//   * the same kernel with the trigger before griddepcontrol.wait (the next grid is scheduled as
//     soon as this one starts; it still waits for this one's completion);
//   * plain 16-byte copies of the same bytes (600 KB moved) with the same grid and block, with
//     and without a shared-memory round trip: the floor of this data volume and grid.
//
//   nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp benchmarks/probe_patch_latency.cu \
//     src/cpp/ops/core/launch.cu -o /tmp/probe_patch && /tmp/probe_patch
#include <cuda_fp16.h>
#include <cstdio>

#include "flash_rt/patch/patch.cuh"
#include "graph_timer.cuh"

namespace dv = flash_rt::device;
namespace pt = flash_rt::patch;

// The shipped kernel's body with the trigger before the wait.
__global__ void __launch_bounds__(pt::kGroupThreads) trigger_first_kernel(const __half* in, __half* out, int64_t groups) {
  dv::pdl_trigger();
  dv::pdl_wait();
  __shared__ alignas(16) __half tile[pt::kPatch * pt::kGroupRun];
  const int t = threadIdx.x;
  const int ky_in = t / pt::kSegVecs, j = t - (t / pt::kSegVecs) * pt::kSegVecs;
  const int64_t g = blockIdx.x;
  if (t < pt::kGroupVecs) {
    const int64_t bp = g / pt::kGroupsPerRow;
    const int q = static_cast<int>(g - bp * pt::kGroupsPerRow);
    const int64_t b = bp / pt::kGrid;
    const int py = static_cast<int>(bp - b * pt::kGrid);
    *reinterpret_cast<uint4*>(&tile[ky_in * pt::kGroupRun + j * 8]) = *reinterpret_cast<const uint4*>(
        in + b * pt::kImageElems + (int64_t{py * pt::kPatch + ky_in} * pt::kImage + q * pt::kGroup * pt::kPatch) * pt::kChannels + j * 8);
  }
  __syncthreads();
  if (t < pt::kGroupVecs) {
    uint32_t w[4];
#pragma unroll
    for (int h = 0; h < 4; ++h) {
      const int e = t * 8 + 2 * h;
      const int p = e / pt::kFeatures, f = e - (e / pt::kFeatures) * pt::kFeatures;
      const int ky = f / pt::kRun, r = f - (f / pt::kRun) * pt::kRun;
      w[h] = *reinterpret_cast<const uint32_t*>(&tile[ky * pt::kGroupRun + p * pt::kRun + r]);
    }
    *reinterpret_cast<uint4*>(out + g * pt::kGroupElems + t * 8) = make_uint4(w[0], w[1], w[2], w[3]);
  }
}

// 16-byte copy of the same bytes, same grid and block; optionally through shared memory.
template <bool kSmem>
__global__ void __launch_bounds__(pt::kGroupThreads) copy_kernel(const uint4* in, uint4* out) {
  dv::pdl_wait();
  dv::pdl_trigger();
  __shared__ uint4 tile[pt::kGroupThreads];
  const int t = threadIdx.x;
  const int64_t i = int64_t{blockIdx.x} * pt::kGroupVecs + t;
  if (t < pt::kGroupVecs) {
    uint4 v = in[i];
    if constexpr (kSmem) {
      tile[t] = v;
      __syncthreads();
      v = tile[(t + 1) % pt::kGroupVecs];
    }
    out[i] = v;
  } else if constexpr (kSmem) {
    __syncthreads();
  }
}

int main() {
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  __half *img, *cols;
  CK(cudaMalloc(&img, sizeof(__half) * pt::kImageElems));
  CK(cudaMalloc(&cols, sizeof(__half) * pt::kPatches * pt::kFeatures));
  CK(cudaMemset(img, 0x3c, sizeof(__half) * pt::kImageElems));
  const int64_t groups = pt::kPatches / pt::kGroup;
  for (int rep = 0; rep < 3; ++rep) {
    float t[2];
    for (int late = 0; late < 2; ++late)
      t[late] = time_graph([&] {
        dv::launch(pt::im2col_group_kernel<1>, dim3(groups), dim3(pt::kGroupThreads), 0, s, (const __half*)img, cols,
                   groups, bool(late));
      }, s);
    const float tf = time_graph([&] {
      dv::launch(trigger_first_kernel, dim3(groups), dim3(pt::kGroupThreads), 0, s, (const __half*)img, cols, groups);
    }, s);
    const float c0 = time_graph([&] {
      dv::launch(copy_kernel<false>, dim3(groups), dim3(pt::kGroupThreads), 0, s, (const uint4*)img, (uint4*)cols);
    }, s);
    const float c1 = time_graph([&] {
      dv::launch(copy_kernel<true>, dim3(groups), dim3(pt::kGroupThreads), 0, s, (const uint4*)img, (uint4*)cols);
    }, s);
    printf("patch_im2col 1 view (%lld CTAs): trigger early %.3f, late %.3f, before the wait %.3f us; "
           "copy of the same bytes %.3f, through smem %.3f us\n",
           (long long)groups, t[0], t[1], tf, c0, c1);
  }
  return 0;
}
