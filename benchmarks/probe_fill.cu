// Probe library (a measurement tool, not part of the package): gpu_fill_neginf_fp16's fill under
// other kernels, for benchmarks/probe_fill.py (the benchmark's timer).
//
// Why: at S = 4096, D = 2048 (16.8 MB written, warm) the entry has timed 5.70-5.72 us against
// torch.compile's 5.65-5.67 in every full run since session 14 (0.97 against 0.98 of copy): a
// 1% tie that the <= 1x target counts as a miss. The shipped kernel is utility::flat_kernel (one
// 16-byte unit per thread, 4096 CTAs of 256, PDL trigger late, which for a fill is at once).
//
// Variants (v): 0 the launcher (launch_flat<8>), 1 the same kernel with the early trigger, 2 / 3
// two / four units per thread (CTA-strided, so each store instruction stays coalesced), 4 one
// unit with an evict-first store (st.global.cs), 5 the launcher's kernel without the PDL
// attribute (a plain launch).
//   nvcc -O3 -std=c++20 --expt-relaxed-constexpr -arch=sm_90a -shared -Xcompiler -fPIC \
//     -I src/cpp/include -I src/cpp benchmarks/probe_fill.cu src/cpp/ops/core/launch.cu \
//     -o .exp/libprobe_fill.so
#include <cuda_fp16.h>

#include "flash_rt/utility/flat_ops.cuh"

namespace dv = flash_rt::device;
namespace ut = flash_rt::utility;

namespace {

const char* const kVariants[] = {"launcher", "early trigger", "2 units", "4 units", "evict-first", "no PDL"};
constexpr int kVariantCount = sizeof(kVariants) / sizeof(kVariants[0]);

__device__ __forceinline__ uint4 neginf8() {
  const __half h = __float2half_rn(-1e30f);
  const uint32_t w = static_cast<uint32_t>(__half_as_ushort(h)) * 0x10001u;
  return make_uint4(w, w, w, w);
}

// U 8-element units per thread: unit (blockIdx.x * U + k) * 256 + threadIdx.x, k < U. n % 8 == 0.
template <int U, bool kStreaming>
__global__ void __launch_bounds__(256) fill_kernel(__half* dst, int64_t units) {
  dv::pdl_wait();
  dv::pdl_trigger();
  const uint4 v = neginf8();
#pragma unroll
  for (int k = 0; k < U; ++k) {
    const int64_t u = (static_cast<int64_t>(blockIdx.x) * U + k) * 256 + threadIdx.x;
    if (u < units) {
      uint4* p = reinterpret_cast<uint4*>(dst) + u;
      if constexpr (kStreaming) __stcs(p, v);
      else *p = v;
    }
  }
}

template <int U, bool kStreaming>
void fill(__half* dst, int64_t n, cudaStream_t s) {
  const int64_t units = n / 8, blocks = (units + 256 * U - 1) / (256 * U);
  dv::launch(fill_kernel<U, kStreaming>, dim3(static_cast<unsigned>(blocks)), dim3(256), 0, s, dst, units);
}

}  // namespace

extern "C" const char* probe_variant_name(int v) { return v >= 0 && v < kVariantCount ? kVariants[v] : nullptr; }

extern "C" int probe_launch(int v, void* dst_, long long n, void* stream_) {
  const auto s = static_cast<cudaStream_t>(stream_);
  auto* dst = static_cast<__half*>(dst_);
  if (n % 8 != 0 || reinterpret_cast<uintptr_t>(dst) % 16 != 0) return -3;
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0) != cudaSuccess) return -1;
  const ut::FillOp<__half> op{dst, -1e30f};
  const ut::Launch l = ut::plan_flat(n / 8);
  switch (v) {
    case 0: ut::launch_flat<8>(op, n, sms, s); break;
    case 1: dv::launch(ut::flat_kernel<8, ut::FillOp<__half>>, l.grid, l.block, 0, s, op, int64_t{n}, false); break;
    case 2: fill<2, false>(dst, n, s); break;
    case 3: fill<4, false>(dst, n, s); break;
    case 4: fill<1, true>(dst, n, s); break;
    case 5: ut::flat_kernel<8, ut::FillOp<__half>><<<l.grid, l.block, 0, s>>>(op, n, true); break;
    default: return -4;
  }
  return cudaGetLastError() == cudaSuccess ? 0 : -2;
}
