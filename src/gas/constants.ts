// Every gas constant in one place, with the reason for its value (docs/gas.md). Integers only:
// γ is a rational and the congestion multiplier a fixed-point integer.

/**
 * γ = GAMMA_NUM / GAMMA_DEN gas per FLOP at multiplier 1. Calibrated by `npm run bench:gas`: an
 * engine matmul costs about as much gas per CPU second as EthereumJS's sha256 precompile (ecrecover,
 * ~50× slower per gas, is reported alongside); rounded to a power of two (docs/gas.md#calibrating-γ).
 */
export const GAMMA_NUM = 1n;
export const GAMMA_DEN = 256n;

/** Fixed-point unit of the congestion multiplier m: m = MULTIPLIER_ONE means ×1. */
export const MULTIPLIER_ONE = 1_000_000n;
/** Never cheaper than the calibrated price: an idle chain must not make compute a cheap DoS. */
export const MULTIPLIER_MIN = MULTIPLIER_ONE;
/** ×64: reached after ⌈log(64)/log(1.125)⌉ = 36 consecutive fully congested blocks. */
export const MULTIPLIER_MAX = 64n * MULTIPLIER_ONE;
/** EIP-1559's 1/8: the multiplier moves at most ±12.5% per block. */
export const MULTIPLIER_CHANGE_DENOMINATOR = 8n;
/**
 * AIVM FLOPs per block at which the multiplier holds steady: the FLOPs that 30 M gas (half the dev
 * node's 60 M block gas limit, EIP-1559's target ratio) buys at m = 1.
 */
export const TARGET_BLOCK_FLOPS = (30_000_000n * GAMMA_DEN) / GAMMA_NUM;

/** Per standalone op call (TMATMUL, TEWOP, TLOAD, TSTORE, TCOMMIT): dispatch, its own receipt leaf and its Merkle share. */
export const OP_BASE_GAS = 200n;
/**
 * Per program node: dispatching it inside a run, which adds no receipt of its own. bench:gas measures
 * 0.40–0.60 µs of CPU per node (a 1-element relu chain): 40–60 ns per gas at 10, within 1.5× the
 * node's native ecrecover (docs/gas.md#program-nodes-per-op-class-against-the-nodes-ecrecover).
 */
export const NODE_BASE_GAS = 10n;
/**
 * First read in a transaction of a stored blob (tensor, shard, manifest, program) or namespace entry:
 * EIP-2929's cold account access, since a blob is a derived account's code (a state trie lookup).
 */
export const STORED_READ_COLD_GAS = 2600n;
/** A later read in the same transaction: EIP-2929's warm access; the decoded tensor is held in transaction memory. */
export const STORED_READ_WARM_GAS = 100n;
/** Per program run (TGRAPH, TCUSTOM, TSTREAM): decoding and validating the program. */
export const PROGRAM_BASE_GAS = 500n;
/** Copying one 32-byte word between calldata, scratch and EVM memory: the EVM's *COPY word price. */
export const COPY_GAS_PER_WORD = 3n;
/** Hashing one 32-byte word for a commitment: KECCAK256's per-word price. */
export const HASH_GAS_PER_WORD = 6n;
/** Per 4 KiB chunk of a commitment: its leaf hash (30) plus its share of internal nodes (30 + 3 words · 6). */
export const CHUNK_HASH_GAS = 78n;
/** Per tensor commitment: the header hash and the final commit hash, two KECCAK256 bases. */
export const TENSOR_HASH_GAS = 60n;
/** Persistent store, per blob: one new state entry, priced like SSTORE of a fresh slot. */
export const STORE_BASE_GAS = 20_000n;
/** Persistent store, per byte: the EVM's code-deposit price, its price for an immutable blob in state. */
export const STORE_GAS_PER_BYTE = 200n;
