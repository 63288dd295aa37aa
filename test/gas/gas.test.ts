import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CHUNK_HASH_GAS,
  COPY_GAS_PER_WORD,
  GAMMA_DEN,
  GAMMA_NUM,
  HASH_GAS_PER_WORD,
  MULTIPLIER_MAX,
  MULTIPLIER_MIN,
  MULTIPLIER_ONE,
  DEFAULT_OP_WEIGHT,
  MUL_INT32_FLOP_WEIGHT,
  NODE_BASE_GAS,
  OP_BASE_GAS,
  OP_WEIGHTS,
  PROGRAM_BASE_GAS,
  STORED_READ_COLD_GAS,
  STORED_READ_WARM_GAS,
  STORE_BASE_GAS,
  STORE_GAS_PER_BYTE,
  TARGET_BLOCK_FLOPS,
  TENSOR_HASH_GAS,
  batchEntries,
  commitGas,
  computeGas,
  decodeGas,
  initialMultiplier,
  inputGas,
  nextMultiplier,
  programOverheadGas,
  quoteOp,
  quoteProgram,
  quoteProgramBytes,
  quoteStream,
  storeGas,
  storedReadsGas,
  tensorBytesGas,
  weightedFlops,
  workUnits,
  writeGas,
} from "../../src/gas/index.ts";
import { encodeProgram, encodedProgramLength, type Program } from "../../src/codec/program.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { ElementLimitError, InvalidArgumentError, ShapeMismatchError } from "../../src/engine/errors.ts";
import { OP_CODES, getOp } from "../../src/engine/registry.ts";
import { tensor, type TensorMeta } from "../../src/engine/tensor.ts";
import { addConst, testOps } from "../codec/test-ops.ts";

/** Independent ceiling for non-negative rationals: truncate, then bump when a remainder is left. */
const ceilRef = (a: bigint, b: bigint) => (a % b === 0n ? a / b : a / b + 1n);

test("compute gas is ceil(γ·FLOPs·m) exactly, including the rounding edge", () => {
  assert.equal(computeGas(0n, MULTIPLIER_ONE), 0n);
  assert.equal(computeGas(1n, MULTIPLIER_ONE), 1n, "any work costs at least 1 gas");
  assert.equal(computeGas(GAMMA_DEN, MULTIPLIER_ONE), GAMMA_NUM);
  assert.equal(computeGas(GAMMA_DEN + 1n, MULTIPLIER_ONE), GAMMA_NUM + 1n);
  for (const [f, m] of [[1000n, MULTIPLIER_ONE], [12345678901n, (MULTIPLIER_ONE * 9n) / 8n], [2n ** 60n, MULTIPLIER_MAX], [7n, 1_000_001n]] as const) {
    assert.equal(computeGas(f, m), ceilRef(GAMMA_NUM * f * m, GAMMA_DEN * MULTIPLIER_ONE));
  }
  assert.throws(() => computeGas(-1n, MULTIPLIER_ONE), RangeError);
});

test("congestion: on target holds, ±12.5% per block at most, clamped to [MIN, MAX]", () => {
  const m = 2n * MULTIPLIER_ONE;
  const T = TARGET_BLOCK_FLOPS;
  assert.equal(initialMultiplier(), MULTIPLIER_ONE);
  assert.equal(nextMultiplier(m, T), m);
  assert.equal(nextMultiplier(m, 2n * T), m + m / 8n, "double the target: +12.5%");
  assert.equal(nextMultiplier(m, 100n * T), m + m / 8n, "capped at +12.5%");
  assert.equal(nextMultiplier(m, 0n), m - m / 8n, "empty block: −12.5%");
  assert.equal(nextMultiplier(m, (3n * T) / 2n), m + m / 16n, "1.5× target: +6.25%");
  assert.equal(nextMultiplier(m, T + 1n), m, "a deviation below the resolution rounds to no change");
  assert.equal(nextMultiplier(MULTIPLIER_MIN, 0n), MULTIPLIER_MIN);
  assert.equal(nextMultiplier(MULTIPLIER_MAX, 10n * T), MULTIPLIER_MAX);
  assert.equal(nextMultiplier(MULTIPLIER_ONE / 10n, T), MULTIPLIER_MIN, "an out-of-range input is clamped first");
  assert.throws(() => nextMultiplier(m, -1n), RangeError);
  // Fully congested from MIN: reaches MAX in the documented 36 blocks, never more than 12.5% per step.
  let x = MULTIPLIER_MIN;
  let blocks = 0;
  while (x < MULTIPLIER_MAX) {
    const next = nextMultiplier(x, 10n * T);
    assert.ok(next - x <= x / 8n);
    x = next;
    blocks++;
  }
  assert.equal(blocks, 36);
});

