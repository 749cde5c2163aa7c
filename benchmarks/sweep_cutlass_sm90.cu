// Tile sweep for the SM90 cutlass_fp8_* kernels (a measurement tool, not part of the package):
// times the kernel types of flash_rt/gemm/cutlass_fp8.cuh under tile and cluster shapes other
// than the ones tiles.cuh picks, at the GEMM shapes of BENCH.md and a few in between, so that
// the SM90 tile rule rests on numbers. bf16 output, linear epilogue (the tile choice is shared
// by every output dtype). CUDA-graph replay of back-to-back launches, median of 9 replays.
// First it checks accuracy: the float32-out kernel's error against a float64 reference on
// signed and on positive E4M3 data (K = 16384); with an output directory (argv[1]) it writes
// the operands there for benchmarks/probe_fp8_accuracy.py (torch._scaled_mm on the same data);
// argv[2] = "accuracy" stops after that.
// Session 8 chose the five SM90 tiles with it; session 10 compared CUTLASS's FP8 mainloop with
// the overlapped one (cutlass_fp8_mainloop.cuh): 4096^3 130 -> 121 us, 1024 x 16384 x 2048
// 62 -> 59, ping-pong 64x128 at 1024 x 2048 x 2560 18.2 -> 14.2, the errors unchanged and
// equal to torch._scaled_mm's to four digits, and refitted the tile model (cutlass_fp8_problem.h)
// on the five production tiles (candidates 0-4; 5 and 7 are CUTLASS's loop for reference).
// Candidates left out of a build can be stubs: compile their index with -DSWEEP_STUB (a stub
// reports "not built").
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
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "flash_rt/gemm/cutlass_fp8_problem.h"

using flash_rt::gemm::cutlass_fp8::Problem;
using flash_rt::gemm::cutlass_fp8::Status;

constexpr int kCandidates = 8;
using Timer = float (*)(const Problem&, int calls);
#define DECLARE(k) float time_candidate_##k(const Problem& p, int calls);
DECLARE(0) DECLARE(1) DECLARE(2) DECLARE(3) DECLARE(4) DECLARE(5) DECLARE(6) DECLARE(7)

#if defined(SWEEP_PART) && defined(SWEEP_STUB)  // a candidate left out of this build: never times
#define STUB(k) float time_candidate_##k(const Problem&, int) { return -4.f; } \
  const char* candidate_name_##k() { return "(not built)"; }
#define EXPAND_STUB(k) STUB(k)
EXPAND_STUB(SWEEP_PART)
#elif defined(SWEEP_PART)
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
using G = Sm90Fp8PingPong<T, false, Shape<_64, _64, _128>, Shape<_1, _1, _1>>;
#define NAME "pingpong 64x64 c1x1"
#elif SWEEP_PART == 1
using G = Sm90Fp8PingPong<T, false, Shape<_64, _128, _128>, Shape<_1, _1, _1>>;
#define NAME "pingpong 64x128 c1x1"
#elif SWEEP_PART == 2
using G = Sm90Fp8<T, false, Shape<_128, _64, _128>, Shape<_2, _1, _1>>;
#define NAME "cooperative 128x64 c2x1"
#elif SWEEP_PART == 3
using G = Sm90Fp8<T, false, Shape<_128, _128, _128>, Shape<_2, _1, _1>>;
#define NAME "cooperative 128x128 c2x1"
#elif SWEEP_PART == 4
using G = Sm90Fp8<T, false, Shape<_128, _192, _128>, Shape<_2, _1, _1>>;
#define NAME "cooperative 128x192 c2x1"
#elif SWEEP_PART == 5
using G = Sm90Fp8<T, false, Shape<_128, _128, _128>, Shape<_2, _1, _1>, false>;
#define NAME "cooperative 128x128 c2x1 CUTLASS loop"
#elif SWEEP_PART == 6  // float32 out: the accuracy check reads its D
using G = Sm90Fp8<float, false, Shape<_128, _128, _128>, Shape<_2, _1, _1>>;
#define NAME "cooperative 128x128 c2x1 f32"
#elif SWEEP_PART == 7
using G = Sm90Fp8<T, false, Shape<_128, _192, _128>, Shape<_2, _1, _1>, false>;
#define NAME "cooperative 128x192 c2x1 CUTLASS loop"
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

