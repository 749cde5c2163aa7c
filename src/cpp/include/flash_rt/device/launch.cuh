// Kernel launches with Programmatic Dependent Launch (PDL, SM90+), for every flash-rt kernel.
//
// Why: at inference sizes a kernel's time is mostly launch latency (~1 us on an H100). With
// PDL a kernel may be scheduled while the kernel before it on the stream is still running;
// it then waits in griddepcontrol.wait until that kernel has finished and its writes are
// visible. Measured on the H100 (benchmarks/bench_launch_floor.py, graph replay, 4 KB copy):
// 1.15 us per call launched plainly, 0.84 us with PDL, 0.99 us for torch.compile's Triton.
//
// Contract for kernels launched with `launch`: call pdl_begin() first (or pdl_wait() first and
// pdl_trigger() later, see pdl_trigger_late), before reading or writing any global memory. It waits for the previous kernel (so every read-after-write and
// write-after-read across kernels stays ordered exactly as without PDL) and then lets the next
// kernel be scheduled early. The overlap therefore only hides launch and scheduling latency;
// no memory access moves. A predecessor that is not PDL-aware (a torch or cuBLAS kernel)
// triggers implicitly when it completes: no overlap, no harm. Stream capture records the
// programmatic edges, so CUDA graphs keep them.
//
// PDL is used when the current device is SM90 or newer and FLASH_RT_PDL is not "0" (the
// switch, read once, for A/B measurements or a driver that misbehaves).
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace flash_rt::device {

// Host: whether launches on the current device use PDL (cached per device; no sync).
bool pdl_enabled();

// kernel<<<grid, block, smem, stream>>>(args...), with the PDL attribute where enabled. Errors
// surface through cudaGetLastError (check_launch), as with <<<>>>.
template <typename... Params, typename... Args>
inline void launch(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem, cudaStream_t stream,
                   Args&&... args) {
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cfg.attrs = attr;
  cfg.numAttrs = pdl_enabled() ? 1 : 0;
  (void)cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);  // the error stays for cudaGetLastError
}

// kernel<<<grid, block, smem, stream>>>(args...) as a cooperative launch: every CTA is resident
// at once, so the kernel may call cooperative_groups::this_grid().sync() (the driver provides
// the barrier; nothing is allocated, and cooperative kernel nodes are valid in CUDA graphs).
// The caller keeps grid <= ctas_per_sm * SMs. With the PDL attribute where enabled; should a
// driver refuse the pair, the launch is repeated without PDL and that choice kept for the
// process. Returns the launch error (left for cudaGetLastError / check_launch too).
template <typename... Params, typename... Args>
inline cudaError_t launch_cooperative(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem,
                                      cudaStream_t stream, Args&&... args) {
  static std::atomic<bool> pdl_refused{false};
  cudaLaunchAttribute attr[2];
  attr[0].id = cudaLaunchAttributeCooperative;
  attr[0].val.cooperative = 1;
  attr[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[1].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cfg.attrs = attr;
  const bool pdl = pdl_enabled() && !pdl_refused.load(std::memory_order_relaxed);
  cfg.numAttrs = pdl ? 2 : 1;
  cudaError_t err = cudaLaunchKernelEx(&cfg, kernel, args...);
  if (err != cudaSuccess && pdl) {
    (void)cudaGetLastError();
    cfg.numAttrs = 1;
    err = cudaLaunchKernelEx(&cfg, kernel, args...);
    if (err == cudaSuccess) pdl_refused.store(true, std::memory_order_relaxed);
  }
  return err;
}

// Device: first statement of every kernel launched with `launch` (see the contract above).
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
// Device: lets the next kernel on the stream be scheduled (once every CTA of this grid has
// called it or exited). Only scheduling: the next kernel still waits in pdl_wait() until this
// one has finished, so where it is called never changes the results.
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
// Device: makes `v` computed before the next asm statement (pdl_wait): work that reads only the
// kernel's parameters and built-ins can then overlap the wait for the previous grid.
__device__ __forceinline__ void ready(float v) { asm volatile("" ::"f"(v)); }
__device__ __forceinline__ void ready(int64_t v) { asm volatile("" ::"l"(v)); }
// Device: asks L2 for the line holding `p` (prefetch.global.L2: no value comes back, L1 is
// untouched). Allowed before pdl_wait(): L2 is the point of coherence, so a line fetched before
// the previous grid writes it is updated by that write, and the loads after the wait (through
// L1) see the written data. What it buys: a cold call's first DRAM reads overlap the previous
// grid's tail (patch_im2col, patch/patch.cuh).
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];" ::"l"(p)); }
// Both at once: the usual first statement.
__device__ __forceinline__ void pdl_begin() {
  pdl_wait();
  pdl_trigger();
}