test("bytes gas of a tensor: copy + hash per word of its encoding, per chunk, per commit", () => {
  // int8 [4096]: encoding 12 + 4 + 4096 = 4112 bytes = 129 words, one chunk
  assert.equal(encodeTensor(tensor("int8", [4096], new Int8Array(4096))).length, 4112);
  assert.equal(tensorBytesGas({ dtype: "int8", shape: [4096] }), (COPY_GAS_PER_WORD + HASH_GAS_PER_WORD) * 129n + CHUNK_HASH_GAS + TENSOR_HASH_GAS);
  // int32 [1025]: 4100 data bytes → 2 chunks; encoding 4116 bytes = 129 words
  assert.equal(tensorBytesGas({ dtype: "int32", shape: [1025] }), 9n * 129n + 2n * CHUNK_HASH_GAS + TENSOR_HASH_GAS);
  // empty tensor: header only
  assert.equal(tensorBytesGas({ dtype: "int8", shape: [0] }), 9n * 1n + TENSOR_HASH_GAS);
  // per-channel quantization lengthens the header that is copied and hashed
  const q = { axis: 0, multiplier: new Array(64).fill(1), shift: new Array(64).fill(0), zeroPoint: new Array(64).fill(0) };
  const withQuant = encodeTensor(tensor("int8", [64], new Int8Array(64), q)).length;
  assert.equal(tensorBytesGas({ dtype: "int8", shape: [64], quant: q }), 9n * BigInt(Math.ceil(withQuant / 32)) + CHUNK_HASH_GAS + TENSOR_HASH_GAS);
});

test("commit, write and input gas: hashing only where a commit is computed", () => {
  // int8 [4096]: encoding 4112 bytes = 129 words, 4096 data bytes = 128 words, one chunk.
  const t: TensorMeta = { dtype: "int8", shape: [4096] };
  assert.equal(commitGas(t), HASH_GAS_PER_WORD * 129n + CHUNK_HASH_GAS + TENSOR_HASH_GAS);
  assert.equal(writeGas(t), COPY_GAS_PER_WORD * 128n);
  assert.equal(inputGas(t, "inline"), COPY_GAS_PER_WORD * 129n + commitGas(t), "inline: decoded and hashed");
  assert.equal(inputGas(t, "scratch"), 0n, "scratch: in memory, committed by the op that put it there");
  assert.equal(inputGas(t, "stored"), 0n, "stored: its content id is its commit; its bytes are a read charge");
  assert.equal(inputGas(t, "sharded"), commitGas(t), "sharded: the joined tensor is hashed for its commit");
});

