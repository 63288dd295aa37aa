// The int8 matmul kernel in native x86-64 vector code, an optional Node-API addon built at install
// time (scripts/build-native.mjs). It reads and writes exactly what the WASM `matmul` kernel
// (src/engine/kernels/matmul-wasm-module.ts) does, in the kernel's shared WebAssembly memory:
// A as [m/4][k/8][4][8] int16, Bᵀ as [n/2][k/8][2][8] int16, int32 outputs in 4×2 blocks, so the
// packers, the packed-weight cache and the worker threads are shared with it.
//
// Why it gives the WASM kernel's bits on every CPU: every instruction used is integer arithmetic
// modulo 2^32. `vpdpwssd` (AVX-512 VNNI) adds two int16×int16 products to an int32 lane, wrapping;
// `vpmaddwd` + `vpaddd` (AVX2) do the same in two steps; the WASM kernel's i32x4.dot_i16x8_s +
// i32x4.add too. `matmulu8` (an int8 A against a cached B) multiplies bytes instead: vpdpbusd adds
// four uint8×int8 products to an int32 lane, wrapping, and the per-column correction it adds makes
// each output Σ (a − aZero)·b modulo 2^32 (see matmulu8_avx512vnni). Sums modulo 2^32 do not depend
// on their order, so every path gives the same int32 for every input, and the exact one whenever
// the true sum fits int32 (which the caller proves from the dtypes before choosing the kernel). The
// saturating forms (vpdpwssds, vpdpbusds) are never used.
// test/engine/native-matmul.test.ts checks each ISA against the WASM kernel and the reference.
// The addon also sets glibc's malloc thresholds for the process (setMallocThresholds, below).
#if defined(__linux__)
#define _GNU_SOURCE // sched_getcpu
#endif
#include <node_api.h>
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// A and Bᵀ at offsets into the kernel memory `base`; the outputs at `out`, in that memory or in the
// caller's own output array (run_kernel's optional last argument).
typedef void kernel_fn(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                       int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row);

#define INLINE static inline __attribute__((always_inline))

// ---- AVX-512 VNNI: one zmm holds a 4-row block's 8 k-values (row r in 128-bit lane r). ----------
#define T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vnni")))

// Lane r of the result: [Σ lane r of a0, a1, a2, a3] (one row, four columns).
T512 INLINE __m512i sum4_512(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
  __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
  __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
}

// Lane r of the result, low 64 bits: [Σ lane r of a0, a1] (one row, two columns).
T512 INLINE __m512i sum2_512(__m512i a0, __m512i a1) {
  __m512i s = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
  return _mm512_add_epi32(s, _mm512_shuffle_epi32(s, (_MM_PERM_ENUM)0x4e));
}

T512 INLINE void store_rows_512(uint8_t *out, int32_t out_row, __m512i v, int wide) {
  __m128i r0 = _mm512_castsi512_si128(v), r1 = _mm512_extracti32x4_epi32(v, 1);
  __m128i r2 = _mm512_extracti32x4_epi32(v, 2), r3 = _mm512_extracti32x4_epi32(v, 3);
  if (wide) {
    _mm_storeu_si128((__m128i *)out, r0);
    _mm_storeu_si128((__m128i *)(out + out_row), r1);
    _mm_storeu_si128((__m128i *)(out + 2 * out_row), r2);
    _mm_storeu_si128((__m128i *)(out + 3 * out_row), r3);
  } else {
    _mm_storel_epi64((__m128i *)out, r0);
    _mm_storel_epi64((__m128i *)(out + out_row), r1);
    _mm_storel_epi64((__m128i *)(out + 2 * out_row), r2);
    _mm_storel_epi64((__m128i *)(out + 3 * out_row), r3);
  }
}

// RB row blocks × CB column blocks of the output (4·RB rows, 2·CB columns). U8 (`matmulu8`): A's
// bytes are unsigned and Bᵀ's signed, 16 k-values to a k-step, multiplied by vpdpbusd; each column
// block's correction (below) is added to its outputs.
T512 INLINE void tile512(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps,
                         int32_t a_block, int32_t b_block, int32_t out_row, const int RB, const int CB, const int U8) {
  __m512i acc[2][4];
  for (int r = 0; r < RB; r++)
    for (int c = 0; c < 2 * CB; c++) acc[r][c] = _mm512_setzero_si512();
  for (int32_t s = 0; s < k_steps; s++) {
    __m512i av[2];
    for (int r = 0; r < RB; r++) av[r] = _mm512_loadu_si512((const void *)(a + r * a_block + s * 64));
    for (int c = 0; c < 2 * CB; c++) {
      __m512i bv = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(b + (c >> 1) * b_block + s * 32 + (c & 1) * 16)));
      for (int r = 0; r < RB; r++) acc[r][c] = U8 ? _mm512_dpbusd_epi32(acc[r][c], av[r], bv) : _mm512_dpwssd_epi32(acc[r][c], av[r], bv);
    }
  }
  // U8: the two int32 corrections after each column block's k-steps, for its 2·CB columns.
  __m512i corr = _mm512_setzero_si512();
  if (U8) {
    const uint8_t *t = b + (size_t)k_steps * 32;
    __m128i c4 = CB == 2 ? _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)t), _mm_loadl_epi64((const __m128i *)(t + b_block)))
                         : _mm_loadl_epi64((const __m128i *)t);
    corr = _mm512_broadcast_i32x4(c4);
  }
  for (int r = 0; r < RB; r++) {
    uint8_t *o = out + r * 4 * out_row;
    if (CB == 2) store_rows_512(o, out_row, _mm512_add_epi32(sum4_512(acc[r][0], acc[r][1], acc[r][2], acc[r][3]), corr), 1);
    else store_rows_512(o, out_row, _mm512_add_epi32(sum2_512(acc[r][0], acc[r][1]), corr), 0);
  }
}

// Column blocks per panel: about PANEL_BYTES of packed Bᵀ, an even count. The kernels run every
// row block against one panel before the next, so the panel stays in the core's L2 instead of all
// of Bᵀ streaming from L3 for each row block (Bᵀ of a 1024² product is 2 MiB). Only the order of
// whole dot products changes, never their bits.
#define PANEL_BYTES (256 * 1024)
static int32_t panel_blocks(int32_t b_block) {
  int32_t p = (PANEL_BYTES / b_block) & ~1;
  return p < 2 ? 2 : p;
}

// The 4×2 kernel's walk: column panels, then pairs of row blocks, then pairs of column blocks.
// b_block: bytes of one column block of packed Bᵀ (its k-steps, then for U8 its corrections).
T512 INLINE void matmul512(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out, int32_t m_blocks,
                           int32_t n_blocks, int32_t k_steps, int32_t out_row, int32_t b_block, const int U8) {
  const int32_t a_block = k_steps * 64, panel = panel_blocks(b_block);
  for (int32_t jp = 0; jp < n_blocks; jp += panel)
  for (int32_t ib = 0; ib < m_blocks; ib += 2) {
    const int two_rows = ib + 1 < m_blocks;
    const uint8_t *a = base + a_ptr + (size_t)ib * a_block;
    const int32_t j_end = jp + panel < n_blocks ? jp + panel : n_blocks;
    for (int32_t jb = jp; jb < j_end; jb += 2) {
      const uint8_t *b = base + b_ptr + (size_t)jb * b_block;
      uint8_t *o = out + (size_t)ib * 4 * out_row + (size_t)jb * 8;
      const int two_cols = jb + 1 < j_end;
      if (two_rows && two_cols) tile512(a, b, o, k_steps, a_block, b_block, out_row, 2, 2, U8);
      else if (two_rows) tile512(a, b, o, k_steps, a_block, b_block, out_row, 2, 1, U8);
      else if (two_cols) tile512(a, b, o, k_steps, a_block, b_block, out_row, 1, 2, U8);
      else tile512(a, b, o, k_steps, a_block, b_block, out_row, 1, 1, U8);
    }
  }
}

T512 static void matmul_avx512vnni(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                                   int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  matmul512(base, a_ptr, b_ptr, out, m_blocks, n_blocks, k_steps, out_row, k_steps * 32, 0);
}

