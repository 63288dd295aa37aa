// Every op family, run on bench:gas's case list (every op, dtype path and kernel, small and large
// shapes): the array-buffer memory a run takes (every typed array past V8's on-heap size, where
// tensors, accumulators and index tables live), measured after a full GC, stays within its outputs
// plus the scratch the memory budget charges for it (OpDef.scratchBytes or engine/scratch.ts's
// default). Short-lived small JS objects are garbage the young generation bounds, not scratch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { getOp } from "../../src/engine/registry.ts";
import { scratchBytesOf } from "../../src/engine/scratch.ts";
import { numElements, DTYPE_BYTES, type Tensor } from "../../src/engine/tensor.ts";
import { CASES } from "../../bench/gas-nodes.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
/** What V8's bookkeeping may add to a measurement. */
const NOISE_BYTES = 16 * 1024;

const inUse = () => process.memoryUsage().arrayBuffers;

test("no op family allocates more than its outputs plus the scratch the memory budget charges", () => {
  const rows: string[] = [];
  for (const c of CASES()) {
    const op = getOp(c.op);
    const attrs = c.attrs ?? {};
    const metas = c.inputs.map((t: Tensor) => ({ dtype: t.dtype, shape: t.shape }));
    const outMetas = op.infer(metas, attrs);
    const declared = outMetas.reduce((s, m) => s + numElements(m.shape) * DTYPE_BYTES[m.dtype], 0) + scratchBytesOf(op, metas, outMetas, attrs);
    // Warm: JIT code, tier-ups and the WASM kernel's memory (a process reserve) exist before measuring.
    for (let i = 0; i < 2; i++) op.run(c.inputs, attrs);
    // The least of three runs: a systematic overrun shows in every run, a late tier-up in one.
    let used = Infinity;
    for (let i = 0; i < 3; i++) {
      gc();
      const before = inUse();
      const outs = op.run(c.inputs, attrs);
      used = Math.min(used, inUse() - before);
      assert.equal(outs.length, outMetas.length);
    }
    rows.push(`${c.name}: used ${used}, declared ${declared}`);
    assert.ok(used <= declared + NOISE_BYTES, `${c.name}: the run took ${used} bytes, its outputs and scratch are ${declared}`);
  }
  assert.ok(rows.length >= 90, `${rows.length} cases`);
});

test("a K = 0 matmul is charged its accumulator: a program's peak counts the int32 output and the int32 scratch of the same size", async () => {
  // Finding 5 of the gas issue: [M,0]×[0,N] costs no FLOPs but allocates M·N int32 twice.
  const { inferProgram } = await import("../../src/codec/program-infer.ts");
  const { OP_CODES } = await import("../../src/engine/registry.ts");
  const m = 2048, n = 2048;
  const info = inferProgram({
    stateCount: 0,
    values: [{ kind: "input", dtype: "int8", shape: [m, 0] }, { kind: "input", dtype: "int8", shape: [0, n] }],
    nodes: [{ op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2],
  });
  assert.equal(info.peakValueBytes, 4 * m * n);
  assert.ok(info.peakBytes >= 2 * 4 * m * n, `peak ${info.peakBytes} charges the accumulator too`);
});

test("an empty tensor with a 2^31 − 1 long axis allocates no row buffers (softmax, log_softmax, top_k)", () => {
  // Found by npm run fuzz (TEWOP log_softmax int8 [4,0,5,2,2] with a dimension set to 0x7fffffff):
  // three int32 rows of the axis length, about 24 GiB, for 367 gas.
  const x = { dtype: "int8" as const, shape: [0, 0x7fffffff], data: new Int8Array(0) };
  const cases: [string, Record<string, number>][] = [
    ["softmax", { axis: 1, multiplier: 1 << 30, shift: 40 }],
    ["log_softmax", { axis: 1, multiplier: 1 << 30, shift: 40 }],
    ["top_k", { k: 0x7fffffff }],
  ];
  for (const [name, attrs] of cases) {
    gc();
    const before = inUse();
    getOp(name).run([x], attrs);
    assert.ok(inUse() - before < 1 << 20, `${name}: ${inUse() - before} bytes for an empty tensor`);
  }
});
