// Property tests over random programs built from the test ops: the encoding round-trips, the
// static peak-bytes figure equals what the run's hooks observe, and a throwing hook aborts a run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProgram, encodeProgram, type Program, type ProgramNode, type ValueDecl } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import { MemoryLimitError } from "../../src/engine/errors.ts";
import { byteSize, tensor, type Tensor } from "../../src/engine/tensor.ts";
import { Rng } from "./rng.ts";
import { addConst, plusMinus, testOps } from "./test-ops.ts";

function randomProgram(rng: Rng): { program: Program; inputs: Tensor[] } {
  const shape = [1 + rng.int(4), 1 + rng.int(5)];
  const n = shape[0]! * shape[1]!;
  const values: ValueDecl[] = [{ kind: "input", dtype: "int32", shape }];
  const inputs = [tensor("int32", shape, Array.from({ length: n }, () => rng.int(1000) - 500))];
  if (rng.int(2)) values.push({ kind: "const", tensor: tensor("int32", shape, Array.from({ length: n }, () => rng.int(100))) });
  const nodes: ProgramNode[] = [];
  let defined = values.length;
  const nodeCount = 1 + rng.int(12);
  for (let i = 0; i < nodeCount; i++) {
    if (rng.int(3) === 0) {
      nodes.push({ op: plusMinus.code, inputs: [rng.int(defined)], outputs: 2, attrs: {} });
      defined += 2;
    } else {
      const ins = rng.int(2) ? [rng.int(defined), rng.int(defined)] : [rng.int(defined)];
      nodes.push({ op: addConst.code, inputs: ins, outputs: 1, attrs: rng.int(2) ? { c: rng.int(10) - 5 } : {} });
      defined += 1;
    }
  }
  const outputs = Array.from({ length: 1 + rng.int(3) }, () => rng.int(defined));
  return { program: { stateCount: 0, values, nodes, outputs }, inputs };
}

test("random programs: encode/decode round-trip and static peak bytes match the hooks' count", () => {
  const rng = new Rng(41);
  for (let trial = 0; trial < 200; trial++) {
    const { program, inputs } = randomProgram(rng);
    const bytes = encodeProgram(program);
    const back = decodeProgram(bytes);
    assert.deepEqual(back, program);
    assert.deepEqual(encodeProgram(back), bytes, "canonical: re-encoding gives the same bytes");
    const info = inferProgram(back, undefined, testOps);
    // Live bytes as a precompile would track them: declared values up front, outputs on
    // afterNode, minus whatever `release` hands back.
    let live = back.values.reduce((s, v) => s + byteSize(v.kind === "const" ? v.tensor : v), 0);
    let peak = live;
    const declaredBytes = live;
    let withScratch = live;
    const released = new Set<number>();
    const outs = runProgram(back, inputs, () => {
      throw new Error("no handles");
    }, {
      lookup: testOps,
      hooks: {
        afterNode: (e) => {
          for (const t of e.outputs) live += byteSize(t);
          peak = Math.max(peak, live);
          withScratch = Math.max(withScratch, live + e.node.scratchBytes);
        },
        release: (id, t) => {
          assert.ok(!released.has(id), "a value is released once");
          assert.ok(!back.outputs.includes(id), "program outputs are never released");
          released.add(id);
          live -= byteSize(t);
        },
      },
    });
    assert.equal(peak, info.peakValueBytes);
    assert.equal(Math.max(withScratch, declaredBytes), info.peakBytes, "the budget's peak adds the running node's scratch");
    assert.equal(outs.length, program.outputs.length);
    outs.forEach((t, i) => assert.deepEqual(t.shape, info.outputs[i]!.shape));
  }
});

test("a beforeNode hook that throws aborts the run before that node executes", () => {
  const rng = new Rng(42);
  const { program, inputs } = randomProgram(rng);
  const ran: number[] = [];
  const lookup = (code: number) => {
    const op = testOps(code);
    return { ...op, run: (...a: Parameters<typeof op.run>) => (ran.push(code), op.run(...a)) };
  };
  assert.throws(
    () =>
      runProgram(program, inputs, () => {
        throw new Error("no handles");
      }, {
        lookup,
        hooks: {
          beforeNode: (e) => {
            if (e.node.index === 0) throw new MemoryLimitError(1, 0, 0);
          },
        },
      }),
    MemoryLimitError,
  );
  assert.deepEqual(ran, []);
});