// ---- `matmulu8`: the 4×2 kernel on bytes, twice the multiply-adds per instruction. A as
// [m/4][k/16][4][16] uint8 u = a + 128 (a int8), Bᵀ as [n/2][k/16][2][16] int8 with, after each
// column block's k-steps, 32 bytes: the int32 corrections of its two columns, −(128 + aZero)·Σ_p B[p,j],
// then zeros. vpdpbusd adds four uint8×int8 products to an int32 lane, wrapping, so every output is
// Σ u·b − (128 + aZero)·Σ b = Σ (a − aZero)·b modulo 2^32: the `matmul` kernel's integer.
T512 static void matmulu8_avx512vnni(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                                     int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  matmul512(base, a_ptr, b_ptr, out, m_blocks, n_blocks, k_steps, out_row, k_steps * 32 + 32, 1);
}

// ---- The 1×4 `matvec` kernel (decode steps, M ≤ 3): A as [m][k/8][8] int16, Bᵀ as
// [n/4][k/8][4][8] int16, one output row of 4 int32 per column block. One zmm holds a column
// block's k-step (column c in 128-bit lane c), and A's 8 values are broadcast to the four lanes.

// [Σ lane 0, Σ lane 1, Σ lane 2, Σ lane 3] of v.
T512 INLINE __m128i lane_sums_512(__m512i v) {
  v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, (_MM_PERM_ENUM)0x4e));
  v = _mm512_add_epi32(v, _mm512_shuffle_epi32(v, (_MM_PERM_ENUM)0xb1));
  return _mm512_castsi512_si128(_mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), v));
}

// One column block's k-step of packed Bᵀ as 32 int16: loaded (int16 Bᵀ), or 32 int8 sign-extended
// (int8 Bᵀ, `matvec8`: the same values, so the same products and sums).
T512 INLINE __m512i load_b512(const uint8_t *p, const int INT8) {
  return INT8 ? _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)p)) : _mm512_loadu_si512((const void *)p);
}

// JB column blocks of one row: two accumulators per block (even and odd k-steps) for more
// independent vpdpwssd chains. B_STEP: bytes of a column block's k-step (64 int16, 32 int8).
T512 INLINE void matvec_tile512_b(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps, int32_t b_block, const int JB, const int INT8) {
  const int B_STEP = INT8 ? 32 : 64;
  __m512i acc[4][2];
  for (int j = 0; j < JB; j++) acc[j][0] = acc[j][1] = _mm512_setzero_si512();
  int32_t s = 0;
  for (; s + 1 < k_steps; s += 2) {
    __m512i a0 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(a + s * 16)));
    __m512i a1 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(a + s * 16 + 16)));
    for (int j = 0; j < JB; j++) {
      acc[j][0] = _mm512_dpwssd_epi32(acc[j][0], a0, load_b512(b + j * b_block + s * B_STEP, INT8));
      acc[j][1] = _mm512_dpwssd_epi32(acc[j][1], a1, load_b512(b + j * b_block + s * B_STEP + B_STEP, INT8));
    }
  }
  if (s < k_steps) {
    __m512i a0 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(a + s * 16)));
    for (int j = 0; j < JB; j++) acc[j][0] = _mm512_dpwssd_epi32(acc[j][0], a0, load_b512(b + j * b_block + s * B_STEP, INT8));
  }
  for (int j = 0; j < JB; j++) _mm_storeu_si128((__m128i *)(out + j * 16), lane_sums_512(_mm512_add_epi32(acc[j][0], acc[j][1])));
}

T512 INLINE void matvec_tile512(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps, int32_t b_block, const int JB) {
  matvec_tile512_b(a, b, out, k_steps, b_block, JB, 0);
}

T512 INLINE void matvec8_tile512(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps, int32_t b_block, const int JB) {
  matvec_tile512_b(a, b, out, k_steps, b_block, JB, 1);
}

// A matvec kernel's body (its parameters in scope): each row block's output row, column blocks
// WIDE at a time through `tile`, then one at a time. One macro for both ISAs, whose tiles differ.
#define MATVEC_ROWS(tile, WIDE, B_STEP)                                                             \
  const int32_t a_block = k_steps * 16, b_block = k_steps * (B_STEP);                               \
  for (int32_t ib = 0; ib < m_blocks; ib++) {                                                       \
    const uint8_t *a = base + a_ptr + (size_t)ib * a_block;                                         \
    uint8_t *o = out + (size_t)ib * out_row;                                                        \
    int32_t jb = 0;                                                                                 \
    for (; jb + WIDE <= n_blocks; jb += WIDE) tile(a, base + b_ptr + (size_t)jb * b_block, o + jb * 16, k_steps, b_block, WIDE); \
    for (; jb < n_blocks; jb++) tile(a, base + b_ptr + (size_t)jb * b_block, o + jb * 16, k_steps, b_block, 1); \
  }

T512 static void matvec_avx512vnni(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                                   int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  MATVEC_ROWS(matvec_tile512, 4, 64)
}

// ---- `matvec8`: the 1×4 kernel on Bᵀ packed as int8, [n/4][k/8][4][8] (32 bytes a column block's
// k-step, half the int16 layout's): each k-step is sign-extended to the int16 vector the `matvec`
// kernel loads (vpmovsxbw), then the same vpdpwssd. Weights are int8, so their int16 packed form
// narrows to this one exactly, and the products and sums are the `matvec` kernel's: a decode step
// streams half the weight bytes.
T512 static void matvec8_avx512vnni(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                                    int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  MATVEC_ROWS(matvec8_tile512, 4, 32)
}

// ---- AVX2: one ymm holds two rows' 8 k-values; a 4-row block is two ymm. ------------------------
#define T256 __attribute__((target("avx2")))

// 128-bit lane h of the result: [Σ lane h of a0, a1, a2, a3].
T256 INLINE __m256i sum4_256(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
  __m256i s01 = _mm256_add_epi32(_mm256_unpacklo_epi32(a0, a1), _mm256_unpackhi_epi32(a0, a1));
  __m256i s23 = _mm256_add_epi32(_mm256_unpacklo_epi32(a2, a3), _mm256_unpackhi_epi32(a2, a3));
  return _mm256_add_epi32(_mm256_unpacklo_epi64(s01, s23), _mm256_unpackhi_epi64(s01, s23));
}

T256 INLINE __m256i sum2_256(__m256i a0, __m256i a1) {
  __m256i s = _mm256_add_epi32(_mm256_unpacklo_epi32(a0, a1), _mm256_unpackhi_epi32(a0, a1));
  return _mm256_add_epi32(s, _mm256_shuffle_epi32(s, 0x4e));
}

// One 4-row block × CB column blocks (2·CB columns).
T256 INLINE void tile256(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps,
                         int32_t b_block, int32_t out_row, const int CB) {
  __m256i acc[2][4];
  for (int h = 0; h < 2; h++)
    for (int c = 0; c < 2 * CB; c++) acc[h][c] = _mm256_setzero_si256();
  for (int32_t s = 0; s < k_steps; s++) {
    __m256i av0 = _mm256_loadu_si256((const __m256i *)(a + s * 64));
    __m256i av1 = _mm256_loadu_si256((const __m256i *)(a + s * 64 + 32));
    for (int c = 0; c < 2 * CB; c++) {
      __m256i bv = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(b + (c >> 1) * b_block + s * 32 + (c & 1) * 16)));
      acc[0][c] = _mm256_add_epi32(acc[0][c], _mm256_madd_epi16(av0, bv));
      acc[1][c] = _mm256_add_epi32(acc[1][c], _mm256_madd_epi16(av1, bv));
    }
  }
  for (int h = 0; h < 2; h++) {
    uint8_t *o = out + h * 2 * out_row;
    if (CB == 2) {
      __m256i v = sum4_256(acc[h][0], acc[h][1], acc[h][2], acc[h][3]);
      _mm_storeu_si128((__m128i *)o, _mm256_castsi256_si128(v));
      _mm_storeu_si128((__m128i *)(o + out_row), _mm256_extracti128_si256(v, 1));
    } else {
      __m256i v = sum2_256(acc[h][0], acc[h][1]);
      _mm_storel_epi64((__m128i *)o, _mm256_castsi256_si128(v));
      _mm_storel_epi64((__m128i *)(o + out_row), _mm256_extracti128_si256(v, 1));
    }
  }
}

