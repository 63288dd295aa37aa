// ABI decoding of precompile inputs, straight to bytes. viem's decoder turns every `bytes` value and
// every number into a hex string on the way (about a third of a small TMATMUL call), and the
// precompiles then turned the hex back into bytes. This decoder reads the canonical layout that
// Solidity's abi.encode, the AIVM library, viem and ethers all write: heads in order, each dynamic
// tail starting exactly where the previous one ended, integers within their type's range. Input
// laid out any other way goes to viem's decoder, whose result is converted to the same form, so
// what a call decodes to (or that it fails) does not depend on which path took it.
// test/precompiles/abi-decode.test.ts compares both paths on random and on malformed inputs.
import { decodeAbiParameters, type AbiParameter } from "viem";
import { fromHex } from "./hex.ts";

/** The JS value of an ABI type: bytes and bytesN as Uint8Array, ints up to 48 bits as number (as viem). */
type Decoded<T extends string> = T extends `${infer E}[]`
  ? Decoded<E>[]
  : T extends `bytes${string}`
    ? Uint8Array
    : T extends "string"
      ? string
      : T extends `${"uint" | "int"}${"8" | "16" | "24" | "32" | "40" | "48"}`
        ? number
        : T extends `${"uint" | "int"}${string}`
          ? bigint
          : never;

export type DecodedParams<P extends readonly AbiParameter[]> = { -readonly [K in keyof P]: P[K] extends { type: infer T extends string } ? Decoded<T> : never };

/** The input is not an ABI encoding of the parameters (viem's decoder refused it too). */
export class AbiDecodeError extends Error {
  override name = "AbiDecodeError";
}

type Kind =
  | { kind: "int"; signed: boolean; bits: number }
  | { kind: "fixedBytes"; size: number }
  | { kind: "bytes" }
  | { kind: "string" }
  | { kind: "array"; element: Kind };

const kinds = new Map<string, Kind>();

function kindOf(type: string): Kind {
  let k = kinds.get(type);
  if (k !== undefined) return k;
  let m: RegExpMatchArray | null;
  if (type.endsWith("[]")) k = { kind: "array", element: kindOf(type.slice(0, -2)) };
  else if (type === "bytes") k = { kind: "bytes" };
  else if (type === "string") k = { kind: "string" };
  else if ((m = /^bytes([0-9]+)$/.exec(type)) && Number(m[1]) >= 1 && Number(m[1]) <= 32) k = { kind: "fixedBytes", size: Number(m[1]) };
  else if ((m = /^(u?)int([0-9]*)$/.exec(type))) k = { kind: "int", signed: m[1] === "", bits: m[2] === "" ? 256 : Number(m[2]) };
  else throw new TypeError(`abi-decode: unsupported type ${type}`);
  kinds.set(type, k);
  return k;
}

const utf8 = new TextDecoder();

const isDynamic = (k: Kind) => k.kind === "bytes" || k.kind === "string" || k.kind === "array";

/** Signals a layout this decoder does not read (viem's decoder decides). */
const NOT_CANONICAL = Symbol("not canonical");

class CanonicalReader {
  /** Where the next dynamic tail must start. */
  next = 0;
  constructor(readonly data: Uint8Array) {}

  /** A 32-byte word at `at` as a safe non-negative integer (offsets and lengths). */
  small(at: number): number {
    const d = this.data;
    if (at + 32 > d.length) throw NOT_CANONICAL;
    for (let i = at; i < at + 26; i++) if (d[i] !== 0) throw NOT_CANONICAL;
    let v = 0;
    for (let i = at + 26; i < at + 32; i++) v = v * 256 + d[i]!;
    return v;
  }

  /** The tail of a dynamic value whose offset (relative to `base`) is at `head`. */
  tail(base: number, head: number): number {
    const at = base + this.small(head);
    if (at !== this.next) throw NOT_CANONICAL;
    return at;
  }

