// The attention op's two products on WASM SIMD128, assembled here byte by byte (wasm-asm.ts): a
// query row's int8 scores against T key rows (i32x4.dot_i16x8_s over eight values a step), and the
// P·V sums of int16 probabilities against int8 or int16 value rows (i32x4.extmul of the splat
// probability, eight columns a step). The softmax between them stays in JavaScript (normalize.ts).
// Integer SIMD only, modulo 2^32 like the matmul kernels; the caller (runAttention) proves every
// true sum fits int32, so each is exact. The module has its own memory: the caller copies the
// operands in, and test/engine/attention.test.ts checks the op with and without it against a loop
// reference.
import { ADD, BLOCK, END, GE_U, I32, LOOP, MUL, V128, V128_ZERO, br, brIf, get, growMemoryTo, i32, name, section, set, simd, uleb, vec } from "./wasm-asm.ts";
import { wasmApi } from "./matmul-wasm.ts";

const I32X4_ADD = simd(0xae);
const I32X4_DOT_I16X8_S = simd(0xba);
const I32X4_EXTMUL_LOW_I16X8_S = simd(0xbc);
const I32X4_EXTMUL_HIGH_I16X8_S = simd(0xbd);
const I16X8_SPLAT = simd(0x10);
const lane = (l: number) => [...simd(0x1b), l];
/** v128.load8x8_s (eight int8 widened to int16 lanes) and v128.load, byte-aligned, at `offset` from the pointer on the stack. */
const load8x8 = (offset: number) => [...simd(0x01), 0x00, ...uleb(offset)];
const load128 = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const store128 = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
const I32_LOAD16_S = [0x2e, 0x01, 0x00];
const I32_STORE = [0x36, 0x02, 0x00];

/**
 * `dots(qPtr, kPtr, kStride, outPtr, t, steps)`: out[j] = Σ q[c]·k[j·kStride + c] over c < 8·steps,
 * int8 rows, int32 out, for j < t. The query row is zero padded to 8·steps; key rows are read to
 * 8·steps too (the padding's products are 0), so the memory holds 8 bytes past the last row.
 */
function dotsBody(): number[] {
  const [Q, K, K_STRIDE, OUT, T, STEPS] = [0, 1, 2, 3, 4, 5];
  const [J, PQ, PK, END_Q] = [6, 7, 8, 9];
  const ACC = 10;
  const code = [
    ...i32(0), ...set(J),
    ...get(Q), ...get(STEPS), ...i32(8), ...MUL, ...ADD, ...set(END_Q),
    ...BLOCK, ...LOOP,
    ...get(J), ...get(T), ...GE_U, ...brIf(1),
    ...V128_ZERO, ...set(ACC),
    ...get(Q), ...set(PQ),
    ...get(K), ...get(J), ...get(K_STRIDE), ...MUL, ...ADD, ...set(PK),
    ...BLOCK, ...LOOP,
    ...get(PQ), ...get(END_Q), ...GE_U, ...brIf(1),
    ...get(ACC), ...get(PQ), ...load8x8(0), ...get(PK), ...load8x8(0), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(ACC),
    ...get(PQ), ...i32(8), ...ADD, ...set(PQ),
    ...get(PK), ...i32(8), ...ADD, ...set(PK),
    ...br(0), ...END, ...END,
    ...get(OUT), ...get(J), ...i32(4), ...MUL, ...ADD,
    ...get(ACC), ...lane(0), ...get(ACC), ...lane(1), ...ADD, ...get(ACC), ...lane(2), ...ADD, ...get(ACC), ...lane(3), ...ADD,
    ...I32_STORE,
    ...get(J), ...i32(1), ...ADD, ...set(J),
    ...br(0), ...END, ...END,
    ...END,
  ];
  const fn = [...vec([[...uleb(4), I32], [...uleb(1), V128]]), ...code];
  return [...uleb(fn.length), ...fn];
}

/**
 * `pv8` / `pv16(pPtr, vPtr, vStride, accPtr, t, steps)`: acc[c] = Σ p[j]·v[j·vStride + c] over
 * j < t, for c < 8·steps: int16 p, int8 or int16 value rows, int32 acc. Value rows are read to
 * 8·steps columns (the extra sums land in acc past the caller's columns, which it never reads).
 */