T256 static void matmul_avx2(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                             int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  const int32_t a_block = k_steps * 64, b_block = k_steps * 32, panel = panel_blocks(b_block);
  for (int32_t jp = 0; jp < n_blocks; jp += panel)
  for (int32_t ib = 0; ib < m_blocks; ib++) {
    const uint8_t *a = base + a_ptr + (size_t)ib * a_block;
    const int32_t j_end = jp + panel < n_blocks ? jp + panel : n_blocks;
    for (int32_t jb = jp; jb < j_end; jb += 2) {
      const uint8_t *b = base + b_ptr + (size_t)jb * b_block;
      uint8_t *o = out + (size_t)ib * 4 * out_row + (size_t)jb * 8;
      if (jb + 1 < j_end) tile256(a, b, o, k_steps, b_block, out_row, 2);
      else tile256(a, b, o, k_steps, b_block, out_row, 1);
    }
  }
}

// The 1×4 `matvec` kernel on 256-bit vectors: a column block's k-step is two ymm (columns 0–1, 2–3).

// [Σ lane 0 of lo, Σ lane 1 of lo, Σ lane 0 of hi, Σ lane 1 of hi].
T256 INLINE __m128i lane_sums_256(__m256i lo, __m256i hi) {
  // Each lane's sum in all four of its elements.
  lo = _mm256_add_epi32(lo, _mm256_shuffle_epi32(lo, 0x4e));
  lo = _mm256_add_epi32(lo, _mm256_shuffle_epi32(lo, 0xb1));
  hi = _mm256_add_epi32(hi, _mm256_shuffle_epi32(hi, 0x4e));
  hi = _mm256_add_epi32(hi, _mm256_shuffle_epi32(hi, 0xb1));
  // Lane 0: [c0, c0, c2, c2], lane 1: [c1, c1, c3, c3] (c the four columns' sums).
  __m256i m = _mm256_blend_epi32(lo, hi, 0xcc);
  __m128i l0 = _mm256_castsi256_si128(m), l1 = _mm256_extracti128_si256(m, 1);
  return _mm_unpacklo_epi64(_mm_unpacklo_epi32(l0, l1), _mm_unpackhi_epi32(l0, l1));
}

// Two columns' k-step of packed Bᵀ as 16 int16: loaded, or 16 int8 sign-extended (`matvec8`).
T256 INLINE __m256i load_b256(const uint8_t *p, const int INT8) {
  return INT8 ? _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p)) : _mm256_loadu_si256((const __m256i *)p);
}

T256 INLINE void matvec_tile256_b(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps, int32_t b_block, const int JB, const int INT8) {
  const int HALF = INT8 ? 16 : 32; // bytes of two columns' k-step
  __m256i acc[2][2];
  for (int j = 0; j < JB; j++) acc[j][0] = acc[j][1] = _mm256_setzero_si256();
  for (int32_t s = 0; s < k_steps; s++) {
    __m256i av = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(a + s * 16)));
    for (int j = 0; j < JB; j++) {
      acc[j][0] = _mm256_add_epi32(acc[j][0], _mm256_madd_epi16(av, load_b256(b + j * b_block + s * 2 * HALF, INT8)));
      acc[j][1] = _mm256_add_epi32(acc[j][1], _mm256_madd_epi16(av, load_b256(b + j * b_block + s * 2 * HALF + HALF, INT8)));
    }
  }
  for (int j = 0; j < JB; j++) _mm_storeu_si128((__m128i *)(out + j * 16), lane_sums_256(acc[j][0], acc[j][1]));
}

T256 INLINE void matvec_tile256(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps, int32_t b_block, const int JB) {
  matvec_tile256_b(a, b, out, k_steps, b_block, JB, 0);
}

T256 INLINE void matvec8_tile256(const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t k_steps, int32_t b_block, const int JB) {
  matvec_tile256_b(a, b, out, k_steps, b_block, JB, 1);
}

T256 static void matvec_avx2(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                             int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  MATVEC_ROWS(matvec_tile256, 2, 64)
}

T256 static void matvec8_avx2(uint8_t *base, uint32_t a_ptr, uint32_t b_ptr, uint8_t *out,
                              int32_t m_blocks, int32_t n_blocks, int32_t k_steps, int32_t out_row) {
  MATVEC_ROWS(matvec8_tile256, 2, 32)
}

// ---- Threads: one call's blocks on the calling thread and helper threads ------------------------
// For a call whose outputs go straight to the caller's Int32Array (run_threaded, below), the
// calling thread and helper threads claim chunks of row blocks (or of column blocks, for a few rows
// against many columns) from one counter. A thread that claims row blocks packs their rows of A
// from the caller's source array into the kernel memory first, then runs the kernel on them, and
// the kernel writes their outputs into the caller's array: nothing is staged before the call and
// nothing copied after it. Each output is one dot product computed by the kernel that runs alone,
// so the bits are the same whichever thread runs it. The calling thread returns only once every
// chunk is done, so no helper touches the call's memory after it returns.

// Packs row blocks [b0, b1) of A (source rows 4·b0 … 4·b1, those from `rows` on as zeros) from
// `src` (row-major [rows, k], `elem` bytes per value) into the kernel's layout at `a` (row block
// b at b·k_steps·64): `matmulu8`'s [k/16][4][16] uint8 u = v + 128, or `matmul`'s [k/8][4][8]
// int16 v − zero, wrapped to 16 bits as the WASM packers' i16x8.sub does; the k tail zero.
typedef void pack_fn(uint8_t *a, const void *src, int elem, int32_t b0, int32_t b1, int32_t rows, int32_t k, int32_t k_steps, int32_t zero);

static void pack_u8(uint8_t *a, const void *src, int elem, int32_t b0, int32_t b1, int32_t rows, int32_t k, int32_t k_steps, int32_t zero) {
  (void)elem;
  (void)zero;
  const int8_t *s8 = (const int8_t *)src;
  const __m128i flip = _mm_set1_epi8((char)0x80);
  const int32_t full = k / 16;
  for (int32_t b = b0; b < b1; b++) {
    uint8_t *blk = a + (size_t)b * k_steps * 64;
    for (int r = 0; r < 4; r++) {
      const int32_t row = b * 4 + r;
      uint8_t *d = blk + r * 16;
      if (row >= rows) {
        for (int32_t s = 0; s < k_steps; s++) memset(d + (size_t)s * 64, 0, 16);
        continue;
      }
      const int8_t *v = s8 + (size_t)row * k;
      int32_t s = 0;
      for (; s < full; s++) _mm_storeu_si128((__m128i *)(d + (size_t)s * 64), _mm_xor_si128(_mm_loadu_si128((const __m128i *)(v + s * 16)), flip));
      for (; s < k_steps; s++) {
        for (int j = 0; j < 16; j++) {
          const int32_t p = s * 16 + j;
          d[(size_t)s * 64 + j] = p < k ? (uint8_t)(v[p] ^ 0x80) : 0;
        }
      }
    }
  }
}

