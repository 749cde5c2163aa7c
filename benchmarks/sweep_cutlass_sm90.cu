// Tile sweep for the SM90 cutlass_fp8_* kernels (a measurement tool, not part of the package):
// times the kernel types of flash_rt/gemm/cutlass_fp8.cuh under tile and cluster shapes other
// than the ones tiles.cuh picks, at the GEMM shapes of BENCH.md and a few in between, so that
// the SM90 tile rule rests on numbers. bf16 output, linear epilogue (the tile choice is shared
// by every output dtype). CUDA-graph replay of back-to-back launches, median of 9 replays.
//
// Each candidate is its own translation unit (SWEEP_PART = index), so they compile in parallel:
//   inc="-I src/cpp/include -isystem $CUTLASS/include -isystem $CUTLASS/tools/util/include"
//   for k in 0 1 2 3 4 5 6 7; do nvcc -O3 -std=c++20 -arch=sm_90a --expt-relaxed-constexpr \
//     -DNDEBUG -diag-suppress=2908 $inc -DSWEEP_PART=$k -c benchmarks/sweep_cutlass_sm90.cu \
//     -o /tmp/sw$k.o & done; wait
//   nvcc -O3 -std=c++20 -arch=sm_90a $inc -c benchmarks/sweep_cutlass_sm90.cu -o /tmp/sw.o
//   nvcc -arch=sm_90a /tmp/sw*.o -o sweep_cutlass_sm90      ($CUTLASS: the wheel's source dir)
// The binary needs only the driver: compile it here and carry it to the GPU machine.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "flash_rt/gemm/cutlass_fp8_problem.h"

using flash_rt::gemm::cutlass_fp8::Problem;
using flash_rt::gemm::cutlass_fp8::Status;

constexpr int kCandidates = 8;
using Timer = float (*)(const Problem&, int calls);
#define DECLARE(k) float time_candidate_##k(const Problem& p, int calls);
DECLARE(0) DECLARE(1) DECLARE(2) DECLARE(3) DECLARE(4) DECLARE(5) DECLARE(6) DECLARE(7)

#ifdef SWEEP_PART
#include "flash_rt/gemm/cutlass_fp8.cuh"

namespace {
using namespace flash_rt::gemm::cutlass_fp8;
using cute::_1;
using cute::_2;
using cute::_32;
using cute::_64;
using cute::_128;
using cute::_192;
using cute::Shape;
using T = cutlass::bfloat16_t;

#if SWEEP_PART == 0
using G = Sm90Fp8PingPong<T, false, Shape<_64, _128, _128>, Shape<_1, _1, _1>>;  // session 7 "small"
#define NAME "pingpong 64x128 c1x1 (session 7 small)"
#elif SWEEP_PART == 1
using G = Sm90Fp8PingPong<T, false, Shape<_64, _64, _128>, Shape<_1, _1, _1>>;
#define NAME "pingpong 64x64 c1x1"
#elif SWEEP_PART == 2
using G = Sm90Fp8PingPong<T, false, Shape<_64, _32, _128>, Shape<_1, _1, _1>>;
#define NAME "pingpong 64x32 c1x1"
#elif SWEEP_PART == 3
using G = Sm90Fp8<T, false, Shape<_128, _128, _128>, Shape<_2, _1, _1>>;  // session 7 "large"
#define NAME "cooperative 128x128 c2x1 (session 7 large)"
#elif SWEEP_PART == 4
using G = Sm90Fp8<T, false, Shape<_128, _64, _128>, Shape<_2, _1, _1>>;
#define NAME "cooperative 128x64 c2x1"
#elif SWEEP_PART == 5
using G = Sm90Fp8<T, false, Shape<_128, _192, _128>, Shape<_2, _1, _1>>;
#define NAME "cooperative 128x192 c2x1"
#elif SWEEP_PART == 6
using G = Sm90Fp8<T, false, Shape<_128, _128, _128>, Shape<_1, _1, _1>>;
#define NAME "cooperative 128x128 c1x1"
#elif SWEEP_PART == 7
using G = Sm90Fp8PingPong<T, false, Shape<_64, _128, _128>, Shape<_1, _2, _1>>;
#define NAME "pingpong 64x128 c1x2"
#endif
}  // namespace