float time_one(int k, const Problem& p, int calls) {
  static const Timer timers[kCandidates] = {time_candidate_0, time_candidate_1, time_candidate_2,
                                            time_candidate_3, time_candidate_4, time_candidate_5,
                                            time_candidate_6, time_candidate_7};
  return timers[k](p, calls);
}
const char* candidate_name(int k) {
  static const char* names[kCandidates] = {candidate_name_0(), candidate_name_1(), candidate_name_2(),
                                           candidate_name_3(), candidate_name_4(), candidate_name_5(),
                                           candidate_name_6(), candidate_name_7()};
  return names[k];
}

__global__ void fill_e4m3(uint8_t* x, int64_t n, uint32_t seed, bool positive = false) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = (static_cast<uint32_t>(i) ^ seed) * 2654435761u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    const uint32_t sign = positive ? 0u : (h & 0x80u);
    x[i] = static_cast<uint8_t>(sign | (0x20u + (h >> 8) % 0x28u));  // |v| in [2^-3, 2^2): finite
  }
}

// E4M3 (finite, normal or subnormal) to double.
__device__ double e4m3_value(uint8_t v) {
  const int e = (v >> 3) & 0xF, m = v & 7;
  const double mag = e == 0 ? ldexp(double(m), -9) : ldexp(double(8 + m), e - 10);
  return (v & 0x80) ? -mag : mag;
}

// Float64 reference of alpha * A . B^T, and the scale of each dot product (alpha * sum |a b|).
__global__ void reference(const uint8_t* a, const uint8_t* b, double* ref, double* scale, int M, int N, int K,
                          double alpha) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x, m = blockIdx.y;
  if (n >= N) return;
  double acc = 0.0, mag = 0.0;
  for (int k = 0; k < K; ++k) {
    const double p = e4m3_value(a[int64_t(m) * K + k]) * e4m3_value(b[int64_t(n) * K + k]);
    acc += p;
    mag += fabs(p);
  }
  ref[int64_t(m) * N + n] = alpha * acc;
  scale[int64_t(m) * N + n] = alpha * mag;
}

void write_file(const char* dir, const char* name, const void* dev_ptr, size_t bytes) {
  std::vector<char> h(bytes);
  cudaMemcpy(h.data(), dev_ptr, bytes, cudaMemcpyDeviceToHost);
  char path[1024];
  std::snprintf(path, sizeof path, "%s/%s", dir, name);
  if (FILE* f = std::fopen(path, "wb")) {
    std::fwrite(h.data(), 1, bytes, f);
    std::fclose(f);
  }
}

