// What a precompile call sees of the transaction it runs in: the calling frame (learnt by the runtime
// from the EVM's message events) and the transaction's scratch memory, receipts and call count. The
// runtime (src/chain/runtime.ts) creates them; the precompiles only read and append.
import type { Address } from "@ethereumjs/util";
import type { AivmOpReceipt } from "../src/commit/receipt.ts";
import { ScratchMemory } from "./memory.ts";

/** What a precompile learns about the frame that called it. */
export interface PrecompileCallFrame {
  caller: Address;
  isStatic: boolean;
  depth: number;
  /** How many AIVM precompile calls ran earlier in this transaction (reverted ones do not count). */
  callIndex: number;
}

/** The state of the transaction (or eth_call) being executed. */
export class TxContext {
  readonly scratch: ScratchMemory;
  readonly receipts: AivmOpReceipt[] = [];
  /** A top-level (depth 0) message has run in this context. */
  started = false;
  /** AIVM precompile calls so far, journaled with the frames like the receipts. */
  aivmCalls = 0;
  /** The first node fault a precompile hit (precompiles/call.ts): the transaction must not be included. */
  fault: Error | undefined;
  constructor(
    limitBytes?: number,
    /** The transaction's hash (zero bytes for eth_call and system calls): seed handles mix it in. */
    readonly txHash: Uint8Array = new Uint8Array(32),
    /** The 64-byte VRF output of the block the transaction runs in (the pending block for eth_call). */
    readonly vrfOutput: Uint8Array = new Uint8Array(64),
  ) {
    this.scratch = new ScratchMemory(limitBytes);
  }
}
