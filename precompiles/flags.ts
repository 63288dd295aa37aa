// The constants of the precompiles' ABI that callers need besides the addresses: the flag bits and
// TSTORE's targets (docs/precompiles.md). Free of the precompiles' code, like addresses.ts, so the
// model tools and the viem actions use them too.

/** flags bit 0: outputs go to scratch, handles come back. */
export const OUT_SCRATCH = 1;
/** flags bit 1: return the exact gas instead of executing. */
export const QUOTE_ONLY = 2;
/** TSTREAM flags bit 2: return all step outputs stacked, not only the last. */
export const STACK_OUTPUTS = 4;

/** TSTORE's `target` argument. */
export const TSTORE_TARGET = { scratch: 0, persistent: 1, program: 2, namespace: 3, sharded: 4 } as const;
