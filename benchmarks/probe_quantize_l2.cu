// How much of x the encode pass of quantize_fp8_device finds in L2 at 16384 x 4096 bf16 (a
// measurement tool, not part of the package).
//
// The dynamic entries must know the whole tensor's amax before they encode the first element, so a
// tensor larger than the chip's storage is read twice: 134 MB (amax), 134 MB again (encode) and
// 67 MB written, against the 201 MB the benchmark counts. The package's encode pass sweeps last to
// first, so that it starts on the lines the amax pass left in the 50 MB L2. This probe times, with
// the L2 flushed before every call (events, median of 15):
//   * the package's kernels: amax alone, encode alone (cold), amax + encode forward / reverse;
//   * the same two passes with L2 eviction hints: the amax pass loads the last `keep` MB of x with
//     an evict_last policy and the rest evict_first; the encode pass (reverse) loads evict_first
//     and stores its FP8 bytes evict_first, so that the output does not push the kept lines out.
// Each hinted result is checked byte for byte against the package's.
//
//   nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp benchmarks/probe_quantize_l2.cu \
//     src/cpp/ops/core/launch.cu -o /tmp/probe_quantize_l2 && /tmp/probe_quantize_l2
#include <cuda_bf16.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "flash_rt/quantize/fp8_quantize.cuh"
#include "graph_timer.cuh"

namespace q = flash_rt::quantize;
namespace dv = flash_rt::device;
using Bf16 = __nv_bfloat16;

constexpr int kU = 4;  // vectors of 8 per thread per tile, as the package's plan at this size

__device__ __forceinline__ uint64_t policy_evict_last() {
  uint64_t p;
  asm volatile("createpolicy.fractional.L2::evict_last.b64 %0, 1.0;" : "=l"(p));
  return p;
}
__device__ __forceinline__ uint64_t policy_evict_first() {
  uint64_t p;
  asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(p));
  return p;
}
__device__ __forceinline__ uint4 load_hint(const void* p, uint64_t pol) {
  uint4 v;
  asm volatile("ld.global.L2::cache_hint.v4.u32 {%0, %1, %2, %3}, [%4], %5;"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p), "l"(pol));
  return v;
}
__device__ __forceinline__ void store_hint(void* p, uint2 v, uint64_t pol) {
  asm volatile("st.global.L2::cache_hint.v2.u32 [%0], {%1, %2}, %3;" ::"l"(p), "r"(v.x), "r"(v.y), "l"(pol)
               : "memory");
}

// amax pass with hints: vectors at or past keep_from are loaded evict_last, the rest evict_first.
// n % 8 == 0 here.
__global__ void __launch_bounds__(q::kThreads) amax_hint_kernel(const Bf16* x, int64_t nvec, int64_t keep_from,
                                                                   float* d_scale) {
  __shared__ uint32_t scratch[32];
  const uint64_t last = policy_evict_last(), first = policy_evict_first();
  const int64_t tile = int64_t{q::kThreads} * kU;
  uint32_t m = 0;
  for (int64_t base = int64_t{blockIdx.x} * tile + threadIdx.x; base < nvec; base += int64_t{gridDim.x} * tile) {
    dv::Packed<Bf16, 8> v[kU];
#pragma unroll
    for (int k = 0; k < kU; ++k) {
      const int64_t i = base + k * q::kThreads;
      if (i < nvec) v[k].word = load_hint(x + i * 8, i >= keep_from ? last : first);
    }
#pragma unroll
    for (int k = 0; k < kU; ++k)
      if (base + k * q::kThreads < nvec) m = q::abs_max_bits<8>(v[k], m);
  }
  m = q::block_max(q::fold_lanes(m), scratch);
  if (threadIdx.x == 0)
    atomicMax(reinterpret_cast<unsigned int*>(d_scale), __float_as_uint(q::scale_of_amax_bits<Bf16>(m)));
}

// encode pass with hints, last tile first: loads and FP8 stores evict_first.
__global__ void __launch_bounds__(q::kThreads) encode_hint_kernel(const Bf16* x, uint8_t* out, int64_t nvec,
                                                                     const float* d_scale) {
  const uint64_t first = policy_evict_first();
  const float r = __frcp_rn(*d_scale);
  const int64_t tile = int64_t{q::kThreads} * kU;
  const int64_t ntiles = (nvec + tile - 1) / tile;
  for (int64_t t = blockIdx.x; t < ntiles; t += gridDim.x) {
    const int64_t base = (ntiles - 1 - t) * tile + threadIdx.x;
    dv::Packed<Bf16, 8> v[kU];
#pragma unroll
    for (int k = 0; k < kU; ++k)
      if (base + k * q::kThreads < nvec) v[k].word = load_hint(x + (base + k * q::kThreads) * 8, first);
#pragma unroll
    for (int k = 0; k < kU; ++k) {
      const int64_t i = base + k * q::kThreads;
      if (i < nvec) {
        float y[8];
        dv::unpack_float(v[k], y);
#pragma unroll
        for (int j = 0; j < 8; ++j) y[j] = dv::clamp448(y[j] * r);
        uint2 w;
        w.x = dv::e4m3x2(y[0], y[1]) | (dv::e4m3x2(y[2], y[3]) << 16);
        w.y = dv::e4m3x2(y[4], y[5]) | (dv::e4m3x2(y[6], y[7]) << 16);
        store_hint(out + i * 8, w, first);
      }
    }
  }
}

