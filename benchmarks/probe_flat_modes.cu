// gpu_cast_fp32_to_fp16 at S = 256, D = 2048 (524288 floats): 1.46-1.54 us against compile's
// 1.51-1.54 (session 12; a measurement tool, not part of the package). Session 6 found that at
// this size a PDL chain runs in one of two modes per capture, and that the grid's share of the SM
// slots decides it. The shipped flat plan takes 8-element units (256 CTAs of 256 threads); here
// also 4-element units (512 CTAs), each with the PDL trigger at the start or after the loads.
// (Session 12 also timed patch_embed_bias_pos here; that moved to probe_bias_pos_protocol.py,
// which times kernels with the benchmark's own timer.)
// Every variant is timed in 6 separate captures (graph_timer.cuh, warm L2): the spread between
// captures is the point.
//
//   nvcc -O3 -std=c++20 -arch=sm_90a -I src/cpp/include -I src/cpp benchmarks/probe_flat_modes.cu \
//     src/cpp/ops/core/launch.cu -o /tmp/probe_flat_modes && /tmp/probe_flat_modes
#include <cuda_fp16.h>
#include <cstdio>

#include "flash_rt/utility/flat_ops.cuh"
#include "graph_timer.cuh"

namespace dv = flash_rt::device;
namespace ut = flash_rt::utility;

// The flat kernel's body (n % VEC == 0 here) with the trigger at the start or after the loads.
template <int VEC, bool kLate>
__global__ void __launch_bounds__(ut::kCtaThreads) cast_kernel(const float* in, __half* out, int64_t n) {
  dv::pdl_wait();
  if (!kLate) dv::pdl_trigger();
  const int64_t i = ut::flat_thread() * VEC;
  if (i < n) {
    const auto a = ut::load_vec<VEC>(in + i);
    if (kLate) dv::pdl_trigger();
    ut::Vec<__half, VEC> r;
#pragma unroll
    for (int k = 0; k < VEC; ++k) r.v[k] = __float2half_rn(a.v[k]);
    ut::store_vec<VEC>(out + i, r);
  } else if (kLate) {
    dv::pdl_trigger();
  }
}

template <class F>
void spread(const char* what, F launch_once, cudaStream_t s) {
  printf("%-58s", what);
  for (int c = 0; c < 6; ++c) printf(" %.3f", time_graph(launch_once, s));
  printf(" us\n");
}

int main() {
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int64_t n = int64_t{256} * 2048;
  float* in;
  __half* out;
  CK(cudaMalloc(&in, n * sizeof(float)));
  CK(cudaMalloc(&out, n * sizeof(__half)));
  CK(cudaMemset(in, 0x3c, n * sizeof(float)));
  const ut::CastOp<float, __half> op{in, out};
  for (int rep = 0; rep < 2; ++rep) {
    spread("cast fp32->fp16 S=256: launch_flat<8>, trigger at the start", [&] {
      dv::launch(ut::flat_kernel<8, decltype(op)>, dim3(n / 8 / 256), dim3(256), 0, s, op, n, false);
    }, s);
    spread("cast: launch_flat<8> as shipped (trigger after the loads)", [&] {
      int sms = 0;
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
      ut::launch_flat<8>(op, n, sms, s);
    }, s);
    spread("cast: VEC 8 (256 CTAs), trigger after the loads", [&] {
      dv::launch(cast_kernel<8, true>, dim3(n / 8 / 256), dim3(256), 0, s, (const float*)in, out, n);
    }, s);
    spread("cast: VEC 4 (512 CTAs), trigger at the start", [&] {
      dv::launch(cast_kernel<4, false>, dim3(n / 4 / 256), dim3(256), 0, s, (const float*)in, out, n);
    }, s);
    spread("cast: VEC 4 (512 CTAs), trigger after the loads", [&] {
      dv::launch(cast_kernel<4, true>, dim3(n / 4 / 256), dim3(256), 0, s, (const float*)in, out, n);
    }, s);
    spread("cast: VEC 2 (1024 CTAs), trigger at the start", [&] {
      dv::launch(cast_kernel<2, false>, dim3(n / 2 / 256), dim3(256), 0, s, (const float*)in, out, n);
    }, s);
  }
  return 0;
}
