// Kernel variants of patch_embed_bias_pos behind one C function, so that
// benchmarks/probe_bias_pos_protocol.py can time them under the benchmark's own protocol
// (flash_rt.testing.bench.time_graph: torch graph capture, random data, N calls from the GPU time)
// next to the package entry and torch.compile. A measurement tool, not part of the package.
//
// Session 13 (H100, S = 1, D = 2048): the loop-free variants with the signal at the start were the
// fastest (0.73-0.75 us against the looping kernel's 0.87); the package took v12's shape
// (bias_pos_unit_kernel), so variants 0 / 1 are now the package's two kernels.
//
// Why it was written: at S = 1 the C++ probe (benchmarks/probe_flat_modes.cu, graph_timer.cuh: 200 calls, zero
// data) ranked the PDL signal placements opposite to the benchmark (session 12); timing the
// probe's kernels through the benchmark's timer tells whether the kernels or the timers differ.
//
//   nvcc -O3 -std=c++20 -arch=sm_90a -shared -Xcompiler -fPIC -I src/cpp/include -I src/cpp \
//     benchmarks/probe_bias_pos_variants.cu src/cpp/ops/core/launch.cu -o .exp/libprobe_bias_pos.so
#include <cuda_fp16.h>

#include <cstdint>

#include "flash_rt/patch/patch.cuh"

namespace dv = flash_rt::device;
namespace ut = flash_rt::utility;
namespace pt = flash_rt::patch;

enum Signal { kStart = 0, kAfterLoads = 1, kAtExit = 2 };

// One 8-half unit per thread, no loop: row = blockIdx.x, unit = blockIdx.y * blockDim.x + tid.
// kPrefetch loads bias and pos before the PDL wait (unsafe when the previous kernel writes them:
// only a floor, never a candidate for the package).
template <int kSignal, bool kPrefetch>
__global__ void __launch_bounds__(256) loop_free_kernel(__half* out, const __half* bias, const __half* pos, int dim,
                                                        int s_per_view) {
  const int row = blockIdx.x;
  const int c = (blockIdx.y * blockDim.x + threadIdx.x) * 8;
  const int prow = static_cast<int>(static_cast<uint32_t>(row) % static_cast<uint32_t>(s_per_view));
  const bool in = c < dim;
  ut::Vec<__half, 8> b{}, q{};
  if (kPrefetch && in) {
    b = ut::load_vec<8>(bias + c);
    q = ut::load_vec<8>(pos + int64_t{prow} * dim + c);
  }
  dv::pdl_wait();
  if (kSignal == kStart) dv::pdl_trigger();
  if (in) {
    __half* o = out + int64_t{row} * dim + c;
    auto v = ut::load_vec<8>(o);
    if (!kPrefetch) {
      b = ut::load_vec<8>(bias + c);
      q = ut::load_vec<8>(pos + int64_t{prow} * dim + c);
    }
    if (kSignal == kAfterLoads) dv::pdl_trigger();
#pragma unroll
    for (int k = 0; k < 8; ++k) v.v[k] = __float2half_rn((ut::f32(v.v[k]) + ut::f32(b.v[k])) + ut::f32(q.v[k]));
    ut::store_vec<8>(o, v);
  } else if (kSignal == kAfterLoads) {
    dv::pdl_trigger();
  }
}

// The chain's floor: wait, signal, nothing else.
__global__ void empty_kernel() {
  dv::pdl_wait();
  dv::pdl_trigger();
}

// The same bytes of out read and written back unchanged, no bias / pos (the memory floor).
__global__ void __launch_bounds__(256) touch_kernel(__half* out, int dim) {
  dv::pdl_wait();
  const int c = (blockIdx.y * blockDim.x + threadIdx.x) * 8;
  if (c < dim) {
    __half* o = out + int64_t{blockIdx.x} * dim + c;
    const auto v = ut::load_vec<8>(o);
    dv::pdl_trigger();
    ut::store_vec<8>(o, v);
  } else {
    dv::pdl_trigger();
  }
}

namespace {
dim3 row_grid(int S, int D, int threads) {
  const int units = D / 8;
  return dim3(S, (units + threads - 1) / threads);
}
}  // namespace

