import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePacked, keccak256 } from "viem";
import {
  DYNAMIC_DIM,
  MAX_NODE_INPUTS,
  MAX_PROGRAM_NODES,
  decodeProgram,
  encodeProgram,
  encodedProgramLength,
  type Program,
} from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram, runStream, type NodeEndEvent } from "../../src/codec/program-run.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import {
  AivmError,
  DTypeMismatchError,
  InvalidArgumentError,
  MalformedEncodingError,
  ShapeMismatchError,
  UnsupportedOpError,
} from "../../src/engine/errors.ts";
import { getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { Rng } from "./rng.ts";
import { addConst, liar, plusMinus, testOps } from "./test-ops.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const noHandles = () => {
  throw new Error("no handles expected");
};

/** in0 int32[2,3]; c = const; n0 = in0 + c + 1; (p, m) = pm(n0); n2 = p + m + 5 → outputs n2, p */
function sample(): Program {
  return {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int32", shape: [2, 3] },
      { kind: "const", tensor: tensor("int32", [2, 3], [10, 20, 30, 40, 50, 60]) },
    ],
    nodes: [
      { op: addConst.code, inputs: [0, 1], outputs: 1, attrs: { c: 1 } },
      { op: plusMinus.code, inputs: [2], outputs: 2, attrs: {} },
      { op: addConst.code, inputs: [3, 4], outputs: 1, attrs: { c: 5 } },
    ],
    outputs: [5, 3],
  };
}

test("a program round-trips through encode/decode and its length is predicted", () => {
  const p = sample();
  const bytes = encodeProgram(p);
  assert.equal(bytes.length, encodedProgramLength(p));
  const back = decodeProgram(bytes);
  assert.deepEqual(back, p);
  assert.equal(hex(encodeProgram(back)), hex(bytes));
});

test("the program byte layout is the one docs/spec.md describes (rebuilt with encodePacked)", () => {
  const c = tensor("int8", [2], [1, -1]);
  const id = new Uint8Array(32).fill(0xab);
  const p: Program = {
    stateCount: 1,
    values: [
      { kind: "input", dtype: "int32", shape: [DYNAMIC_DIM, 3] },
      { kind: "const", tensor: c },
      { kind: "handle", id, dtype: "int8", shape: [4] },
    ],
    nodes: [{ op: 1, inputs: [0, 1, 2], outputs: 1, attrs: { zeta: [1, -2], alpha: 7 } }],
    outputs: [3],
  };
  const expected =
    encodePacked(["uint32", "uint8", "uint8", "uint16", "uint32", "uint32", "uint32"], [0x41495650, 1, 1, 0, 3, 1, 1]).slice(2) +
    encodePacked(["uint8", "uint8", "uint8", "uint32", "uint32"], [1, 3, 2, 0xffffffff, 3]).slice(2) +
    "02" + hex(encodeTensor(c)) +
    "03" + "ab".repeat(32) + encodePacked(["uint8", "uint8", "uint32"], [1, 1, 4]).slice(2) +
    encodePacked(["uint16", "uint8", "uint8", "uint8", "uint32", "uint32", "uint32"], [1, 3, 1, 2, 0, 1, 2]).slice(2) +
    // attributes sorted by name: "alpha" (single int) then "zeta" (list)
    encodePacked(["uint8", "string", "uint8", "int64"], [5, "alpha", 0, 7n]).slice(2) +
    encodePacked(["uint8", "string", "uint8", "uint16", "int64", "int64"], [4, "zeta", 1, 2, 1n, -2n]).slice(2) +
    encodePacked(["uint32"], [3]).slice(2);
  assert.equal(hex(encodeProgram(p)), expected);
  // A program's content id (TSTORE target 2) is keccak256 of exactly these bytes.
  assert.equal(keccak256(encodeProgram(p)), keccak256(`0x${expected}`));
});

