// Kernel variants the engine's int8 matmul did not take, timed against the one it did: the numbers
// behind docs/performance.md#the-int8-matmul-kernel. Each variant is a WASM SIMD128 function over
// R×C output blocks of a 512×512×512 int8 product (B packed once, as the packed-weight cache keeps
// it; A as the variant reads it), checked against a plain dot product on a few outputs, then timed
// (process CPU, median of 15 batches of 10 calls) in three rounds that alternate the variants, so a
// burst of other load hits them all alike. Prints JSON: each variant's fastest and slowest round.
// Run: node_modules/.bin/node --import tsx bench/matmul-variants.ts [n]
import { ADD, BLOCK, END, GE_U, I32, LOOP, MUL, V128, V128_ZERO, blockLoopsTail, br, brIf, get, i32, name, section, set, simd, uleb, vec } from "../src/engine/kernels/wasm-asm.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";

rerunWithAllocatorEnv();
tuneNodeProcess();

interface Variant {
  label: string;
  rows: number;
  cols: number;
  /** int16: A packed [m/R][k/8][R][8] int16 (the shipped kernel); int8: A's rows read in place and widened by v128.load8x8_s. */
  a: "int16" | "int8";
  /** int16: Bᵀ packed as int16 (shipped); int8: packed as int8 and widened by v128.load8x8_s. */
  b: "int16" | "int8";
  /** k-steps of 8 per loop iteration (unrolling). */
  unroll: number;
  /**
   * i32x4.relaxed_dot_i8x16_i7x16_add_s with B split into 7-bit planes, b = (b & 0x7f) − 128·[b < 0]:
   * two relaxed dots per 16 products, each with a second operand in [0, 127] (the only case whose
   * result every engine agrees on). A int8 rows, 16 k-values per step.
   */
  relaxed?: boolean;
}

const VARIANTS: Variant[] = [
  { label: "shipped: 4×2, A int16 packed, B int16", rows: 4, cols: 2, a: "int16", b: "int16", unroll: 1 },
  { label: "2×4, A int16 packed, B int16", rows: 2, cols: 4, a: "int16", b: "int16", unroll: 1 },
  { label: "2×4, A int8 rows widened in-register, B int16", rows: 2, cols: 4, a: "int8", b: "int16", unroll: 1 },
  { label: "2×4, A int8 rows, B int8 widened in-register", rows: 2, cols: 4, a: "int8", b: "int8", unroll: 1 },
  { label: "2×4 unrolled ×2", rows: 2, cols: 4, a: "int16", b: "int16", unroll: 2 },
  { label: "3×3", rows: 3, cols: 3, a: "int16", b: "int16", unroll: 1 },
  { label: "5×2", rows: 5, cols: 2, a: "int16", b: "int16", unroll: 1 },
  { label: "4×3", rows: 4, cols: 3, a: "int16", b: "int16", unroll: 1 },
  { label: "relaxed dot, B split in 7-bit planes, 2×2", rows: 2, cols: 2, a: "int8", b: "int8", unroll: 1, relaxed: true },
  { label: "relaxed dot, B split in 7-bit planes, 4×1", rows: 4, cols: 1, a: "int8", b: "int8", unroll: 1, relaxed: true },
];

const I32X4_ADD = simd(0xae);
const I32X4_SUB = simd(0xb1);
const I32X4_SHL = simd(0xab);
const I32X4_DOT_I16X8_S = simd(0xba);
const I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S = simd(0x113);
const load = (offset: number) => [0xfd, 0x00, 0x00, ...uleb(offset)];
const load8x8s = (offset: number) => [0xfd, 0x01, 0x00, ...uleb(offset)];
const lane = (l: number) => [0xfd, 0x1b, l];
const storeAt = (offset: number) => [0x36, 0x02, ...uleb(offset)];

/** Bytes of Bᵀ per k-step of one column, and k-values per step. */
function stepShape(v: Variant): { kPerStep: number; bColumnBytes: number } {
  if (v.relaxed) return { kPerStep: 16, bColumnBytes: 32 };
  return { kPerStep: 8, bColumnBytes: v.b === "int16" ? 16 : 8 };
}