// Names of the variants, index = variant number (probe_bias_pos_protocol.py prints them).
extern "C" const char* probe_variant_name(int v) {
  switch (v) {
    case 0: return "package bias_pos_unit_kernel, 128/CTA (as the launcher, balanced)";
    case 1: return "package bias_pos_kernel (loops), plan_rows grid";
    case 2: return "loop-free 64/CTA, signal at start";
    case 3: return "loop-free 64/CTA, signal after loads";
    case 4: return "loop-free 64/CTA, signal at exit";
    case 5: return "loop-free 128/CTA, signal after loads";
    case 6: return "loop-free 32/CTA, signal after loads";
    case 7: return "loop-free 256/CTA, signal after loads";
    case 8: return "loop-free 64/CTA, bias+pos before wait (unsafe floor), after loads";
    case 9: return "loop-free 64/CTA, bias+pos before wait (unsafe floor), at start";
    case 10: return "touch out only 64/CTA, signal after load";
    case 11: return "empty kernel, 1 CTA of 32";
    case 12: return "loop-free 128/CTA, signal at start";
    case 13: return "loop-free 32/CTA, signal at start";
    default: return nullptr;
  }
}

// Launches variant v on `stream` (D % 8 == 0, 16-byte aligned pointers). Returns the CUDA error.
extern "C" int probe_launch(int v, void* out_, const void* bias_, const void* pos_, int S, int D, int s_per_view,
                            void* stream_) {
  auto* out = static_cast<__half*>(out_);
  const auto* bias = static_cast<const __half*>(bias_);
  const auto* pos = static_cast<const __half*>(pos_);
  auto s = static_cast<cudaStream_t>(stream_);
  switch (v) {
    case 0: {
      const int units = D / 8, chunks = (units + 127) / 128;
      dv::launch(pt::bias_pos_unit_kernel<8>, dim3(S, chunks), dim3(((units + chunks - 1) / chunks + 31) / 32 * 32),
                 0, s, out, bias, pos, S, D, s_per_view);
      break;
    }
    case 1: {
      const ut::Launch l = ut::plan_rows(S, D / 8);
      dv::launch(pt::bias_pos_kernel<8>, l.grid, l.block, 0, s, out, bias, pos, int64_t{S}, D, s_per_view);
      break;
    }
    case 2: dv::launch(loop_free_kernel<kStart, false>, row_grid(S, D, 64), dim3(64), 0, s, out, bias, pos, D, s_per_view); break;
    case 3: dv::launch(loop_free_kernel<kAfterLoads, false>, row_grid(S, D, 64), dim3(64), 0, s, out, bias, pos, D, s_per_view); break;
    case 4: dv::launch(loop_free_kernel<kAtExit, false>, row_grid(S, D, 64), dim3(64), 0, s, out, bias, pos, D, s_per_view); break;
    case 5: dv::launch(loop_free_kernel<kAfterLoads, false>, row_grid(S, D, 128), dim3(128), 0, s, out, bias, pos, D, s_per_view); break;
    case 6: dv::launch(loop_free_kernel<kAfterLoads, false>, row_grid(S, D, 32), dim3(32), 0, s, out, bias, pos, D, s_per_view); break;
    case 7: dv::launch(loop_free_kernel<kAfterLoads, false>, row_grid(S, D, 256), dim3(256), 0, s, out, bias, pos, D, s_per_view); break;
    case 8: dv::launch(loop_free_kernel<kAfterLoads, true>, row_grid(S, D, 64), dim3(64), 0, s, out, bias, pos, D, s_per_view); break;
    case 9: dv::launch(loop_free_kernel<kStart, true>, row_grid(S, D, 64), dim3(64), 0, s, out, bias, pos, D, s_per_view); break;
    case 10: dv::launch(touch_kernel, row_grid(S, D, 64), dim3(64), 0, s, out, D); break;
    case 11: dv::launch(empty_kernel, dim3(1), dim3(32), 0, s); break;
    case 12: dv::launch(loop_free_kernel<kStart, false>, row_grid(S, D, 128), dim3(128), 0, s, out, bias, pos, D, s_per_view); break;
    case 13: dv::launch(loop_free_kernel<kStart, false>, row_grid(S, D, 32), dim3(32), 0, s, out, bias, pos, D, s_per_view); break;
    default: return static_cast<int>(cudaErrorInvalidValue);
  }
  return static_cast<int>(cudaGetLastError());
}

// The package's bias_pos_unit_kernel<8> with chunks of at most bx units (balanced to whole warps)
// and by rows per CTA: the launch-plan sweep of probe_bias_pos_protocol.py --sweep.
extern "C" int probe_launch_unit(int bx, int by, void* out, const void* bias, const void* pos, int S, int D,
                                 int s_per_view, void* stream) {
  const int units = D / 8, chunks = (units + bx - 1) / bx;
  const int width = ((units + chunks - 1) / chunks + 31) / 32 * 32;
  dv::launch(pt::bias_pos_unit_kernel<8>, dim3((S + by - 1) / by, chunks), dim3(width, by), 0,
             static_cast<cudaStream_t>(stream), static_cast<__half*>(out), static_cast<const __half*>(bias),
             static_cast<const __half*>(pos), S, D, s_per_view);
  return static_cast<int>(cudaGetLastError());
}