// pack_i16 for a source of type T: each k-step's 8 values of a row centred and stored as int16
// (wrapping, as the WASM packers' i16x8.sub), a loop the compiler vectorizes; the k tail and the
// rows past `rows` zero.
#define PACK_I16(NAME, T)                                                                                  \
  static void NAME(uint8_t *a, const T *src, int32_t b0, int32_t b1, int32_t rows, int32_t k, int32_t k_steps, int32_t zero) { \
    const int32_t full = k / 8;                                                                            \
    for (int32_t b = b0; b < b1; b++) {                                                                    \
      uint8_t *blk = a + (size_t)b * k_steps * 64;                                                         \
      for (int r = 0; r < 4; r++) {                                                                        \
        const int32_t row = b * 4 + r;                                                                     \
        int32_t s = 0;                                                                                     \
        if (row < rows) {                                                                                  \
          const T *v = src + (size_t)row * k;                                                              \
          for (; s < full; s++) {                                                                          \
            int16_t *d = (int16_t *)(blk + (size_t)s * 64 + r * 16);                                       \
            for (int j = 0; j < 8; j++) d[j] = (int16_t)(uint16_t)((uint32_t)(int32_t)v[s * 8 + j] - (uint32_t)zero); \
          }                                                                                                \
          for (; s < k_steps; s++) {                                                                       \
            int16_t *d = (int16_t *)(blk + (size_t)s * 64 + r * 16);                                       \
            for (int j = 0; j < 8; j++)                                                                    \
              d[j] = s * 8 + j < k ? (int16_t)(uint16_t)((uint32_t)(int32_t)v[s * 8 + j] - (uint32_t)zero) : 0; \
          }                                                                                                \
        }                                                                                                  \
        for (; s < k_steps; s++) memset(blk + (size_t)s * 64 + r * 16, 0, 16);                             \
      }                                                                                                    \
    }                                                                                                      \
  }
PACK_I16(pack_i16_from8, int8_t)
PACK_I16(pack_i16_from16, int16_t)
PACK_I16(pack_i16_from32, int32_t)

static void pack_i16(uint8_t *a, const void *src, int elem, int32_t b0, int32_t b1, int32_t rows, int32_t k, int32_t k_steps, int32_t zero) {
  if (elem == 1) pack_i16_from8(a, (const int8_t *)src, b0, b1, rows, k, k_steps, zero);
  else if (elem == 2) pack_i16_from16(a, (const int16_t *)src, b0, b1, rows, k, k_steps, zero);
  else pack_i16_from32(a, (const int32_t *)src, b0, b1, rows, k, k_steps, zero);
}

// One call's task, as the calling thread publishes it (see pool.claim).
typedef struct {
  kernel_fn *fn;
  pack_fn *pack;
  uint8_t *base, *out;
  const void *src;
  const int32_t *bias;
  int elem;
  uint32_t a_ptr, b_ptr, scratch;
  int32_t rows, n, k, zero, m_blocks, n_blocks, k_steps, out_row, b_block, split_rows, end, threads, min_chunk;
} pool_task;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  // Bumped for every task; idle helpers sleep on it (under `lock`) once they have spun spin_ns.
  atomic_uint seq;
  atomic_int sleepers;
  // The next block to claim in the low 32 bits, the task's number in the high 32: a helper that
  // read the counter of an earlier task can never claim in a later one (its compare-and-swap
  // expects the earlier number). Stored last when a task is published.
  _Atomic uint64_t claim;
  // Blocks finished in the current task.
  atomic_int done;
  // 1 while a calling thread owns the pool (another caller then runs its call alone).
  atomic_int busy;
  // Helper threads running (set once, under start_helpers' lock; read by any calling thread).
  atomic_int helpers;
  atomic_llong spin_ns;
  // The CPU the calling thread published its last task from (−1 where unknown).
  atomic_int caller_cpu;
  uint32_t number;
  // Tasks by their number's parity: a helper holding an earlier number reads the other one.
  pool_task task[2];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .caller_cpu = -1};

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int current_cpu(void) {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

// A share 1/(2·threads) of the blocks left, at least min_chunk (guided scheduling, as the worker
// threads' chunks in matmul-chunks.mjs): large first chunks, small last ones.
static int32_t chunk_blocks(int32_t next, int32_t end, int32_t threads, int32_t min_chunk) {
  int32_t left = end - next, size = (left + 2 * threads - 1) / (2 * threads);
  if (size < min_chunk) size = min_chunk;
  return size < left ? size : left;
}

// Output blocks [ib0, ib1) × [jb0, jb1) of task t, written into the caller's array. The kernel
// writes whole 4×2 blocks, so what would fall outside the array goes through the kernel memory's
// scratch and only the real outputs are copied: the last column block when n is odd (its one
// column, via scratch rows of 2 int32), the last row block when the rows are not a multiple of 4
// (its real rows, via 4 scratch rows of out_row bytes). Then the bias, added with int32
// saturation as the engine's other kernels add it. Blocks of one task never share an output
// element or a scratch byte: row chunks own their rows, column chunks their columns.
static void run_blocks(const pool_task *t, int32_t ib0, int32_t ib1, int32_t jb0, int32_t jb1) {
  const int32_t whole_rows = t->rows / 4 < ib1 ? t->rows / 4 : ib1, whole_cols = t->n / 2 < jb1 ? t->n / 2 : jb1;
  const int32_t a_block = t->k_steps * 64, row = t->out_row;
  uint8_t *col_scratch = t->base + t->scratch, *row_scratch = col_scratch + (size_t)t->m_blocks * 32;
  for (int part = 0; part < 2; part++) {
    // Part 0: row blocks whose rows are all real, written in place; part 1: the last, padded one.
    const int32_t b0 = part == 0 ? ib0 : (whole_rows > ib0 ? whole_rows : ib0), b1 = part == 0 ? whole_rows : ib1;
    if (b0 >= b1) continue;
    const uint32_t a = t->a_ptr + (uint32_t)b0 * (uint32_t)a_block;
    uint8_t *o = part == 0 ? t->out + (size_t)b0 * 4 * row : row_scratch;
    if (jb0 < whole_cols) t->fn(t->base, a, t->b_ptr + (uint32_t)jb0 * (uint32_t)t->b_block, o + (size_t)jb0 * 8, b1 - b0, whole_cols - jb0, t->k_steps, row);
    const int32_t first_row = b0 * 4, last_row = b1 * 4 < t->rows ? b1 * 4 : t->rows;
    if (whole_cols < jb1) {
      // The last column block of an odd n: its one real column, from the scratch rows.
      t->fn(t->base, a, t->b_ptr + (uint32_t)whole_cols * (uint32_t)t->b_block, col_scratch + (size_t)first_row * 8, b1 - b0, 1, t->k_steps, 8);
      for (int32_t r = first_row; r < last_row; r++) memcpy(o + (size_t)(r - first_row) * row + (size_t)(t->n - 1) * 4, col_scratch + (size_t)r * 8, 4);
    }
    if (part == 1) {
      const int32_t c0 = jb0 * 2, c1 = jb1 * 2 < t->n ? jb1 * 2 : t->n;
      for (int32_t r = first_row; r < last_row; r++) memcpy(t->out + (size_t)r * row + (size_t)c0 * 4, row_scratch + (size_t)(r - first_row) * row + (size_t)c0 * 4, (size_t)(c1 - c0) * 4);
    }
  }
  if (t->bias != NULL) {
    const int32_t r1 = ib1 * 4 < t->rows ? ib1 * 4 : t->rows, c0 = jb0 * 2, c1 = jb1 * 2 < t->n ? jb1 * 2 : t->n;
    for (int32_t r = ib0 * 4; r < r1; r++) {
      int32_t *o = (int32_t *)(t->out + (size_t)r * row);
      // x + y wraps exactly when both differ in sign from the wrapped sum; it then saturates toward
      // x's sign. Branch-free, so the compiler vectorizes it.
      for (int32_t c = c0; c < c1; c++) {
        const int32_t x = o[c], y = t->bias[c], sum = (int32_t)((uint32_t)x + (uint32_t)y);
        o[c] = ((x ^ sum) & (y ^ sum)) < 0 ? (x >> 31) ^ INT32_MAX : sum;
      }
    }
  }
}

// Chunk [first, first + count) of the task: row blocks (their rows of A packed first) or column blocks.
static void run_range(const pool_task *t, int32_t first, int32_t count) {
  if (t->split_rows) {
    t->pack(t->base + t->a_ptr, t->src, t->elem, first, first + count, t->rows, t->k, t->k_steps, t->zero);
    run_blocks(t, first, first + count, 0, t->n_blocks);
  } else {
    run_blocks(t, 0, t->m_blocks, first, first + count);
  }
}

// Claims and runs chunks of the current task until none is left; returns the blocks run. The task
// is copied before the claim; the claim succeeds only while the task is the one copied and has
// blocks left, and a task's fields are rewritten only after all its blocks are done, so a copy
// that a successful claim follows is whole.
static int32_t run_chunks(void) {
  int32_t ran = 0;
  for (;;) {
    uint64_t c = atomic_load_explicit(&pool.claim, memory_order_acquire);
    const uint32_t number = (uint32_t)(c >> 32);
    const int32_t next = (int32_t)(uint32_t)c;
    pool_task t = pool.task[number & 1];
    if (next >= t.end) return ran;
    const int32_t size = chunk_blocks(next, t.end, t.threads, t.min_chunk);
    if (!atomic_compare_exchange_weak_explicit(&pool.claim, &c, ((uint64_t)number << 32) | (uint32_t)(next + size),
                                               memory_order_acq_rel, memory_order_acquire))
      continue;
    run_range(&t, next, size);
    ran += size;
    atomic_fetch_add_explicit(&pool.done, size, memory_order_release);
  }
}

// Moves the calling thread off CPU `cpu` where another CPU is allowed to it: its affinity without
// that CPU (the kernel migrates it at once), then the whole set again, so nothing stays pinned.
static void move_off_cpu(int cpu) {
#if defined(__linux__)
  cpu_set_t all, other;
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof all, &all) != 0 || !CPU_ISSET(cpu, &all) || CPU_COUNT(&all) < 2) return;
  other = all;
  CPU_CLR(cpu, &other);
  if (sched_setaffinity(0, sizeof other, &other) == 0) sched_setaffinity(0, sizeof all, &all);
