// The output stage shared by matmul and conv2d: the int32 accumulator either leaves as is or is
// requantized per tensor or per output channel (y = rms(acc, M_c, t_c) + z, clamped to outDtype).
import { attrInt, attrInts } from "../attrs.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Attrs } from "../op.ts";
import { checkRequant, requantize } from "../requant.ts";
import { DTYPE_MAX, DTYPE_MIN, type DType, type IntArray } from "../tensor.ts";
import { INV_POW2, POW2 } from "../intmath.ts";
import { MAX_WASM_CHANNELS, WASM_MIN_ELEMENTS, outputStagePaths, outputStageWasm } from "./output-stage-wasm.ts";
import { nativeRequant, type NativeRequant } from "./matmul-native.ts";

/** `outDtype` attribute codes. */
export const OUT_DTYPE_CODES: readonly DType[] = ["int8", "int16", "int32"];

export interface OutputStage {
  out: DType;
  /** null: the saturated int32 accumulator is the output. Otherwise length 1 (per tensor) or `channels`. */
  multiplier: readonly number[] | null;
  shift: readonly number[];
  zeroPoint: number;
}

// A stored program's nodes keep their attrs objects from call to call (and step to step): parse once.
const parsedStages = new WeakMap<Attrs, { op: string; channels: number; stage: OutputStage }>();

/** Reads `outDtype`, `multiplier`, `shift`, `zeroPoint` and validates them against the channel count. */
export function parseOutputStage(op: string, attrs: Attrs, channels: number): OutputStage {
  const seen = parsedStages.get(attrs);
  if (seen !== undefined && seen.op === op && seen.channels === channels) return seen.stage;
  const stage = readOutputStage(op, attrs, channels);
  parsedStages.set(attrs, { op, channels, stage });
  return stage;
}

function readOutputStage(op: string, attrs: Attrs, channels: number): OutputStage {
  const code = attrInt(op, attrs, "outDtype", 2);
  const out = OUT_DTYPE_CODES[code];
  if (out === undefined) throw new InvalidArgumentError(op, 'attribute "outDtype"', "must be 0 (int8), 1 (int16) or 2 (int32)");
  const hasM = attrs["multiplier"] !== undefined;
  if (!hasM) {
    if (out !== "int32") throw new InvalidArgumentError(op, 'attribute "multiplier"', `is required when outDtype is ${out}`);
    if (attrs["shift"] !== undefined || attrs["zeroPoint"] !== undefined) {
      throw new InvalidArgumentError(op, 'attributes "shift"/"zeroPoint"', 'need "multiplier"');
    }
    return { out, multiplier: null, shift: [], zeroPoint: 0 };
  }
  const multiplier = attrInts(op, attrs, "multiplier");
  const shift = attrInts(op, attrs, "shift");
  const zeroPoint = attrInt(op, attrs, "zeroPoint", 0);
  if (multiplier.length !== 1 && multiplier.length !== channels) {
    throw new InvalidArgumentError(op, 'attribute "multiplier"', `has ${multiplier.length} entries, expected 1 or ${channels} (output channels)`);
  }
  if (shift.length !== multiplier.length) {
    throw new InvalidArgumentError(op, 'attribute "shift"', `has ${shift.length} entries, expected ${multiplier.length} (like "multiplier")`);
  }
  for (let c = 0; c < multiplier.length; c++) checkRequant(op, multiplier[c]!, shift[c]!, zeroPoint, out);
  return { out, multiplier, shift, zeroPoint };
}

/**
 * Per-channel constants of requantize's shift ≥ 17 path (requant.ts), hoisted out of the element
 * loop: acc·M = hi·2^16 + lo with hi = acc·⌊M/2^16⌋ and lo = acc·(M mod 2^16). Built once per stage.
 */
interface FastStage {
  mh: number[];
  ml: number[];
  half: number[];
  /** 2^−(t−16): multiplying by a power of two is exact in doubles, as dividing by its inverse is, and cheaper. */
  inv: number[];
  lo: number;
  hi: number;
}

/** 2^−16, exact. */
const INV_65536 = 1 / 65536;

const fastStages = new WeakMap<OutputStage, FastStage | null>();

function fastStageOf(stage: OutputStage): FastStage | null {
  let f = fastStages.get(stage);
  if (f !== undefined) return f;
  const m = stage.multiplier!;
  f = null;
  if (stage.shift.every((t) => t >= 17)) {
    const n = m.length;
    f = { mh: new Array<number>(n), ml: new Array<number>(n), half: new Array<number>(n), inv: new Array<number>(n), lo: DTYPE_MIN[stage.out], hi: DTYPE_MAX[stage.out] };
    for (let c = 0; c < n; c++) {
      const t = stage.shift[c]!;
      f.mh[c] = Math.floor(m[c]! / 65536);
      f.ml[c] = m[c]! - f.mh[c]! * 65536;
      f.half[c] = POW2[t - 17]!;
      f.inv[c] = INV_POW2[t - 16]!;
    }
  }
  fastStages.set(stage, f);
  return f;
}