int main() {
  const int64_t n = int64_t{16384} * 4096, nvec = n / 8;
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  Bf16* x;
  uint8_t *out, *ref, *flush;
  float* scale;
  const size_t flush_bytes = size_t{256} << 20;
  CK(cudaMalloc(&x, n * 2));
  CK(cudaMalloc(&out, n));
  CK(cudaMalloc(&ref, n));
  CK(cudaMalloc(&flush, flush_bytes));
  CK(cudaMalloc(&scale, 4));
  {
    std::vector<Bf16> h(n);
    uint32_t st = 12345;
    for (int64_t i = 0; i < n; ++i) {
      st = st * 1664525u + 1013904223u;
      h[i] = __float2bfloat16((static_cast<float>(st >> 8) / 16777216.f - 0.5f) * 7.f);
    }
    CK(cudaMemcpy(x, h.data(), n * 2, cudaMemcpyHostToDevice));
  }
  q::Fp8Args<Bf16> a;
  a.x = x;
  a.out = ref;
  a.d_scale = scale;
  a.n = n;
  const q::Fp8Plan p = q::plan_fp8(n, true, sms);
  printf("plan: vec %d, unroll %d, grid %d CTAs of %d\n", p.vec, p.unroll, p.grid, q::kThreads);
  q::Fp8Args<Bf16> rev = a;
  rev.reverse = true;

  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  // Median time of `body` over 15 calls, the L2 flushed before each.
  const auto time_cold = [&](auto body) {
    std::vector<float> t;
    for (int r = 0; r < 16; ++r) {
      CK(cudaMemsetAsync(flush, r & 0xff, flush_bytes, s));
      CK(cudaEventRecord(e0, s));
      body();
      CK(cudaEventRecord(e1, s));
      CK(cudaEventSynchronize(e1));
      float ms;
      CK(cudaEventElapsedTime(&ms, e0, e1));
      if (r > 0) t.push_back(ms * 1000.f);
    }
    CK(cudaGetLastError());
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  };
  const double nominal = 3.0 * n;  // bytes the benchmark counts: 2n read + n written
  const auto report = [&](const char* what, float us) {
    printf("%-62s %7.1f us  %6.0f GB/s by the benchmark's bytes\n", what, us, nominal / us / 1e3);
  };
  const auto amax = [&] {
    CK(cudaMemsetAsync(scale, 0, 4, s));
    q::launch_fp8_amax_scale<Bf16>(a, p, s);
  };
  {  // a copy of 1 GiB (read + write), as the benchmark's ceiling
    const size_t bytes = size_t{512} << 20;
    void *src, *dst;
    CK(cudaMalloc(&src, bytes));
    CK(cudaMalloc(&dst, bytes));
    const float us = time_cold([&] { CK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s)); });
    printf("cudaMemcpy D2D of 512 MiB: %.0f GB/s (read + write)\n", 2.0 * bytes / us / 1e3);
    CK(cudaFree(src));
    CK(cudaFree(dst));
  }
  for (int rep = 0; rep < 2; ++rep) {
    const float t_amax = time_cold(amax);
    printf("%-62s %7.1f us  %6.0f GB/s read\n", "package amax pass alone", t_amax, 2.0 * n / t_amax / 1e3);
    const float t_enc = time_cold([&] { q::launch_fp8_encode<Bf16, q::Scale::kRaw>(rev, p, s); });
    printf("%-62s %7.1f us  %6.0f GB/s read + written\n", "package encode pass alone (cold, reverse)", t_enc,
           3.0 * n / t_enc / 1e3);
    report("package: amax + encode forward", time_cold([&] {
             amax();
             q::launch_fp8_encode<Bf16, q::Scale::kRaw>(a, p, s);
           }));
    report("package: amax + encode reverse (shipped)", time_cold([&] {
             amax();
             q::launch_fp8_encode<Bf16, q::Scale::kRaw>(rev, p, s);
           }));
    for (int keep_mb : {16, 24, 32, 40, 48}) {
      const int64_t keep_from = std::max<int64_t>(0, nvec - (int64_t{keep_mb} << 20) / 16);
      const float t = time_cold([&] {
        CK(cudaMemsetAsync(scale, 0, 4, s));
        amax_hint_kernel<<<p.grid, q::kThreads, 0, s>>>(x, nvec, keep_from, scale);
        encode_hint_kernel<<<p.grid, q::kThreads, 0, s>>>(x, out, nvec, scale);
      });
      char what[96];
      std::snprintf(what, sizeof what, "hinted: amax keeps the last %d MB, encode reverse", keep_mb);
      report(what, t);
    }
  }
  {
    std::vector<uint8_t> h1(n), h2(n);
    CK(cudaMemcpy(h1.data(), ref, n, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(h2.data(), out, n, cudaMemcpyDeviceToHost));
    printf("hinted output: %s the package's\n", std::memcmp(h1.data(), h2.data(), n) == 0 ? "same bytes as" : "DIFFERS from");
  }
  return 0;
}
