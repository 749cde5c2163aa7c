// FP8 NN GEMM for small M on SM89 / SM90, reading the [K, N] weight where it lies:
//
//   D[M, N] = RN(scale * (A[M, K] . B[K, N])),   scale = alpha * (*scale_a) * (*scale_b)
//
// A and B are E4M3 row-major; products accumulate in fp32 (mma.sync m16n8k32, SM89+).
//
// Why: cuBLASLt's FP8 kernels on SM89/SM90 take only K-contiguous operands, so an NN call with an
// unregistered weight first transposes the whole weight (GemmRunner's fallback). At small M the
// product is bound by reading B once, and the transpose reads and writes it once more: on the
// H100, 1 x 2048 x 2560 took 9.0 us against 3.8 for torch._scaled_mm on a K-major weight
// (docs/RESULTS-2026-11-27-H100-session7.md). This kernel reads B once, in place.
//
// Work split: a CTA owns a 32-column slab of N and all M rows (up to 4 m16 tiles); its warps
// split K in 64-deep units (warp w takes units w, w + W, w + 2W, ...), two mma.sync per unit.
// K order inside a unit: the MMA pairs lane q's A and B fragments by k position, so any
// k-permutation applied to both leaves the product unchanged; lane q takes the 16 consecutive
// k of 16q .. 16q + 15 (its first MMA 16q .. + 7, its second + 8 .. + 15). Its A fragments of a
// row are then one 16-byte load (four times fewer than in mma.sync's own k order), and its B
// fragments 16 rows of 4-byte words (4 columns), turned around 4 x 4 bytes at a time with byte
// permutes into the k-major fragments mma.sync takes, one per n8 tile: slot s of n8 tile t is
// column slab + 4s + t. With that column order the accumulators give each lane 8 consecutive
// columns of a row (slab + 8q .. + 7, q = lane % 4), so the warps' partial sums go to shared
// memory as plain rows, and they are added in warp order (the result does not depend on
// timing), scaled, rounded once and stored 8 columns per thread.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>

#include "flash_rt/device/launch.cuh"
#include "flash_rt/device/vec.cuh"

