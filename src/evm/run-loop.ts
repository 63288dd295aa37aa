// Interpreter.run for legacy (non-EOF) code: upstream's loop, except that it awaits only the steps
// that returned a promise. The interpreter awaited runStep, an async function, for every opcode:
// about 0.3 µs of promise machinery per step, more than the work of most steps. With
// sync-steps.ts, runStep runs the synchronous steps in place and returns undefined, so this loop
// awaits only the others (calls, SLOADs that read the trie, …). EOF code, the profiler and
// code-chunk charging take upstream's run. Whether anything observes the steps (tracer, profiler,
// debug log, chunk charging) is decided once per run and again after each awaited step, the only
// points where other code can run, instead of at every step.
//
// Not a speed-up: the loop polls the call deadline of call-deadline.ts when the EVM was armed with
// one (the node's call VM only), so an eth_call can be stopped and can yield.
// How it differs from upstream's run, line by line: src/evm/upstream/interpreter-run.diff.
import { HALT, YIELD, callWatchOf, pollCallWatch, yieldToEventLoop } from "./call-deadline.ts";
import { chargesCodeChunks, importEvmModule, speedupStats, unobserved, type InterpreterClass, type InterpreterLike, type OpcodeMapEntry, type RunResult } from "./interpreter-internals.ts";

/** First byte of EOF code (EIP-3540). */
const EOF_FORMAT = 0xef;

/** Replaces Interpreter.run with the loop that awaits only asynchronous steps. Called once, by installEvmOverrides. */
export async function installRunLoop(): Promise<void> {
  const { Interpreter } = await importEvmModule<{ Interpreter: InterpreterClass }>("interpreter.js");
  const { EVMError, EVMErrorTypeString } = await importEvmModule<{
    EVMError: (new (error: string) => unknown) & { errorMessages: { STOP: string; OUT_OF_GAS: string } };
    EVMErrorTypeString: string;
  }>("errors.js");
  const run = Interpreter.prototype.run;
  if (typeof run !== "function") throw new Error("@ethereumjs/evm: Interpreter.run not found (version changed?)");
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
      if (watch !== undefined) watch.opcode = opCode;
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
}