function pvBody(wideV: boolean): number[] {
  const [P, V, V_STRIDE, ACC_PTR, T, STEPS] = [0, 1, 2, 3, 4, 5];
  const [S, J, PV] = [6, 7, 8];
  const [LO, HI, PJ, VV] = [9, 10, 11, 12];
  const code = [
    ...i32(0), ...set(S),
    ...BLOCK, ...LOOP,
    ...get(S), ...get(STEPS), ...GE_U, ...brIf(1),
    ...V128_ZERO, ...set(LO),
    ...V128_ZERO, ...set(HI),
    ...get(V), ...get(S), ...i32(wideV ? 16 : 8), ...MUL, ...ADD, ...set(PV),
    ...i32(0), ...set(J),
    ...BLOCK, ...LOOP,
    ...get(J), ...get(T), ...GE_U, ...brIf(1),
    ...get(P), ...get(J), ...i32(2), ...MUL, ...ADD, ...I32_LOAD16_S, ...I16X8_SPLAT, ...set(PJ),
    ...get(PV), ...(wideV ? load128(0) : load8x8(0)), ...set(VV),
    ...get(LO), ...get(VV), ...get(PJ), ...I32X4_EXTMUL_LOW_I16X8_S, ...I32X4_ADD, ...set(LO),
    ...get(HI), ...get(VV), ...get(PJ), ...I32X4_EXTMUL_HIGH_I16X8_S, ...I32X4_ADD, ...set(HI),
    ...get(PV), ...get(V_STRIDE), ...ADD, ...set(PV),
    ...get(J), ...i32(1), ...ADD, ...set(J),
    ...br(0), ...END, ...END,
    ...get(ACC_PTR), ...get(S), ...i32(32), ...MUL, ...ADD, ...get(LO), ...store128(0),
    ...get(ACC_PTR), ...get(S), ...i32(32), ...MUL, ...ADD, ...get(HI), ...store128(16),
    ...get(S), ...i32(1), ...ADD, ...set(S),
    ...br(0), ...END, ...END,
    ...END,
  ];
  const fn = [...vec([[...uleb(3), I32], [...uleb(4), V128]]), ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module's bytes: one exported memory and `dots`, `pv8`, `pv16`, all typed (i32 × 6) → (). */
export function attentionWasmBytes(): Uint8Array {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = section(1, vec([[0x60, ...uleb(6), I32, I32, I32, I32, I32, I32, 0x00]]));
  const functions = section(3, vec([[0x00], [0x00], [0x00]]));
  const memory = section(5, vec([[0x00, 0x01]]));
  const exports = section(7, vec([[...name("memory"), 0x02, 0x00], [...name("dots"), 0x00, 0x00], [...name("pv8"), 0x00, 0x01], [...name("pv16"), 0x00, 0x02]]));
  const code = section(10, vec([dotsBody(), pvBody(false), pvBody(true)]));
  return new Uint8Array([...header, ...types, ...functions, ...memory, ...exports, ...code]);
}

type Fn6 = (a: number, b: number, c: number, d: number, e: number, f: number) => void;
interface AttentionExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  dots: Fn6;
  pv8: Fn6;
  pv16: Fn6;
}

/** The module's memory grows to at most this; larger operands take the JavaScript loops. */
export const ATTENTION_WASM_MAX_BYTES = 64 << 20;

/** Which path the attention op takes (tests and benchmarks switch it; the bits are the same). */
export const attentionPaths = { wasm: true };

/**
 * The instantiated module with views over its memory, made again after it grows. One instance per
 * thread; a call is synchronous and never re-entered.
 */
export class AttentionWasm {
  int8!: Int8Array;
  int16!: Int16Array;
  int32!: Int32Array;

  constructor(private readonly exports: AttentionExports) {
    this.views();
  }

  private views(): void {
    const buffer = this.exports.memory.buffer;
    this.int8 = new Int8Array(buffer);
    this.int16 = new Int16Array(buffer);
    this.int32 = new Int32Array(buffer);
  }

  /** Makes the memory at least `bytes` long; false (nothing changed) beyond ATTENTION_WASM_MAX_BYTES. */
  reserve(bytes: number): boolean {
    if (bytes > ATTENTION_WASM_MAX_BYTES) return false;
    if (bytes > this.exports.memory.buffer.byteLength) {
      growMemoryTo(this.exports.memory, bytes);
      this.views();
    }
    return true;
  }

  dots(qPtr: number, kPtr: number, kStride: number, outPtr: number, t: number, steps: number): void {
    this.exports.dots(qPtr, kPtr, kStride, outPtr, t, steps);
  }

  pv(wideV: boolean, pPtr: number, vPtr: number, vStride: number, accPtr: number, t: number, steps: number): void {
    (wideV ? this.exports.pv16 : this.exports.pv8)(pPtr, vPtr, vStride, accPtr, t, steps);
  }
}

let instance: AttentionWasm | null | undefined;

/** The module, or null where WebAssembly SIMD is unavailable (or attentionPaths.wasm is off). */
export function attentionWasm(): AttentionWasm | null {
  if (!attentionPaths.wasm) return null;
  if (instance !== undefined) return instance;
  try {
    if (wasmApi === undefined) return (instance = null);
    const module = new wasmApi.Module(attentionWasmBytes());
    instance = new AttentionWasm(new wasmApi.Instance(module).exports as AttentionExports);
  } catch {
    instance = null;
  }
  return instance;
}
