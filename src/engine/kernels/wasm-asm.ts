// The pieces of a WebAssembly module assembled byte by byte (no external compiler), shared by the
// engine's matmul kernels (matmul-wasm-module.ts) and the Freivalds check (src/commit/freivalds-wasm.ts):
// LEB128 integers, sections and vectors, and the core and SIMD128 opcodes both use.

/** Unsigned LEB128. */
export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a safe integer (an i64.const may need more than 32 bits). */
export function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = ((v % 128) + 128) % 128;
    v = Math.floor(v / 128);
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A WebAssembly memory page, the unit memories grow by. */
export const WASM_PAGE = 65536;

/**
 * Grows `memory` to at least `bytes` (growing keeps every offset) and returns its buffer, which is a
 * new object after growth: views over the old one must be made again.
 */
export function growMemoryTo(memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }, bytes: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  return memory.buffer;
}

export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// Opcodes (WebAssembly core + SIMD proposal, final numbering).
export const I32 = 0x7f;
export const V128 = 0x7b;
export const get = (i: number) => [0x20, i];
export const set = (i: number) => [0x21, i];
export const i32 = (v: number) => [0x41, ...sleb(v)];
export const simd = (op: number) => [0xfd, ...uleb(op)];
export const ADD = [0x6a];
export const MUL = [0x6c];
export const LT_U = [0x49];
export const GE_U = [0x4f];
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const END = [0x0b];
export const br = (d: number) => [0x0c, d];
export const brIf = (d: number) => [0x0d, d];
export const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/** The locals of a blocked matmul kernel's two block loops (rows of blocks outer, columns inner). */
export interface BlockLoopLocals {
  outPtr: number;
  outRow: number;
  mBlocks: number;
  nBlocks: number;
  ib: number;
  jb: number;
  /** Set here to the block's first output: outPtr + ib·R·outRow + jb·C·4. */
  o: number;
}

/**
 * The end of one R×C output block and of both block loops: o set to the block's output, `stores`
 * (which write from o), then jb += 1 while jb < nBlocks and ib += 1 while ib < mBlocks, closing
 * the two loops the kernel opened.
 */
export function blockLoopsTail(l: BlockLoopLocals, R: number, C: number, stores: number[]): number[] {
  return [
    ...get(l.outPtr), ...get(l.ib), ...i32(R), ...MUL, ...get(l.outRow), ...MUL, ...ADD, ...get(l.jb), ...i32(C * 4), ...MUL, ...ADD, ...set(l.o),
    ...stores,
    ...get(l.jb), ...i32(1), ...ADD, ...set(l.jb),
    ...get(l.jb), ...get(l.nBlocks), ...LT_U, ...brIf(0), ...END,
    ...get(l.ib), ...i32(1), ...ADD, ...set(l.ib),
    ...get(l.ib), ...get(l.mBlocks), ...LT_U, ...brIf(0), ...END,
  ];
}
