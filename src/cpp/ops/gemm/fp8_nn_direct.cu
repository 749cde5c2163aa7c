// Launcher of the small-M FP8 NN kernel (see fp8_nn_direct.h).
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

template <typename OutT>
void launch_by_tiles(const NnDirectArgs& args, cudaStream_t stream) {
  switch ((args.M + 15) / 16) {
    case 1: return launch_direct<OutT, 1, BLayout::kKN>(args, stream);
    case 2: return launch_direct<OutT, 2, BLayout::kKN>(args, stream);
    case 3: return launch_direct<OutT, 3, BLayout::kKN>(args, stream);
    default: return launch_direct<OutT, 4, BLayout::kKN>(args, stream);
  }
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
  args.a = static_cast<const uint8_t*>(a);
  args.b = static_cast<const uint8_t*>(b);
  args.d = d;
  args.alpha = alpha;
  args.beta = beta;
  args.gelu = gelu;
  args.M = M, args.N = N, args.K = K;
  switch (out) {  // one m16 tile (M <= 16)
    case DType::kF16: launch_direct<__half, 1, BLayout::kNK>(args, stream); break;
    case DType::kBF16: launch_direct<__nv_bfloat16, 1, BLayout::kNK>(args, stream); break;
    case DType::kF32: launch_direct<float, 1, BLayout::kNK>(args, stream); break;
    default: throw_error(ErrorKind::kValue, entry, ": FP8 NT direct kernel: unsupported output dtype");
  }
  check_launch(entry);
}

bool fp8_nn_direct_applies(int sm, int M) { return (sm == 89 || sm == 90) && M >= 1 && M <= kNnDirectMaxM; }

void fp8_nn_direct(const char* entry, DType out, const void* a, const void* b, void* d, int M, int N, int K,
                   float alpha, const float* scale_a, const float* scale_b, cudaStream_t stream) {
  if (M < 1 || M > kNnDirectMaxM || K % 16 != 0 || N % 16 != 0)  // the callers guarantee it
    throw_error(ErrorKind::kValue, entry, ": FP8 NN direct kernel needs 1 <= M <= ", kNnDirectMaxM,
                " and K, N multiples of 16, got M=", M, ", N=", N, ", K=", K);
  NnDirectArgs args;
  args.a = static_cast<const uint8_t*>(a);
  args.b = static_cast<const uint8_t*>(b);
  args.d = d;
  args.scale_a = scale_a;
  args.scale_b = scale_b;
  args.alpha = alpha;
  args.M = M, args.N = N, args.K = K;
  switch (out) {
    case DType::kF16: launch_by_tiles<__half>(args, stream); break;
    case DType::kBF16: launch_by_tiles<__nv_bfloat16>(args, stream); break;
    case DType::kF32: launch_by_tiles<float>(args, stream); break;
    default: throw_error(ErrorKind::kValue, entry, ": FP8 NN direct kernel: unsupported output dtype");
  }
  check_launch(entry);
}

}  // namespace flash_rt::gemm