// Error of the float32-out candidate (6) against the float64
// reference: max and mean of |D - ref| / (alpha * sum |a b|). With outdir, A, B and D are
// written there so that torch._scaled_mm can be measured on the same data.
void accuracy(int dev, int sms, cudaStream_t s, const char* outdir) {
  const int M = 256, N = 512, K = 16384;
  for (int positive = 0; positive < 2; ++positive) {
    uint8_t *a, *b;
    float* d;
    double *ref, *scale;
    cudaMalloc(&a, size_t(M) * K);
    cudaMalloc(&b, size_t(N) * K);
    cudaMalloc(&d, size_t(M) * N * 4);
    cudaMalloc(&ref, size_t(M) * N * 8);
    cudaMalloc(&scale, size_t(M) * N * 8);
    fill_e4m3<<<264, 256, 0, s>>>(a, int64_t(M) * K, 11, positive);
    fill_e4m3<<<264, 256, 0, s>>>(b, int64_t(N) * K, 12, positive);
    const float alpha = 1.f / 64;
    reference<<<dim3((N + 127) / 128, M), 128, 0, s>>>(a, b, ref, scale, M, N, K, alpha);
    cudaStreamSynchronize(s);  // s does not synchronise with the legacy stream of cudaMemcpy
    std::vector<double> r(size_t(M) * N), sc(size_t(M) * N);
    std::vector<float> out(size_t(M) * N);
    cudaMemcpy(r.data(), ref, r.size() * 8, cudaMemcpyDeviceToHost);
    cudaMemcpy(sc.data(), scale, sc.size() * 8, cudaMemcpyDeviceToHost);
    char tag[64];
    if (outdir) {
      std::snprintf(tag, sizeof tag, "acc%d_a.bin", positive);
      write_file(outdir, tag, a, size_t(M) * K);
      std::snprintf(tag, sizeof tag, "acc%d_b.bin", positive);
      write_file(outdir, tag, b, size_t(N) * K);
    }
    {
      Problem p{a, b, d, M, N, K, alpha, 0.f, dev, sms, s};
      if (time_one(6, p, 1) < 0) {
        std::printf("accuracy %s: failed\n", positive ? "positive" : "signed");
      } else {
        cudaMemcpy(out.data(), d, out.size() * 4, cudaMemcpyDeviceToHost);
        double worst = 0.0, sum = 0.0;
        for (size_t i = 0; i < out.size(); ++i) {
          const double e = std::fabs(out[i] - r[i]) / sc[i];
          worst = std::max(worst, e);
          sum += e;
        }
        std::printf("accuracy %s data, %dx%dx%d, %s: max %.3e  mean %.3e (of alpha*sum|ab|)\n",
                    positive ? "positive" : "signed", M, K, N, candidate_name(6), worst, sum / out.size());
      }
    }
    cudaFree(a);
    cudaFree(b);
    cudaFree(d);
    cudaFree(ref);
    cudaFree(scale);
  }
}

int main(int argc, char** argv) {
  const char* outdir = argc > 1 ? argv[1] : nullptr;
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
  accuracy(dev, sms, s, outdir);
  if (argc > 2 && std::string_view(argv[2]) == "accuracy") return 0;
  for (int si = 0; si < int(sizeof shapes / sizeof shapes[0]); ++si) {
    const Shape3& sh = shapes[si];
    uint8_t *a, *b;
    void* d;
    cudaMalloc(&a, size_t(sh.M) * sh.K);
    cudaMalloc(&b, size_t(sh.N) * sh.K);
    cudaMalloc(&d, size_t(sh.M) * sh.N * 4);
    fill_e4m3<<<264, 256, 0, s>>>(a, int64_t(sh.M) * sh.K, 1);
    fill_e4m3<<<264, 256, 0, s>>>(b, int64_t(sh.N) * sh.K, 2);
    cudaStreamSynchronize(s);
    const double flop = 2.0 * sh.M * sh.N * sh.K;
    const double est_us = 3.0 + flop / 5e8;  // about 500 TFLOP/s plus a launch: ~2 ms per replay
    const int calls = std::max(10, std::min(200, static_cast<int>(2000.0 / est_us)));
    auto report = [&](int k, const Problem& p, const char* extra) {
      const float us = time_one(k, p, calls);
      if (us < 0) std::printf("%5d %5d %5d  %-38s %-22s failed (%g)\n", sh.M, sh.K, sh.N, candidate_name(k), extra, us);
      else std::printf("%5d %5d %5d  %-38s %-22s %8.2f us  %7.1f TFLOP/s\n", sh.M, sh.K, sh.N, candidate_name(k),
                       extra, us, flop / us * 1e-6);
      cudaGetLastError();
    };
    for (int k = 0; k < kCandidates; ++k) {
      if (k == 6) continue;  // float32 out: accuracy only
      report(k, Problem{a, b, d, sh.M, sh.N, sh.K, 1.f / 64, 0.f, dev, sms, s}, "");
    }
    cudaFree(a);
    cudaFree(b);
    cudaFree(d);
  }
  return 0;
}
#endif