test("op weights: pinned per class (bench:gas, docs/gas.md#per-op-class-weights); every op with FLOPs has one", () => {
  // [flop, element, node, entry, unit]
  const pinned: Record<string, [number, number, number, number, number?]> = {
    matmul: [1, 0, 32_768, 8_192, 2], conv2d: [2, 0, 32_768, 0, 64], attention: [8, 0, 32_768, 0, 512],
    add: [128, 0, 16_384, 0], sub: [128, 0, 16_384, 0], mul: [128, 0, 16_384, 0],
    relu: [128, 0, 0, 0], relu6: [128, 0, 0, 0], leaky_relu: [128, 0, 0, 0], clip: [128, 0, 0, 0], lut: [64, 0, 0, 0],
    requantize: [256, 0, 16_384, 0], softmax: [64, 0, 16_384, 0], log_softmax: [256, 0, 16_384, 0],
    layer_norm: [64, 0, 32_768, 0], rms_norm: [64, 0, 32_768, 0],
    reduce_sum: [64, 0, 8_192, 0], reduce_mean: [64, 0, 8_192, 0], reduce_max: [64, 0, 8_192, 0], argmax: [32, 0, 8_192, 0],
    max_pool: [64, 128, 0, 0], avg_pool: [64, 128, 0, 0], global_avg_pool: [64, 0, 16_384, 0],
    top_k: [64, 0, 65_536, 0], sample: [32, 0, 524_288, 0], where: [2, 32, 0, 0],
  };
  const asTuple = (x: { flop: bigint; element: bigint; node: bigint; entry: bigint; unit: bigint }) => [x.flop, x.element, x.node, x.entry, x.unit].map(Number);
  for (const [op, want] of Object.entries(pinned)) assert.deepEqual(asTuple(OP_WEIGHTS[op]!), [...want.slice(0, 4), want[4] ?? 0], op);
  assert.deepEqual(Object.keys(OP_WEIGHTS).sort(), Object.keys(pinned).sort());
  assert.deepEqual(asTuple(DEFAULT_OP_WEIGHT), [2, 32, 0, 0, 0]);
  assert.equal(MUL_INT32_FLOP_WEIGHT, 2_048n);
  assert.equal(NODE_BASE_GAS, 16n);
  // Every op that computes (FLOPs > 0 on some shape) is weighed on purpose; only movement ops take the default.
  const movement = ["reshape", "transpose", "concat", "slice", "gather", "flatten", "squeeze", "unsqueeze"];
  for (const op of Object.keys(OP_CODES)) assert.ok(op in OP_WEIGHTS || movement.includes(op), `${op} has no weight`);
});

test("weighted FLOPs: flop · FLOPs + element · output elements + entry · batch entries + node, from shapes only", () => {
  const x: TensorMeta = { dtype: "int16", shape: [3, 100] };
  // add: 128 per FLOP (4 per output) + 16,384 per node
  assert.equal(weightedFlops("add", [x, x], [x], 1200n), 128n * 1200n + 16_384n);
  // a movement op: 0 FLOPs, 32 per output element
  assert.equal(weightedFlops("transpose", [x], [{ dtype: "int16", shape: [100, 3] }], 0n), 32n * 300n);
  // mul on two int32 inputs takes the BigInt-product weight; int32 × int16 does not
  const i32: TensorMeta = { dtype: "int32", shape: [300] };
  assert.equal(weightedFlops("mul", [i32, i32], [i32], 600n), 2_048n * 600n + 16_384n);
  assert.equal(weightedFlops("mul", [i32, { dtype: "int16", shape: [300] }], [i32], 600n), 128n * 600n + 16_384n);
  // matmul: one batch entry per index of the output's leading dims, even when M·N is 0
  assert.equal(batchEntries({ dtype: "int32", shape: [4, 32] }), 1n);
  assert.equal(batchEntries({ dtype: "int32", shape: [1024, 2, 2] }), 1024n);
  assert.equal(batchEntries({ dtype: "int32", shape: [7, 5, 0, 3] }), 35n);
  // matmul: 1 per FLOP, 16 per element of A and 2 per element of B (per entry), 8,192 per entry, 32,768 per node
  const a3: TensorMeta = { dtype: "int8", shape: [1024, 2, 2] };
  const b2: TensorMeta = { dtype: "int8", shape: [2, 2] };
  assert.equal(weightedFlops("matmul", [a3, b2], [{ dtype: "int32", shape: [1024, 2, 2] }], 16384n), 16384n + 1024n * (16n * 4n + 2n * 4n) + 8_192n * 1024n + 32_768n);
  const empty = quoteOp("matmul", [{ dtype: "int8", shape: [1 << 16, 0, 4] }, { dtype: "int8", shape: [4, 2] }], {}, MULTIPLIER_ONE);
  assert.equal(empty.flops, 0n);
  assert.equal(empty.compute, ((1n << 16n) * (8_192n + 2n * 8n) + 32_768n) / 512n, "65,536 empty batch entries are still paid for, and B's K·N each");
});

