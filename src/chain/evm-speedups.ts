// Two EthereumJS hot spots, replaced by code with the same results (test/chain/evm-speedups.test.ts
// runs the same bytecode with and without them and compares everything observable).
//
// 1. Jump-destination analysis. The interpreter re-scans the whole bytecode of every contract on
//    every message (valid JUMPDESTs, PUSH values, one opcode entry per byte): about 0.15 ms for a
//    5 KB contract, a third of a plain eth_call here. The result depends only on the code bytes and
//    the EVM's opcode table, and the interpreter only reads it, so it is computed once per (opcode
//    table, code array). The code array is the key by identity: the state manager hands out the same
//    Uint8Array for a contract while it stays cached, and a miss costs only what upstream always
//    pays. The Interpreter class is not exported, so its module is loaded by file (the instance the
//    EVM uses) and the method is wrapped once.
// 2. MSTORE. Upstream converts the word with bigIntToBytes (a hex string) and setLengthLeft (which
//    pads through array spreads): 8 % of an inference eth_call. Here one hex conversion fills the
//    32 bytes in place.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { EVMInterface } from "@ethereumjs/evm";

interface JumpAnalysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: unknown[];
}

interface InterpreterLike {
  _evm: { _opcodeMap: object };
  _getValidJumpDestinations(code: Uint8Array): JumpAnalysis;
}

interface RunStateLike {
  stack: { popN(n: number): bigint[] };
  memory: { write(offset: number, size: number, value: Uint8Array): void };
}

interface OpcodeMapEntry {
  opcodeInfo: { code: number; name: string };
  opHandler: (runState: RunStateLike) => void;
}

const MSTORE = 0x52;
let jumpCacheInstalled = false;

/** Wraps Interpreter.prototype._getValidJumpDestinations with the per-code cache (idempotent). */
export async function installJumpDestCache(): Promise<void> {
  if (jumpCacheInstalled) return;
  const evmIndex = fileURLToPath(import.meta.resolve("@ethereumjs/evm"));
  const { Interpreter } = (await import(pathToFileURL(join(dirname(evmIndex), "interpreter.js")).href)) as { Interpreter: { prototype: InterpreterLike } };
  const analyse = Interpreter.prototype._getValidJumpDestinations;
  if (typeof analyse !== "function") throw new Error("@ethereumjs/evm: Interpreter._getValidJumpDestinations not found (version changed?)");
  const byTable = new WeakMap<object, WeakMap<Uint8Array, JumpAnalysis>>();
  Interpreter.prototype._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): JumpAnalysis {
    const table = this._evm._opcodeMap;
    let cache = byTable.get(table);
    if (cache === undefined) {
      cache = new WeakMap();
      byTable.set(table, cache);
    }
    let analysis = cache.get(code);
    if (analysis === undefined) {
      analysis = analyse.call(this, code);
      cache.set(code, analysis);
    }
    return analysis;
  };
  jumpCacheInstalled = true;
}

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

/** Swaps this EVM's MSTORE handler for the fast one (gas handling is untouched). */
export function speedUpOpcodes(evm: EVMInterface): void {
  const map = (evm as unknown as { _opcodeMap: OpcodeMapEntry[] })._opcodeMap;
  const entry = map[MSTORE];
  if (entry?.opcodeInfo.name !== "MSTORE") throw new Error("@ethereumjs/evm: MSTORE entry not found in the opcode map (version changed?)");
  entry.opHandler = mstore;
}

/** Both speed-ups for a freshly created EVM. */
export async function installEvmSpeedups(evm: EVMInterface): Promise<void> {
  await installJumpDestCache();
  speedUpOpcodes(evm);
}
