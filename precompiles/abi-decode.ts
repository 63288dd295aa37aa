// ABI decoding of precompile inputs, straight to bytes, in the canonical layout only: heads in
// order, each dynamic tail starting exactly where the previous one ended, integers within their
// type's range. Solidity's abi.encode, the AIVM library, viem and ethers all write it. Any other
// layout is rejected (NonCanonicalAbiError) at the first byte that leaves it: the ABI lets tails
// alias and overlap, so a lenient decoder can be made to read one large tail once per head, work
// the decode gas (which is per input byte) does not pay for. Here every input byte is read, and
// every tail copied, at most once.
import type { AbiParameter } from "viem";
import { NonCanonicalAbiError } from "./errors.ts";

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

// fatal: a string that is not UTF-8 would decode to replacement characters, which encode differently.
const utf8 = new TextDecoder("utf-8", { fatal: true });

const isDynamic = (k: Kind) => k.kind === "bytes" || k.kind === "string" || k.kind === "array";

/** Where and why the input left the canonical layout (turned into a NonCanonicalAbiError by decodeParams). */
class NotCanonical {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/** Reads one canonical layout front to back; every byte is looked at, and every tail copied, at most once. */
class CanonicalReader {
  /** Where the next dynamic tail must start. */
  next = 0;
  constructor(readonly data: Uint8Array) {}

  /** Bytes from..to must be zero (the padding of a value). */
  zeros(from: number, to: number, what: string): void {
    const d = this.data;
    for (let i = from; i < to; i++) if (d[i] !== 0) throw new NotCanonical(i, `non-zero padding in ${what}`);
  }

  /** A 32-byte word at `at` as a safe non-negative integer (offsets and lengths). */
  small(at: number, what: string): number {
    const d = this.data;
    if (at + 32 > d.length) throw new NotCanonical(at, `the ${what} word runs past the end of the input`);
    for (let i = at; i < at + 26; i++) if (d[i] !== 0) throw new NotCanonical(at, `${what} above 2^48`);
    let v = 0;
    for (let i = at + 26; i < at + 32; i++) v = v * 256 + d[i]!;
    return v;
  }

  /** The tail of a dynamic value whose offset (relative to `base`) is at `head`: it must start where the previous tail ended. */
  tail(base: number, head: number): number {
    const at = base + this.small(head, "offset");
    if (at !== this.next) throw new NotCanonical(head, `offset points to byte ${at}, the canonical layout has this tail at byte ${this.next}`);
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
        if (head + 32 > d.length) throw new NotCanonical(head, `a bytes${k.size} word runs past the end of the input`);
        this.zeros(head + k.size, head + 32, `bytes${k.size}`);
        return d.slice(head, head + k.size);
      }
      case "bytes":
      case "string": {
        const at = this.tail(base, head);
        const length = this.small(at, "length");
        const end = at + 32 + length;
        const padded = at + 32 + Math.ceil(length / 32) * 32;
        if (padded > d.length) throw new NotCanonical(at, `a ${k.kind} of ${length} bytes runs past the end of the input`);
        this.zeros(end, padded, k.kind);
        this.next = padded;
        const bytes = d.slice(at + 32, end);
        if (k.kind === "bytes") return bytes;
        try {
          return utf8.decode(bytes);
        } catch {
          throw new NotCanonical(at + 32, "a string that is not UTF-8");
        }
      }
      case "array": {
        const at = this.tail(base, head);
        const length = this.small(at, "length");
        const start = at + 32;
        // Every element takes at least one word: a length beyond the data cannot be laid out.
        if (start + 32 * length > d.length) throw new NotCanonical(at, `an array of ${length} elements runs past the end of the input`);
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
    const type = () => `${signed ? "" : "u"}int${bits}`;
    if (at + 32 > d.length) throw new NotCanonical(at, `an ${type()} word runs past the end of the input`);
    const first = at + 32 - bits / 8;
    const top = d[first]!;
    const negative = signed && (top & 0x80) !== 0;
    const fill = negative ? 0xff : 0;
    for (let i = at; i < first; i++) if (d[i] !== fill) throw new NotCanonical(at, `a value outside ${type()}`);
    if (bits <= 48) {
      let v = top;
      for (let i = first + 1; i < at + 32; i++) v = v * 256 + d[i]!;
      return negative ? v - 2 ** bits : v;
    }
    let v = BigInt(top);
    let i = first + 1;
    for (; (at + 32 - i) % 4 !== 0; i++) v = (v << 8n) | BigInt(d[i]!);
    for (; i < at + 32; i += 4) v = (v << 32n) | BigInt(((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0);
    return negative ? v - (1n << BigInt(bits)) : v;
  }
}

/**
 * Decodes `data` as abi.encode(params…) in the canonical layout: exactly the bytes Solidity, viem and
 * ethers write for the decoded values (zero padding, no trailing bytes). Throws NonCanonicalAbiError,
 * naming `what`, at the first byte that differs from that layout; a rejection never reads on.
 */
export function decodeParams<const P extends readonly AbiParameter[]>(params: P, data: Uint8Array, what = "ABI input"): DecodedParams<P> {
  const out: unknown[] = [];
  const reader = new CanonicalReader(data);
  try {
    reader.tuple(
      params.map((p) => kindOf(p.type)),
      0,
      out,
    );
    if (reader.next !== data.length) throw new NotCanonical(reader.next, `${data.length - reader.next} bytes after the encoding`);
  } catch (e) {
    if (e instanceof NotCanonical) throw new NonCanonicalAbiError(what, `(${params.map((p) => p.type).join(",")})`, e.offset, e.reason);
    throw e;
  }
  return out as DecodedParams<P>;
}
