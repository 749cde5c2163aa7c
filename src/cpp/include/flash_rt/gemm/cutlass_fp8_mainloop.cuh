// The SM90 FP8 mainloop of the cutlass_fp8_* entries, with the promotion overlapped.
//
// Hopper's FP8 wgmma keeps its running sum narrower than float32, so a kernel that promises fp32
// accumulation sums each 128-deep k-tile in a zeroed tensor-core accumulator and then adds it
// ("promotes" it) into a float32 one. CUTLASS's SM90 FP8 mainloop does that after every k-tile
// (mma_promotion_interval = 4 MMAs of k = 32) and, to read the finished partial sum, waits for
// every wgmma of the warp group to drain (warpgroup_wait<0>) before issuing the next k-tile: the
// tensor cores idle once per k-tile. On the H100 that put the 128 x 128 cooperative kernel at
// 0.84-0.88x torch._scaled_mm at the large BENCH.md shapes (sessions 8-9).
// benchmarks/sweep_cutlass_sm90.cu (session 10) showed where the time goes: promoting every 8
// MMAs instead cut 10-17% of the time, at 2-3x the error. cuBLASLt itself promotes every 4 MMAs:
// on the same operands its errors equal CUTLASS's at interval 4 to four digits.
//
// This mainloop keeps the promotion every k-tile (the same 128-deep sums, added in the same order,
// so the results are those of CUTLASS's interval 4) but overlaps the adds with the MMAs: each
// k-tile is issued as two wgmma batches, one per half of the tile's N, into two half-size partial
// accumulators. While the batch of one half runs, the other half's finished partial sum is added
// into the float32 accumulator (warpgroup_wait<1>). Registers stay those of CUTLASS's loop (a
// float32 sum and one tile's worth of partial sums): a third full-size set does not fit the 168
// registers a 384-thread CTA gives the compiler (it spilled, and ptxas then drained the wgmmas
// itself). ptxas also serialises every wgmma when batches stay in flight across a loop's back
// edge (C7514), so the k-tiles go in unrolled runs (kRun) that end drained: one idle gap per run
// instead of one per k-tile. The other cost is shared-memory bandwidth: each half re-reads A.
// Measured (H100, same binary and run): 4096^3 130 -> 121 us, 1024 x 16384 x 2048 62 -> 59,
// ping-pong 64 x 128 at 1024 x 2048 x 2560 18.2 -> 14.2 (docs/RESULTS-2026-11-28-H100-session10.md).
//
// It derives from CUTLASS's collective and replaces only the consumer side (mma, mma_tail);
// the producer (TMA loads), pipeline, shared storage and parameters are CUTLASS's.
#pragma once

#include "cute/tensor.hpp"
#include "cutlass/cutlass.h"
#include "cutlass/gemm/collective/collective_builder.hpp"

namespace flash_rt::gemm::cutlass_fp8 {

// kRunTiles: k-tiles per drained run; 0 picks by tile size (kRun).
template <class Base, int kRunTiles = 0>
struct Fp8OverlappedPromotion : Base {
  using typename Base::MainloopPipeline;
  using typename Base::Params;
  using typename Base::PipelineState;
  using typename Base::SmemLayoutA;
  using typename Base::SmemLayoutB;
  using typename Base::TensorStorage;
  using typename Base::TiledMma;
  using typename Base::TileShape;
  using Base::Base;