test("inferProgram gives every value's meta, per-node FLOPs and their sum", () => {
  const info = inferProgram(sample(), undefined, testOps);
  assert.equal(info.values.length, 6);
  assert.deepEqual(info.values.map((v) => v.shape), [[2, 3], [2, 3], [2, 3], [2, 3], [2, 3], [2, 3]]);
  assert.deepEqual(info.nodes.map((n) => n.flops), [12n, 6n, 12n]);
  assert.equal(info.flops, 30n);
  assert.deepEqual(info.nodes.map((n) => n.outputIds), [[2], [3, 4], [5]]);
  // 6 int32 each: 2 declared (48 B) + n0 (24) + p,m (48) = 120 B peak before n0 is freed.
  assert.equal(info.peakValueBytes, 120);
  // While a node runs, its scratch (engine/scratch.ts) is live too (exactly: program-property.test.ts).
  const scratch = info.nodes.map((n) => n.scratchBytes);
  assert.ok(info.peakBytes > 120 && info.peakBytes <= 120 + Math.max(...scratch));
});

test("runProgram executes node by node, calls hooks in order and releases dead values", () => {
  const events: string[] = [];
  const ends: NodeEndEvent[] = [];
  const out = runProgram(sample(), [tensor("int32", [2, 3], [1, 2, 3, 4, 5, 6])], noHandles, {
    lookup: testOps,
    hooks: {
      beforeNode: (e) => events.push(`before ${e.node.index}`),
      afterNode: (e) => {
        events.push(`after ${e.node.index}`);
        ends.push(e);
      },
      release: (id) => events.push(`release ${id}`),
    },
  });
  // n0 = x + c + 1; p = n0; m = -n0; n2 = p + m + 5 = 5
  assert.deepEqual([...out[0]!.data], [5, 5, 5, 5, 5, 5]);
  assert.deepEqual([...out[1]!.data], [12, 23, 34, 45, 56, 67]);
  // value 2 (n0) dies after node 1; value 4 (m) after node 2; value 3 (p) is an output.
  assert.deepEqual(events, ["before 0", "after 0", "before 1", "after 1", "release 2", "before 2", "after 2", "release 4"]);
  assert.equal(ends[1]!.outputs.length, 2);
});

test("dynamic input dimensions need actual metas and resolve from them", () => {
  const p: Program = {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int32", shape: [DYNAMIC_DIM, 2] }],
    nodes: [{ op: addConst.code, inputs: [0], outputs: 1, attrs: { c: 3 } }],
    outputs: [1],
  };
  assert.throws(() => inferProgram(p, undefined, testOps), InvalidArgumentError);
  const info = inferProgram(p, [{ dtype: "int32", shape: [5, 2] }], testOps);
  assert.deepEqual(info.outputs[0]!.shape, [5, 2]);
  assert.equal(info.flops, 10n);
  assert.throws(() => inferProgram(p, [{ dtype: "int32", shape: [5, 3] }], testOps), ShapeMismatchError);
  assert.throws(() => inferProgram(p, [{ dtype: "int32", shape: [5] }], testOps), ShapeMismatchError);
  assert.throws(() => inferProgram(p, [{ dtype: "int8", shape: [5, 2] }], testOps), DTypeMismatchError);
  assert.throws(() => inferProgram(p, [], testOps), InvalidArgumentError);
});

test("semantic errors surface from inference before anything runs", () => {
  const base = sample();
  let ran = false;
  const spy = { ...testOps(1001), run: () => ((ran = true), []) };
  const lookup = (c: number) => (c === 1001 ? spy : testOps(c));
  const withNode = (n: Program["nodes"][number]): Program => ({ ...base, nodes: [...base.nodes, n], outputs: [6] });
  assert.throws(() => inferProgram(withNode({ op: 77, inputs: [0], outputs: 1, attrs: {} }), undefined, testOps), UnsupportedOpError);
  assert.throws(() => runProgram(withNode({ op: 1001, inputs: [0, 1, 2], outputs: 1, attrs: {} }), [tensor("int32", [2, 3], [0, 0, 0, 0, 0, 0])], noHandles, { lookup }), InvalidArgumentError);
  assert.throws(() => inferProgram(withNode({ op: 1001, inputs: [0], outputs: 1, attrs: { d: 1 } }), undefined, testOps), InvalidArgumentError);
  assert.throws(() => inferProgram(withNode({ op: 1001, inputs: [0], outputs: 2, attrs: {} }), undefined, testOps), InvalidArgumentError);
  assert.equal(ran, false);
});

