// CUTLASS FP8 GEMMs behind the cutlass_fp8_* entries (SPEC 2.5.4): one kernel type per
// (architecture, tile, output dtype, epilogue), built from CUTLASS's collective builders.
//
//   D[M,N] = act(alpha * (A[M,K] . B[N,K]^T) + beta * C[M,N]),  C aliases D
//
// A and B are E4M3, both K-major (row-major [M,K] and row-major [N,K]: the "NT" layout, which
// is what FP8 tensor-core MMAs read from shared memory without a transpose). Accumulation is
// fp32 with periodic promotion every 128-deep k-tile (no "fast accumulation" schedule: the contract
// says fp32 accumulate; torch._scaled_mm's default promotes as often, with the same error). act is the identity or the
// exact erf GELU of cutlass::epilogue::thread::GELU.
//
// Only for translation units compiled for the matching architecture (sm_90a for Sm90Fp8,
// sm_100f/sm_110f for Sm100Fp8); the launchers live in ops/gemm/cutlass_fp8*.
//
// Graph safety: every kernel here uses CUTLASS's static persistent tile scheduler and needs
// no workspace (checked at run time: a kernel asking for one raises instead of allocating),
// so a call allocates nothing and never synchronises. Building the arguments (TMA
// descriptors) is host work done on every call; it is a few microseconds and capture-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

#include "cute/tensor.hpp"
#include "cutlass/cutlass.h"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/epilogue/thread/activation.h"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/util/packed_stride.hpp"
#include "flash_rt/gemm/cutlass_fp8_mainloop.cuh"
#include "flash_rt/gemm/cutlass_fp8_problem.h"

namespace flash_rt::gemm::cutlass_fp8 {

template <class ElementD, bool kGelu>
using Fusion = std::conditional_t<
    kGelu, cutlass::epilogue::fusion::LinCombEltAct<cutlass::epilogue::thread::GELU, ElementD, float, ElementD, float>,
    cutlass::epilogue::fusion::LinearCombination<ElementD, float, ElementD, float>>;

// The pieces every architecture shares; Arch-specific schedules come in as parameters.
template <class Arch, class ElementD, bool kGelu, class MmaTile, class Cluster, class EpilogueSchedule,
          class MainloopSchedule, bool kOverlapPromotion = false>
struct Fp8Gemm {
  using Output = ElementD;
  using ElementA = cutlass::float_e4m3_t;
  using ElementB = cutlass::float_e4m3_t;
  using LayoutA = cutlass::layout::RowMajor;     // [M, K], K contiguous
  using LayoutB = cutlass::layout::ColumnMajor;  // the K x N operand stored as [N, K], K contiguous
  using LayoutD = cutlass::layout::RowMajor;     // [M, N]
  static constexpr int kAlignAB = 16;                        // 16 bytes of E4M3
  static constexpr int kAlignD = 16 / int(sizeof(ElementD));  // 16 bytes of D

  using Epilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      Arch, cutlass::arch::OpClassTensorOp, MmaTile, Cluster, cutlass::epilogue::collective::EpilogueTileAuto,
      float, float, ElementD, LayoutD, kAlignD, ElementD, LayoutD, kAlignD, EpilogueSchedule,
      Fusion<ElementD, kGelu>>::CollectiveOp;
  using BuiltMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      Arch, cutlass::arch::OpClassTensorOp, ElementA, LayoutA, kAlignAB, ElementB, LayoutB, kAlignAB, float,
      MmaTile, Cluster,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename Epilogue::SharedStorage))>,
      MainloopSchedule>::CollectiveOp;
  using Mainloop = typename PickMainloop<BuiltMainloop, kOverlapPromotion>::type;
  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, Mainloop, Epilogue,
                                                      cutlass::gemm::PersistentScheduler>;
  using Device = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

// Hopper (sm_90a). FP8 without fast accumulation keeps a second fp32 accumulator per thread
// (the tensor-core partial sums are promoted into it every k-tile), so accumulator registers
// double: a 128x256 tile per cooperative CTA spills and ran at 0.37x cuBLASLt on the H100
// (4096^3). Cooperative tiles up to 128x192 (two consumer warp groups of 64 rows) and ping-pong
// tiles up to 64x128 (each consumer warp group its own tile) fit; ops/gemm/cutlass/tiles.cuh
// lists the five the SM90 entries choose from. Where a third accumulator set fits (all but
// 128x192), the mainloop overlaps the promotion with the next k-tile (cutlass_fp8_mainloop.cuh);
// kOverlap = false keeps CUTLASS's loop (for benchmarks/sweep_cutlass_sm90.cu).
template <class ElementD, bool kGelu, class MmaTile, class Cluster, bool kOverlap = true>
using Sm90Fp8 = Fp8Gemm<cutlass::arch::Sm90, ElementD, kGelu, MmaTile, Cluster,
                        cutlass::epilogue::TmaWarpSpecializedCooperative,
                        cutlass::gemm::KernelTmaWarpSpecializedCooperative, kOverlap>;