  /** Values of a tuple of `kinds` whose head starts at `base`. */
  tuple(list: readonly Kind[], base: number, out: unknown[]): void {
    this.next = base + 32 * list.length;
    for (let i = 0; i < list.length; i++) out.push(this.value(list[i]!, base, base + 32 * i));
  }

  value(k: Kind, base: number, head: number): unknown {
    const d = this.data;
    switch (k.kind) {
      case "int":
        return this.int(head, k.signed, k.bits);
      case "fixedBytes": {
        if (head + 32 > d.length) throw NOT_CANONICAL;
        return d.slice(head, head + k.size);
      }
      case "bytes":
      case "string": {
        const at = this.tail(base, head);
        const length = this.small(at);
        const end = at + 32 + length;
        if (end > d.length) throw NOT_CANONICAL;
        this.next = at + 32 + Math.ceil(length / 32) * 32;
        const bytes = d.slice(at + 32, end);
        return k.kind === "bytes" ? bytes : utf8.decode(bytes);
      }
      case "array": {
        const at = this.tail(base, head);
        const length = this.small(at);
        const start = at + 32;
        // Every element takes at least one word: a length beyond the data is not canonical.
        if (start + 32 * length > d.length) throw NOT_CANONICAL;
        const out: unknown[] = [];
        if (isDynamic(k.element)) {
          this.tuple(Array<Kind>(length).fill(k.element), start, out);
        } else {
          for (let i = 0; i < length; i++) out.push(this.value(k.element, start, start + 32 * i));
          this.next = start + 32 * length;
        }
        return out;
      }
    }
  }

  int(at: number, signed: boolean, bits: number): number | bigint {
    const d = this.data;
    if (at + 32 > d.length) throw NOT_CANONICAL;
    const bytes = bits / 8;
    const negative = signed && (d[at + 32 - bytes]! & 0x80) !== 0;
    const fill = negative ? 0xff : 0;
    for (let i = at; i < at + 32 - bytes; i++) if (d[i] !== fill) throw NOT_CANONICAL;
    if (bits <= 48) {
      let v = 0;
      for (let i = at + 32 - bytes; i < at + 32; i++) v = v * 256 + d[i]!;
      return negative ? v - 2 ** bits : v;
    }
    let v = 0n;
    for (let i = at + 32 - bytes; i < at + 32; i += 4) v = (v << 32n) | BigInt(((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0);
    return negative ? v - (1n << BigInt(bits)) : v;
  }
}

/** viem's result with every bytes / bytesN value as a Uint8Array. */
function fromViem(k: Kind, v: unknown): unknown {
  if (k.kind === "bytes" || k.kind === "fixedBytes") return fromHex(v as string);
  if (k.kind === "array") return (v as unknown[]).map((e) => fromViem(k.element, e));
  return v;
}

/** The values of a canonically laid out abi.encode(params…), or undefined for any other input. */
export function decodeCanonical<const P extends readonly AbiParameter[]>(params: P, data: Uint8Array): DecodedParams<P> | undefined {
  const out: unknown[] = [];
  try {
    new CanonicalReader(data).tuple(
      params.map((p) => kindOf(p.type)),
      0,
      out,
    );
  } catch (e) {
    if (e === NOT_CANONICAL) return undefined;
    throw e;
  }
  return out as DecodedParams<P>;
}

/** Decodes `data` as abi.encode(params…); throws AbiDecodeError when it is not one. */
export function decodeParams<const P extends readonly AbiParameter[]>(params: P, data: Uint8Array): DecodedParams<P> {
  return decodeCanonical(params, data) ?? decodeWithViem(params, data);
}

/** viem's decoder (which also reads non-canonical layouts), with bytes as Uint8Array. */
export function decodeWithViem<const P extends readonly AbiParameter[]>(params: P, data: Uint8Array): DecodedParams<P> {
  const list = params.map((p) => kindOf(p.type));
  let values: readonly unknown[];
  try {
    values = decodeAbiParameters(params, data);
  } catch (e) {
    throw new AbiDecodeError(e instanceof Error ? e.message : String(e));
  }
  return values.map((v, i) => fromViem(list[i]!, v)) as DecodedParams<P>;
}
