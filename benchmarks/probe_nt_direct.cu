// The small-M FP8 kernel on a K-major [N, K] weight (the SM90 cutlass_fp8_* path at M <= 16):
// which column slab, warp count and K steps in flight per CTA? A 32-column slab gives N / 32
// CTAs, fewer than the H100's 132 SMs at N = 2048 or 2560. This probe times configurations of
// (TN n8 tiles = 8 * TN columns per CTA) x (warps) x (32-deep steps each warp keeps in flight) at
// M = 1, 8, 16 over K x N shapes of BENCH.md and of decoder projections, bf16 out, graph replay,
// warm L2 (as bench_gemm.py), and checks each configuration's D against the first.
// Session 10 (H100), M = 1: with 4-byte loads 32 columns x 8 warps x 4 steps was best at K <= 4096
// and N >= 2560, narrower slabs below (16384 x 2048: 15.0 us against 24.4); 16-byte K units (w)
// then beat every 4-byte configuration (2048 x 2560: 2.8 against 4.2). Build here, run on the GPU machine:
//   nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp benchmarks/probe_nt_direct.cu \
//     src/cpp/ops/core/launch.cu -o .exp/probe_nt_direct
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cmath>
#include <tuple>
#include <utility>
#include <vector>

#include "flash_rt/gemm/fp8_nn_direct.cuh"
#include "graph_timer.cuh"

using namespace flash_rt::gemm;

template <int TN, int W, int U, bool kWide = false>
struct Config {
  static constexpr int kTN = TN, kW = W, kU = U;
  static constexpr bool kIsWide = kWide;
  static void launch(const NnDirectArgs& a, cudaStream_t s) {
    flash_rt::device::launch(fp8_nn_direct_kernel<__nv_bfloat16, 1, BLayout::kNK, TN, W, U, kWide>,
                             dim3((a.N + 8 * TN - 1) / (8 * TN)), dim3(W * 32), 0, s, a);
  }
};
// One m16 tile (M <= 16): the 32-column choice first (8 warps, 4 steps in flight), the 16-column
// one, then 16-byte K units (w: U counts 64-deep units).
using Configs = std::tuple<Config<4, 8, 4>, Config<2, 8, 8>, Config<4, 8, 4, true>, Config<4, 8, 2, true>,
                           Config<4, 16, 2, true>, Config<2, 8, 4, true>, Config<2, 16, 2, true>,
                           Config<1, 16, 2, true>>;

// The configuration must not change a bit of D: each output is the same MMAs, and the warps'
// partial sums are added in warp order, for the same warp count and K order. Other
// configurations sum in another order, so D is compared within bf16 rounding (1e-2 relative).
template <class C>
bool same_as_first(NnDirectArgs a, void* other, cudaStream_t s) {
  const size_t n = size_t(a.M) * a.N;
  std::vector<__nv_bfloat16> x(n), y(n);
  std::tuple_element_t<0, Configs>::launch(a, s);
  CK(cudaMemcpyAsync(x.data(), a.d, n * 2, cudaMemcpyDeviceToHost, s));
  a.d = other;
  C::launch(a, s);
  CK(cudaMemcpyAsync(y.data(), a.d, n * 2, cudaMemcpyDeviceToHost, s));
  CK(cudaStreamSynchronize(s));
  for (size_t i = 0; i < n; ++i) {
    const float u = __bfloat162float(x[i]), v = __bfloat162float(y[i]);
    if (std::fabs(u - v) > 1e-2f * std::fabs(u) + 1e-3f) return false;  // bf16 rounding of sums in another order
  }
  return true;
}

template <std::size_t... I>
void row(const NnDirectArgs& a, void* other, cudaStream_t s, std::index_sequence<I...>) {
  float t[] = {time_graph([&] { std::tuple_element_t<I, Configs>::launch(a, s); }, s)...};
  bool ok[] = {same_as_first<std::tuple_element_t<I, Configs>>(a, other, s)...};
  std::printf("%5d %6d %6d ", a.M, a.K, a.N);
  for (std::size_t i = 0; i < sizeof...(I); ++i) std::printf(" %7.2f%s", t[i], ok[i] ? " " : "!");
  std::printf("\n");
}

template <std::size_t... I>
void header(std::index_sequence<I...>) {
  std::printf("%5s %6s %6s ", "M", "K", "N");
  ((std::printf("  %dx%dx%d%s", std::tuple_element_t<I, Configs>::kTN, std::tuple_element_t<I, Configs>::kW,
                std::tuple_element_t<I, Configs>::kU, std::tuple_element_t<I, Configs>::kIsWide ? "w" : " ")), ...);
  std::printf("   (TN x warps x steps, w: 16-byte K units; ! = D differs)\n");
}

__global__ void fill(uint8_t* x, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = (static_cast<uint32_t>(i) ^ seed) * 2654435761u;
    h ^= h >> 15;
    x[i] = static_cast<uint8_t>((h & 0x80u) | (0x20u + (h >> 8) % 0x28u));
  }
}

int main() {
  cudaDeviceProp prop{};
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s: fp8_nn_direct_kernel, [N, K] weight, bf16 out, M <= 16; us per call\n",
              prop.name);
  constexpr auto kSeq = std::make_index_sequence<std::tuple_size_v<Configs>>{};
  header(kSeq);
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int shapes[][2] = {{2048, 2560}, {1024, 8192}, {16384, 2048}, {4096, 4096}, {2048, 2048},
                           {8192, 2048}, {16384, 2560}, {16384, 1024}, {8192, 4096}, {4096, 2048}};
  const int ms[] = {1, 8, 16};
  for (const auto& kn : shapes) {
    const int K = kn[0], N = kn[1];
    uint8_t *a, *b;
    void *d, *d2;
    CK(cudaMalloc(&d2, size_t(64) * N * 2));
    CK(cudaMalloc(&a, size_t(64) * K));
    CK(cudaMalloc(&b, size_t(N) * K));
    CK(cudaMalloc(&d, size_t(64) * N * 2));
    fill<<<264, 256, 0, s>>>(a, int64_t(64) * K, 1);
    fill<<<264, 256, 0, s>>>(b, int64_t(N) * K, 2);
    for (int M : ms) {
      NnDirectArgs p;
      p.a = a, p.b = b, p.d = d, p.alpha = 1.f / 64, p.M = M, p.N = N, p.K = K;
      row(p, d2, s, kSeq);
    }
    CK(cudaFree(a));
    CK(cudaFree(b));
    CK(cudaFree(d));
    CK(cudaFree(d2));
  }
  return 0;
}
