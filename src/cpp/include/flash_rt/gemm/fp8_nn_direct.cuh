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
// split K in 32-deep steps (warp w takes steps w, w + W, w + 2W, ...). Each lane loads 4-byte
// words (4 columns) from 4 consecutive rows of B and turns the 4 x 4 bytes around with byte
// permutes into the k-major fragments mma.sync takes, one per n8 tile: slot s of n8 tile t is
// column slab + 4s + t. With that column order the accumulators give each lane 8 consecutive
// columns of a row (slab + 8q .. + 7, q = lane % 4), so the warps' partial sums go to shared
// memory as plain rows, and they are added in warp order (the result does not depend on
// timing), scaled, rounded once and stored 8 columns per thread.
//
// On SM90 the compiler turns each E4M3 mma.sync into two f16 HMMA with conversions (Hopper's own
// FP8 MMA is wgmma only); on SM89 it is native. The cost grows with M through the A fragment
// loads (4-byte loads that use half of each 32-byte sector).
//
// Measured (H100, bench_gemm.py, docs/RESULTS-2026-11-27-H100-session8.md): 1 x 2048 x 2560 3.9 us
// (torch._scaled_mm on a K-major weight 3.8; the transpose path 9.0); 64 x 1024 x 8192 11.0 us
// (_scaled_mm 4.6, transpose path 11.8). Tried and not kept (us at M = 1 / 16 / 64, K 2048, N 2560):
//   - 16 warps per CTA at M <= 16: 5.1 / 6.7 / -;
//   - 64-deep K units in a lane-contiguous k order (one 16-byte A load per row and unit): with 4
//     units in flight 4.8 at M = 1, with 2 (1 above M = 16) 4.9 / 5.3 / 13.3 (faster at M = 8 to
//     32, slower at 1 and at 48 to 64).
// Open: M = 64 is 2.4x slower than cuBLASLt on a K-major weight; registering the weight
// (register_static_weight) gives cuBLASLt's speed at every M.
//
// The same kernel reads a K-major [N, K] weight (BLayout::kNK) for the SM90 cutlass_fp8_* entries
// at small M, where the CUTLASS TMA kernels pay a whole 64-row tile per M = 1 problem (0.56x
// torch._scaled_mm at 1 x 2048 x 2560, session 8). Then each lane loads its word of column n
// straight from row n of the weight (mma.sync's "col" B operand is K-contiguous), so no byte
// permute is needed, and the epilogue adds beta * D (read only when beta != 0) and the erf GELU of
// cutlass_fp8_gelu. H100, bench_gemm.py (session 9), bf16 out: 1 x 2048 x 2560 4.0 us (CUTLASS
// 64 x 64: 6.7; _scaled_mm 3.8), 16 x 2048 x 2560 5.0 us (CUTLASS 6.2; _scaled_mm 3.8).
// On the [N, K] weight (session 10) the kernel reads 64-deep K units with 16-byte loads (kWide,
// below), and a CTA may take 16 or 8 columns (TN = 2 or 1 n8 tiles) with 8 or 16 warps (template
// parameters W, U): where 32-column slabs leave SMs idle (N = 2048 gives 64 CTAs on 132 SMs).
// H100, benchmarks/probe_nt_direct.cu, M = 1: 1 x 2048 x 2560 4.2 -> 2.8 us (torch._scaled_mm
// 3.8), 1 x 16384 x 1024 22.0 -> 7.4; the launcher's rule is fp8_nt_direct_tiles in
// ops/gemm/fp8_nn_direct.cu.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>

#include "flash_rt/device/launch.cuh"
#include "flash_rt/device/vec.cuh"

