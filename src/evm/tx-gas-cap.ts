// Osaka's EIP-7825 caps a transaction at 2^24 gas so that mainnet blocks split into many bounded
// transactions. An AIVM transaction is an inference: a long generation, a model upload or an agent
// turn that keeps its state is one transaction by nature and can need tens of millions of gas, so
// on this chain the block gas limit is the only bound (docs/evm.md#osaka). EthereumJS reads the cap
// from the tx package's params table, which every transaction merges into its Common, so the one
// place to lift it is that table: no per-transaction option can reach blocks decoded from RLP.
import { paramsTx } from "@ethereumjs/tx";

/**
 * The per-transaction gas cap this chain applies: in effect none, the block gas limit bounds a
 * transaction. A number because Common copies params through JSON.
 */
export const TX_GAS_CAP = Number.MAX_SAFE_INTEGER;

/** Lifts EIP-7825's per-transaction gas cap to TX_GAS_CAP, once per process. */
export function liftTransactionGasCap(): void {
  const eip7825 = (paramsTx as Record<number, Record<string, unknown>>)[7825];
  if (eip7825 === undefined || !("maxTransactionGasLimit" in eip7825)) {
    throw new Error("@ethereumjs/tx no longer declares EIP-7825's maxTransactionGasLimit: review src/evm/tx-gas-cap.ts against the pinned release");
  }
  eip7825["maxTransactionGasLimit"] = TX_GAS_CAP;
}