test("work units: attention's scores (4-D, or packed with q_num_heads) and conv2d's im2col taps, exact from shapes", () => {
  const i8 = (shape: number[]): TensorMeta => ({ dtype: "int8", shape });
  // 4-D: B·Hq·S·T = 1·6·1·128, whatever Dh
  assert.equal(workUnits("attention", [i8([1, 6, 1, 48]), i8([1, 2, 128, 48]), i8([1, 2, 128, 48])], []), 768n);
  // packed [B,S,Hq·Dh]: the head count is the attribute
  assert.equal(workUnits("attention", [i8([2, 64, 2]), i8([2, 32, 2]), i8([2, 32, 2])], [], { q_num_heads: 2 }), 2n * 2n * 64n * 32n);
  // conv2d: N·Ho·Wo·C_in·kh·kw, however many output channels
  assert.equal(workUnits("conv2d", [i8([1, 8, 28, 28]), i8([16, 8, 3, 3])], [{ dtype: "int32", shape: [1, 16, 28, 28] }]), 28n * 28n * 8n * 9n);
  assert.equal(workUnits("conv2d", [i8([1, 32, 28, 28]), i8([32, 1, 3, 3])], [{ dtype: "int32", shape: [1, 32, 28, 28] }]), 28n * 28n * 32n * 9n, "depthwise: every input channel's taps");
  // matmul: per batch entry 8·M·K (A, packed at every call) + K·N (B), B again for every entry it is broadcast to
  assert.equal(workUnits("matmul", [i8([2, 3]), i8([3, 5])], [i8([2, 5])]), 8n * 6n + 15n);
  assert.equal(workUnits("matmul", [i8([7, 1, 64]), i8([64, 128])], [i8([7, 1, 128])]), 7n * (8n * 64n + 64n * 128n));
  assert.equal(workUnits("matmul", [i8([1, 64]), i8([128, 64])], [i8([1, 128])], { transB: 1 }), 8n * 64n + 64n * 128n);
  assert.equal(workUnits("relu", [i8([2, 2])], [i8([2, 2])]), 0n);
  // The quote of a real attention call: 8 per FLOP, 512 per score, 32,768 per call (at γ = 1/512).
  const attrs = { scoreMultiplier: 1 << 30, scoreShift: 35, multiplier: 1 << 30, shift: 45 };
  const q = quoteOp("attention", [i8([1, 6, 1, 48]), i8([1, 2, 128, 48]), i8([1, 2, 128, 48])], attrs, MULTIPLIER_ONE);
  assert.equal(q.compute, ceilRef(8n * q.flops + 512n * 768n + 32_768n, 512n));
});

test("quoteOp = ceil(γ·weighted FLOPs·m) + base + input gas by source + output write and commit (engine matmul)", () => {
  const a: TensorMeta = { dtype: "int8", shape: [4, 64] };
  const b: TensorMeta = { dtype: "int8", shape: [64, 32] };
  const m = (MULTIPLIER_ONE * 3n) / 2n;
  const q = quoteOp("matmul", [a, b], {}, m);
  const flops = 2n * 4n * 64n * 32n;
  assert.equal(q.flops, flops);
  assert.deepEqual(q.outputs, [{ dtype: "int32", shape: [4, 32] }]);
  const out = q.outputs[0]!;
  // matmul weighs its FLOPs 1, A's 4·64 elements 16 and B's 64·32 elements 2, plus 32,768 per call and 8,192 for its one batch entry.
  const compute = ceilRef((flops + 16n * 4n * 64n + 2n * 64n * 32n + 32_768n + 8_192n) * m * GAMMA_NUM, GAMMA_DEN * MULTIPLIER_ONE);
  // int32 [4,32]: 512 data bytes = 16 words written.
  const expected = compute + OP_BASE_GAS + tensorBytesGas(a) + tensorBytesGas(b) + COPY_GAS_PER_WORD * 16n + commitGas(out);
  assert.equal(q.gas, expected);
  assert.equal(q.gas, q.compute + q.base + q.bytes);
  assert.equal(quoteOp(getOp("matmul").code, [a, b], {}, m).gas, q.gas, "by code or by name: same quote");
  // The same matmul on a stored b pays nothing for b here: its read was charged as it happened.
  assert.equal(quoteOp("matmul", [a, b], {}, m, ["inline", "stored"]).gas, expected - tensorBytesGas(b));
});