namespace flash_rt::gemm {

inline constexpr int kNnDirectMaxM = 64;  // 4 m16 tiles

// Warps per CTA and 32-deep K steps each warp keeps in flight, by m16 tiles: more tiles hold more
// A fragments and accumulators, so they take fewer steps at once, and fewer warps keep the
// partial sums in 32 KB of shared memory.
template <int MT> inline constexpr int kNnDirectWarps = MT <= 2 ? 8 : 4;
template <int MT> inline constexpr int kNnDirectSteps = MT <= 2 ? 4 : 2;

// Where B lies: [K, N] row-major (the NN GEMM's weight) or [N, K] row-major (K-major, NT).
enum class BLayout { kKN, kNK };

struct NnDirectArgs {
  const uint8_t* a = nullptr;        // [M, K] E4M3
  const uint8_t* b = nullptr;        // [K, N] or [N, K] E4M3 (the kernel's BLayout)
  void* d = nullptr;                 // [M, N] OutT
  const float* scale_a = nullptr;    // [1] device, or null (1)
  const float* scale_b = nullptr;    // [1] device, or null (1)
  float alpha = 1.f;
  float beta = 0.f;                  // D = scale * acc + beta * D; D is not read when 0
  bool gelu = false;                 // then D = GELU_erf(D) (cutlass_fp8_gelu)
  int M = 0, N = 0, K = 0;
};

__device__ __forceinline__ uint32_t load_word(const uint8_t* p) {
  return __ldg(reinterpret_cast<const unsigned int*>(p));
}

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
template <typename T>
__device__ __forceinline__ void load_row8(const T* p, float (&v)[8]) {
  device::load_float<8>(p, v);
}
template <>
__device__ __forceinline__ void load_row8<float>(const float* p, float (&v)[8]) {
  const float4 x = reinterpret_cast<const float4*>(p)[0], y = reinterpret_cast<const float4*>(p)[1];
  v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w, v[4] = y.x, v[5] = y.y, v[6] = y.z, v[7] = y.w;
}

// Grid: ceil(N / (8 * TN)) CTAs of kNnDirectWarps<MT> warps; MT = ceil(M / 16) (1 to 4), TN =
// n8 tiles per CTA (4 for [K, N] B, whose words hold 4 columns; 1, 2 or 4 for [N, K] B). Needs
// K % 16 == 0, N % 16 == 0 ([K, N] B) or N % 8 == 0 ([N, K] B), and 16-byte aligned A, B and D
// (the GEMM launchers check them). Column of local column n of n8 tile t: slab + TN * n + t, so
// that each lane's accumulators cover 2 * TN consecutive columns of a row.
// kWide ([N, K] B only): 64-deep K units read with 16-byte loads instead of 32-deep steps read
// with 4-byte ones. The dot product does not care in which order k runs, as long as A and B use
// the same order, so lane (g, q) takes bytes [16q, 16q + 16) of its A rows and B row of a unit
// as words w0..w3 and feeds (w0, w1) to one MMA as its (k lo, k hi) fragments and (w2, w3) to a
// second: the two MMAs cover k = 16q + 0..7 and 16q + 8..15 of every lane q, all 64 between them.
// A quarter of the load instructions; U counts units then.
template <typename OutT, int MT, BLayout L = BLayout::kKN, int TN = 4, int W = kNnDirectWarps<MT>,
          int U = kNnDirectSteps<MT>, bool kWide = false>
__global__ void __launch_bounds__(W * 32) fp8_nn_direct_kernel(const NnDirectArgs p) {
  ::flash_rt::device::pdl_begin();  // device/launch.cuh: before any global access
  static_assert(TN == 4 || (L == BLayout::kNK && (TN == 1 || TN == 2)), "TN: 4, or 1 / 2 on an [N, K] weight");
  static_assert(!kWide || L == BLayout::kNK, "16-byte K units need a K-major [N, K] weight");
  constexpr int kCols = 8 * TN;
  __shared__ __align__(16) float part[W][MT * 16][kCols];  // MT * W * TN * 512 B <= 32 KB
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, q = lane & 3;  // mma.sync's group and thread-in-group
  const int slab = blockIdx.x * kCols;
  const int col = slab + TN * g;  // the TN columns whose fragments this lane loads

  float acc[MT][TN][4];  // [m16 tile][n8 tile][fragment]
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int t = 0; t < TN; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[m][t][i] = 0.f;

  if constexpr (kWide) {
    const int units = (p.K + 63) / 64;
    for (int u0 = warp; u0 < units; u0 += W * U) {
      uint4 bx[U][TN];      // [unit][n8 tile]: bytes [16q, 16q + 16) of row col + t
      uint4 ax[U][MT][2];   // [unit][m16 tile][row g, row g + 8]: the same bytes of A
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int unit = u0 + u * W;
        const int k = unit * 64 + 16 * q;  // K % 16 == 0: a 16-byte chunk is wholly inside K or past it
        const bool k_in = unit < units && k < p.K;
#pragma unroll
        for (int t = 0; t < TN; ++t)
          bx[u][t] = k_in && col + t < p.N
                         ? __ldg(reinterpret_cast<const uint4*>(p.b + static_cast<int64_t>(col + t) * p.K + k))
                         : make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
        for (int m = 0; m < MT; ++m)
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int row = m * 16 + g + 8 * h;
            ax[u][m][h] = k_in && row < p.M
                              ? __ldg(reinterpret_cast<const uint4*>(p.a + static_cast<int64_t>(row) * p.K + k))
                              : make_uint4(0u, 0u, 0u, 0u);
          }
      }
#pragma unroll
      for (int u = 0; u < U; ++u)
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          const uint32_t a_first[4] = {ax[u][m][0].x, ax[u][m][1].x, ax[u][m][0].y, ax[u][m][1].y};
          const uint32_t a_second[4] = {ax[u][m][0].z, ax[u][m][1].z, ax[u][m][0].w, ax[u][m][1].w};
#pragma unroll
          for (int t = 0; t < TN; ++t) {
            mma_e4m3(acc[m][t], a_first, bx[u][t].x, bx[u][t].y);
            mma_e4m3(acc[m][t], a_second, bx[u][t].z, bx[u][t].w);
          }
        }
    }
  } else {
    const int steps = (p.K + 31) / 32;
    for (int s0 = warp; s0 < steps; s0 += W * U) {
      uint32_t bw[U][2][4];  // [step][k half: rows 0-15 / 16-31][row 4q + i of the half, or n8 tile]
      uint32_t aw[U][MT][4];  // A fragments: (row g, k lo), (g + 8, lo), (g, hi), (g + 8, hi)
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int s = s0 + u * W;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int k = s * 32 + 16 * h + 4 * q;
          // K % 16 == 0: a 16-deep half is either inside K or wholly past it.
          if constexpr (L == BLayout::kKN) {
            const bool in = s < steps && s * 32 + 16 * h < p.K && col < p.N;
#pragma unroll
            for (int i = 0; i < 4; ++i)
              bw[u][h][i] = in ? load_word(p.b + static_cast<int64_t>(k + i) * p.N + col) : 0u;
          } else {  // [N, K]: the fragment of n8 tile t is 4 bytes of row col + t, ready as loaded
#pragma unroll
            for (int t = 0; t < TN; ++t) {
              const bool in = s < steps && s * 32 + 16 * h < p.K && col + t < p.N;
              bw[u][h][t] = in ? load_word(p.b + static_cast<int64_t>(col + t) * p.K + k) : 0u;
            }
          }
        }
#pragma unroll
        for (int m = 0; m < MT; ++m) {
#pragma unroll
          for (int r = 0; r < 4; ++r) {
            const int row = m * 16 + g + 8 * (r & 1), h = r >> 1;
            const bool in = s < steps && s * 32 + 16 * h < p.K && row < p.M;
            aw[u][m][r] = in ? load_word(p.a + static_cast<int64_t>(row) * p.K + s * 32 + 16 * h + 4 * q) : 0u;
          }
        }
      }
