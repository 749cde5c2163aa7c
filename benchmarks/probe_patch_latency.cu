// Where patch_im2col's time at one view goes (a measurement tool, not part of the package).
//
// (patch_embed_bias_pos at S = 1 by CTA count and signal placement: benchmarks/probe_flat_modes.cu.)
// The benchmark rule asks <= 0.8x torch.compile (1.34-1.38 us) at one view, i.e. <= 1.07 us. This
// probe times, in one process and the graph protocol of graph_timer.cuh (warm L2, PDL):
//   * im2col by parts of a group: one CTA per 4 / 2 / 1 patches (the half-group kernel the
//     package ships for a few views is the 2-patch part), PDL trigger at the start or after the
//     exchange;
//   * im2col with no shared memory (one thread per 16-byte output vector, four 4-byte loads);
//   * plain 16-byte copies of the same bytes (600 KB moved) by CTA size: the floor;
//   * the package's kernels by view count (1 to 16), to place the switch between them;
//   * 256 views (past the L2) for the kernels that could replace the shipped one there.
// Every im2col variant is first checked byte for byte against the package's group kernel.
// Session 11's variants (warp-level exchanges, 4-run units, copies through shared memory with a
// barrier or __syncwarp, the trigger before the wait) are in git history (7803d1c); results:
// docs/RESULTS-2026-11-28-H100-session11.md section 5, docs/RESULTS-2026-11-28-H100-session12.md.
//
//   nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp benchmarks/probe_patch_latency.cu \
//     src/cpp/ops/core/launch.cu -o /tmp/probe_patch && /tmp/probe_patch
#include <cuda_fp16.h>
#include <cstdio>
#include <cstring>
#include <vector>

#include "flash_rt/patch/patch.cuh"
#include "graph_timer.cuh"

namespace dv = flash_rt::device;
namespace pt = flash_rt::patch;

// im2col by parts of a group: one CTA per kParts patches (4: the shipped kernel's work, 2: 128
// CTAs at one view, 1: 256). The part's input is kParts * 84 bytes of each of the 14 image-row
// segments, covered by kVecs aligned 16-byte vectors per row (loaded into shared memory, CTA
// barrier); its output is kParts whole output rows. Question: does spreading one view's 600 KB
// over more SMs (fewer bytes per SM) shorten the chain, as it did for patch_embed_bias_pos
// (one CTA of 256 threads 1.24 us, four of 64 0.98)?
template <int kParts>
struct PartGeom {
  static constexpr int kPerGroup = pt::kGroup / kParts;
  static constexpr int kVecs = kParts == 4 ? 21 : kParts == 2 ? 11 : 6;  // 16-byte vectors per row segment
  static constexpr int kLoads = pt::kPatch * kVecs;
  static constexpr int kOutElems = kParts * pt::kFeatures;
  static constexpr int kStores = (kOutElems + 7) / 8;  // one of them 4 elements when kParts is odd (588 % 8 = 4)
  static constexpr int kThreads = ((kLoads > kStores ? kLoads : kStores) + 31) / 32 * 32;
};