test("quotes validate shapes with typed errors and never allocate the declared data", () => {
  assert.throws(() => quoteOp("matmul", [{ dtype: "int8", shape: [4, 8] }, { dtype: "int8", shape: [9, 2] }], {}, MULTIPLIER_ONE), ShapeMismatchError);
  assert.throws(() => quoteOp("matmul", [{ dtype: "int8", shape: [1 << 20, 1 << 20] }, { dtype: "int8", shape: [1 << 20, 1] }], {}, MULTIPLIER_ONE), ElementLimitError);
  // The largest legal square-ish matmul quotes instantly: 8192×8192 int8 = 64 MiB never allocated.
  const before = process.memoryUsage().arrayBuffers;
  const big = quoteOp("matmul", [{ dtype: "int8", shape: [8192, 8192] }, { dtype: "int8", shape: [8192, 8192] }], {}, MULTIPLIER_ONE);
  assert.equal(big.flops, 2n * 8192n ** 3n);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024);
});

function sample(): Program {
  return {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int32", shape: [8, 300] },
      { kind: "const", tensor: tensor("int32", [8, 300], new Int32Array(2400).fill(1)) },
    ],
    nodes: [
      { op: addConst.code, inputs: [0, 1], outputs: 1, attrs: { c: 1 } },
      { op: 1002, inputs: [2], outputs: 2, attrs: {} },
      { op: addConst.code, inputs: [3, 4], outputs: 1, attrs: {} },
    ],
    outputs: [5],
  };
}

test("quoteProgram = program overhead + Σ (compute + node base + output writes) + inline inputs + output commits + reads", () => {
  const p = sample();
  const m = 3n * MULTIPLIER_ONE;
  const q = quoteProgram(p, undefined, m, testOps);
  const meta: TensorMeta = { dtype: "int32", shape: [8, 300] };
  // int32 [8,300] = 9600 data bytes = 300 words written per output; node 1 writes two outputs.
  const write = COPY_GAS_PER_WORD * 300n;
  const flops = [1001, 1002, 1001].map((code, i) => testOps(code).flops(code === 1002 ? [meta] : [meta, meta], i === 0 ? { c: 1 } : {}));
  // Test ops are not engine ops: the default weight, 2 per FLOP and 32 per output element (2400 each).
  const perNode = [write, 2n * write, write].map((w, i) => computeGas(2n * flops[i]! + 32n * 2400n * (i === 1 ? 2n : 1n), m) + NODE_BASE_GAS + w);
  assert.deepEqual(q.nodes.map((n) => n.gas), perNode);
  const len = encodedProgramLength(p);
  assert.equal(len, encodeProgram(p).length);
  // 500 + 512 per node inferred + 16 per word decoded (+ 6 per word hashed when inline)
  assert.equal(q.programGas, PROGRAM_BASE_GAS + 3n * 512n + 22n * BigInt(Math.ceil(len / 32)), "an inline program is decoded, inferred and hashed");
  assert.equal(q.programGas, programOverheadGas(len, 3));
  assert.equal(programOverheadGas(len, 3, true), PROGRAM_BASE_GAS + 3n * 512n + 16n * BigInt(Math.ceil(len / 32)), "a stored program is decoded and inferred, not hashed");
  assert.equal(q.inputsGas, tensorBytesGas(meta), "the one declared input, inline");
  assert.equal(q.outputsGas, commitGas(meta), "the one output is committed; the intermediates are not");
  assert.equal(q.gas, perNode.reduce((s, n) => s + n, 0n) + q.programGas + q.inputsGas + q.outputsGas);
  assert.equal(q.flops, flops.reduce((s, f) => s + f, 0n));
  const stored = quoteProgram(p, undefined, m, testOps, { sources: ["scratch"], readsGas: 1234n, storedProgram: true });
  assert.equal(stored.gas, q.gas - q.inputsGas - q.programGas + programOverheadGas(len, 3, true) + 1234n);
});

test("a program node reading a big stored weight pays compute and its output, not the weight's bytes", () => {
  // Before: every node paid copy + hash of all its inputs, here ~9 gas per word of a 1 MiB weight.
  const w = new Uint8Array(32);
  const p: Program = {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int8", shape: [1, 1024] },
      { kind: "handle", id: w, dtype: "int8", shape: [1024, 1024] },
    ],
    nodes: [{ op: getOp("matmul").code, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2],
  };
  const q = quoteProgram(p, undefined, MULTIPLIER_ONE);
  const out: TensorMeta = { dtype: "int32", shape: [1, 1024] };
  assert.equal(q.nodes[0]!.gas, computeGas(2n * 1024n * 1024n + 16n * 1024n + 2n * 1024n * 1024n + 32_768n + 8_192n, MULTIPLIER_ONE) + NODE_BASE_GAS + writeGas(out));
  assert.ok(q.nodes[0]!.gas < tensorBytesGas({ dtype: "int8", shape: [1024, 1024] }) / 10n);
});

