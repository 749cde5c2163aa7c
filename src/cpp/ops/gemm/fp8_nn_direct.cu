// Launchers of the small-M FP8 kernel, on a [K, N] (NN) or [N, K] (NT) weight (see fp8_nn_direct.h).
#include "gemm/fp8_nn_direct.h"

#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/device/launch.cuh"
#include "flash_rt/gemm/fp8_nn_direct.cuh"

namespace flash_rt::gemm {

namespace {

template <typename OutT, int MT, BLayout L>
void launch_direct(const NnDirectArgs& args, cudaStream_t stream) {
  const unsigned grid = static_cast<unsigned>((args.N + kNnDirectCols - 1) / kNnDirectCols);
  device::launch(fp8_nn_direct_kernel<OutT, MT, L>, dim3(grid), dim3(kNnDirectWarps<MT> * 32), 0, stream, args);
}

// [K, N] weight (NN): one to four m16 tiles by M.
template <typename OutT>
struct LaunchKN {
  static void run(const NnDirectArgs& args, cudaStream_t stream) {
    switch ((args.M + 15) / 16) {
      case 1: return launch_direct<OutT, 1, BLayout::kKN>(args, stream);
      case 2: return launch_direct<OutT, 2, BLayout::kKN>(args, stream);
      case 3: return launch_direct<OutT, 3, BLayout::kKN>(args, stream);
      default: return launch_direct<OutT, 4, BLayout::kKN>(args, stream);
    }
  }
};
// [N, K] weight (the SM90 cutlass_fp8_* entries): one m16 tile (M <= kNtDirectMaxM = 16).
template <typename OutT>
struct LaunchNK {
  static void run(const NnDirectArgs& args, cudaStream_t stream) { launch_direct<OutT, 1, BLayout::kNK>(args, stream); }
};

// The operands, then Launch<OutT> for the output dtype, then the launch check.
template <template <typename> class Launch>
void run_direct(const char* entry, DType out, NnDirectArgs args, const void* a, const void* b, void* d, int M, int N,
                int K, cudaStream_t stream) {
  args.a = static_cast<const uint8_t*>(a);
  args.b = static_cast<const uint8_t*>(b);
  args.d = d;
  args.M = M, args.N = N, args.K = K;
  switch (out) {
    case DType::kF16: Launch<__half>::run(args, stream); break;
    case DType::kBF16: Launch<__nv_bfloat16>::run(args, stream); break;
    case DType::kF32: Launch<float>::run(args, stream); break;
    default: throw_error(ErrorKind::kValue, entry, ": FP8 direct GEMM kernel: unsupported output dtype");
  }
  check_launch(entry);
}

}  // namespace

bool fp8_nt_direct_applies(int sm, int M, int N) {
  return sm == 90 && M >= 1 && M <= kNtDirectMaxM && N % 8 == 0;
}

void fp8_nt_direct(const char* entry, DType out, const void* a, const void* b, void* d, int M, int N, int K,
                   float alpha, float beta, bool gelu, cudaStream_t stream) {
  if (M < 1 || M > kNtDirectMaxM || K % 16 != 0 || N % 8 != 0)  // the caller guarantees it
    throw_error(ErrorKind::kValue, entry, ": FP8 NT direct kernel needs 1 <= M <= ", kNtDirectMaxM,
                ", K a multiple of 16 and N of 8, got M=", M, ", N=", N, ", K=", K);
  NnDirectArgs args;
  args.alpha = alpha;
  args.beta = beta;
  args.gelu = gelu;
  run_direct<LaunchNK>(entry, out, args, a, b, d, M, N, K, stream);
}

bool fp8_nn_direct_applies(int sm, int M) { return (sm == 89 || sm == 90) && M >= 1 && M <= kNnDirectMaxM; }

void fp8_nn_direct(const char* entry, DType out, const void* a, const void* b, void* d, int M, int N, int K,
                   float alpha, const float* scale_a, const float* scale_b, cudaStream_t stream) {
  if (M < 1 || M > kNnDirectMaxM || K % 16 != 0 || N % 16 != 0)  // the callers guarantee it
    throw_error(ErrorKind::kValue, entry, ": FP8 NN direct kernel needs 1 <= M <= ", kNnDirectMaxM,
                " and K, N multiples of 16, got M=", M, ", N=", N, ", K=", K);
  NnDirectArgs args;
  args.scale_a = scale_a;
  args.scale_b = scale_b;
  args.alpha = alpha;
  run_direct<LaunchKN>(entry, out, args, a, b, d, M, N, K, stream);
}

}  // namespace flash_rt::gemm