test("a kernel whose output disagrees with its inferred shape is caught", () => {
  const p: Program = {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int32", shape: [3] }],
    nodes: [{ op: liar.code, inputs: [0], outputs: 1, attrs: {} }],
    outputs: [1],
  };
  assert.throws(() => runProgram(p, [tensor("int32", [3], [1, 2, 3])], noHandles, { lookup: testOps }), ShapeMismatchError);
});

test("handles are resolved by content id and must match their declared meta", () => {
  const id = new Uint8Array(32).fill(7);
  const p: Program = {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int32", shape: [2] },
      { kind: "handle", id, dtype: "int32", shape: [2] },
    ],
    nodes: [{ op: addConst.code, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2],
  };
  const x = tensor("int32", [2], [1, 2]);
  const seen: string[] = [];
  const out = runProgram(p, [x], (h, meta) => {
    seen.push(`${hex(h)}:${meta.shape}`);
    return tensor("int32", [2], [100, 200]);
  }, { lookup: testOps });
  assert.deepEqual([...out[0]!.data], [101, 202]);
  assert.deepEqual(seen, [`${"07".repeat(32)}:2`]);
  assert.throws(() => runProgram(p, [x], () => tensor("int32", [3], [1, 2, 3]), { lookup: testOps }), ShapeMismatchError);
  assert.throws(() => runProgram(p, [x], () => tensor("int8", [2], [1, 2]), { lookup: testOps }), DTypeMismatchError);
});

test("runStream threads state outputs into state inputs across steps", () => {
  // state s int32[2], step input x int32[2]: s' = s + x, y = s' + 100
  const p: Program = {
    stateCount: 1,
    values: [
      { kind: "input", dtype: "int32", shape: [2] },
      { kind: "input", dtype: "int32", shape: [2] },
    ],
    nodes: [
      { op: addConst.code, inputs: [0, 1], outputs: 1, attrs: {} },
      { op: addConst.code, inputs: [2], outputs: 1, attrs: { c: 100 } },
    ],
    outputs: [2, 3],
  };
  const steps = [[1, 1], [2, 3], [10, 0]].map((d) => [tensor("int32", [2], d)]);
  const nodeSteps: number[] = [];
  const r = runStream(p, [tensor("int32", [2], [0, 0])], steps, noHandles, {
    lookup: testOps,
    hooks: { afterNode: (e) => nodeSteps.push(e.step) },
  });
  assert.deepEqual([...r.state[0]!.data], [13, 4]);
  assert.deepEqual(r.outputs.map((o) => [...o[0]!.data]), [[101, 101], [103, 104], [113, 104]]);
  assert.deepEqual(nodeSteps, [0, 0, 1, 1, 2, 2]);
  // A state output whose shape differs from its state input is rejected statically.
  const bad: Program = { ...p, nodes: [...p.nodes, { op: plusMinus.code, inputs: [0], outputs: 2, attrs: {} }], outputs: [2, 3] };
  assert.doesNotThrow(() => inferProgram(bad, undefined, testOps));
  const grow: Program = { ...p, values: [{ kind: "input", dtype: "int32", shape: [2] }, { kind: "input", dtype: "int32", shape: [2] }, { kind: "const", tensor: tensor("int32", [3], [0, 0, 0]) }], nodes: [{ op: addConst.code, inputs: [2], outputs: 1, attrs: {} }], outputs: [3] };
  assert.throws(() => inferProgram(grow, undefined, testOps), ShapeMismatchError);
  assert.throws(() => runStream(p, [], steps, noHandles, { lookup: testOps }), InvalidArgumentError);
  assert.throws(() => runStream(p, [tensor("int32", [2], [0, 0])], [], noHandles, { lookup: testOps }), InvalidArgumentError);
});

