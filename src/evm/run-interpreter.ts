// EVM.runInterpreter and the Interpreter it builds for each message.
// - runInterpreter, line for line, except the `runState` of its result: upstream builds it as
//   `{ ...runState, ...result, ...env }`, three object spreads per message (~35 µs, 7–10 % of a
//   contract eth_call) for a field that neither EthereumJS nor this node reads. Here it is the
//   interpreter's RunState itself, which is what ExecResult.runState is typed as.
// - The Interpreter constructor, field for field, except that its memory starts empty instead of
//   with 8 KiB: a fresh 8 KiB buffer per message (3–4 % of a contract transaction) was allocated
//   even for frames that never touch memory; memory-growth.ts allocates on first use.
//   test/evm/evm-speedups.test.ts compares the fields with a real Interpreter's.
// How they differ from upstream: src/evm/upstream/evm-runinterpreter.diff and interpreter-constructor.diff.
import { Account, createZeroAddress, type Address } from "@ethereumjs/util";
import { importEvmModule, type InterpreterLike, type RunResult } from "./interpreter-internals.ts";

/** Both ways of building a message's Interpreter, set once installed (the test compares their fields). */
export const interpreterFactories: {
  fast?: (evm: unknown, env: object, gasLeft: bigint) => object;
  upstream?: (evm: unknown, env: object, gasLeft: bigint) => object;
} = {};

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

/** Replaces EVM.runInterpreter with the copy below. Called once, by installEvmOverrides. */
export async function installRunInterpreter(): Promise<void> {
  const { EVM, defaultBlock } = await importEvmModule<{
    EVM: { prototype: Record<string, unknown> };
    defaultBlock: () => unknown;
  }>("evm.js");
  const { Interpreter } = await importEvmModule<{
    Interpreter: new (...args: unknown[]) => InterpreterLike & {
      _result: { selfdestruct?: unknown; createdAddresses?: unknown; returnValue?: Uint8Array; logs: unknown[] };
    };
  }>("interpreter.js");
  const { EVMError } = await importEvmModule<{ EVMError: { errorMessages: { REVERT: string; INVALID_EOF_FORMAT: string } } }>("errors.js");
  if (typeof EVM.prototype.runInterpreter !== "function" || typeof defaultBlock !== "function") {
    throw new Error("@ethereumjs/evm: EVM.runInterpreter or defaultBlock not found (version changed?)");
  }
  const { Memory } = await importEvmModule<{ Memory: { prototype: object } }>("memory.js");
  const { Stack } = await importEvmModule<{ Stack: new () => unknown }>("stack.js");
  const EMPTY_MEMORY = new Uint8Array(0);
  /** The Interpreter constructor, field for field, except that its memory starts empty. */
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