template <int kParts, bool kLate>
__global__ void __launch_bounds__(PartGeom<kParts>::kThreads) part_kernel(const __half* in, __half* out, int64_t groups) {
  using G = PartGeom<kParts>;
  dv::pdl_wait();
  if (!kLate) dv::pdl_trigger();
  __shared__ alignas(16) __half tile[pt::kPatch * G::kVecs * 8];
  const int t = threadIdx.x;
  const int64_t g = blockIdx.x / G::kPerGroup;
  const int h = static_cast<int>(blockIdx.x - g * G::kPerGroup);
  if (g >= groups) return;
  const int byte0 = h * kParts * pt::kRun * 2;  // the part's first byte within each 336-byte segment
  const int v0 = byte0 / 16, off = (byte0 - v0 * 16) / 2;  // first vector, and the part's first element in it
  if (t < G::kLoads) {
    const int ky = t / G::kVecs, j = t - ky * G::kVecs;
    *reinterpret_cast<uint4*>(&tile[(ky * G::kVecs + j) * 8]) = *reinterpret_cast<const uint4*>(
        pt::group_input(in, g) + int64_t{ky} * pt::kImage * pt::kChannels + (v0 + j) * 8);
  }
  __syncthreads();
  if (kLate) dv::pdl_trigger();
  const int64_t e0 = (g * pt::kGroup + h * kParts) * pt::kFeatures;  // the part's first output element
  // Store s covers local elements [lo, lo + n): 8-element vectors aligned to the output, and one
  // 4-element piece (at the start when e0 % 8 == 4, else at the end) when kParts is odd.
  const int head = static_cast<int>(e0 & 7);  // 0 or 4
  int lo = t * 8, n = 8;
  if (kParts % 2) {
    if (head) { lo = t == 0 ? 0 : 4 + 8 * (t - 1); n = t == 0 ? 4 : 8; }
    else if (t == G::kStores - 1) n = 4;
  }
  if (t < G::kStores && lo < G::kOutElems) {
    uint32_t w[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int e = lo + 2 * k;
      w[k] = k * 2 < n ? pt::tile_pair(tile, G::kVecs * 8, off, e) : 0u;
    }
    if (n == 8) *reinterpret_cast<uint4*>(out + e0 + lo) = make_uint4(w[0], w[1], w[2], w[3]);
    else *reinterpret_cast<uint2*>(out + e0 + lo) = make_uint2(w[0], w[1]);
  }
}

template <int kParts, bool kLate>
void launch_parts(const __half* in, __half* out, int64_t groups, cudaStream_t s) {
  dv::launch(part_kernel<kParts, kLate>, dim3(groups * PartGeom<kParts>::kPerGroup), dim3(PartGeom<kParts>::kThreads), 0,
             s, in, out, groups);
}

// im2col with no shared memory at all: one thread per 16-byte output vector, its four 4-byte
// words loaded straight from the image (each word is two elements of one run: 588 and 42 are
// even), one 16-byte store. The shortest dependency chain: index math, 4 loads, 1 store.
template <int kThreads>
__global__ void __launch_bounds__(kThreads) direct_kernel(const __half* in, __half* out, int64_t vecs) {
  dv::pdl_wait();
  dv::pdl_trigger();
  const int64_t u = int64_t{blockIdx.x} * kThreads + threadIdx.x;
  if (u >= vecs) return;
  uint32_t w[4];
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const int64_t e = u * 8 + 2 * k;
    const int64_t row = e / pt::kFeatures;
    const int f = static_cast<int>(e - row * pt::kFeatures);
    const int ky = f / pt::kRun, r = f - ky * pt::kRun;
    const int64_t b = row / pt::kPatches;
    const int p = static_cast<int>(row - b * pt::kPatches), py = p / pt::kGrid, px = p % pt::kGrid;
    w[k] = *reinterpret_cast<const uint32_t*>(
        in + b * pt::kImageElems + ((py * pt::kPatch + ky) * pt::kImage + px * pt::kPatch) * pt::kChannels + r);
  }
  *reinterpret_cast<uint4*>(out + u * 8) = make_uint4(w[0], w[1], w[2], w[3]);
}

// A plain 16-byte copy of n vectors with kThreads per CTA: the floor of each grid shape.
template <int kThreads>
__global__ void __launch_bounds__(kThreads) copy_flat_kernel(const uint4* in, uint4* out, int64_t n) {
  dv::pdl_wait();
  dv::pdl_trigger();
  const int64_t i = int64_t{blockIdx.x} * kThreads + threadIdx.x;
  if (i < n) out[i] = in[i];
}