namespace flash_rt::gemm {

inline constexpr int kNnDirectMaxM = 64;  // 4 m16 tiles
inline constexpr int kNnDirectCols = 32;  // columns of N per CTA

// Warps per CTA and 64-deep K units each warp keeps in flight, by m16 tiles: more tiles hold more
// A fragments and accumulators, so they take fewer units at once, and fewer warps keep the
// partial sums in 32 KB of shared memory. H100 (docs/RESULTS-2026-11-27-H100-session8.md): 4 units
// at one m16 tile were slower than 2 (the compiler then kept fewer loads in flight, 92
// registers), and 16 warps at one m16 tile slower than 8.
template <int MT> inline constexpr int kNnDirectWarps = MT <= 2 ? 8 : 4;
template <int MT> inline constexpr int kNnDirectUnits = MT == 1 ? 2 : 1;

struct NnDirectArgs {
  const uint8_t* a = nullptr;        // [M, K] E4M3
  const uint8_t* b = nullptr;        // [K, N] E4M3
  void* d = nullptr;                 // [M, N] OutT
  const float* scale_a = nullptr;    // [1] device, or null (1)
  const float* scale_b = nullptr;    // [1] device, or null (1)
  float alpha = 1.f;
  int M = 0, N = 0, K = 0;
};

__device__ __forceinline__ uint32_t load_word(const uint8_t* p) {
  return __ldg(reinterpret_cast<const unsigned int*>(p));
}

__device__ __forceinline__ uint4 load_quad(const uint8_t* p) { return __ldg(reinterpret_cast<const uint4*>(p)); }

// w[i] = bytes (c0, c1, c2, c3) of row i  ->  t[j] = bytes (row 0, 1, 2, 3) of column j.
__device__ __forceinline__ void transpose_4x4_bytes(const uint32_t (&w)[4], uint32_t (&t)[4]) {
  const uint32_t u0 = __byte_perm(w[0], w[1], 0x5140), u1 = __byte_perm(w[0], w[1], 0x7362);
  const uint32_t v0 = __byte_perm(w[2], w[3], 0x5140), v1 = __byte_perm(w[2], w[3], 0x7362);
  t[0] = __byte_perm(u0, v0, 0x5410);
  t[1] = __byte_perm(u0, v0, 0x7632);
  t[2] = __byte_perm(u1, v1, 0x5410);
  t[3] = __byte_perm(u1, v1, 0x7632);
}

// c += A (16 x 32, row) . B (32 x 8, col), E4M3 in, fp32 accumulate.
__device__ __forceinline__ void mma_e4m3(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  asm("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
  (void)c, (void)a, (void)b0, (void)b1;  // never launched below SM89 (the launcher checks)
#endif
}

template <typename T>
__device__ __forceinline__ void store_row8(T* p, const float (&v)[8]) {
  device::store_float<8>(p, v);
}
template <>
__device__ __forceinline__ void store_row8<float>(float* p, const float (&v)[8]) {
  reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
  reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
}

// Grid: ceil(N / 32) CTAs of kNnDirectWarps<MT> warps; MT = ceil(M / 16) (1 to 4). Needs
// K % 16 == 0, N % 16 == 0 and 16-byte aligned A, B and D (the GEMM launchers check them).
template <typename OutT, int MT>
__global__ void __launch_bounds__(kNnDirectWarps<MT> * 32) fp8_nn_direct_kernel(const NnDirectArgs p) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  constexpr int W = kNnDirectWarps<MT>, U = kNnDirectUnits<MT>;
  __shared__ __align__(16) float part[W][MT * 16][kNnDirectCols];  // MT * W * 2 KB <= 32 KB
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, q = lane & 3;  // mma.sync's group and thread-in-group
  const int slab = blockIdx.x * kNnDirectCols;
  const int col = slab + 4 * g;  // the 4 columns whose words this lane loads
  const int units = (p.K + 63) / 64;

  float acc[MT][4][4];  // [m16 tile][n8 tile][fragment]
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int t = 0; t < 4; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[m][t][i] = 0.f;

  for (int u0 = warp; u0 < units; u0 += W * U) {
    uint32_t bw[U][16];  // [unit][k 16q + i]: 4 columns of one B row
    uint4 aw[U][MT][2];  // [unit][m16 tile][row g / g + 8]: k 16q .. 16q + 15
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int k = (u0 + u * W) * 64 + 16 * q;
      // K % 16 == 0: the lane's 16 rows of the unit are all inside K or all past it.
      const bool in_k = u0 + u * W < units && k < p.K;
      const bool in_b = in_k && col < p.N;
#pragma unroll
      for (int i = 0; i < 16; ++i)
        bw[u][i] = in_b ? load_word(p.b + static_cast<int64_t>(k + i) * p.N + col) : 0u;
#pragma unroll
      for (int m = 0; m < MT; ++m) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = m * 16 + g + 8 * h;
          aw[u][m][h] = in_k && row < p.M ? load_quad(p.a + static_cast<int64_t>(row) * p.K + k)
                                          : make_uint4(0u, 0u, 0u, 0u);
        }
      }
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
#pragma unroll
      for (int j = 0; j < 2; ++j) {  // the unit's two MMAs: k 16q + 8j + (0 .. 3 | 4 .. 7)
        uint32_t lo[4], hi[4];
        transpose_4x4_bytes({bw[u][8 * j], bw[u][8 * j + 1], bw[u][8 * j + 2], bw[u][8 * j + 3]}, lo);
        transpose_4x4_bytes({bw[u][8 * j + 4], bw[u][8 * j + 5], bw[u][8 * j + 6], bw[u][8 * j + 7]}, hi);
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          const uint4& r0 = aw[u][m][0];
          const uint4& r8 = aw[u][m][1];
          // mma.sync's A registers: (row g, k lo), (row g + 8, k lo), (row g, k hi), (row g + 8, k hi)
          const uint32_t a[4] = {j == 0 ? r0.x : r0.z, j == 0 ? r8.x : r8.z, j == 0 ? r0.y : r0.w,
                                 j == 0 ? r8.y : r8.w};
#pragma unroll
          for (int t = 0; t < 4; ++t) mma_e4m3(acc[m][t], a, lo[t], hi[t]);
        }
      }
    }
  }

  // Fragment c0 / c1 of n8 tile t: row g, columns 8q + t / 8q + 4 + t; c2 / c3: row g + 8.
#pragma unroll
  for (int m = 0; m < MT; ++m) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float* dst = &part[warp][m * 16 + g + 8 * h][8 * q];
      reinterpret_cast<float4*>(dst)[0] = make_float4(acc[m][0][2 * h], acc[m][1][2 * h], acc[m][2][2 * h],
                                                      acc[m][3][2 * h]);
      reinterpret_cast<float4*>(dst)[1] = make_float4(acc[m][0][2 * h + 1], acc[m][1][2 * h + 1],
                                                      acc[m][2][2 * h + 1], acc[m][3][2 * h + 1]);
    }
  }
  __syncthreads();

  float scale = p.alpha;
  if (p.scale_a) scale *= *p.scale_a;
  if (p.scale_b) scale *= *p.scale_b;
  // One (row, 8-column chunk) per thread and pass: MT * 64 chunks.
  for (int c = threadIdx.x; c < MT * 16 * (kNnDirectCols / 8); c += W * 32) {
    const int row = c / (kNnDirectCols / 8), cc = (c % (kNnDirectCols / 8)) * 8;
    // N % 16 == 0 and 8-column chunks: a chunk is wholly inside N or wholly past it.
    if (row >= p.M || slab + cc >= p.N) continue;
    float v[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] = 0.f;
#pragma unroll
    for (int w = 0; w < W; ++w) {
      const float4 x = reinterpret_cast<const float4*>(&part[w][row][cc])[0];
      const float4 y = reinterpret_cast<const float4*>(&part[w][row][cc])[1];
      v[0] += x.x, v[1] += x.y, v[2] += x.z, v[3] += x.w;
      v[4] += y.x, v[5] += y.y, v[6] += y.z, v[7] += y.w;
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] *= scale;
    store_row8(static_cast<OutT*>(p.d) + static_cast<int64_t>(row) * p.N + slab + cc, v);
  }
}

}  // namespace flash_rt::gemm