#define DEFINE(k)                                                                       \
  float time_candidate_##k(const Problem& p, int calls) {                               \
    if (run<G>(p).step) return -1.f;                                                    \
    cudaGraph_t g;                                                                      \
    cudaStreamBeginCapture(p.stream, cudaStreamCaptureModeThreadLocal);                 \
    for (int i = 0; i < calls; ++i) run<G>(p);                                          \
    cudaStreamEndCapture(p.stream, &g);                                                 \
    cudaGraphExec_t e;                                                                  \
    if (cudaGraphInstantiate(&e, g, 0) != cudaSuccess) return -2.f;                     \
    cudaEvent_t a, b;                                                                   \
    cudaEventCreate(&a);                                                                \
    cudaEventCreate(&b);                                                                \
    std::vector<float> t;                                                               \
    for (int r = 0; r < 12; ++r) {                                                      \
      cudaEventRecord(a, p.stream);                                                     \
      cudaGraphLaunch(e, p.stream);                                                     \
      cudaEventRecord(b, p.stream);                                                     \
      cudaEventSynchronize(b);                                                          \
      float ms = 0.f;                                                                   \
      cudaEventElapsedTime(&ms, a, b);                                                  \
      if (r >= 3) t.push_back(ms * 1e3f / calls);                                       \
    }                                                                                   \
    cudaGraphExecDestroy(e);                                                            \
    cudaGraphDestroy(g);                                                                \
    cudaEventDestroy(a);                                                                \
    cudaEventDestroy(b);                                                                \
    std::sort(t.begin(), t.end());                                                      \
    return cudaGetLastError() == cudaSuccess ? t[t.size() / 2] : -3.f;                  \
  }                                                                                     \
  const char* candidate_name_##k() { return NAME; }
#define EXPAND(k) DEFINE(k)
EXPAND(SWEEP_PART)

#else  // the driver: shapes x candidates

#define NAMEDECL(k) const char* candidate_name_##k();
NAMEDECL(0) NAMEDECL(1) NAMEDECL(2) NAMEDECL(3) NAMEDECL(4) NAMEDECL(5) NAMEDECL(6) NAMEDECL(7)

__global__ void fill_e4m3(uint8_t* x, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = (static_cast<uint32_t>(i) ^ seed) * 2654435761u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    x[i] = static_cast<uint8_t>((h & 0x80u) | (0x20u + (h >> 8) % 0x28u));  // |v| in [2^-3, 2^2): finite
  }
}

int main() {
  const Timer timers[kCandidates] = {time_candidate_0, time_candidate_1, time_candidate_2, time_candidate_3,
                                     time_candidate_4, time_candidate_5, time_candidate_6, time_candidate_7};
  const char* names[kCandidates] = {candidate_name_0(), candidate_name_1(), candidate_name_2(), candidate_name_3(),
                                    candidate_name_4(), candidate_name_5(), candidate_name_6(), candidate_name_7()};
  struct Shape3 { int M, K, N; };
  const Shape3 shapes[] = {{1, 2048, 2560},    {16, 2048, 2560},   {64, 1024, 8192},   {256, 2048, 2560},
                           {1024, 2048, 2560}, {1024, 2048, 8192}, {1024, 2048, 32768}, {1024, 16384, 2048},
                           {4096, 4096, 4096}, {2048, 2048, 2048}};
  int dev = 0, sms = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, dev);
  std::printf("%s, %d SMs; us per call, bf16 out, graph replay, median of 9\n", prop.name, sms);
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  for (const auto& sh : shapes) {
    uint8_t *a, *b;
    void* d;
    cudaMalloc(&a, size_t(sh.M) * sh.K);
    cudaMalloc(&b, size_t(sh.N) * sh.K);
    cudaMalloc(&d, size_t(sh.M) * sh.N * 2);
    fill_e4m3<<<264, 256, 0, s>>>(a, int64_t(sh.M) * sh.K, 1);
    fill_e4m3<<<264, 256, 0, s>>>(b, int64_t(sh.N) * sh.K, 2);
    cudaStreamSynchronize(s);
    const Problem p{a, b, d, sh.M, sh.N, sh.K, 1.f / 64, 0.f, dev, sms, s};
    const double flop = 2.0 * sh.M * sh.N * sh.K;
    const double est_us = 3.0 + flop / 5e8;  // about 500 TFLOP/s plus a launch: ~2 ms per replay
    const int calls = std::max(10, std::min(200, static_cast<int>(2000.0 / est_us)));
    for (int k = 0; k < kCandidates; ++k) {
      const float us = timers[k](p, calls);
      if (us < 0) std::printf("%5d %5d %5d  %-42s  failed (%g)\n", sh.M, sh.K, sh.N, names[k], us);
      else std::printf("%5d %5d %5d  %-42s  %8.2f us  %7.1f TFLOP/s\n", sh.M, sh.K, sh.N, names[k], us,
                       flop / us * 1e-6);
      cudaGetLastError();
    }
    cudaFree(a);
    cudaFree(b);
    cudaFree(d);
  }
  return 0;
}
#endif