template <int kThreads>
float time_copy(const __half* in, __half* out, int64_t vecs, cudaStream_t s) {
  return time_graph([&] {
    dv::launch(copy_flat_kernel<kThreads>, dim3((vecs + kThreads - 1) / kThreads), dim3(kThreads), 0, s,
               reinterpret_cast<const uint4*>(in), reinterpret_cast<uint4*>(out), vecs);
  }, s);
}

template <int kThreads>
void launch_direct(const __half* in, __half* out, int64_t vecs, cudaStream_t s) {
  dv::launch(direct_kernel<kThreads>, dim3((vecs + kThreads - 1) / kThreads), dim3(kThreads), 0, s, in, out, vecs);
}

int main() {
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int64_t max_views = 16, groups = pt::kPatches / pt::kGroup;  // 64 groups per view
  __half *img, *cols;
  CK(cudaMalloc(&img, sizeof(__half) * pt::kImageElems * max_views));
  CK(cudaMalloc(&cols, sizeof(__half) * max_views * pt::kPatches * pt::kFeatures));
  const auto group_kernel = [&](int64_t gs) {  // the package's kernel past a few views
    dv::launch(pt::im2col_group_kernel<1>, dim3(gs), dim3(pt::kGroupThreads), 0, s, (const __half*)img, cols, gs, false);
  };
  const auto half_kernel = [&](int64_t gs) {  // the package's kernel for a few views
    dv::launch(pt::im2col_half_group_kernel, dim3(2 * gs), dim3(pt::kHalfThreads), 0, s, (const __half*)img, cols, gs);
  };
  {  // distinct values, so that a wrong permutation shows; every variant against the group kernel
    std::vector<__half> h(pt::kImageElems);
    for (int64_t i = 0; i < pt::kImageElems; ++i) h[i] = __float2half(static_cast<float>(i % 2039) - 1000.f);
    CK(cudaMemcpy(img, h.data(), sizeof(__half) * h.size(), cudaMemcpyHostToDevice));
    const size_t n = size_t{pt::kPatches} * pt::kFeatures;
    std::vector<__half> a(n), b(n);
    group_kernel(groups);
    CK(cudaMemcpyAsync(a.data(), cols, sizeof(__half) * n, cudaMemcpyDeviceToHost, s));
    CK(cudaMemsetAsync(cols, 0xff, sizeof(__half) * n, s));
    const auto same = [&](const char* what) {
      CK(cudaMemcpyAsync(b.data(), cols, sizeof(__half) * n, cudaMemcpyDeviceToHost, s));
      CK(cudaStreamSynchronize(s));
      printf("%s: %s the group kernel's output\n", what,
             std::memcmp(a.data(), b.data(), sizeof(__half) * n) == 0 ? "same bytes as" : "DIFFERS from");
      CK(cudaMemsetAsync(cols, 0xff, sizeof(__half) * n, s));
    };
    half_kernel(groups);
    same("half-group kernel (the package's, a few views)");
    launch_parts<4, true>(img, cols, groups, s);
    same("part kernel, 4 patches per CTA");
    launch_parts<2, true>(img, cols, groups, s);
    same("part kernel, 2 patches per CTA");
    launch_parts<1, true>(img, cols, groups, s);
    same("part kernel, 1 patch per CTA");
    launch_direct<64>(img, cols, int64_t{n} / 8, s);
    same("direct kernel, 64 threads per CTA");
    launch_direct<256>(img, cols, int64_t{n} / 8, s);
    same("direct kernel, 256 threads per CTA");
  }
  const int64_t vecs = int64_t{pt::kPatches} * pt::kFeatures / 8;  // 18816 per view
  for (int rep = 0; rep < 3; ++rep) {
    const float tg = time_graph([&] { group_kernel(groups); }, s);
    const float p4e = time_graph([&] { launch_parts<4, false>(img, cols, groups, s); }, s);
    const float p4l = time_graph([&] { launch_parts<4, true>(img, cols, groups, s); }, s);
    const float p2e = time_graph([&] { launch_parts<2, false>(img, cols, groups, s); }, s);
    const float p2l = time_graph([&] { launch_parts<2, true>(img, cols, groups, s); }, s);
    const float p1e = time_graph([&] { launch_parts<1, false>(img, cols, groups, s); }, s);
    const float p1l = time_graph([&] { launch_parts<1, true>(img, cols, groups, s); }, s);
    printf("1 view: group kernel %.3f us; parts of 4 patches (64 CTAs x %d) early %.3f late %.3f; of 2 (128 x %d) "
           "early %.3f late %.3f; of 1 (256 x %d) early %.3f late %.3f\n",
           tg, PartGeom<4>::kThreads, p4e, p4l, PartGeom<2>::kThreads, p2e, p2l, PartGeom<1>::kThreads, p1e, p1l);
    const float d32 = time_graph([&] { launch_direct<32>(img, cols, vecs, s); }, s);
    const float d64 = time_graph([&] { launch_direct<64>(img, cols, vecs, s); }, s);
    const float d128 = time_graph([&] { launch_direct<128>(img, cols, vecs, s); }, s);
    const float d256 = time_graph([&] { launch_direct<256>(img, cols, vecs, s); }, s);
    printf("1 view: direct (no smem) 32 thr/CTA %.3f, 64 %.3f, 128 %.3f, 256 %.3f us\n", d32, d64, d128, d256);
    printf("1 view: 16-byte copy of the same bytes, 64 thr/CTA %.3f, 128 %.3f, 160 %.3f, 256 %.3f, 320 %.3f us\n",
           time_copy<64>(img, cols, vecs, s), time_copy<128>(img, cols, vecs, s), time_copy<160>(img, cols, vecs, s),
           time_copy<256>(img, cols, vecs, s), time_copy<320>(img, cols, vecs, s));
  }
  CK(cudaMemset(img, 0x3c, sizeof(__half) * pt::kImageElems * max_views));
  for (int64_t views : {1, 2, 4, 6, 8, 12, 16}) {  // the package switches at groups = 4 x SMs
    const int64_t gs = views * groups;
    const float th = time_graph([&] { half_kernel(gs); }, s);
    const float tg = time_graph([&] { group_kernel(gs); }, s);
    const float tp = time_graph([&] {
      dv::launch(pt::im2col_group_kernel<2>, dim3((gs + 1) / 2), dim3(pt::kGroupThreads), 0, s, (const __half*)img,
                 cols, gs, false);
    }, s);
    printf("%2lld views: half groups %.3f us, group kernel %.3f, pairs %.3f\n", (long long)views, th, tg, tp);
  }
  {  // 256 views (77 MB moved: past the L2, so effectively cold)
    const int64_t views = 256, g256 = views * groups;
    __half *img2, *cols2;
    CK(cudaMalloc(&img2, sizeof(__half) * pt::kImageElems * views));
    CK(cudaMalloc(&cols2, sizeof(__half) * views * pt::kPatches * pt::kFeatures));
    CK(cudaMemset(img2, 0x3c, sizeof(__half) * pt::kImageElems * views));
    const float t2 = time_graph([&] {
      dv::launch(pt::im2col_group_kernel<2>, dim3(g256 / 2), dim3(pt::kGroupThreads), 0, s, (const __half*)img2, cols2,
                 g256, false);
    }, s);
    const float q2 = time_graph([&] { launch_parts<2, false>(img2, cols2, g256, s); }, s);
    const float dd = time_graph([&] { launch_direct<256>(img2, cols2, g256 * pt::kGroupElems / 8, s); }, s);
    const double gb = 2.0 * sizeof(__half) * pt::kImageElems * views / 1e3;
    printf("256 views: package (2 groups per CTA) %.2f us (%.0f GB/s), parts of 2 %.2f (%.0f), direct 256 thr %.2f (%.0f)\n",
           t2, gb / t2, q2, gb / q2, dd, gb / dd);
  }
  return 0;
}
