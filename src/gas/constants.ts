// Every gas constant in one place, with the reason for its value (docs/gas.md). Integers only:
// γ is a rational and the congestion multiplier a fixed-point integer.

/**
 * γ = GAMMA_NUM / GAMMA_DEN gas per weighted FLOP at multiplier 1: the price of a matmul FLOP, the
 * cheapest work the engine does (weight 1). Every other class weighs its FLOPs more (OP_WEIGHTS).
 * Calibrated by `npm run bench:gas` (docs/gas.md#calibrating-γ): sha256 parity gave 1/256; with the
 * matmul's operands priced separately (its `unit`), the sweep put every matmul row of the node
 * sweep within 2× the node's ecrecover per gas at 1/512, the other classes' weights doubled to keep
 * their prices (docs/gas.md#γ-per-class).
 */
export const GAMMA_NUM = 1n;
export const GAMMA_DEN = 512n;

/** Fixed-point unit of the congestion multiplier m: m = MULTIPLIER_ONE means ×1. */
export const MULTIPLIER_ONE = 1_000_000n;
/** Never cheaper than the calibrated price: an idle chain must not make compute a cheap DoS. */
export const MULTIPLIER_MIN = MULTIPLIER_ONE;
/** ×64: reached after ⌈log(64)/log(1.125)⌉ = 36 consecutive fully congested blocks. */
export const MULTIPLIER_MAX = 64n * MULTIPLIER_ONE;
/** EIP-1559's 1/8: the multiplier moves at most ±12.5% per block. */
export const MULTIPLIER_CHANGE_DENOMINATOR = 8n;
/**
 * AIVM FLOPs per block at which the multiplier holds steady: the matmul FLOPs that 30 M gas (half the
 * dev node's 60 M block gas limit, EIP-1559's target ratio) buys at m = 1.
 */
export const TARGET_BLOCK_FLOPS = (30_000_000n * GAMMA_DEN) / GAMMA_NUM;

/**
 * What one op class's work costs beyond γ · FLOPs, in weighted FLOPs (γ prices them, m scales them):
 * - `flop`: the weight on its FLOPs. A matmul FLOP runs in the WASM SIMD kernel, 50–100× faster than
 *   one step of an element-wise JS kernel (a requantization, an integer exp, a window tap), so one γ
 *   for both under-prices the latter;
 * - `element`: per output element, for work FLOPs do not count (indexing, allocating, a batch
 *   entry's dispatch);
 * - `entry`: per batch entry, i.e. per index of the output's leading dims (all but the last two) —
 *   a matmul runs its kernel and output stage once per entry, however small M·N·K;
 * - `node`: per node or call, for per-call set-up a tiny shape does not amortise (planning, tables);
 * - `unit`: per op-specific unit of work FLOPs miss: attention's scores (B·Hq·S·T: the integer exp,
 *   the row sums and the probabilities' requantization, whatever the head size), conv2d's im2col
 *   taps (N·Ho·Wo·C_in·kh·kw: one gathered input value each, however few output channels share it)
 *   and matmul's operands (per batch entry 8 per element of A and 1 per element of B: each is
 *   read and packed into the kernel's layout, A at every call, which is the work when M or N is
 *   small; bench:gas's tall-skinny [4096,1024]×[1024,1], memory-bound, measured 1.6–2.2× at 1 and
 *   1.9× at 2 per A element while the host's memory was busy).
 * Set from `npm run bench:gas` (docs/gas.md#per-op-class-weights): each class's slowest measured
 * shape and dtype path within 3× the node's native ecrecover per gas, with margin. Powers of two.
 */
export interface OpWeight {
  flop: bigint;
  element: bigint;
  entry: bigint;
  node: bigint;
  unit: bigint;
}

const w = (flop: number, element = 0, node = 0, entry = 0, unit = 0): OpWeight => ({
  flop: BigInt(flop),
  element: BigInt(element),
  entry: BigInt(entry),
  node: BigInt(node),
  unit: BigInt(unit),
});