template <class ElementD, bool kGelu, class MmaTile, class Cluster, bool kOverlap = true>
using Sm90Fp8PingPong = Fp8Gemm<cutlass::arch::Sm90, ElementD, kGelu, MmaTile, Cluster,
                                cutlass::epilogue::TmaWarpSpecialized,
                                cutlass::gemm::KernelTmaWarpSpecializedPingpong, kOverlap>;

// Blackwell datacenter / Thor (sm_100f, sm_110f): tcgen05 UMMA. An MMA tile of M = 256 runs on
// a CTA pair (2SM kernels, cluster M of 2 or more); M = 128 on one SM.
template <class ElementD, bool kGelu, class MmaTile, class Cluster>
using Sm100Fp8 = std::conditional_t<
    cute::size<0>(MmaTile{}) == 256,
    Fp8Gemm<cutlass::arch::Sm100, ElementD, kGelu, MmaTile, Cluster, cutlass::epilogue::TmaWarpSpecialized2Sm,
            cutlass::gemm::KernelTmaWarpSpecialized2SmSm100>,
    Fp8Gemm<cutlass::arch::Sm100, ElementD, kGelu, MmaTile, Cluster, cutlass::epilogue::TmaWarpSpecialized1Sm,
            cutlass::gemm::KernelTmaWarpSpecialized1SmSm100>>;

// Builds the arguments and launches one GEMM of kernel type G on p.stream.
template <class G>
Status run(const Problem& p) {
  using Device = typename G::Device;
  using Kernel = typename G::Kernel;
  using ElementD = typename G::Output;
  Status s;
  auto stride_a = cutlass::make_cute_packed_stride(typename Kernel::StrideA{}, cute::make_shape(p.M, p.K, 1));
  auto stride_b = cutlass::make_cute_packed_stride(typename Kernel::StrideB{}, cute::make_shape(p.N, p.K, 1));
  auto stride_c = cutlass::make_cute_packed_stride(typename Kernel::StrideC{}, cute::make_shape(p.M, p.N, 1));
  auto stride_d = cutlass::make_cute_packed_stride(typename Kernel::StrideD{}, cute::make_shape(p.M, p.N, 1));

  typename Device::Arguments args{};
  args.mode = cutlass::gemm::GemmUniversalMode::kGemm;
  args.problem_shape = {p.M, p.N, p.K, 1};
  args.mainloop.ptr_A = static_cast<const typename G::ElementA*>(p.a);
  args.mainloop.dA = stride_a;
  args.mainloop.ptr_B = static_cast<const typename G::ElementB*>(p.b);
  args.mainloop.dB = stride_b;
  args.epilogue.thread.alpha = p.alpha;
  args.epilogue.thread.beta = p.beta;
  // C is D: with beta == 0 CUTLASS skips reading it; otherwise each tile reads its C block
  // before writing the same D block (in place is safe: tiles do not overlap).
  args.epilogue.ptr_C = static_cast<const ElementD*>(p.d);
  args.epilogue.dC = stride_c;
  args.epilogue.ptr_D = static_cast<ElementD*>(p.d);
  args.epilogue.dD = stride_d;
  args.hw_info.device_id = p.device;
  args.hw_info.sm_count = p.sm_count;

  Device gemm;
  auto failed = [&s](const char* step, cutlass::Status st) {
    s.step = step;
    s.message = cutlassGetStatusString(st);
    return s;
  };
  if (cutlass::Status st = Device::can_implement(args); st != cutlass::Status::kSuccess)
    return failed("can_implement", st);
  s.workspace = Device::get_workspace_size(args);
  if (s.workspace != 0)  // never allocate on the launch path (see the file comment)
    return failed("get_workspace_size", cutlass::Status::kErrorWorkspaceNull);
  if (cutlass::Status st = gemm.initialize(args, nullptr, p.stream); st != cutlass::Status::kSuccess)
    return failed("initialize", st);
  if (cutlass::Status st = gemm.run(p.stream); st != cutlass::Status::kSuccess) return failed("run", st);
  return s;
}

}  // namespace flash_rt::gemm::cutlass_fp8