#else
  (void)cpu;
#endif
}

static void *helper_main(void *arg) {
  (void)arg;
  unsigned seen = atomic_load(&pool.seq);
  for (;;) {
    // A helper on the calling thread's CPU would only keep it from running: it sleeps at once
    // (where the CPU is unknown, −1, it polls).
    const int cpu = current_cpu();
    int64_t until = cpu >= 0 && cpu == atomic_load(&pool.caller_cpu) ? 0 : now_ns() + atomic_load(&pool.spin_ns);
    unsigned s;
    for (int i = 0; (s = atomic_load_explicit(&pool.seq, memory_order_acquire)) == seen; i++) {
      if ((i & 63) != 0 || now_ns() < until) {
        _mm_pause();
        continue;
      }
      pthread_mutex_lock(&pool.lock);
      atomic_fetch_add(&pool.sleepers, 1);
      while (atomic_load(&pool.seq) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
      atomic_fetch_sub(&pool.sleepers, 1);
      pthread_mutex_unlock(&pool.lock);
    }
    seen = s;
    // Woken onto the calling thread's CPU (the scheduler does so when it sees no idle CPU, as when
    // the host holds one back), the helper would take turns with the caller instead of running
    // beside it, and wake there again next time: it moves off first.
    const int caller = atomic_load(&pool.caller_cpu);
    if (caller >= 0 && current_cpu() == caller) move_off_cpu(caller);
    run_chunks();
  }
  return NULL;
}

// Starts `wanted` helper threads when none run yet (once they run, later calls start none);
// returns how many run.
static int start_helpers(int wanted) {
  static pthread_mutex_t start = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&start);
  int n = atomic_load(&pool.helpers);
  for (int i = 0; n == 0 && i < wanted; i++) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, helper_main, NULL) == 0) atomic_fetch_add(&pool.helpers, 1);
    pthread_attr_destroy(&attr);
  }
  n = atomic_load(&pool.helpers);
  pthread_mutex_unlock(&start);
  return n;
}

// Runs the task `t` (its end, threads and min_chunk set here) on the calling thread and, unless
// `alone`, the helpers; returns the blocks the helpers ran (0: the calling thread ran them all).
static int32_t run_pooled(pool_task t, int alone, int64_t spin_ns) {
  const int32_t blocks = t.split_rows ? t.m_blocks : t.n_blocks;
  // Every thread reads all of A in a column split: packed here, once.
  if (!t.split_rows) t.pack(t.base + t.a_ptr, t.src, t.elem, 0, t.m_blocks, t.rows, t.k, t.k_steps, t.zero);
  int expected = 0;
  const int helpers = atomic_load(&pool.helpers);
  if (alone || helpers == 0 || !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
    run_range(&t, 0, blocks);
    return 0;
  }
  t.threads = helpers + 1;
  t.end = blocks;
  t.min_chunk = (blocks + t.threads * 64 - 1) / (t.threads * 64);
  if (t.min_chunk < 1) t.min_chunk = 1;
  const uint32_t number = ++pool.number;
  pool.task[number & 1] = t;
  atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
  atomic_store(&pool.spin_ns, spin_ns);
  atomic_store(&pool.caller_cpu, current_cpu());
  atomic_store_explicit(&pool.claim, (uint64_t)number << 32, memory_order_release);
  atomic_fetch_add(&pool.seq, 1);
  if (atomic_load(&pool.sleepers) > 0) {
    pthread_mutex_lock(&pool.lock);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
  }
  const int32_t own = run_chunks();
  // The helpers' last chunks: spin, then yield the CPU (a helper may be waiting for it).
  const int64_t until = now_ns() + spin_ns;
  for (int i = 0; atomic_load_explicit(&pool.done, memory_order_acquire) < blocks; i++) {
    if ((i & 63) != 0 || now_ns() < until) _mm_pause();
    else sched_yield();
  }
  atomic_store(&pool.busy, 0);
  return blocks - own;
}

// ---- Node-API ------------------------------------------------------------------------------------

// Each ISA's kernels, named as the WASM module's (KERNEL_BLOCKS in matmul-wasm-module.ts) and then
// `matvec8` and `matmulu8`, which only the addon has, with their output blocks (rows × columns), the
// bytes of a row block's and of a column block's k-step, and the bytes after a column block's
// k-steps (`matmulu8`'s corrections). A kernel an ISA lacks has no function: AVX2 has no vpdpbusd.
// The 4×2 kernels also name the packer that lays out A for them from the caller's rows (`threaded`),
// with the k-values per k-step.
typedef struct { const char *name; int rows, cols, a_step, b_step, b_tail; kernel_fn *fn; pack_fn *pack; int k_per_step; } kernel_def;
#define KERNELS_PER_ISA 4
static const struct { const char *name; kernel_def kernels[KERNELS_PER_ISA]; } ISAS[] = {
  {"avx512vnni", {{"matmul", 4, 2, 64, 32, 0, matmul_avx512vnni, pack_i16, 8}, {"matvec", 1, 4, 16, 64, 0, matvec_avx512vnni, NULL, 8},
                  {"matvec8", 1, 4, 16, 32, 0, matvec8_avx512vnni, NULL, 8}, {"matmulu8", 4, 2, 64, 32, 32, matmulu8_avx512vnni, pack_u8, 16}}},
  {"avx2", {{"matmul", 4, 2, 64, 32, 0, matmul_avx2, pack_i16, 8}, {"matvec", 1, 4, 16, 64, 0, matvec_avx2, NULL, 8},
            {"matvec8", 1, 4, 16, 32, 0, matvec8_avx2, NULL, 8}, {"matmulu8", 4, 2, 64, 32, 32, NULL, NULL, 16}}},
};
#define ISA_COUNT ((int)(sizeof ISAS / sizeof ISAS[0]))