/** `(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes, aStride)`: aStride is A's row bytes (int8) or k-steps·16 (int16). */
function kernel(v: Variant): number[] {
  const { rows: R, cols: C, unroll: U } = v;
  const [A_PTR, B_PTR, OUT_PTR, M_BLOCKS, N_BLOCKS, K_STEPS, OUT_ROW, A_STRIDE] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [IB, JB, PB, END_PTR, O, B_BLOCK, PA0] = [8, 9, 10, 11, 12, 13, 14];
  const aPointers = v.a === "int16" ? 1 : R;
  const planes = v.relaxed ? 2 : 1;
  const ACC0 = PA0 + aPointers;
  const VA0 = ACC0 + planes * R * C;
  const VB0 = VA0 + R;
  const acc = (p: number, r: number, c: number) => ACC0 + p * R * C + r * C + c;
  const { kPerStep, bColumnBytes } = stepShape(v);
  const bStep = C * bColumnBytes;
  const loadA = (r: number, u: number) =>
    v.a === "int16" ? [...get(PA0), ...load(u * R * 16 + r * 16)] : [...get(PA0 + r), ...(v.relaxed ? load(u * 16) : load8x8s(u * 8))];
  const step: number[] = [];
  for (let u = 0; u < U; u++) {
    for (let c = 0; c < C; c++) {
      if (v.relaxed) step.push(...get(PB), ...load(u * bStep + c * 32), ...set(VB0 + c), ...get(PB), ...load(u * bStep + c * 32 + 16), ...set(VB0 + C + c));
      else step.push(...get(PB), ...(v.b === "int16" ? load(u * bStep + c * 16) : load8x8s(u * bStep + c * 8)), ...set(VB0 + c));
    }
    for (let r = 0; r < R; r++) {
      step.push(...loadA(r, u), ...set(VA0 + r));
      for (let c = 0; c < C; c++) {
        if (v.relaxed) {
          for (let p = 0; p < 2; p++) step.push(...get(VA0 + r), ...get(VB0 + p * C + c), ...get(acc(p, r, c)), ...I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S, ...set(acc(p, r, c)));
        } else {
          step.push(...get(acc(0, r, c)), ...get(VA0 + r), ...get(VB0 + c), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(acc(0, r, c)));
        }
      }
    }
  }
  const advanceA: number[] = [];
  if (v.a === "int16") advanceA.push(...get(PA0), ...i32(R * 16 * U), ...ADD, ...set(PA0));
  else for (let r = 0; r < R; r++) advanceA.push(...get(PA0 + r), ...i32(kPerStep * U), ...ADD, ...set(PA0 + r));
  const startA = [...get(A_PTR), ...get(IB), ...i32(R), ...MUL, ...get(A_STRIDE), ...MUL, ...ADD, ...set(PA0)];
  for (let r = 1; r < aPointers; r++) startA.push(...get(PA0 + r - 1), ...get(A_STRIDE), ...ADD, ...set(PA0 + r));
  const stores: number[] = [];
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const a = acc(0, r, c);
      // Relaxed: Σa·b = Σa·(b & 0x7f) − 128·Σa·[b < 0].
      if (v.relaxed) stores.push(...get(a), ...get(acc(1, r, c)), ...i32(7), ...I32X4_SHL, ...I32X4_SUB, ...set(a));
      stores.push(...get(O), ...get(a), ...lane(0), ...get(a), ...lane(1), ...ADD, ...get(a), ...lane(2), ...ADD, ...get(a), ...lane(3), ...ADD, ...storeAt(c * 4));
    }
    stores.push(...get(O), ...get(OUT_ROW), ...ADD, ...set(O));
  }
  const code = [
    ...get(K_STEPS), ...i32(bStep), ...MUL, ...set(B_BLOCK),
    ...i32(0), ...set(IB),
    ...LOOP,
    ...i32(0), ...set(JB),
    ...LOOP,
    ...startA,
    ...get(B_PTR), ...get(JB), ...get(B_BLOCK), ...MUL, ...ADD, ...set(PB),
    ...get(PB), ...get(B_BLOCK), ...ADD, ...set(END_PTR),
    ...Array.from({ length: planes * R * C }, (_, x) => [...V128_ZERO, ...set(ACC0 + x)]).flat(),
    ...BLOCK, ...LOOP,
    ...get(PB), ...get(END_PTR), ...GE_U, ...brIf(1),
    ...step,
    ...advanceA,
    ...get(PB), ...i32(bStep * U), ...ADD, ...set(PB),
    ...br(0), ...END, ...END,
    ...blockLoopsTail({ outPtr: OUT_PTR, outRow: OUT_ROW, mBlocks: M_BLOCKS, nBlocks: N_BLOCKS, ib: IB, jb: JB, o: O }, R, C, stores),
    ...END,
  ];
  const fn = [...vec([[...uleb(PA0 + aPointers - 8), I32], [...uleb(planes * R * C + R + planes * C), V128]]), ...code];
  return [...uleb(fn.length), ...fn];
}

function moduleOf(v: Variant): Uint8Array<ArrayBuffer> {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = section(1, vec([[0x60, ...uleb(8), ...new Array<number>(8).fill(I32), 0x00]]));
  return new Uint8Array([
    ...header, ...types, ...section(3, vec([[0x00]])), ...section(5, vec([[0x00, 0x01]])),
    ...section(7, vec([[...name("memory"), 0x02, 0x00], [...name("kernel"), 0x00, 0x00]])), ...section(10, vec([kernel(v)])),
  ]);
}

function int8Data(length: number, seed: number): Int8Array {
  const d = new Int8Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    d[i] = s >> 24;
  }
  return d;
}

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  kernel: (...args: number[]) => void;
}