test("stored reads follow EIP-2929: cold access and bytes once per transaction, warm after; a warm manifest touches no shard", () => {
  const words = (n: number) => BigInt(Math.ceil(n / 32));
  const shard = (id: string, bytes: number) => ({ id, blobBytes: bytes });
  const manifest = { id: "m", blobBytes: 200, shards: [shard("s0", 24_592), shard("s1", 1_000)] };
  const warm = new Set<string>();
  const first = storedReadsGas([manifest, shard("s1", 1_000), shard("w", 5_000)], warm);
  const cold = (bytes: number) => STORED_READ_COLD_GAS + COPY_GAS_PER_WORD * words(bytes);
  // s1 was read as the manifest's shard: the standalone read of it is warm.
  assert.equal(first, cold(200) + cold(24_592) + cold(1_000) + STORED_READ_WARM_GAS + cold(5_000));
  assert.deepEqual([...warm].sort(), ["m", "s0", "s1", "w"]);
  assert.equal(storedReadsGas([manifest, shard("w", 5_000)], warm), 2n * STORED_READ_WARM_GAS, "later reads in the transaction are warm");
});

test("quoteProgramBytes on the encoding equals quoteProgram on the program (engine ops)", () => {
  const p: Program = {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int8", shape: [2, 16] },
      { kind: "const", tensor: tensor("int8", [16, 4], new Int8Array(64).fill(1)) },
    ],
    nodes: [{ op: getOp("matmul").code, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2],
  };
  const bytes = encodeProgram(p);
  assert.equal(quoteProgramBytes(bytes).gas, quoteProgram(p, undefined, MULTIPLIER_ONE).gas);
  assert.equal(quoteProgramBytes(bytes, 2n * MULTIPLIER_ONE).gas, quoteProgram(p, undefined, 2n * MULTIPLIER_ONE).gas);
});

test("quoteStream = program overhead, reads and inputs once + steps × (node gas + y commit) + final state commits", () => {
  const p: Program = {
    stateCount: 1,
    values: [
      { kind: "input", dtype: "int32", shape: [16] },
      { kind: "input", dtype: "int32", shape: [16] },
    ],
    nodes: [{ op: addConst.code, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2, 2],
  };
  const meta: TensorMeta = { dtype: "int32", shape: [16] };
  const one = quoteProgram(p, undefined, MULTIPLIER_ONE, testOps);
  const s = quoteStream(p, undefined, 10, MULTIPLIER_ONE, testOps, { readsGas: 2600n });
  // The step program's one output is both the next state and y: committed every step as y, once at the end as state.
  assert.equal(s.stepGas, one.nodes[0]!.gas + commitGas(meta));
  assert.equal(s.programGas, programOverheadGas(encodedProgramLength(p), 1, true), "the step program is stored");
  assert.equal(s.gas, s.programGas + 2600n + 2n * tensorBytesGas(meta) + 10n * s.stepGas + commitGas(meta));
  assert.equal(s.flops, 10n * one.flops);
  assert.throws(() => quoteStream(p, undefined, 0, MULTIPLIER_ONE, testOps), InvalidArgumentError);
  assert.throws(() => quoteStream({ ...p, stateCount: 0 }, undefined, 2, MULTIPLIER_ONE, testOps), InvalidArgumentError);
});

test("store and decode pricing", () => {
  assert.equal(storeGas(0), STORE_BASE_GAS);
  assert.equal(storeGas(33), STORE_BASE_GAS + 33n * STORE_GAS_PER_BYTE + 2n * HASH_GAS_PER_WORD);
  assert.equal(decodeGas(64), OP_BASE_GAS + 2n * COPY_GAS_PER_WORD);
  assert.equal(decodeGas(65), OP_BASE_GAS + 3n * COPY_GAS_PER_WORD);
});