static int supported(int i) {
  __builtin_cpu_init();
  if (i == 0) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
  return __builtin_cpu_supports("avx2");
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

// kernel(view, aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes[, out]), view an Int8Array
// over the whole kernel memory; the kernel (ISA and block shape) is bound as the function's data.
// The outputs go to outPtr in that memory, or with `out` (an Int32Array the caller owns) to byte
// outPtr of `out`: no copy out of the kernel memory. Bounds are checked here: a block outside the
// view or `out` is refused, never read or written.
static napi_value run_kernel(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || (argc != 8 && argc != 9))
    return throw_error(env, "matmul kernel: 8 or 9 arguments expected");
  const kernel_def *k = (const kernel_def *)data;
  napi_typedarray_type type;
  size_t length, out_length;
  void *base, *out_base;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &base, NULL, NULL) != napi_ok || type != napi_int8_array)
    return throw_error(env, "matmul kernel: argument 0 must be an Int8Array over the kernel memory");
  out_base = base;
  out_length = length;
  if (argc == 9) {
    if (napi_get_typedarray_info(env, argv[8], &type, &out_length, &out_base, NULL, NULL) != napi_ok || type != napi_int32_array)
      return throw_error(env, "matmul kernel: argument 8 (the outputs) must be an Int32Array");
    out_length *= 4;
  }
  int64_t v[7];
  for (int i = 0; i < 7; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &v[i]) != napi_ok || v[i] < 0 || v[i] > 0x7fffffff)
      return throw_error(env, "matmul kernel: pointers and counts must be integers in [0, 2^31)");
  }
  const int64_t m_blocks = v[3], n_blocks = v[4], k_steps = v[5], out_row = v[6];
  if (m_blocks == 0 || n_blocks == 0) return NULL;
  const int64_t a_end = v[0] + m_blocks * k_steps * k->a_step, b_end = v[1] + n_blocks * (k_steps * k->b_step + k->b_tail);
  const int64_t out_end = v[2] + (m_blocks * k->rows - 1) * out_row + n_blocks * k->cols * 4;
  if (a_end > (int64_t)length || b_end > (int64_t)length || out_end > (int64_t)out_length || out_row < n_blocks * k->cols * 4)
    return throw_error(env, "matmul kernel: operands or outputs outside the kernel memory or the output array");
  k->fn((uint8_t *)base, (uint32_t)v[0], (uint32_t)v[1], (uint8_t *)out_base + v[2], (int32_t)m_blocks,
        (int32_t)n_blocks, (int32_t)k_steps, (int32_t)out_row);
  return NULL;
}

// threaded(view, aPtr, bPtr, scratchPtr, mBlocks, nBlocks, kSteps, out, outByte, outRowBytes, n,
// src, srcOffset, rows, k, zero, bias, threads, spinUs): a 4×2 kernel's whole call, rows × n
// outputs written into `out` (an Int32Array) from byte outByte, outRowBytes apart, plus `bias`
// (an Int32Array of n, or null) with int32 saturation. A is packed from `src` (rows × k values
// from element srcOffset: an Int8Array for `matmulu8`, an Int8Array, Int16Array or Int32Array less
// `zero` for `matmul`) to aPtr of the kernel memory `view`; blocks that would reach past the
// outputs (an odd n, rows not a multiple of 4) go through mBlocks·32 + 4·outRowBytes bytes of
// scratch at scratchPtr. With `threads` true, on the calling thread and the helper threads
// (startThreads; alone while another call holds them), split by rows (a thread packs the rows it
// claims) unless a few rows meet many columns; else on the calling thread. Returns the blocks the
// helpers ran. Bounds are checked as for the kernels, and A, B and the scratch may not overlap: a
// refused call reads and writes nothing.
static napi_value run_threaded(napi_env env, napi_callback_info info) {
  size_t argc = 19;
  napi_value argv[19];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc != 19)
    return throw_error(env, "threaded matmul: 19 arguments expected");
  const kernel_def *kd = (const kernel_def *)data;
  napi_typedarray_type type;
  size_t length, out_length, src_length, bias_length = 0;
  void *base, *out_base, *src, *bias = NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &base, NULL, NULL) != napi_ok || type != napi_int8_array)
    return throw_error(env, "threaded matmul: argument 0 must be an Int8Array over the kernel memory");
  if (napi_get_typedarray_info(env, argv[7], &type, &out_length, &out_base, NULL, NULL) != napi_ok || type != napi_int32_array)
    return throw_error(env, "threaded matmul: argument 7 (the outputs) must be an Int32Array");
  out_length *= 4;
  if (napi_get_typedarray_info(env, argv[11], &type, &src_length, &src, NULL, NULL) != napi_ok)
    return throw_error(env, "threaded matmul: argument 11 (A's rows) must be a typed array");
  const int elem = type == napi_int8_array ? 1 : type == napi_int16_array ? 2 : type == napi_int32_array ? 4 : 0;
  if (elem == 0 || (kd->pack == pack_u8 && elem != 1))
    return throw_error(env, kd->pack == pack_u8 ? "threaded matmul: matmulu8 packs an Int8Array" : "threaded matmul: A must be an Int8Array, Int16Array or Int32Array");
  napi_valuetype bias_type;
  napi_typeof(env, argv[16], &bias_type);
  if (bias_type != napi_null && (napi_get_typedarray_info(env, argv[16], &type, &bias_length, &bias, NULL, NULL) != napi_ok || type != napi_int32_array))
    return throw_error(env, "threaded matmul: argument 16 (the bias) must be an Int32Array or null");
  bool threads;
  if (napi_get_value_bool(env, argv[17], &threads) != napi_ok) return throw_error(env, "threaded matmul: argument 17 (threads) must be a boolean");
  // v: aPtr, bPtr, scratchPtr, mBlocks, nBlocks, kSteps, outByte, outRowBytes, n, srcOffset, rows, k, zero, spinUs.
  static const int args[14] = {1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 18};
  int64_t v[14];
  for (int i = 0; i < 14; i++) {
    if (napi_get_value_int64(env, argv[args[i]], &v[i]) != napi_ok || v[i] < (i == 12 ? -0x80000000LL : 0) || v[i] > 0x7fffffff)
      return throw_error(env, "threaded matmul: pointers and counts must be integers in [0, 2^31), the zero point an int32");
  }
  const int64_t a_ptr = v[0], b_ptr = v[1], scratch = v[2], m_blocks = v[3], n_blocks = v[4], k_steps = v[5];
  const int64_t out_byte = v[6], out_row = v[7], n = v[8], src_offset = v[9], rows = v[10], k = v[11], spin_us = v[13];
  if (m_blocks == 0 || n_blocks == 0) return throw_error(env, "threaded matmul: no blocks");
  const int64_t b_block = k_steps * kd->b_step + kd->b_tail;
  const int64_t a_end = a_ptr + m_blocks * k_steps * kd->a_step, b_end = b_ptr + n_blocks * b_block, scratch_end = scratch + m_blocks * 32 + 4 * out_row;
  if (a_end > (int64_t)length || b_end > (int64_t)length || scratch_end > (int64_t)length)
    return throw_error(env, "threaded matmul: operands or scratch outside the kernel memory");
  if ((a_ptr < b_end && b_ptr < a_end) || (a_ptr < scratch_end && scratch < a_end) || (b_ptr < scratch_end && scratch < b_end))
    return throw_error(env, "threaded matmul: A, B and the scratch overlap in the kernel memory");
  if (n < 1 || n > n_blocks * 2 || n <= (n_blocks - 1) * 2 || rows < 1 || rows > m_blocks * 4 || rows <= (m_blocks - 1) * 4 ||
      k < 1 || k > k_steps * kd->k_per_step || k <= (k_steps - 1) * kd->k_per_step)
    return throw_error(env, "threaded matmul: rows, n and k do not match the blocks");
  if (out_row < n * 4 || out_byte + (rows - 1) * out_row + n * 4 > (int64_t)out_length)
    return throw_error(env, "threaded matmul: outputs outside the output array");
  if (src_offset + rows * k > (int64_t)src_length) return throw_error(env, "threaded matmul: A's rows lie outside its array");
  if (bias != NULL && (int64_t)bias_length < n) return throw_error(env, "threaded matmul: the bias is shorter than n");
  if (spin_us > 1000000) return throw_error(env, "threaded matmul: spinUs must be at most 1000000");
  pool_task t = {.fn = kd->fn, .pack = kd->pack, .base = (uint8_t *)base, .out = (uint8_t *)out_base + out_byte,
                 .src = (const uint8_t *)src + src_offset * elem, .bias = (const int32_t *)bias, .elem = elem,
                 .a_ptr = (uint32_t)a_ptr, .b_ptr = (uint32_t)b_ptr, .scratch = (uint32_t)scratch, .rows = (int32_t)rows,
                 .n = (int32_t)n, .k = (int32_t)k, .zero = (int32_t)v[12], .m_blocks = (int32_t)m_blocks,
                 .n_blocks = (int32_t)n_blocks, .k_steps = (int32_t)k_steps, .out_row = (int32_t)out_row, .b_block = (int32_t)b_block};
  const int pool_threads = atomic_load(&pool.helpers) + 1;
  // By rows: each thread packs and reads only its rows of A and writes whole output rows. By columns
  // where a few rows meet many columns, or packed B is at least twice packed A: each thread then
  // streams only its columns of B, once, while all of A (packed once, by this thread) stays in its
  // cache; by rows it would stream all of B again for every chunk it claims.
  const int64_t a_bytes = m_blocks * k_steps * kd->a_step, b_bytes = n_blocks * b_block;
  t.split_rows = !threads || m_blocks >= n_blocks || (m_blocks >= 4 * pool_threads && (b_bytes < 2 * a_bytes || n_blocks < 4 * pool_threads));
  napi_value result;
  napi_create_int32(env, run_pooled(t, !threads, spin_us * 1000), &result);
  return result;
}

