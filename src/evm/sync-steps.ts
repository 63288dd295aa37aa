// Interpreter.runStep for synchronous steps. The interpreter awaited runStep, an async function, for
// every opcode, even for the ~90 % (PUSH, DUP, ADD, JUMP, …) whose gas is a constant (or, for MLOAD,
// MSTORE and MSTORE8, a memory-expansion charge computed synchronously) and whose handler is
// synchronous. The wrapped runStep does those steps in place, in upstream's order (gas, charge,
// advance, run), and returns undefined; run-loop.ts then skips the await. SLOAD under plain EIP-2929
// rules takes sload.ts. Every other step, and every step while a tracer, the profiler, debug logging
// or code-chunk charging is on, goes to upstream's runStep unchanged.
// How it differs from upstream: src/evm/upstream/interpreter-runstep.diff (runStep) and memory-gas.diff.
import { importEvmModule, unobserved, type InterpreterClass, type InterpreterLike, type OpcodeMapEntry, type RunStateLike } from "./interpreter-internals.ts";
import { SLOAD, sload, storageRules, upstreamSloadHandlers, type RulesCommon, type SloadInterpreter } from "./sload.ts";

/** Replaces Interpreter.runStep with one that runs synchronous steps in place. Called once, by installEvmOverrides. */
export async function installSyncSteps(): Promise<void> {
  const { Interpreter } = await importEvmModule<{ Interpreter: InterpreterClass }>("interpreter.js");
  const runStep = Interpreter.prototype.runStep;
  if (typeof runStep !== "function") throw new Error("@ethereumjs/evm: Interpreter.runStep not found (version changed?)");
  const memoryGas = await memoryGasTwins();
  const upstreamSload = await upstreamSloadHandlers();
  Interpreter.prototype.runStep = function (this: InterpreterLike, opcodeObj?: OpcodeMapEntry): Promise<void> | undefined {
    const opEntry = opcodeObj ?? this.lookupOpInfo(this._runState.opCode);
    const opInfo = opEntry.opcodeInfo;
    const syncGas = opInfo.dynamicGas ? memoryGas.get(opEntry.gasHandler) : undefined;
    const observed = opInfo.isInvalid || !(this.aivmQuiet ?? unobserved(this)) || this._runState.eip7928PostTargetCallOog !== undefined;
    if (!observed && opInfo.code === SLOAD && opEntry.gasHandler === upstreamSload.gas && opEntry.opHandler === upstreamSload.op) {
      const rules = storageRules(this.common as unknown as RulesCommon);
      if (rules !== undefined) return sload(this as unknown as SloadInterpreter, opInfo, rules);
    }
    if ((opInfo.dynamicGas && syncGas === undefined) || opInfo.isAsync || observed) {
      return runStep.call(this, opcodeObj);
    }
    // Upstream's order for a synchronous opcode: gas (with memory expansion), charge, advance, run.
    const gas = syncGas === undefined ? opInfo.feeBigInt : syncGas(this._runState, opInfo.feeBigInt, this.common);
    this.useGas(gas, opInfo);
    this._runState.programCounter++;
    opEntry.opHandler(this._runState, this.common);
    this._runState.env.accessWitness?.commit();
    return undefined;
  };
}

/**
 * MLOAD, MSTORE and MSTORE8 charge memory expansion in gas handlers that are async by declaration
 * only. Their synchronous twins compute the same charge with upstream's subMemUsage, keyed by
 * upstream's handler: they stand in only while the opcode map still holds it.
 */
async function memoryGasTwins(): Promise<Map<unknown, (runState: RunStateLike, gas: bigint, common: unknown) => bigint>> {
  const { dynamicGasHandlers } = await importEvmModule<{ dynamicGasHandlers: Map<number, unknown> }>("opcodes/gas.js");
  const { subMemUsage } = await importEvmModule<{
    subMemUsage: (runState: unknown, offset: bigint, length: bigint, common: unknown) => bigint;
  }>("opcodes/util.js");
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
  return memoryGas;
}