  static constexpr int kWarpGroups = cute::size(TiledMma{}) / cutlass::NumThreadsPerWarpGroup;
  static constexpr int kTileM = cute::size<0>(TileShape{}), kTileN = cute::size<1>(TileShape{});
  static constexpr int kTileK = cute::size<2>(TileShape{});
  // Accumulator floats per consumer thread for the whole tile: 64 at 128x128, 96 at 128x192.
  static constexpr int kAccumPerThread = kTileM * kTileN / int(cute::size(TiledMma{}));
  // k-tiles per drained run (see mma). The unrolled run holds every wgmma descriptor of its
  // k-tiles: runs of 8 or 16 at 128x128 spilled and ran at 0.9x of runs of 4, and at 128x192 runs
  // of 2 spilled (0.6-0.7x) where runs of 1 do not (benchmarks/sweep_cutlass_sm90.cu, session 10).
  static constexpr int kRun = kRunTiles > 0 ? kRunTiles : kAccumPerThread <= 64 ? 4 : 1;
  // One warp group's wgmma covers all of the tile's N (halves of N / 2 >= 8 columns), and the
  // float32 sum and the two halves fit (<= 96 floats per thread each set).
  static constexpr bool kFits = kTileM == 64 * kWarpGroups && kTileN % 16 == 0 && kAccumPerThread <= 96;
  // The same MMA on half the columns (B rows [h * N / 2, (h + 1) * N / 2) of the stage). Both
  // operands K-major: the only arrangement of the cutlass_fp8_* entries (and of FP8 wgmma).
  using HalfMma = decltype(cute::make_tiled_mma(
      cute::GMMA::ss_op_selector<typename Base::ElementA, typename Base::ElementB, float,
                                 cute::Shape<cute::Int<kTileM>, cute::Int<kTileN / 2>, cute::Int<kTileK>>,
                                 cute::GMMA::Major::K, cute::GMMA::Major::K>(),
      cute::Layout<cute::Shape<cute::Int<kWarpGroups>, cute::_1, cute::_1>>{}));

