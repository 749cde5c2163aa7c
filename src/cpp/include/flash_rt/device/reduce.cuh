// Sums across the threads that share one row: a warp shuffle tree, then (when a row spans
// several warps) one exchange through shared memory.
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
  float total = 0.f;
  for (int w = 0; w < warps_per_row; ++w) total += partial[w];
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
  float2 total = make_float2(0.f, 0.f);
  for (int w = 0; w < warps_per_row; ++w) {
    total.x += partial[w].x;
    total.y += partial[w].y;
  }
  return total;
}

}  // namespace flash_rt::device