#pragma unroll
      for (int u = 0; u < U; ++u) {
        uint32_t lo[4], hi[4];
        if constexpr (L == BLayout::kKN) {
          transpose_4x4_bytes(bw[u][0], lo);
          transpose_4x4_bytes(bw[u][1], hi);
        } else {
#pragma unroll
          for (int t = 0; t < TN; ++t) lo[t] = bw[u][0][t], hi[t] = bw[u][1][t];
        }
#pragma unroll
        for (int m = 0; m < MT; ++m)
#pragma unroll
          for (int t = 0; t < TN; ++t) mma_e4m3(acc[m][t], aw[u][m], lo[t], hi[t]);
      }
    }
  }  // kWide

  // Fragment c0 / c1 of n8 tile t: row g, local columns 2q / 2q + 1, that is columns 2q * TN + t
  // and (2q + 1) * TN + t of the slab; c2 / c3: row g + 8. Each lane writes 2 * TN floats.
#pragma unroll
  for (int m = 0; m < MT; ++m) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float v[2 * TN];
#pragma unroll
      for (int t = 0; t < TN; ++t) v[t] = acc[m][t][2 * h], v[TN + t] = acc[m][t][2 * h + 1];
      float* dst = &part[warp][m * 16 + g + 8 * h][2 * TN * q];
      if constexpr (TN == 1) {
        reinterpret_cast<float2*>(dst)[0] = make_float2(v[0], v[1]);
      } else {
#pragma unroll
        for (int j = 0; j < TN / 2; ++j)
          reinterpret_cast<float4*>(dst)[j] = make_float4(v[4 * j], v[4 * j + 1], v[4 * j + 2], v[4 * j + 3]);
      }
    }
  }
  __syncthreads();

  float scale = p.alpha;
  if (p.scale_a) scale *= *p.scale_a;
  if (p.scale_b) scale *= *p.scale_b;
  // One (row, 8-column chunk) per thread and pass: MT * 16 * TN chunks.
  for (int c = threadIdx.x; c < MT * 16 * TN; c += W * 32) {
    const int row = c / TN, cc = (c % TN) * 8;
    // N % 8 == 0 and 8-column chunks: a chunk is wholly inside N or wholly past it.
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
    OutT* dst = static_cast<OutT*>(p.d) + static_cast<int64_t>(row) * p.N + slab + cc;
#pragma unroll
    for (int i = 0; i < 8; ++i) v[i] *= scale;
    if (p.beta != 0.f) {  // C aliases D: this thread reads the chunk it then overwrites
      float c[8];
      load_row8(dst, c);
#pragma unroll
      for (int i = 0; i < 8; ++i) v[i] += p.beta * c[i];
    }
    if (p.gelu) {
#pragma unroll
      for (int i = 0; i < 8; ++i) v[i] = 0.5f * v[i] * (1.f + erff(v[i] * 0.70710678118654752f));
    }
    store_row8(dst, v);
  }
}

}  // namespace flash_rt::gemm