/** Builds the variant's instance and operands; returns one timing round (CPU ms per call). */
function prepareVariant(v: Variant, n: number, a: Int8Array, b: Int8Array): () => number {
  const { rows: R, cols: C } = v;
  const { kPerStep, bColumnBytes } = stepShape(v);
  const kSteps = Math.ceil(Math.ceil(n / kPerStep) / v.unroll) * v.unroll;
  const mBlocks = Math.ceil(n / R);
  const nBlocks = Math.ceil(n / C);
  const bBytes = nBlocks * kSteps * C * bColumnBytes;
  const aBytes = v.a === "int16" ? mBlocks * kSteps * R * 16 : mBlocks * R * n + 16;
  const outRow = nBlocks * C * 4;
  const w = new WebAssembly.Instance(new WebAssembly.Module(moduleOf(v))).exports as unknown as Exports;
  w.memory.grow(Math.ceil((bBytes + aBytes + mBlocks * R * outRow + 64) / 65536));
  const [bPtr, aPtr] = [0, bBytes];
  const outPtr = (aPtr + aBytes + 15) & ~15;
  // Bᵀ packed [n/C][kSteps][C][kPerStep] (relaxed: the 7-bit plane, then the sign plane, per column).
  const bView = v.b === "int16" && !v.relaxed ? new Int16Array(w.memory.buffer, bPtr, bBytes / 2) : new Int8Array(w.memory.buffer, bPtr, bBytes);
  for (let jb = 0; jb < nBlocks; jb++) {
    for (let ks = 0; ks < kSteps; ks++) {
      for (let c = 0; c < C; c++) {
        for (let q = 0; q < kPerStep; q++) {
          const [p, j] = [ks * kPerStep + q, jb * C + c];
          const value = p < n && j < n ? b[p * n + j]! : 0;
          const base = (jb * kSteps + ks) * C * (v.relaxed ? 32 : kPerStep);
          if (v.relaxed) {
            bView[base + c * 32 + q] = value & 0x7f;
            bView[base + c * 32 + 16 + q] = value < 0 ? 1 : 0;
          } else bView[base + c * kPerStep + q] = value;
        }
      }
    }
  }
  if (v.a === "int16") {
    const a16 = new Int16Array(w.memory.buffer, aPtr, aBytes / 2);
    for (let i = 0; i < n; i++) for (let p = 0; p < n; p++) a16[((Math.floor(i / R) * kSteps + (p >> 3)) * R + (i % R)) * 8 + (p & 7)] = a[i * n + p]!;
  }
  const aStride = v.a === "int16" ? kSteps * 16 : n;
  const call = () => {
    // int8 rows are copied in at every call, as the engine would; packed int16 A is packed once here.
    if (v.a === "int8") new Int8Array(w.memory.buffer, aPtr, n * n).set(a);
    w.kernel(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow, aStride);
  };
  call();
  const out = new Int32Array(w.memory.buffer, outPtr, mBlocks * R * nBlocks * C);
  for (const [i, j] of [[0, 0], [n - 1, n - 1], [5 % n, 7 % n], [n >> 1, 3 % n]] as const) {
    let want = 0;
    for (let p = 0; p < n; p++) want += a[i * n + p]! * b[p * n + j]!;
    if (out[i * nBlocks * C + j] !== want) throw new Error(`${v.label}: output [${i},${j}] is ${out[i * nBlocks * C + j]}, want ${want}`);
  }
  return () => {
    for (let i = 0; i < 30; i++) call();
    const ms: number[] = [];
    for (let rep = 0; rep < 15; rep++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 10; i++) call();
      const c = process.cpuUsage(c0);
      ms.push((c.user + c.system) / 1000 / 10);
    }
    ms.sort((x, y) => x - y);
    return ms[7]!;
  };
}

const n = Number(process.argv[2] ?? 512);
const a = int8Data(n * n, 1);
const b = int8Data(n * n, 2);
const rounds = VARIANTS.map((v) => prepareVariant(v, n, a, b));
const times: number[][] = VARIANTS.map(() => []);
for (let round = 0; round < 3; round++) rounds.forEach((timeRound, i) => times[i]!.push(timeRound()));
const gops = (ms: number) => Math.round((2 * n ** 3) / (ms * 1e4)) / 100;
const results = VARIANTS.map((v, i) => {
  const ms = times[i]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { variant: v.label, cpuMsMin: round(Math.min(...ms)), cpuMsMax: round(Math.max(...ms)), gopsCpuBest: gops(Math.min(...ms)), gopsCpuWorst: gops(Math.max(...ms)) };
});
console.log(JSON.stringify({
  bench: "engine.matmul-variants",
  what: `${n}³ int8 matmul, raw kernel call (B packed once; int8-row variants copy A in per call), process CPU ms per call (median of 15 batches of 10), fastest and slowest of three alternating rounds, GOP/s = 2n³/time`,
  loadAverage1m: (await import("node:os")).loadavg()[0],
  node: process.version,
  results,
}, null, 2));
