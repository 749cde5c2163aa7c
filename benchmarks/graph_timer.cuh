// CUDA-graph timing for the measurement tools in benchmarks/ (sweep_plans.cu, probe_norm_latency.cu):
// 200 back-to-back launches captured once, best of 7 replays of 5 graph launches, microseconds per
// call. Warm L2 unless the buffers exceed it.
#pragma once
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA error %s at %s:%d (%s)\n", \
    cudaGetErrorString(e_), __FILE__, __LINE__, #x); exit(1); } } while (0)
template <class F>
float time_graph(F launch_once, cudaStream_t s) {
  const int kCalls = 200;
  for (int i = 0; i < 3; ++i) launch_once();
  CK(cudaGetLastError());
  CK(cudaStreamSynchronize(s));
  cudaGraph_t g = nullptr; cudaGraphExec_t ge = nullptr;
  CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < kCalls; ++i) launch_once();
  CK(cudaStreamEndCapture(s, &g));
  CK(cudaGraphInstantiate(&ge, g, 0));
  cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
  float best = 1e9;
  for (int r = 0; r < 7; ++r) {
    cudaGraphLaunch(ge, s);
    cudaEventRecord(a, s);
    for (int k = 0; k < 5; ++k) cudaGraphLaunch(ge, s);
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    float ms; cudaEventElapsedTime(&ms, a, b);
    best = std::min(best, ms * 1000.f / (5 * kCalls));
  }
  cudaGraphExecDestroy(ge); cudaGraphDestroy(g);
  return best;
}