// Host: whether a grid should call pdl_trigger() late (after its loads and reductions) rather
// than at the start. An early trigger lets the next grid's CTAs take free SM slots at once, where
// they wait beside the running CTAs. H100, benchmark protocol (docs/RESULTS-2026-11-27-H100-
// session5.md): when that parks >= 4 waiting CTAs per SM next to the running grid, the running
// grid slows down: layer_norm_no_affine_fp16 at 1024 x 2048 (1024 CTAs, 16 fit per SM) took 3.78
// us with the early trigger, 3.09 with the trigger after its statistics (3.20 without PDL).
// With fewer parked CTAs the early trigger was as fast or faster (S = 4096: 7.52 against 7.92).
// `ctas_per_sm`: the kernel's occupancy at its block size (ctas_per_sm below), <= 0 if unknown.
inline bool pdl_trigger_late(long long grid, int ctas_per_sm, int num_sms) {
  if (ctas_per_sm <= 0) return false;
  const long long capacity = static_cast<long long>(ctas_per_sm) * num_sms;
  const long long parked = grid < capacity - grid ? grid : capacity - grid;
  return parked >= 4LL * num_sms;
}

// Host: whether an element-wise grid (no reduction) lets the next one in (PDL) after its loads
// rather than at its start: grids of at least one CTA per SM. H100, session 8: in-place add_bias
// at S = 256 (256 CTAs) took 1.68 us with the early signal and 1.24 with the late one in every
// capture, while at S = 1 (one CTA) the late signal cost 0.13 us (0.79 -> 0.92): there the next
// grid's launch is what overlaps. In the elementwise template (device/elementwise.cuh) flat ops
// take it at any width: at S = 256 it sped up GEGLU 1.45 -> 1.29 us and GELU / SiLU / ReLU by
// 0.04-0.08. Row-wise ops there take it only in the 4-element band: at 2-element vectors the
// merged GEGLU went 1.60 -> 2.27 us with it (round 9 of session 8; why is open). Session 12: the
// flat kernel of utility/grid.cuh (casts, byte copy, fills, Euler step) takes it too; its fp32 ->
// fp16 cast at S = 256 went 1.46 -> 1.13 us in every capture (benchmarks/probe_flat_modes.cu).
inline bool ew_trigger_late(long long blocks, int num_sms) { return num_sms > 0 && blocks >= num_sms; }

// Host: CTAs of Kernel per SM at `threads` threads (no dynamic shared memory), cached per
// kernel, device slot and block size, so a launch pays the occupancy query once. 0 if unknown.
template <auto Kernel>
int ctas_per_sm(int device, int threads) {
  constexpr int kDevices = 16, kSizes = 33;  // threads / 32: 1 .. 32
  static std::atomic<int> cache[kDevices][kSizes];  // 0 = not asked yet, -1 = query failed
  const int w = threads / 32;
  if (device < 0 || device >= kDevices || w < 1 || w >= kSizes || threads % 32 != 0) return 0;
  int v = cache[device][w].load(std::memory_order_relaxed);
  if (v == 0) {
    int n = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, Kernel, threads, 0) != cudaSuccess || n <= 0) {
      (void)cudaGetLastError();
      n = -1;
    }
    cache[device][w].store(n, std::memory_order_relaxed);
    v = n;
  }
  return v > 0 ? v : 0;
}

}  // namespace flash_rt::device
