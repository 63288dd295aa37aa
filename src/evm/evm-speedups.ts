// Three EthereumJS hot spots, replaced by code with the same results (test/evm/evm-speedups.test.ts
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
// 2. MSTORE, MLOAD and PUSH. Upstream converts an MSTORE word with bigIntToBytes (a hex string)
//    and setLengthLeft (which pads through array spreads): 8 % of an inference eth_call. Here one
//    hex conversion fills the 32 bytes in place. MLOAD went through a hex string too (bytesToBigInt);
//    here it is four 64-bit reads. Every PUSH asked isActivatedEIP(6800) and (7864), each a scan
//    of the active EIP list; here that is decided once per EVM.
// 3. Synchronous steps. The interpreter awaits runStep, an async function, for every opcode, even
//    for the ~90 % (PUSH, DUP, ADD, JUMP, …) whose gas is a constant (or, for MLOAD, MSTORE and
//    MSTORE8, a memory-expansion charge computed synchronously) and whose handler is
//    synchronous: about 0.3 µs of promise machinery per step, more than the work itself. The
//    wrapped runStep does those steps in place and returns undefined; every other step, and every
//    step while a tracer, the profiler, debug logging or code-chunk charging is on, goes to
//    upstream's runStep unchanged. The wrapped run is upstream's loop for legacy (non-EOF) code,
//    line for line, except that it awaits only the steps that returned a promise; EOF code, the
//    profiler and code-chunk charging take upstream's run. Whether anything observes the steps
//    (tracer, profiler, debug log, chunk charging) is decided once per run and again after each
//    awaited step, the only points where other code can run, instead of at every step.
// 4. SLOAD under plain EIP-2929 rules runs without upstream's two async functions (gas handler and
//    op handler), and answers from the state manager's cache without a promise when it can.
// 5. EVM.runInterpreter builds the runState of every message's result from three object spreads
//    that nothing reads; the patched copy returns the RunState itself (see patchRunInterpreter).
// 6. Memory.extend grows in one allocation, doubling from 1 KiB, instead of allocating an 8 KiB
//    container and concatenating it onto the old store (see patchMemoryGrowth).
// 7. Not a speed-up: the fast loop polls the call deadline of call-deadline.ts when the EVM was
//    armed with one (the node's call VM only), so an eth_call can be stopped and can yield.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { EVMInterface } from "@ethereumjs/evm";
import { Account, bytesToBigInt, createZeroAddress, type Address } from "@ethereumjs/util";
import { HALT, YIELD, callWatchOf, pollCallWatch, yieldToEventLoop } from "./call-deadline.ts";

interface JumpAnalysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: unknown[];
}

