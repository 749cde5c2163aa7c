// Plain types shared by the cutlass_fp8_* launcher (host C++, no CUTLASS headers) and the
// per-architecture kernel translation units that instantiate flash_rt/gemm/cutlass_fp8.cuh.
#pragma once

#include <cstddef>

#include <cuda_runtime.h>

namespace flash_rt::gemm::cutlass_fp8 {

// The ten entries of SPEC 2.5.4. Each names an output dtype, an epilogue and a tile shape;
// the tile is a performance choice made per architecture in the kernel translation units.
enum class Entry : int {
  kSq,        // fp16 out
  kT1,        // fp16 out
  kWide,      // fp16 out
  kPlain,     // fp16 out
  kGelu,      // fp16 out, exact erf GELU
  kSqF32,     // float32 out
  kWideF32,   // float32 out
  kSqBf16,    // bf16 out
  kWideBf16,  // bf16 out
  kT1Bf16,    // bf16 out
};

// One validated problem: D[M,N] = act(alpha * A[M,K] . B[N,K]^T + beta * D).
struct Problem {
  const void* a;  // E4M3 [M, K]
  const void* b;  // E4M3 [N, K]
  void* d;        // [M, N]; also C when beta != 0
  int M, N, K;
  float alpha, beta;
  int device, sm_count;
  cudaStream_t stream;
};

// What a kernel translation unit reports: step == nullptr is success.
struct Status {
  const char* step = nullptr;     // can_implement / get_workspace_size / initialize / run
  const char* message = nullptr;  // cutlassGetStatusString
  std::size_t workspace = 0;
};

// SM90 kernels, one translation unit per tile (every entry and output dtype in each), defined
// only in builds that compile sm_90a (FLASH_RT_CUTLASS_SM90). The launcher picks the tile by
// problem size (sm90_tile below).
enum class Sm90Tile : int { k64x64, k64x128, k128x64, k128x128, k128x192 };
Status run_sm90_64x64(Entry e, const Problem& p);
Status run_sm90_64x128(Entry e, const Problem& p);
Status run_sm90_128x64(Entry e, const Problem& p);
Status run_sm90_128x128(Entry e, const Problem& p);
Status run_sm90_128x192(Entry e, const Problem& p);

// The SM90 tile with the least modelled time: waves (output tiles over SMs, a persistent grid of
// one CTA per SM, M tiles rounded up to the 2x1 cluster where the kernel has one) times the time
// of one tile, tile_m * tile_n / (the tile's throughput on a large problem). Throughputs: H100,
// 4096^3, bf16 out, benchmarks/sweep_cutlass_sm90.cu with the overlapped mainloop
// (cutlass_fp8_mainloop.cuh; docs/RESULTS-2026-11-28-H100-session10.md, round 9; session 8's
// values with CUTLASS's loop picked the same tile at every shape of both sweeps). At the sweep's ten
// shapes it picks the fastest of the five, or one within 2%, except 1024 x 2048 x 32768 (128x128:
// 138 us, 128x192: 130) and 256 x 2048 x 2560 (128x64: 6.9 us, ping-pong 64x128: 6.5). The
// rule before session 8 (64x128 when 128x128 tiles would fill at most half the SMs, else
// 128x128) was up to 1.37x slower (1024 x 2048 x 2560: 16.6 us against 12.1).
inline Sm90Tile sm90_tile(int M, int N, int sm_count) {
  struct Candidate {
    Sm90Tile tile;
    int tm, tn, cluster_m;
    double tflops;
  };
  static constexpr Candidate kCandidates[] = {
      {Sm90Tile::k128x128, 128, 128, 2, 1179.0}, {Sm90Tile::k128x192, 128, 192, 2, 1159.0},
      {Sm90Tile::k128x64, 128, 64, 2, 760.0},    {Sm90Tile::k64x128, 64, 128, 1, 733.0},
      {Sm90Tile::k64x64, 64, 64, 1, 642.0},
  };
  const long long sms = sm_count > 0 ? sm_count : 1;
  Sm90Tile best = Sm90Tile::k128x128;
  double best_cost = 0.0;
  for (const Candidate& c : kCandidates) {
    const long long mt = (M + c.tm - 1) / c.tm;
    const long long tiles = (mt + c.cluster_m - 1) / c.cluster_m * c.cluster_m * ((N + c.tn - 1) / c.tn);
    const double cost = static_cast<double>((tiles + sms - 1) / sms) * c.tm * c.tn / c.tflops;
    if (best_cost == 0.0 || cost < best_cost) best = c.tile, best_cost = cost;
  }
  return best;
}

// SM100 / SM110, per output dtype; defined only in builds that compile those architectures
// (FLASH_RT_CUTLASS_SM100). Entries of another dtype are never dispatched here (the launcher
// routes by dtype).
Status run_sm100_fp16(Entry e, const Problem& p);
Status run_sm100_bf16(Entry e, const Problem& p);
Status run_sm100_f32(Entry e, const Problem& p);

}  // namespace flash_rt::gemm::cutlass_fp8