/** Per op class (engine op name) — w(flop, element, node, entry, unit); an op not listed weighs DEFAULT_OP_WEIGHT. */
export const OP_WEIGHTS: Readonly<Record<string, OpWeight>> = {
  // 64 gas per call (dispatch into WASM), 16 per batch entry (a kernel call and output stage each),
  // 1/32 gas per element of A and 1/256 per element of B (the operands' packing).
  matmul: w(1, 0, 32_768, 8_192, 2),
  conv2d: w(2, 0, 32_768, 0, 64),
  attention: w(8, 0, 32_768, 0, 512),
  add: w(128, 0, 16_384),
  sub: w(128, 0, 16_384),
  mul: w(128, 0, 16_384),
  relu: w(128),
  relu6: w(128),
  leaky_relu: w(128),
  clip: w(128),
  lut: w(64),
  requantize: w(256, 0, 16_384),
  softmax: w(64, 0, 16_384),
  log_softmax: w(256, 0, 16_384),
  layer_norm: w(64, 0, 32_768),
  rms_norm: w(64, 0, 32_768),
  reduce_sum: w(64, 0, 8_192),
  reduce_mean: w(64, 0, 8_192),
  reduce_max: w(64, 0, 8_192),
  argmax: w(32, 0, 8_192),
  max_pool: w(64, 128),
  avg_pool: w(64, 128),
  global_avg_pool: w(64, 0, 16_384),
  top_k: w(64, 0, 65_536),
  sample: w(32, 0, 524_288),
  // movement: 0 FLOPs; where reads three (broadcast) inputs per output element
  where: w(2, 32),
};
/** Movement ops (0 FLOPs) and anything unlisted: 1/16 gas per output element on top of its write. */
export const DEFAULT_OP_WEIGHT: OpWeight = w(2, 32);
/** mul with two int32 inputs: products past 2^53 take the exact BigInt path per element. */
export const MUL_INT32_FLOP_WEIGHT = 2_048n;

/** Per standalone op call (TMATMUL, TEWOP, TLOAD, TSTORE, TCOMMIT): dispatch, its own receipt leaf and its Merkle share. */
export const OP_BASE_GAS = 200n;
/**
 * Per program node: dispatching it inside a run, which adds no receipt of its own. bench:gas measures
 * 0.25–0.30 µs of CPU per node (a 1-element relu chain): 15–19 ns per gas at 16, under the node's
 * native ecrecover (docs/gas.md#per-op-class-weights); 10 left the 1-element node at up to 2×.
 */
export const NODE_BASE_GAS = 16n;
/**
 * First read in a transaction of a stored blob (tensor, shard, manifest, program) or namespace entry:
 * EIP-2929's cold account access, since a blob is a derived account's code (a state trie lookup).
 */
export const STORED_READ_COLD_GAS = 2600n;
/** A later read in the same transaction: EIP-2929's warm access; the decoded tensor is held in transaction memory. */
export const STORED_READ_WARM_GAS = 100n;
/** Per program run (TGRAPH, TCUSTOM, TSTREAM): decoding and validating the program. */
export const PROGRAM_BASE_GAS = 500n;
/**
 * Per 32-byte word of a program's encoding: decoding and validating it (its constants included).
 * bench:gas measures ~0.55 µs per word (the decoder step program, 273 KB); the EVM's 3 per word for
 * a plain copy left it at 6× ecrecover, 12 at 2×.
 */
export const PROGRAM_DECODE_GAS_PER_WORD = 16n;
/**
 * Per program node, once per call: shape, dtype and FLOP inference and liveness at plan time,
 * before any node runs (1–12 µs per node in bench:gas: 2000 one-element relus, the decoder step);
 * 256 left the decoder step program's planning at 2× ecrecover.
 */
export const PROGRAM_NODE_GAS = 512n;
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
