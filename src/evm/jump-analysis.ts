// Jump-destination analysis, cached. The interpreter re-scans the whole bytecode of every contract
// on every message (valid JUMPDESTs, PUSH values, one opcode entry per byte): about 0.15 ms for a
// 5 KB contract, a third of a plain eth_call here. The result depends only on the code bytes and the
// EVM's opcode table, and the interpreter only reads it, so it is computed once per (opcode table,
// code array) by upstream's own _getValidJumpDestinations. The code array is the key by identity:
// the state manager hands out the same Uint8Array for a contract while it stays cached, and a miss
// costs only what upstream always pays. No upstream code is copied here.
import { importEvmModule, type InterpreterClass, type InterpreterLike, type JumpAnalysis } from "./interpreter-internals.ts";

/** Wraps Interpreter._getValidJumpDestinations in a cache. Called once, by installEvmOverrides. */
export async function installJumpAnalysisCache(): Promise<void> {
  const { Interpreter } = await importEvmModule<{ Interpreter: InterpreterClass }>("interpreter.js");
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
}
