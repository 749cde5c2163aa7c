// Sums across the threads that share one row: a warp shuffle tree, then (when a row spans
// several warps) one exchange through shared memory: each warp's lane 0 writes its partial, and
// after the barrier every lane reads one partial (lane mod warps) and a second shuffle tree adds
// them. Every lane of the row gets the same value: at each butterfly step the two partners add
// the same two numbers (a + b == b + a exactly), so the order is fixed and the result
// deterministic.
// Until session 9 each thread summed the partials in a loop of shared-memory reads; with the PDL
// trigger after the reduction (norm/row_norm.cuh) the shuffle tree is faster: RMSNorm, S = 1, D =
// 2048, 8 warps, H100 (benchmarks/probe_norm_latency.cu): 1.11 us with the loop, 1.01 with the
// tree (equal, 1.20, with the trigger at the start, where the reduction is not on the path that
// decides the time).
#pragma once

namespace flash_rt::device {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Row = threadIdx.y; the row's threads are threadIdx.x in [0, blockDim.x), a power of two
// >= 32. `scratch` holds 32 floats per row of the block. Every thread of the block must call it (it
// synchronises when a row spans several warps); every thread gets the sum. A kernel that
// reduces twice passes two different scratch arrays: then one barrier per reduction
// suffices (nobody overwrites a buffer another warp may still be reading).
__device__ __forceinline__ float row_sum(float v, float* scratch) {
  v = warp_sum(v);
  const int warps_per_row = blockDim.x >> 5;
  if (warps_per_row == 1) return v;
  float* partial = scratch + 32 * threadIdx.y;
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = v;
  __syncthreads();
  float total = partial[threadIdx.x & (warps_per_row - 1)];
  for (int o = warps_per_row >> 1; o > 0; o >>= 1) total += __shfl_xor_sync(0xffffffffu, total, o);
  return total;
}

// Two sums in one round: the shuffles of the two are independent, so this costs about as much
// latency as one row_sum. `scratch` holds 64 floats per row of the block.
__device__ __forceinline__ float2 row_sum2(float2 v, float* scratch) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    v.x += __shfl_xor_sync(0xffffffffu, v.x, o);
    v.y += __shfl_xor_sync(0xffffffffu, v.y, o);
  }
  const int warps_per_row = blockDim.x >> 5;
  if (warps_per_row == 1) return v;
  float2* partial = reinterpret_cast<float2*>(scratch) + 32 * threadIdx.y;
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = v;
  __syncthreads();
  float2 total = partial[threadIdx.x & (warps_per_row - 1)];
  for (int o = warps_per_row >> 1; o > 0; o >>= 1) {
    total.x += __shfl_xor_sync(0xffffffffu, total.x, o);
    total.y += __shfl_xor_sync(0xffffffffu, total.y, o);
  }
  return total;
}

}  // namespace flash_rt::device