// startThreads(helpers): starts the helper threads `threaded` uses when none run yet (once they run,
// a later call starts none and changes nothing); returns how many run.
static napi_value start_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int64_t n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int64(env, argv[0], &n) != napi_ok || n < 0 || n > 64)
    return throw_error(env, "startThreads(helpers): an integer from 0 to 64 is expected");
  napi_create_int32(env, start_helpers((int)n), &result);
  return result;
}

// exports.isas: the ISAs this CPU runs, best first. exports.kernel(isa, name): that ISA's kernel
// `matmul` (4×2 blocks), `matvec` (1×4), `matvec8` (1×4 on int8 Bᵀ) or `matmulu8` (4×2 on bytes),
// or undefined for a kernel the ISA lacks. exports.threaded(isa, name): `threaded` (above) for that
// ISA's 4×2 kernel `matmul` or `matmulu8`, or undefined for one it lacks or one without a packer
// (the 1×4 kernels). One function for both, its data saying which (1: threaded).
static napi_value kernel_for(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], fn;
  char isa[32], name[32];
  size_t len;
  void *data;
  napi_get_cb_info(env, info, &argc, argv, NULL, &data);
  const int threaded = data != NULL;
  const char *what = threaded ? "threaded(isa, name)" : "kernel(isa, name)";
  char message[96];
  if (argc != 2 || napi_get_value_string_utf8(env, argv[0], isa, sizeof isa, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok) {
    snprintf(message, sizeof message, "%s: two strings are expected", what);
    return throw_error(env, message);
  }
  for (int i = 0; i < ISA_COUNT; i++) {
    if (strcmp(isa, ISAS[i].name) != 0 || !supported(i)) continue;
    for (int j = 0; j < KERNELS_PER_ISA; j++) {
      const kernel_def *k = &ISAS[i].kernels[j];
      if (strcmp(name, k->name) != 0) continue;
      if (k->fn == NULL || (threaded && k->pack == NULL)) napi_get_undefined(env, &fn);
      else napi_create_function(env, k->name, NAPI_AUTO_LENGTH, threaded ? run_threaded : run_kernel, (void *)k, &fn);
      return fn;
    }
    snprintf(message, sizeof message, "%s: the name is not matmul, matvec, matvec8 or matmulu8", what);
    return throw_error(env, message);
  }
  snprintf(message, sizeof message, "%s: not an ISA this CPU runs", what);
  return throw_error(env, message);
}

// setMallocThresholds(mmapThreshold, trimThreshold): glibc's mallopt(M_MMAP_THRESHOLD) and
// mallopt(M_TRIM_THRESHOLD) in this process, what the GLIBC_TUNABLES of ALLOCATOR_ENV set at start
// (src/cli/process-tuning.ts). Returns whether both were applied (false where the C library is not
// glibc, or glibc refused a value).
static napi_value set_malloc_thresholds(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int64_t mmap_threshold, trim_threshold;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int64(env, argv[0], &mmap_threshold) != napi_ok || napi_get_value_int64(env, argv[1], &trim_threshold) != napi_ok ||
      mmap_threshold < 0 || mmap_threshold > 0x7fffffff || trim_threshold < 0 || trim_threshold > 0x7fffffff)
    return throw_error(env, "setMallocThresholds(mmapThreshold, trimThreshold): two byte counts in [0, 2^31) are expected");
  int ok = 0;
#if defined(__GLIBC__)
  ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#endif
  napi_get_boolean(env, ok, &result);
  return result;
}

// copy(dst, dstByteOffset, src, srcByteOffset, bytes): memmove between two typed arrays (either on
// a SharedArrayBuffer), byte offsets from each view's start. A typed array's own `set` copies from
// or to shared memory element by element (relaxed atomics), two to four times slower: this is how
// the matmul operands are staged into the kernel memory and its outputs copied out.
static napi_value copy_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return throw_error(env, "copy: 5 arguments expected");
  void *base[2];
  size_t bytes[2];
  for (int i = 0; i < 2; i++) {
    napi_typedarray_type type;
    size_t length;
    if (napi_get_typedarray_info(env, argv[2 * i], &type, &length, &base[i], NULL, NULL) != napi_ok)
      return throw_error(env, "copy: arguments 0 and 2 must be typed arrays");
    size_t width = type == napi_int8_array || type == napi_uint8_array || type == napi_uint8_clamped_array ? 1
                 : type == napi_int16_array || type == napi_uint16_array ? 2
                 : type == napi_int32_array || type == napi_uint32_array || type == napi_float32_array ? 4
                 : type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array ? 8 : 0;
    // An element type this file does not know has no width it could trust: refused.
    if (width == 0) return throw_error(env, "copy: arguments 0 and 2 must be typed arrays");
    bytes[i] = length * width;
  }
  int64_t v[3];
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_int64(env, argv[i == 0 ? 1 : i + 2], &v[i]) != napi_ok || v[i] < 0 || v[i] > ((int64_t)1 << 40))
      return throw_error(env, "copy: offsets and byte count must be non-negative integers");
  }
  if (v[0] + v[2] > (int64_t)bytes[0] || v[1] + v[2] > (int64_t)bytes[1]) return throw_error(env, "copy: range outside an array");
  if (v[2] > 0) memmove((uint8_t *)base[0] + v[0], (uint8_t *)base[1] + v[1], (size_t)v[2]);
  return NULL;
}

// ---- The output stage's requantization (src/engine/kernels/output-stage.ts) ----------------------
// requant(acc, out, outOffset, channels, params, zeroPoint, lo, hi): for every i < acc.length,
// out[outOffset + i] = clamp(((acc[i]·M_c + R_c) >> t_c) + zeroPoint, lo, hi) with c = i mod channels,
// M_c = params[c], R_c = params[channels + c] and t_c = params[2·channels + c], a BigInt64Array the
// caller builds once per stage from the parameters parseOutputStage validated: 0 ≤ M < 2^31,
// 0 ≤ t ≤ 62 and R = 2^(t−1) (0 for t = 0). Then the sum is exact in int64 (|acc·M| < 2^62, R ≤ 2^61)
// and this is the definition the WASM stage and the BigInt reference compute, bit for bit
// (test/engine/output-stage.test.ts). The parameters are not checked per call (that cost three times
// the requantization of a 768-channel row): other values give outputs that mean nothing but are still
// defined, with the same arithmetic in both loops (M's low 32 bits as signed, sums modulo 2^64, shifts
// of 64 or more as 63), and nothing outside the arrays is ever touched.
// One element, the definition itself for valid parameters (above), and what the vector loop computes
// for any: vpmuldq's signed low halves, vpaddq's wrapping sums, vpsravq's sign fill past 63.
INLINE int64_t requant_one(int32_t a, int64_t m, int64_t r, int64_t t, int64_t zero, int64_t lo, int64_t hi) {
  uint64_t sum = (uint64_t)((int64_t)a * (int64_t)(int32_t)m) + (uint64_t)r;
  int64_t v = (int64_t)((uint64_t)((int64_t)sum >> ((uint64_t)t > 63 ? 63 : t)) + (uint64_t)zero);
  return v < lo ? lo : v > hi ? hi : v;
}