  // Consumer: every k-tile of this output tile. Releases each shared-memory stage as soon as
  // its wgmmas have finished, all of them before returning (mma_tail has nothing left to do).
  template <class FrgTensorC>
  CUTLASS_DEVICE void mma(MainloopPipeline pipeline, PipelineState smem_pipe_read, FrgTensorC& accum,
                          int k_tile_count, int thread_idx, TensorStorage& shared_tensors, Params const&) {
    using namespace cute;
    if (k_tile_count <= 0) {  // no k-tile: nothing to wait for (the kernels never ask for this)
      clear(accum);
      return;
    }
    Tensor sA = make_tensor(make_smem_ptr(shared_tensors.smem_A.data()), SmemLayoutA{});  // (BLK_M, BLK_K, PIPE)
    Tensor sB = make_tensor(make_smem_ptr(shared_tensors.smem_B.data()), SmemLayoutB{});  // (BLK_N, BLK_K, PIPE)
    // (BLK_N / 2, BLK_K, 2, 1, PIPE): the two halves of N.
    Tensor sB_halves = flat_divide(sB, Shape<Int<kTileN / 2>, Int<kTileK>>{});
    const auto warp_groups = make_layout(Int<kWarpGroups>{}, Int<cutlass::NumThreadsPerWarpGroup>{});
    const int warp_group = __shfl_sync(0xffffffff, thread_idx / cutlass::NumThreadsPerWarpGroup, 0);
    HalfMma half_mma;
    auto thread_mma = half_mma.get_slice(warp_groups(warp_group));
    Tensor tCrA = thread_mma.make_fragment_A(thread_mma.partition_A(sA));                          // (MMA, 1, MMA_K, PIPE)
    Tensor tCrB0 = thread_mma.make_fragment_B(thread_mma.partition_B(sB_halves(_, _, 0, 0, _)));  // (MMA, 1, MMA_K, PIPE)
    Tensor tCrB1 = thread_mma.make_fragment_B(thread_mma.partition_B(sB_halves(_, _, 1, 0, _)));
    Tensor part0 = partition_fragment_C(half_mma, Shape<Int<kTileM>, Int<kTileN / 2>>{});  // columns of half 0
    Tensor part1 = partition_fragment_C(half_mma, Shape<Int<kTileM>, Int<kTileN / 2>>{});  // of half 1
    // The full tile's fragment lists each warp group's values n8 block by n8 block, so the
    // first half's values are accum(0 .. size(part0) - 1), the second's the rest.
    static_assert(size<1>(decltype(accum.layout()){}) == 1 && size<2>(decltype(accum.layout()){}) == 1);
    static_assert(size(decltype(part0.layout()){}) * 2 == size(decltype(accum.layout()){}));
    constexpr int kHalf = size(decltype(part0.layout()){});
    PipelineState smem_pipe_release = smem_pipe_read;

    // Half h of the current stage's k-tile -> a zeroed partial sum, asynchronously.
    auto issue = [&](auto& part, auto const& tCrB, int stage) {
      half_mma.accumulate_ = GMMA::ScaleOut::Zero;
      warpgroup_fence_operand(part);
      warpgroup_arrive();
      CUTLASS_PRAGMA_UNROLL
      for (int k_block = 0; k_block < size<2>(tCrA); ++k_block) {
        cute::gemm(half_mma, tCrA(_, _, k_block, stage), tCrB(_, _, k_block, stage), part);
        half_mma.accumulate_ = GMMA::ScaleOut::One;
      }
      warpgroup_commit_batch();  // no fence on part here: touching it before the wait makes ptxas drain
    };
    // A finished partial sum (the caller waited for it) -> its half of the float32 sum.
    auto promote = [&](auto& part, int offset) {
      warpgroup_fence_operand(part);
      CUTLASS_PRAGMA_UNROLL
      for (int i = 0; i < kHalf; ++i) accum(offset + i) += part(i);
    };
    auto next_stage = [&] {
      pipeline.consumer_wait(smem_pipe_read, pipeline.consumer_try_wait(smem_pipe_read));
      const int stage = smem_pipe_read.index();
      ++smem_pipe_read;
      return stage;
    };

    // kRun k-tiles back to back: half 0 of k-tile t + 1 is issued before half 1 of t is added,
    // so a batch is always in flight while the other half is added, except after the run's
    // last k-tile, where everything drains. ptxas tracks the in-flight batches only within
    // straight-line code: with batches still in flight across a loop's back edge it serialises
    // every wgmma (C7514), so each run ends drained.
    auto run = [&](auto k_tiles) {
      constexpr int kRunNow = decltype(k_tiles)::value;
      int stage = next_stage();
      issue(part0, tCrB0, stage);
      issue(part1, tCrB1, stage);
      CUTLASS_PRAGMA_UNROLL
      for (int u = 0; u < kRunNow; ++u) {
        warpgroup_wait<1>();  // half 0 of k-tile u is done; half 1 runs
        promote(part0, 0);
        if (u + 1 < kRunNow) {
          stage = next_stage();
          issue(part0, tCrB0, stage);  // half 0 of k-tile u + 1
          warpgroup_wait<1>();         // half 1 of k-tile u is done; half 0 of u + 1 runs
        } else {
          warpgroup_wait<0>();
        }
        promote(part1, kHalf);
        pipeline.consumer_release(smem_pipe_release);  // both halves of k-tile u have read the stage
        ++smem_pipe_release;
        if (u + 1 < kRunNow) issue(part1, tCrB1, stage);  // half 1 of k-tile u + 1
      }
    };

    clear(accum);
    warpgroup_fence_operand(accum);
    int t = 0;
    CUTLASS_PRAGMA_NO_UNROLL
    for (; t + kRun <= k_tile_count; t += kRun) run(Int<kRun>{});
    if constexpr (kRun > 1) {
      CUTLASS_PRAGMA_NO_UNROLL
      for (; t < k_tile_count; ++t) run(Int<1>{});
    }
    warpgroup_fence_operand(accum);
  }

  // mma() drained the wgmmas and released every stage.
  CUTLASS_DEVICE void mma_tail(MainloopPipeline, PipelineState, int) {}
};

// Fp8OverlappedPromotion<Built> where its accumulators fit, else CUTLASS's collective as built.
template <class Built, bool kOverlap>
struct PickMainloop {
  using type = Built;
};
template <class Built>
struct PickMainloop<Built, true> {
  using type = std::conditional_t<Fp8OverlappedPromotion<Built>::kFits, Fp8OverlappedPromotion<Built>, Built>;
};

}  // namespace flash_rt::gemm::cutlass_fp8
