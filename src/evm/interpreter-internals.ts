// What the interpreter overrides (run-loop.ts, sync-steps.ts, sload.ts, jump-analysis.ts,
// run-interpreter.ts, memory-growth.ts, memory-ops.ts) share: how they reach @ethereumjs/evm's
// unexported modules, the shapes of the internals they touch, and when a run is observed.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * A module of @ethereumjs/evm's dist by its path inside dist/esm ("interpreter.js", "opcodes/gas.js").
 * Interpreter, Memory and the opcode tables are not exported, so they are loaded by file: the same
 * module instances the EVM itself uses.
 */
export async function importEvmModule<T>(path: string): Promise<T> {
  const dist = dirname(fileURLToPath(import.meta.resolve("@ethereumjs/evm")));
  return (await import(pathToFileURL(join(dist, ...path.split("/"))).href)) as T;
}

export interface JumpAnalysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: unknown[];
}

export interface InterpreterLike {
  /**
   * Set by the fast run loop: whether nothing observes this run's steps (no tracer, profiler, debug
   * logging or code-chunk charging). Recomputed after every awaited step, the only points where
   * other code can run and attach a tracer; undefined outside the fast loop (runStep then checks).
   */
  aivmQuiet?: boolean;
  _evm: { _opcodeMap: object; DEBUG: boolean; events: { listenerCount(event: string): number } };
  _env: { chargeCodeAccesses?: boolean };
  _runState: RunStateLike & {
    opCode: number;
    programCounter: number;
    code: Uint8Array;
    gasLeft: bigint;
    validJumps: Uint8Array;
    cachedPushes: Record<number, bigint>;
    shouldDoJumpAnalysis: boolean;
    eip7928PostTargetCallOog?: unknown;
    eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean;
    env: { accessWitness?: { commit(): void; revert(): void } };
  };
  common: { isActivatedEIP(eip: number): boolean };
  performanceLogger: { hasTimer(): boolean };
  run(code: Uint8Array, opts?: { pc?: number }): Promise<RunResult>;
  profilerOpts?: { enabled?: boolean };
  _getValidJumpDestinations(code: Uint8Array): JumpAnalysis;
  runStep(opcodeObj?: OpcodeMapEntry): Promise<void> | undefined;
  lookupOpInfo(op: number): OpcodeMapEntry;
  useGas(amount: bigint, context: unknown): void;
}

export interface RunStateLike {
  stack: { popN(n: number): bigint[]; peek(n: number): bigint[] };
  memory: { write(offset: number, size: number, value: Uint8Array): void };
}

export interface RunResult {
  runState: unknown;
  exceptionError: unknown;
}

export interface OpcodeMapEntry {
  opcodeInfo: { code: number; name: string; feeBigInt: bigint; dynamicGas: boolean; isAsync: boolean; isInvalid: boolean };
  opHandler: (runState: RunStateLike, common: unknown) => void;
  gasHandler?: unknown;
}

/** The Interpreter class as loaded from interpreter.js. */
export type InterpreterClass = { prototype: InterpreterLike };

/** How many interpreter runs took the fast loop, and how SLOADs were answered (tests check the fast paths are really used). */
export const speedupStats = { fastRuns: 0, sloadsFromCache: 0, sloadsAwaited: 0 };

/** Per Common: is code-chunk charging (EIP-6800 / EIP-7864) active? Not under Osaka, this chain's rules. */
const chunkRules = new WeakMap<object, boolean>();

/** Nothing watches or charges this interpreter's steps: no profiler, debug log, step listener or code-chunk charging. */
export function unobserved(interpreter: InterpreterLike): boolean {
  return !(interpreter.profilerOpts?.enabled === true || interpreter._evm.DEBUG || interpreter._evm.events.listenerCount("step") > 0 || chargesCodeChunks(interpreter));
}

/** Does this frame pay for code chunks? (The EVM marks every loaded contract's frame; only these EIPs charge.) */
export function chargesCodeChunks(interpreter: InterpreterLike): boolean {
  if (interpreter._env.chargeCodeAccesses !== true) return false;
  let active = chunkRules.get(interpreter.common);
  if (active === undefined) {
    active = interpreter.common.isActivatedEIP(6800) || interpreter.common.isActivatedEIP(7864);
    chunkRules.set(interpreter.common, active);
  }
  return active;
}
