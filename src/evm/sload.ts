// SLOAD under plain EIP-2929 rules, as one synchronous function. Upstream runs it through two async
// functions (the gas handler, which warms the slot and charges cold or warm, and the op handler,
// which loads the word) and always awaits the state manager. Here it answers from the state
// manager's cache without a promise when it can (AivmStateManager.getStorageSync). sync-steps.ts
// takes it for SLOAD when nothing observes the step and the opcode map holds upstream's handlers.
// How it differs from upstream's handlers and storageLoad: src/evm/upstream/sload.diff.
import { bytesToBigInt, type Address } from "@ethereumjs/util";
import { importEvmModule, speedupStats, type OpcodeMapEntry } from "./interpreter-internals.ts";
import { wordToBytes } from "./memory-ops.ts";

export const SLOAD = 0x54;

export interface RulesCommon {
  isActivatedEIP(eip: number): boolean;
  param(name: string): bigint;
}

/** The SLOAD charges under plain EIP-2929 rules, or undefined where other rules apply (upstream's path). */
export interface StorageRules {
  cold: bigint;
  warm: bigint;
}

export interface SloadInterpreter {
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

/** Upstream's SLOAD gas and op handlers: the fast SLOAD stands in only while the opcode map holds these. */
export async function upstreamSloadHandlers(): Promise<{ gas: unknown; op: unknown }> {
  const { dynamicGasHandlers } = await importEvmModule<{ dynamicGasHandlers: Map<number, unknown> }>("opcodes/gas.js");
  const { handlers } = await importEvmModule<{ handlers: Map<number, unknown> }>("opcodes/functions.js");
  const upstreamSload = { gas: dynamicGasHandlers.get(SLOAD), op: handlers.get(SLOAD) };
  if (typeof upstreamSload.gas !== "function" || typeof upstreamSload.op !== "function") throw new Error("@ethereumjs/evm: SLOAD handlers not found (version changed?)");
  return upstreamSload;
}

const storageRulesByCommon = new WeakMap<object, StorageRules | null>();

export function storageRules(common: RulesCommon): StorageRules | undefined {
  let rules = storageRulesByCommon.get(common);
  if (rules === undefined) {
    // Stateless access charges (6800, 7864) and block-level access lists (7928) change SLOAD.
    const plain = common.isActivatedEIP(2929) && ![6800, 7864, 7928].some((eip) => common.isActivatedEIP(eip));
    rules = plain ? { cold: common.param("coldsloadGas"), warm: common.param("warmstoragereadGas") } : null;
    storageRulesByCommon.set(common, rules);
  }
  return rules ?? undefined;
}

/**
 * SLOAD as upstream's runStep runs it under plain EIP-2929 rules (gas handler: warm the slot and
 * charge cold or warm; charge; advance; handler: pop the key, load, push), without its two async
 * functions, and without a promise at all when the state manager's cache holds the slot.
 */
export function sload(interp: SloadInterpreter, info: OpcodeMapEntry["opcodeInfo"], rules: StorageRules): Promise<void> | undefined {
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