test("structural limits and malformed encodings are typed errors", () => {
  const p = sample();
  const bytes = encodeProgram(p);
  const bad = (b: Uint8Array) => assert.throws(() => decodeProgram(b), MalformedEncodingError);
  bad(bytes.subarray(0, bytes.length - 1));
  bad(new Uint8Array([...bytes, 0]));
  const m = new Uint8Array(bytes);
  m[0] = 0;
  bad(m);
  const v = new Uint8Array(bytes);
  v[4] = 2;
  bad(v);
  // a node input referring to a value defined later (a cycle) is rejected
  const cyc: Program = { ...p, nodes: [{ op: 1001, inputs: [2], outputs: 1, attrs: {} }] , outputs: [2] };
  assert.throws(() => encodeProgram(cyc), InvalidArgumentError);
  const tooMany: Program = { ...p, nodes: new Array(MAX_PROGRAM_NODES + 1).fill(p.nodes[0]) };
  assert.throws(() => encodeProgram(tooMany), InvalidArgumentError);
  const wide: Program = { ...p, nodes: [{ op: 1001, inputs: new Array(MAX_NODE_INPUTS + 1).fill(0), outputs: 1, attrs: {} }], outputs: [2] };
  assert.throws(() => encodeProgram(wide), InvalidArgumentError);
  assert.throws(() => encodeProgram({ ...p, nodes: [{ op: 1001, inputs: [0], outputs: 1, attrs: { "1x": 1 } }], outputs: [2] }), InvalidArgumentError);
  assert.throws(() => encodeProgram({ ...p, nodes: [{ op: 1001, inputs: [0], outputs: 1, attrs: { c: 0.5 } }], outputs: [2] }), InvalidArgumentError);
  assert.throws(() => encodeProgram({ ...p, outputs: [] }), InvalidArgumentError);
  assert.throws(() => encodeProgram({ ...p, stateCount: 2 }), InvalidArgumentError);
  // huge declared counts fail on the count, before any loop
  const huge = new Uint8Array(bytes);
  new DataView(huge.buffer).setUint32(12, 0xffffffff);
  bad(huge);
});

test("canonical: attributes out of order in the bytes are rejected", () => {
  const p: Program = {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int32", shape: [1] }],
    nodes: [{ op: 1001, inputs: [0], outputs: 1, attrs: { a: 1, b: 2 } }],
    outputs: [1],
  };
  const bytes = encodeProgram(p);
  const s = hex(bytes).replace("016100" + "0000000000000001" + "016200", "016200" + "0000000000000001" + "016100");
  assert.notEqual(s, hex(bytes));
  assert.throws(() => decodeProgram(new Uint8Array(Buffer.from(s, "hex"))), MalformedEncodingError);
});

test("fuzz: mutated and truncated program encodings fail only with AivmErrors", () => {
  const rng = new Rng(11);
  const bytes = encodeProgram(sample());
  for (let i = 0; i < 3000; i++) {
    const m = new Uint8Array(bytes);
    const flips = 1 + rng.int(3);
    for (let j = 0; j < flips; j++) m[rng.int(m.length)] = rng.int(256);
    const cut = rng.int(4) === 0 ? m.subarray(0, rng.int(m.length)) : m;
    try {
      const p = decodeProgram(cut);
      inferProgram(p, undefined, testOps);
    } catch (e) {
      if (!(e instanceof AivmError)) throw e;
    }
  }
});

test("fuzz: random bytes behind a valid magic and version fail only with AivmErrors", () => {
  const rng = new Rng(12);
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(20 + rng.int(120));
    for (let j = 0; j < b.length; j++) b[j] = rng.int(256);
    b.set([0x41, 0x49, 0x56, 0x50, 1, rng.int(2), 0, 0]);
    // Small counts so the value/node loops are actually entered.
    if (i % 2 === 0) b.set([0, 0, 0, rng.int(3), 0, 0, 0, rng.int(3), 0, 0, 0, 1 + rng.int(2)], 8);
    try {
      inferProgram(decodeProgram(b), undefined, testOps);
    } catch (e) {
      if (!(e instanceof AivmError)) throw e;
    }
  }
});

test("a program over the engine's real matmul infers FLOPs from the op definition", () => {
  const matmul = getOp("matmul");
  const p: Program = {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int8", shape: [2, 4] },
      { kind: "const", tensor: tensor("int8", [4, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]) },
    ],
    nodes: [{ op: matmul.code, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2],
  };
  const info = inferProgram(decodeProgram(encodeProgram(p)));
  assert.equal(info.flops, matmul.flops(info.nodes[0]!.inputs, {}));
  assert.equal(info.flops, 2n * 2n * 4n * 3n);
  const out = runProgram(p, [tensor("int8", [2, 4], [1, 2, 3, 4, -1, -2, -3, -4])], noHandles);
  assert.equal(out[0]!.dtype, "int32");
  assert.deepEqual([...out[0]!.data], [5, 6, 7, -5, -6, -7]);
});