// n elements from channel parameters m, r, t (stride `step`: 1 per channel, 0 for one shared channel).
#define REQUANT_SCALAR(T)                                                                            \
  for (size_t i = 0; i < n; i++) ((T *)out)[i] = (T)requant_one(acc[i], m[i * step], r[i * step], t[i * step], zero, lo, hi);

static void requant_scalar(const int32_t *acc, void *out, int width, size_t n, const int64_t *m, const int64_t *r, const int64_t *t,
                           size_t step, int64_t zero, int64_t lo, int64_t hi) {
  if (width == 1) { REQUANT_SCALAR(int8_t) }
  else if (width == 2) { REQUANT_SCALAR(int16_t) }
  else { REQUANT_SCALAR(int32_t) }
}

// Eight elements a step: vpmuldq multiplies each lane's low signed 32 bits (the accumulator, and M
// < 2^31) into the exact int64 product; vpsravq is the arithmetic shift; the narrowing stores take
// the clamped int64 lanes' low bytes, which hold the value.
__attribute__((target("avx512f"))) static void requant_avx512(const int32_t *acc, void *out, int width, size_t n, const int64_t *m,
                                                              const int64_t *r, const int64_t *t, size_t step, int64_t zero, int64_t lo, int64_t hi) {
  const __m512i z8 = _mm512_set1_epi64(zero), lo8 = _mm512_set1_epi64(lo), hi8 = _mm512_set1_epi64(hi);
  __m512i m8 = _mm512_set1_epi64(m[0]), r8 = _mm512_set1_epi64(r[0]), t8 = _mm512_set1_epi64(t[0]);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (step != 0) {
      m8 = _mm512_loadu_si512(m + i);
      r8 = _mm512_loadu_si512(r + i);
      t8 = _mm512_loadu_si512(t + i);
    }
    __m512i a = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(acc + i)));
    __m512i v = _mm512_add_epi64(_mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(a, m8), r8), t8), z8);
    v = _mm512_min_epi64(_mm512_max_epi64(v, lo8), hi8);
    if (width == 1) _mm_storel_epi64((__m128i *)((int8_t *)out + i), _mm512_cvtepi64_epi8(v));
    else if (width == 2) _mm_storeu_si128((__m128i *)((int16_t *)out + i), _mm512_cvtepi64_epi16(v));
    else _mm256_storeu_si256((__m256i *)((int32_t *)out + i), _mm512_cvtepi64_epi32(v));
  }
  requant_scalar(acc + i, (uint8_t *)out + i * (size_t)width, width, n - i, m + i * step, r + i * step, t + i * step, step, zero, lo, hi);
}

static napi_value requant(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  static const char *usage = "requant(acc: Int32Array, out: Int8Array | Int16Array | Int32Array, outOffset, channels, params: BigInt64Array, zeroPoint, lo, hi)";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) return throw_error(env, usage);
  napi_typedarray_type type;
  size_t count, out_length, params_length;
  void *acc, *out, *params;
  if (napi_get_typedarray_info(env, argv[0], &type, &count, &acc, NULL, NULL) != napi_ok || type != napi_int32_array) return throw_error(env, usage);
  if (napi_get_typedarray_info(env, argv[1], &type, &out_length, &out, NULL, NULL) != napi_ok) return throw_error(env, usage);
  int width = type == napi_int8_array ? 1 : type == napi_int16_array ? 2 : type == napi_int32_array ? 4 : 0;
  if (width == 0) return throw_error(env, usage);
  if (napi_get_typedarray_info(env, argv[4], &type, &params_length, &params, NULL, NULL) != napi_ok || type != napi_bigint64_array) return throw_error(env, usage);
  int64_t v[5];
  for (int i = 0; i < 5; i++)
    if (napi_get_value_int64(env, argv[i == 0 ? 2 : i == 1 ? 3 : i + 3], &v[i]) != napi_ok) return throw_error(env, usage);
  int64_t out_offset = v[0], channels = v[1], zero = v[2], lo = v[3], hi = v[4];
  int64_t out_min = width == 1 ? INT8_MIN : width == 2 ? INT16_MIN : INT32_MIN, out_max = width == 1 ? INT8_MAX : width == 2 ? INT16_MAX : INT32_MAX;
  if (channels < 1 || channels > (1 << 16) || count % (size_t)channels != 0 || params_length != 3 * (size_t)channels)
    return throw_error(env, "requant: the accumulators must be whole rows of `channels` (1 … 65536), with 3 parameters a channel");
  if (out_offset < 0 || (size_t)out_offset + count > out_length) return throw_error(env, "requant: outputs outside the output array");
  uint8_t *dst = (uint8_t *)out + (size_t)out_offset * (size_t)width;
  if (dst < (uint8_t *)acc + count * 4 && (uint8_t *)acc < dst + count * (size_t)width) return throw_error(env, "requant: the outputs overlap the accumulators");
  if (lo > hi || lo < out_min || hi > out_max || zero < INT32_MIN || zero > INT32_MAX)
    return throw_error(env, "requant: the bounds must lie in the output's range and the zero point in int32");
  // Whether the CPU has AVX-512F, asked once (any thread may call first: an atomic).
  static atomic_int has_avx512 = -1;
  int avx512 = atomic_load_explicit(&has_avx512, memory_order_relaxed);
  if (avx512 < 0) {
    __builtin_cpu_init();
    avx512 = __builtin_cpu_supports("avx512f") != 0;
    atomic_store_explicit(&has_avx512, avx512, memory_order_relaxed);
  }
  const int64_t *m = params, *r = m + channels, *t = m + 2 * channels;
  // One channel: the whole array at once. Else row by row ([rows][channels], a matmul's layout).
  size_t run = channels == 1 ? count : (size_t)channels, step = channels == 1 ? 0 : 1;
  for (size_t start = 0; start < count; start += run) {
    uint8_t *o = dst + start * (size_t)width;
    if (avx512) requant_avx512((const int32_t *)acc + start, o, width, run, m, r, t, step, zero, lo, hi);
    else requant_scalar((const int32_t *)acc + start, o, width, run, m, r, t, step, zero, lo, hi);
  }
  return NULL;
}

// Bumped whenever the exports change: matmul-native.ts refuses an addon built from other sources
// (a checkout updated without `npm run build:native`) instead of calling what it lacks.
#define AIVM_NATIVE_ABI 9

NAPI_MODULE_INIT() {
  napi_value isas, fn, s, abi;
  napi_create_int32(env, AIVM_NATIVE_ABI, &abi);
  napi_set_named_property(env, exports, "abi", abi);
  napi_create_array(env, &isas);
  uint32_t n = 0;
  for (int i = 0; i < ISA_COUNT; i++) {
    if (!supported(i)) continue;
    napi_create_string_utf8(env, ISAS[i].name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, isas, n++, s);
  }
  napi_set_named_property(env, exports, "isas", isas);
  napi_create_function(env, "kernel", NAPI_AUTO_LENGTH, kernel_for, NULL, &fn);
  napi_set_named_property(env, exports, "kernel", fn);
  napi_create_function(env, "threaded", NAPI_AUTO_LENGTH, kernel_for, (void *)1, &fn);
  napi_set_named_property(env, exports, "threaded", fn);
  napi_create_function(env, "startThreads", NAPI_AUTO_LENGTH, start_threads, NULL, &fn);
  napi_set_named_property(env, exports, "startThreads", fn);
  napi_create_function(env, "copy", NAPI_AUTO_LENGTH, copy_bytes, NULL, &fn);
  napi_set_named_property(env, exports, "copy", fn);
  napi_create_function(env, "setMallocThresholds", NAPI_AUTO_LENGTH, set_malloc_thresholds, NULL, &fn);
  napi_set_named_property(env, exports, "setMallocThresholds", fn);
  napi_create_function(env, "requant", NAPI_AUTO_LENGTH, requant, NULL, &fn);
  napi_set_named_property(env, exports, "requant", fn);
  return exports;
}
