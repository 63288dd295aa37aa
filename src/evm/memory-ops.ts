// MSTORE, MLOAD and PUSH1–PUSH32 handlers, swapped into each EVM's opcode map (gas handling is
// untouched). Upstream converts an MSTORE word with bigIntToBytes (a hex string) and setLengthLeft
// (which pads through array spreads): 8 % of an inference eth_call. Here one hex conversion fills the
// 32 bytes in place. MLOAD went through a hex string too (bytesToBigInt); here it is four 64-bit
// reads. Every PUSH asked isActivatedEIP(6800) and (7864), each a scan of the active EIP list; here
// that is decided once per EVM.
// How they differ from upstream's handlers: src/evm/upstream/mload.diff, mstore.diff and push.diff.
import type { EVMInterface } from "@ethereumjs/evm";
import type { OpcodeMapEntry, RunStateLike } from "./interpreter-internals.ts";

/** Value of each hex digit's char code ('0'-'9', 'a'-'f'), as BigInt.toString(16) writes them. */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = 10 + i;

/** A stack word (0 ≤ word < 2^256) as 32 big-endian bytes. One hex conversion, no padding copies. */
export function wordToBytes(word: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const hex = word.toString(16);
  let j = hex.length;
  for (let i = 31; i >= 0 && j > 0; i--) {
    const lo = HEX_VALUE[hex.charCodeAt(--j)]!;
    const hi = j > 0 ? HEX_VALUE[hex.charCodeAt(--j)]! : 0;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function mstore(runState: RunStateLike): void {
  const [offset, word] = runState.stack.popN(2) as [bigint, bigint];
  runState.memory.write(Number(offset), 32, wordToBytes(word));
}

/** A DataView over the last memory buffer MLOAD read (the buffer changes only when memory grows). */
let viewBuffer: ArrayBufferLike | undefined;
let view: DataView | undefined;

/** MLOAD: the word as four 64-bit reads instead of a hex string (upstream's bytesToBigInt). */
function mload(runState: FastRunState): void {
  const pos = runState.stack.pop();
  const word = runState.memory.read(Number(pos), 32, true);
  if (viewBuffer !== word.buffer) {
    viewBuffer = word.buffer;
    view = new DataView(word.buffer);
  }
  const o = word.byteOffset;
  const v = view!;
  runState.stack.push((v.getBigUint64(o) << 192n) | (v.getBigUint64(o + 8) << 128n) | (v.getBigUint64(o + 16) << 64n) | v.getBigUint64(o + 24));
}

/**
 * PUSH1–PUSH32 for an EVM whose rules never charge code chunks: upstream's handler minus its two
 * isActivatedEIP(6800 / 7864) lookups per push (linear scans of the active EIP list).
 */
function push(runState: FastRunState): void {
  const numToPush = runState.opCode - 0x5f;
  if (!runState.shouldDoJumpAnalysis) {
    runState.stack.push(runState.cachedPushes[runState.programCounter]!);
    runState.programCounter += numToPush;
    return;
  }
  const pc = runState.programCounter;
  let value = 0n;
  for (let i = 0; i < numToPush; i++) value = (value << 8n) | BigInt(runState.code[pc + i] ?? 0); // past the end reads as 0
  runState.programCounter += numToPush;
  runState.stack.push(value);
}

interface FastRunState {
  opCode: number;
  programCounter: number;
  code: Uint8Array;
  shouldDoJumpAnalysis: boolean;
  cachedPushes: Record<number, bigint>;
  stack: { pop(): bigint; push(value: bigint): void };
  memory: { read(offset: number, size: number, avoidCopy: boolean): Uint8Array };
}

const MLOAD = 0x51;
const MSTORE = 0x52;
const PUSH1 = 0x60;
const PUSH32 = 0x7f;

/**
 * Swaps this EVM's MSTORE and MLOAD handlers for the fast ones, and PUSH1–PUSH32's when its rules
 * never charge code chunks (gas handling is untouched). A hardfork change rebuilds the opcode map
 * with upstream's handlers, which is slower but correct.
 */
export function speedUpOpcodes(evm: EVMInterface): void {
  const map = (evm as unknown as { _opcodeMap: OpcodeMapEntry[] })._opcodeMap;
  const entry = (code: number, name: string): OpcodeMapEntry => {
    const e = map[code];
    if (e?.opcodeInfo.name !== name) throw new Error(`@ethereumjs/evm: ${name} entry not found in the opcode map (version changed?)`);
    return e;
  };
  entry(MSTORE, "MSTORE").opHandler = mstore;
  entry(MLOAD, "MLOAD").opHandler = mload as unknown as OpcodeMapEntry["opHandler"];
  const common = (evm as unknown as { common: { isActivatedEIP(eip: number): boolean } }).common;
  if (common.isActivatedEIP(6800) || common.isActivatedEIP(7864)) return;
  for (let code = PUSH1; code <= PUSH32; code++) entry(code, "PUSH").opHandler = push as unknown as OpcodeMapEntry["opHandler"];
}
