// Launchers of the small-M FP8 kernel, on a [K, N] (NN) or [N, K] (NT) weight (see fp8_nn_direct.h).
#include "gemm/fp8_nn_direct.h"

#include "flash_rt/core/cuda_check.h"
#include "flash_rt/core/errors.h"
#include "flash_rt/device/launch.cuh"
#include "flash_rt/gemm/fp8_nn_direct.cuh"

namespace flash_rt::gemm {

namespace {

template <typename OutT, int MT, BLayout L, int TN = 4, int W = kNnDirectWarps<MT>, int U = kNnDirectSteps<MT>,
          bool kWide = false>
void launch_direct(const NnDirectArgs& args, cudaStream_t stream) {
  const unsigned grid = static_cast<unsigned>((args.N + 8 * TN - 1) / (8 * TN));
  device::launch(fp8_nn_direct_kernel<OutT, MT, L, TN, W, U, kWide>, dim3(grid), dim3(W * 32), 0, stream, args);
}

// [K, N] weight (NN): one to four m16 tiles by M.
template <typename OutT>
struct LaunchKN {
  static void run(const NnDirectArgs& args, int /*sm_count*/, cudaStream_t stream) {
    switch ((args.M + 15) / 16) {
      case 1: return launch_direct<OutT, 1, BLayout::kKN>(args, stream);
      case 2: return launch_direct<OutT, 2, BLayout::kKN>(args, stream);
      case 3: return launch_direct<OutT, 3, BLayout::kKN>(args, stream);
      default: return launch_direct<OutT, 4, BLayout::kKN>(args, stream);
    }
  }
};
// [N, K] weight (the SM90 cutlass_fp8_* entries): one m16 tile (M <= kNtDirectMaxM = 16), and a
// column slab narrow enough to put a CTA on most SMs (fp8_nt_direct_tiles).
// Always with 16-byte K units (kWide); warps x units in flight per warp by slab and K.
template <typename OutT>
struct LaunchNK {
  static void run(const NnDirectArgs& args, int sm_count, cudaStream_t stream) {
    constexpr BLayout L = BLayout::kNK;
    switch (fp8_nt_direct_tiles(args.N, args.K, sm_count)) {
      case 4: return launch_direct<OutT, 1, L, 4, 8, 4, true>(args, stream);
      case 2: return args.K <= 2048 ? launch_direct<OutT, 1, L, 2, 8, 4, true>(args, stream)
                                    : launch_direct<OutT, 1, L, 2, 16, 2, true>(args, stream);
      default: return launch_direct<OutT, 1, L, 1, 16, 2, true>(args, stream);
    }
  }
};

// The operands, then Launch<OutT> for the output dtype, then the launch check.
template <template <typename> class Launch>
void run_direct(const char* entry, DType out, NnDirectArgs args, const void* a, const void* b, void* d, int M, int N,
                int K, int sm_count, cudaStream_t stream) {
  args.a = static_cast<const uint8_t*>(a);
  args.b = static_cast<const uint8_t*>(b);
  args.d = d;
  args.M = M, args.N = N, args.K = K;
  switch (out) {
    case DType::kF16: Launch<__half>::run(args, sm_count, stream); break;
    case DType::kBF16: Launch<__nv_bfloat16>::run(args, sm_count, stream); break;
    case DType::kF32: Launch<float>::run(args, sm_count, stream); break;
    default: throw_error(ErrorKind::kValue, entry, ": FP8 direct GEMM kernel: unsupported output dtype");
  }
  check_launch(entry);
}

}  // namespace

bool fp8_nt_direct_applies(int sm, int M, int N) {
  return sm == 90 && M >= 1 && M <= kNtDirectMaxM && N % 8 == 0;
}

// benchmarks/probe_nt_direct.cu (H100, session 10, round 11; M = 1 / 16, us): with 16-byte K
// units, 32-column slabs win only where they still give >= 1.5 CTAs per SM (1 x 1024 x 8192:
// 3.8 / 4.5); 16 columns elsewhere (2048 x 2560: 2.8 / 3.4, against 4.2 / 5.0 for session 9's
// 32 columns of 4-byte loads; 4096 x 4096: 5.1 / 5.8 against 8.0 / 9.3), with 16 warps beyond
// K = 2048; 8 columns where 16 leave SMs idle (16384 x 1024: 7.4 / 8.7 against 22.0 / 28.9) or
// K is very long (16384 x 2048: 13.2 / 14.8; 16 columns 15.0 / 17.5).
int fp8_nt_direct_tiles(int N, int K, int sm_count) {
  const long long sms = sm_count > 0 ? sm_count : 132;
  if (2LL * ((N + 31) / 32) >= 3 * sms) return 4;
  const long long ctas16 = (N + 15) / 16;
  if (5 * ctas16 >= 3 * sms && !(K >= 16384 && ctas16 < sms)) return 2;
  return 1;
}

void fp8_nt_direct(const char* entry, DType out, const void* a, const void* b, void* d, int M, int N, int K,
                   float alpha, float beta, bool gelu, int sm_count, cudaStream_t stream) {
  if (M < 1 || M > kNtDirectMaxM || K % 16 != 0 || N % 8 != 0)  // the caller guarantees it
    throw_error(ErrorKind::kValue, entry, ": FP8 NT direct kernel needs 1 <= M <= ", kNtDirectMaxM,
                ", K a multiple of 16 and N of 8, got M=", M, ", N=", N, ", K=", K);
  NnDirectArgs args;
  args.alpha = alpha;
  args.beta = beta;
  args.gelu = gelu;
  run_direct<LaunchNK>(entry, out, args, a, b, d, M, N, K, sm_count, stream);
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
  run_direct<LaunchKN>(entry, out, args, a, b, d, M, N, K, 0, stream);
}

}  // namespace flash_rt::gemm
