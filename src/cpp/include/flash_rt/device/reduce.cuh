// Sums across the threads that share one row: a warp shuffle tree, then (when a row spans
// several warps) one exchange through shared memory.
#pragma once

namespace flash_rt::device {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// The per-warp partials of one row (a power of two >= 2 of them, 16-byte aligned) read back in
// 16-byte loads: 2 loads instead of 8 dependent ones for an 8-warp row, the latency that
// decode-size norms pay after their barrier.
__device__ __forceinline__ float sum_partials(const float* partial, int n) {
  if (n == 2) return partial[0] + partial[1];
  const float4* p4 = reinterpret_cast<const float4*>(partial);
  float total = 0.f;
  for (int i = 0; i < n / 4; ++i) {
    const float4 q = p4[i];
    total += (q.x + q.y) + (q.z + q.w);
  }
  return total;
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
  return sum_partials(partial, warps_per_row);
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
  // Pairs interleaved (x0 y0 x1 y1 ...): 16-byte reads give two warps' pairs at once.
  const float4* p4 = reinterpret_cast<const float4*>(partial);
  float2 total = make_float2(0.f, 0.f);
  for (int i = 0; i < warps_per_row / 2; ++i) {
    const float4 q = p4[i];
    total.x += q.x + q.z;
    total.y += q.y + q.w;
  }
  return total;
}

}  // namespace flash_rt::device
