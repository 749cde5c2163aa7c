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
  // The partials as 16-byte reads, all issued at once, summed as a tree: this sits on the
  // critical path of every small-batch norm (a serial loop over the partials cost about as
  // much as the shuffle tree). warps_per_row is a power of two, 2 to 32.
  if (warps_per_row == 2) {
    const float2 q = *reinterpret_cast<const float2*>(partial);
    return q.x + q.y;
  }
  const float4* p4 = reinterpret_cast<const float4*>(partial);
  float s[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    s[i] = 0.f;
    if (4 * i < warps_per_row) {
      const float4 q = p4[i];
      s[i] = (q.x + q.y) + (q.z + q.w);
    }
  }
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
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
  // As row_sum: 16-byte reads (two warps' pairs each), then a tree.
  const float4* p4 = reinterpret_cast<const float4*>(partial);
  float2 s[16];
#pragma unroll
  for (int i = 0; i < 16; ++i) {
    s[i] = make_float2(0.f, 0.f);
    if (2 * i < warps_per_row) {
      const float4 q = p4[i];
      s[i] = make_float2(q.x + q.z, q.y + q.w);
    }
  }
#pragma unroll
  for (int w = 8; w > 0; w >>= 1) {
#pragma unroll
    for (int i = 0; i < w; ++i) s[i] = make_float2(s[i].x + s[i + w].x, s[i].y + s[i + w].y);
  }
  return s[0];
}

}  // namespace flash_rt::device
