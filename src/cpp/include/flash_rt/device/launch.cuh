// Kernel launches with Programmatic Dependent Launch (PDL, SM90+), for every flash-rt kernel.
//
// Why: at inference sizes a kernel's time is mostly launch latency (~1 us on an H100). With
// PDL a kernel may be scheduled while the kernel before it on the stream is still running;
// it then waits in griddepcontrol.wait until that kernel has finished and its writes are
// visible. Measured on the H100 (benchmarks/bench_launch_floor.py, graph replay, 4 KB copy):
// 1.15 us per call launched plainly, 0.84 us with PDL, 0.99 us for torch.compile's Triton.
//
// Contract for kernels launched with `launch`: call pdl_begin() first, before reading or
// writing any global memory. It waits for the previous kernel (so every read-after-write and
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

#include <cstddef>
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

// Device: first statement of every kernel launched with `launch` (see the contract above).
__device__ __forceinline__ void pdl_begin() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

}  // namespace flash_rt::device