interface InterpreterLike {
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

interface RunStateLike {
  stack: { popN(n: number): bigint[]; peek(n: number): bigint[] };
  memory: { write(offset: number, size: number, value: Uint8Array): void };
}

interface RunResult {
  runState: unknown;
  exceptionError: unknown;
}

interface OpcodeMapEntry {
  opcodeInfo: { code: number; name: string; feeBigInt: bigint; dynamicGas: boolean; isAsync: boolean; isInvalid: boolean };
  opHandler: (runState: RunStateLike, common: unknown) => void;
  gasHandler?: unknown;
}

const MSTORE = 0x52;
/** First byte of EOF code (EIP-3540). */
const EOF_FORMAT = 0xef;
let interpreterPatched = false;

/** Both ways of building a message's Interpreter, set once patched (the test compares their fields). */
export const interpreterFactories: {
  fast?: (evm: unknown, env: object, gasLeft: bigint) => object;
  upstream?: (evm: unknown, env: object, gasLeft: bigint) => object;
} = {};

/** How many interpreter runs took the fast loop (tests check the fast path is really used). */
export const speedupStats = { fastRuns: 0, sloadsFromCache: 0, sloadsAwaited: 0 };

/** Wraps the Interpreter's jump analysis (cache) and runStep (synchronous steps), once per process. */
export async function patchInterpreter(): Promise<void> {
  if (interpreterPatched) return;
  const evmIndex = fileURLToPath(import.meta.resolve("@ethereumjs/evm"));
  const { Interpreter } = (await import(pathToFileURL(join(dirname(evmIndex), "interpreter.js")).href)) as { Interpreter: { prototype: InterpreterLike } };
  const dist = dirname(evmIndex);
  const { EVMError, EVMErrorTypeString } = (await import(pathToFileURL(join(dist, "errors.js")).href)) as {
    EVMError: (new (error: string) => unknown) & { errorMessages: { STOP: string; OUT_OF_GAS: string } };
    EVMErrorTypeString: string;
  };
  const run = Interpreter.prototype.run;
  Interpreter.prototype.run = async function (this: InterpreterLike, code: Uint8Array, opts: { pc?: number } = {}): Promise<RunResult> {
    const state = this._runState;
    const pc = opts.pc ?? state.programCounter;
    const eof = this.common.isActivatedEIP(3540) && code[0] === EOF_FORMAT;
    const profiling = this.profilerOpts?.enabled === true && this.performanceLogger.hasTimer();
    if (eof || profiling || chargesCodeChunks(this) || (pc !== 0 && (pc < 0 || pc >= code.length))) return run.call(this, code, opts);
    speedupStats.fastRuns++;
    state.code = code;
    state.programCounter = pc;
    this.aivmQuiet = unobserved(this);
    // Only the node's call VM is armed (call-deadline.ts): a deadline and turns of the event loop.
    const watch = callWatchOf(this._evm);
    let err: unknown;
    let cachedOpcodes: OpcodeMapEntry[] | undefined;
    while (state.programCounter < state.code.length) {
      if (watch !== undefined && --watch.countdown <= 0) {
        const verdict = pollCallWatch(watch);
        if (verdict === HALT) {
          // An exceptional halt: the EVM unwinds and reverts as for any out-of-gas.
          state.gasLeft = 0n;
          err = new EVMError(EVMError.errorMessages.OUT_OF_GAS);
          break;
        }
        if (verdict === YIELD) {
          await yieldToEventLoop();
          this.aivmQuiet = unobserved(this);
        }
      }
      const programCounter = state.programCounter;
      let opCode: number;
      let opCodeObj: OpcodeMapEntry | undefined;
      if (cachedOpcodes === undefined) {
        opCode = state.code[programCounter]!;
        // Jump analysis only once the code is seen to contain a JUMP/JUMPI/JUMPSUB, as upstream.
        if (opCode === 0x56 || opCode === 0x57 || opCode === 0x5e) {
          const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(state.code);
          state.validJumps = jumps;
          state.cachedPushes = pushes;
          state.shouldDoJumpAnalysis = false;
          cachedOpcodes = opcodesCached as OpcodeMapEntry[];
        }
      } else {
        opCodeObj = cachedOpcodes[programCounter]!;
        opCode = opCodeObj.opcodeInfo.code;
      }
      state.opCode = opCode;
      try {
        const pending = this.runStep(opCodeObj);
        if (pending !== undefined) {
          await pending;
          this.aivmQuiet = unobserved(this);
          // An awaited step may have been a whole call or precompile: poll before the next one.
          if (watch !== undefined) watch.countdown = 1;
        }
      } catch (e) {
        state.env.accessWitness?.revert();
        if (!(typeof e === "object" && e !== null && (e as { errorType?: string }).errorType === EVMErrorTypeString)) throw e;
        if ((e as { error?: string }).error !== EVMError.errorMessages.STOP) err = e;
        break;
      }
    }
    if (err === undefined && state.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true && state.gasLeft > 0n) {
      state.gasLeft = 0n;
      err = new EVMError(EVMError.errorMessages.OUT_OF_GAS);
    }
    return { runState: state, exceptionError: err };
  };
  const runStep = Interpreter.prototype.runStep;
  if (typeof runStep !== "function") throw new Error("@ethereumjs/evm: Interpreter.runStep not found (version changed?)");
  // MLOAD, MSTORE and MSTORE8 charge memory expansion in gas handlers that are async by declaration
  // only. Their synchronous twins below compute the same charge with upstream's subMemUsage; they
  // stand in only while the opcode map still holds upstream's handler.
  const { dynamicGasHandlers } = (await import(pathToFileURL(join(dist, "opcodes", "gas.js")).href)) as { dynamicGasHandlers: Map<number, unknown> };
  const { subMemUsage } = (await import(pathToFileURL(join(dist, "opcodes", "util.js")).href)) as {
    subMemUsage: (runState: unknown, offset: bigint, length: bigint, common: unknown) => bigint;
  };
  const memoryGas = new Map<unknown, (runState: RunStateLike, gas: bigint, common: unknown) => bigint>();
  for (const [code, length] of [
    [0x51, 32n],
    [0x52, 32n],
    [0x53, 1n],
  ] as const) {
    const upstream = dynamicGasHandlers.get(code);
    if (typeof upstream !== "function") throw new Error(`@ethereumjs/evm: gas handler of opcode ${code} not found (version changed?)`);
    memoryGas.set(upstream, (runState, gas, common) => gas + subMemUsage(runState, runState.stack.peek(1)[0]!, length, common));
  }
  const { handlers } = (await import(pathToFileURL(join(dist, "opcodes", "functions.js")).href)) as { handlers: Map<number, unknown> };
  const upstreamSload = { gas: dynamicGasHandlers.get(SLOAD), op: handlers.get(SLOAD) };
  if (typeof upstreamSload.gas !== "function" || typeof upstreamSload.op !== "function") throw new Error("@ethereumjs/evm: SLOAD handlers not found (version changed?)");
  Interpreter.prototype.runStep = function (this: InterpreterLike, opcodeObj?: OpcodeMapEntry): Promise<void> | undefined {
    const entry = opcodeObj ?? this.lookupOpInfo(this._runState.opCode);
    const info = entry.opcodeInfo;
    const syncGas = info.dynamicGas ? memoryGas.get(entry.gasHandler) : undefined;
    const observed = info.isInvalid || !(this.aivmQuiet ?? unobserved(this)) || this._runState.eip7928PostTargetCallOog !== undefined;
    if (!observed && info.code === SLOAD && entry.gasHandler === upstreamSload.gas && entry.opHandler === upstreamSload.op) {
      const rules = storageRules(this.common as unknown as RulesCommon);
      if (rules !== undefined) return sload(this as unknown as SloadInterpreter, info, rules);
    }
    if ((info.dynamicGas && syncGas === undefined) || info.isAsync || observed) {
      return runStep.call(this, opcodeObj);
    }
    // Upstream's order for a synchronous opcode: gas (with memory expansion), charge, advance, run.
    const gas = syncGas === undefined ? info.feeBigInt : syncGas(this._runState, info.feeBigInt, this.common);
    this.useGas(gas, info);
    this._runState.programCounter++;
    entry.opHandler(this._runState, this.common);
    this._runState.env.accessWitness?.commit();
    return undefined;
  };
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
  await patchRunInterpreter(dist);
  interpreterPatched = true;
}

/**
 * EVM.runInterpreter, line for line, except the `runState` of its result: upstream builds it as
 * `{ ...runState, ...result, ...env }`, three object spreads per message (~35 µs, 7–10 % of a
 * contract eth_call) for a field that neither EthereumJS nor this node reads. Here it is the
 * interpreter's RunState itself, which is what ExecResult.runState is typed as.
 */
async function patchRunInterpreter(dist: string): Promise<void> {
  const { EVM, defaultBlock } = (await import(pathToFileURL(join(dist, "evm.js")).href)) as {
    EVM: { prototype: Record<string, unknown> };
    defaultBlock: () => unknown;
  };
  const { Interpreter } = (await import(pathToFileURL(join(dist, "interpreter.js")).href)) as {
    Interpreter: new (...args: unknown[]) => InterpreterLike & {
      _result: { selfdestruct?: unknown; createdAddresses?: unknown; returnValue?: Uint8Array; logs: unknown[] };
    };
  };
  const { EVMError } = (await import(pathToFileURL(join(dist, "errors.js")).href)) as { EVMError: { errorMessages: { REVERT: string; INVALID_EOF_FORMAT: string } } };
  if (typeof EVM.prototype.runInterpreter !== "function" || typeof defaultBlock !== "function") {
    throw new Error("@ethereumjs/evm: EVM.runInterpreter or defaultBlock not found (version changed?)");
  }
  type Msg = {
    to?: Address; caller?: Address; data?: Uint8Array; value?: bigint; code: Uint8Array; isStatic?: boolean; isCreate?: boolean; depth?: number;
    codeAddress?: Address; gasRefund?: bigint; chargeCodeAccesses?: boolean; blobVersionedHashes?: Uint8Array[]; accessWitness?: { commit(): void };
    createdAddresses?: Set<string>; selfdestruct?: Set<string>; gasLimit: bigint;
  };
  type Evm = {
    stateManager: { getAccount(a: Address): Promise<Account | undefined> };
    blockchain: unknown; journal: unknown; performanceLogger: unknown; _optsCached: { profiler?: unknown };
    _tx: { gasPrice: bigint; origin?: Address }; _block?: unknown;
  };
  const { Memory } = (await import(pathToFileURL(join(dist, "memory.js")).href)) as { Memory: { prototype: object } };
  const { Stack } = (await import(pathToFileURL(join(dist, "stack.js")).href)) as { Stack: new () => unknown };
  patchMemoryGrowth(Memory.prototype as MemoryLike);
  const EMPTY_MEMORY = new Uint8Array(0);
  /**
   * The Interpreter constructor, field for field, except that its memory starts empty instead of
   * with 8 KiB: Memory grows by whole 8 KiB containers on first use anyway (Memory.extend), and a
   * fresh 8 KiB buffer per message (3–4 % of a contract transaction) was allocated even for
   * frames that never touch memory. test/evm/evm-speedups.test.ts compares the fields with a
   * real Interpreter's.
   */
  const createInterpreter = (evm: Evm, env: object & { gasRefund?: bigint; initialLogs?: unknown[] }, gasLeft: bigint): object => {
    const common = (evm as unknown as { common: { consensusType(): string } }).common;
    if (common.consensusType() === "poa") {
      // Upstream's constructor checks the clique signer; take it for that rare chain.
      return new Interpreter(evm, evm.stateManager, evm.blockchain, env, gasLeft, evm.journal, evm.performanceLogger, evm._optsCached.profiler);
    }
    const memory = Object.create(Memory.prototype) as { _store: Uint8Array };
    memory._store = EMPTY_MEMORY;
    const interpreter = Object.create(Interpreter.prototype) as InstanceType<typeof Interpreter> & Record<string, unknown>;
    interpreter.opDebuggers = {};
    interpreter._evm = evm as unknown as InterpreterLike["_evm"];
    interpreter._stateManager = evm.stateManager;
    interpreter.common = common as unknown as InterpreterLike["common"];
    interpreter._runState = {
      programCounter: 0,
      opCode: 0xfe,
      memory,
      memoryWordCount: 0n,
      highestMemCost: 0n,
      stack: new Stack(),
      code: new Uint8Array(0),
      validJumps: Uint8Array.from([]),
      cachedPushes: {},
      stateManager: evm.stateManager,
      blockchain: evm.blockchain,
      env,
      shouldDoJumpAnalysis: true,
      interpreter,
      gasRefund: env.gasRefund,
      gasLeft,
      stateGasSpilled: 0n,
      returnBytes: new Uint8Array(0),
    } as unknown as InterpreterLike["_runState"];
    interpreter.journal = evm.journal;
    interpreter._env = env as InterpreterLike["_env"];
    interpreter._result = { logs: env.initialLogs ? [...env.initialLogs] : [], returnValue: undefined, selfdestruct: new Map() };
    interpreter.profilerOpts = evm._optsCached.profiler as InterpreterLike["profilerOpts"];
    interpreter.performanceLogger = evm.performanceLogger as InterpreterLike["performanceLogger"];
    return interpreter;
  };
  interpreterFactories.fast = createInterpreter as (evm: unknown, env: object, gasLeft: bigint) => object;
  interpreterFactories.upstream = (evm, env, gasLeft) => {
    const e = evm as Evm;
    return new Interpreter(e, e.stateManager, e.blockchain, env, gasLeft, e.journal, e.performanceLogger, e._optsCached.profiler);
  };
  EVM.prototype.runInterpreter = async function (this: Evm, message: Msg, opts: { initialLogs?: unknown[]; pc?: number } = {}) {
    let contract = await this.stateManager.getAccount(message.to ?? createZeroAddress());
    if (!contract) contract = new Account();
    const env = {
      address: message.to ?? createZeroAddress(),
      caller: message.caller ?? createZeroAddress(),
      callData: message.data ?? Uint8Array.from([0]),
      callValue: message.value ?? 0n,
      code: message.code,
      isStatic: message.isStatic ?? false,
      isCreate: message.isCreate ?? false,
      depth: message.depth ?? 0,
      gasPrice: this._tx.gasPrice,
      origin: this._tx.origin ?? message.caller ?? createZeroAddress(),
      block: this._block ?? defaultBlock(),
      contract,
      codeAddress: message.codeAddress,
      gasRefund: message.gasRefund,
      chargeCodeAccesses: message.chargeCodeAccesses,
      blobVersionedHashes: message.blobVersionedHashes ?? [],
      accessWitness: message.accessWitness,
      createdAddresses: message.createdAddresses,
      initialLogs: opts.initialLogs,
    };
    const interpreter = createInterpreter(this, env, message.gasLimit) as InstanceType<typeof Interpreter>;
    if (message.selfdestruct) interpreter._result.selfdestruct = message.selfdestruct;
    if (message.createdAddresses) interpreter._result.createdAddresses = message.createdAddresses;
    const interpreterRes = (await interpreter.run(message.code, opts)) as RunResult & {
      runState: { gasLeft: bigint; gasRefund: bigint; stateGasSpilled: bigint };
      exceptionError?: { error: string };
    };
    let result = interpreter._result;
    let gasUsed = message.gasLimit - interpreterRes.runState.gasLeft;
    if (interpreterRes.exceptionError) {
      if (interpreterRes.exceptionError.error !== EVMError.errorMessages.REVERT && interpreterRes.exceptionError.error !== EVMError.errorMessages.INVALID_EOF_FORMAT) {
        gasUsed = message.gasLimit;
      }
      // Clear the result on error
      result = { ...result, logs: [], selfdestruct: new Map(), createdAddresses: new Set() };
    }
    message.accessWitness?.commit();
    return {
      ...result,
      runState: interpreterRes.runState,
      exceptionError: interpreterRes.exceptionError,
      gas: interpreterRes.runState.gasLeft,
      executionGasUsed: gasUsed,
      gasRefund: interpreterRes.runState.gasRefund,
      stateGasSpilled: interpreterRes.runState.stateGasSpilled,
      returnValue: result.returnValue ?? new Uint8Array(0),
    };
  };
}

/** Value of each hex digit's char code ('0'-'9', 'a'-'f'), as BigInt.toString(16) writes them. */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = 10 + i;

/** Per Common: is code-chunk charging (EIP-6800 / EIP-7864) active? Not under Osaka, this chain's rules. */
const chunkRules = new WeakMap<object, boolean>();

/** Nothing watches or charges this interpreter's steps: no profiler, debug log, step listener or code-chunk charging. */
function unobserved(interpreter: InterpreterLike): boolean {
  return !(interpreter.profilerOpts?.enabled === true || interpreter._evm.DEBUG || interpreter._evm.events.listenerCount("step") > 0 || chargesCodeChunks(interpreter));
}

/** Does this frame pay for code chunks? (The EVM marks every loaded contract's frame; only these EIPs charge.) */
function chargesCodeChunks(interpreter: InterpreterLike): boolean {
  if (interpreter._env.chargeCodeAccesses !== true) return false;
  let active = chunkRules.get(interpreter.common);
  if (active === undefined) {
    active = interpreter.common.isActivatedEIP(6800) || interpreter.common.isActivatedEIP(7864);
    chunkRules.set(interpreter.common, active);
  }
  return active;
}

const SLOAD = 0x54;

interface RulesCommon {
  isActivatedEIP(eip: number): boolean;
  param(name: string): bigint;
}

/** The SLOAD charges under plain EIP-2929 rules, or undefined where other rules apply (upstream's path). */
interface StorageRules {
  cold: bigint;
  warm: bigint;
}

const storageRulesByCommon = new WeakMap<object, StorageRules | null>();

function storageRules(common: RulesCommon): StorageRules | undefined {
  let rules = storageRulesByCommon.get(common);
  if (rules === undefined) {
    // Stateless access charges (6800, 7864) and block-level access lists (7928) change SLOAD.
    const plain = common.isActivatedEIP(2929) && ![6800, 7864, 7928].some((eip) => common.isActivatedEIP(eip));
    rules = plain ? { cold: common.param("coldsloadGas"), warm: common.param("warmstoragereadGas") } : null;
    storageRulesByCommon.set(common, rules);
  }
  return rules ?? undefined;
}

interface SloadInterpreter {
  _runState: {
    programCounter: number;
    stack: { peek(n: number): bigint[]; pop(): bigint; push(v: bigint): void };
    env: { accessWitness?: { commit(): void } };
  };
  _env: { address: Address };
  _stateManager: { getStorage(a: Address, k: Uint8Array): Promise<Uint8Array>; getStorageSync?(a: Address, k: Uint8Array): Uint8Array | undefined };
  journal: { isWarmedStorage(address: Uint8Array, slot: Uint8Array): boolean; addWarmedStorage(address: Uint8Array, slot: Uint8Array): void };
  useGas(amount: bigint, context: unknown): void;
}

/**
 * SLOAD as upstream's runStep runs it under plain EIP-2929 rules (gas handler: warm the slot and
 * charge cold or warm; charge; advance; handler: pop the key, load, push), without its two async
 * functions, and without a promise at all when the state manager's cache holds the slot.
 */
function sload(interp: SloadInterpreter, info: OpcodeMapEntry["opcodeInfo"], rules: StorageRules): Promise<void> | undefined {
  const state = interp._runState;
  const key = wordToBytes(state.stack.peek(1)[0]!);
  const address = interp._env.address;
  let gas = info.feeBigInt;
  if (interp.journal.isWarmedStorage(address.bytes, key)) {
    gas += rules.warm;
  } else {
    interp.journal.addWarmedStorage(address.bytes, key);
    gas += rules.cold;
  }
  interp.useGas(gas, info);
  state.programCounter++;
  state.stack.pop();
  const push = (value: Uint8Array) => {
    state.stack.push(value.length === 0 ? 0n : bytesToBigInt(value));
    state.env.accessWitness?.commit();
  };
  const cached = interp._stateManager.getStorageSync?.(address, key);
  if (cached !== undefined) {
    speedupStats.sloadsFromCache++;
    push(cached);
    return undefined;
  }
  speedupStats.sloadsAwaited++;
  return interp._stateManager.getStorage(address, key).then(push);
}

interface MemoryLike {
  _store: Uint8Array;
  extend(offset: number, size: number): void;
}

/** Smallest buffer a message's memory gets on first use. */
const MEMORY_MIN_BYTES = 1024;
/** Beyond this size memory grows by at most this much at a time instead of doubling. */
const MEMORY_MAX_STEP = 1 << 20;

/**
 * Memory.extend without upstream's two buffers per growth: it allocated a zeroed 8 KiB container
 * and then concatenated it onto the old store (a third buffer), so a message's first MSTORE cost
 * 16 KiB of short-lived allocation. Here memory grows in one allocation to the larger of the
 * needed size and double the current one (at least 1 KiB, at most 1 MiB more). What a program sees
 * is unchanged: reads past the touched words still return zeros, gas and MSIZE come from
 * memoryWordCount, which this does not touch.
 */
function patchMemoryGrowth(proto: MemoryLike): void {
  if (typeof proto.extend !== "function") throw new Error("@ethereumjs/evm: Memory.extend not found (version changed?)");
  proto.extend = function (this: MemoryLike, offset: number, size: number): void {
    if (size === 0) return;
    const end = offset + size;
    const store = this._store;
    if (end <= store.length) return;
    const needed = end + ((32 - (end % 32)) % 32);
    const grown = Math.min(store.length * 2, store.length + MEMORY_MAX_STEP);
    const next = new Uint8Array(Math.max(needed, grown, MEMORY_MIN_BYTES));
    next.set(store);
    this._store = next;
  };
}

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

/** All speed-ups for a freshly created EVM. */
export async function installEvmSpeedups(evm: EVMInterface): Promise<void> {
  await patchInterpreter();
  speedUpOpcodes(evm);
}