let nativeFn: NativeRequant | null | undefined;

/** The addon's requantization, looked up once; undefined where it is not built or outputStagePaths.native is off. */
function requantNative(): NativeRequant | undefined {
  if (!outputStagePaths.native) return undefined;
  if (nativeFn === undefined) nativeFn = nativeRequant() ?? null;
  return nativeFn ?? undefined;
}

/** Per stage, the addon's parameters [M_c…, 2^(t_c−1) or 0…, t_c…] (validated by parseOutputStage). */
const nativeParams = new WeakMap<OutputStage, BigInt64Array>();

function nativeParamsOf(stage: OutputStage & { multiplier: readonly number[] }): BigInt64Array {
  let params = nativeParams.get(stage);
  if (params !== undefined) return params;
  const c = stage.multiplier.length;
  params = new BigInt64Array(3 * c);
  for (let i = 0; i < c; i++) {
    const t = stage.shift[i]!;
    params[i] = BigInt(stage.multiplier[i]!);
    params[c + i] = t === 0 ? 0n : 1n << BigInt(t - 1);
    params[2 * c + i] = BigInt(t);
  }
  nativeParams.set(stage, params);
  return params;
}

/**
 * Writes the output: element i belongs to channel floor(i / inner) mod channels.
 * `acc` already holds saturated int32 accumulators (bias included).
 */
export function applyOutputStage(acc: Int32Array, stage: OutputStage, channels: number, inner: number, out: IntArray): void {
  const m = stage.multiplier;
  if (m === null) {
    out.set(acc);
    return;
  }
  const n = acc.length;
  const z = stage.zeroPoint;
  if (n >= WASM_MIN_ELEMENTS && m.length <= MAX_WASM_CHANNELS && (inner === 1 || m.length === 1)) {
    // Per tensor, or a matmul's [rows][channels]: the addon's vector loop where it is built.
    const native = requantNative();
    if (native !== undefined) {
      native(acc, out, 0, m.length, nativeParamsOf(stage as OutputStage & { multiplier: readonly number[] }), z, DTYPE_MIN[stage.out], DTYPE_MAX[stage.out]);
      return;
    }
  }
  if (n >= WASM_MIN_ELEMENTS && m.length <= MAX_WASM_CHANNELS) {
    const w = outputStageWasm();
    if (w !== null) {
      w.run(acc, stage as OutputStage & { multiplier: readonly number[] }, z, DTYPE_MIN[stage.out], DTYPE_MAX[stage.out], channels, inner, out);
      return;
    }
  }
  const f = fastStageOf(stage);
  if (f !== null) {
    // The same integer steps as roundingMultiplyShift: every product is below 2^47, and the
    // scalings by 2^−16 and 2^−(t−16) are exact, so Math.floor sees the exact quotients.
    const { mh, ml, half, inv, lo, hi } = f;
    if (m.length === 1) {
      const a = mh[0]!, b = ml[0]!, h = half[0]!, d = inv[0]!;
      for (let i = 0; i < n; i++) {
        const x = acc[i]!;
        const v = Math.floor((x * a + h + Math.floor(x * b * INV_65536)) * d) + z;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return;
    }
    if (inner === 1) {
      // A matmul's layout: channel c is every row's column c.
      for (let start = 0; start < n; start += channels) {
        for (let c = 0; c < channels; c++) {
          const x = acc[start + c]!;
          const v = Math.floor((x * mh[c]! + half[c]! + Math.floor(x * ml[c]! * INV_65536)) * inv[c]!) + z;
          out[start + c] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      return;
    }
    for (let start = 0, c = 0; start < n; start += inner) {
      const a = mh[c]!, b = ml[c]!, h = half[c]!, d = inv[c]!;
      const end = start + inner;
      for (let i = start; i < end; i++) {
        const x = acc[i]!;
        const v = Math.floor((x * a + h + Math.floor(x * b * INV_65536)) * d) + z;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
      if (++c === channels) c = 0;
    }
    return;
  }
  const dt = stage.out;
  if (m.length === 1) {
    const mul = m[0]!;
    const sh = stage.shift[0]!;
    for (let i = 0; i < n; i++) out[i] = requantize(acc[i]!, mul, sh, z, dt);
    return;
  }
  for (let start = 0, c = 0; start < n; start += inner) {
    const mul = m[c]!;
    const sh = stage.shift[c]!;
    const end = start + inner;
    for (let i = start; i < end; i++) out[i] = requantize(acc[i]!, mul, sh, z, dt);
    if (++c === channels) c = 0;
  }
}
