// precompiles/program-cache.ts: decoded programs and their inference kept across calls. A hit must
// be the program its bytes decode to (never another one under the same key), failures are never
// kept, and the cache stays within its bounds.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeProgram, encodeProgram, type Program } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { keccak256One } from "../../src/commit/keccak.ts";
import { decodeProgramCached, inferProgramCached, inlineProgramCached, programCacheStats } from "../../precompiles/program-cache.ts";
import { paramsHashBytes } from "../../src/commit/receipt.ts";

function reluChain(n: number, shape: number[] = [2, 3]): Program {
  return {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int8", shape }],
    nodes: Array.from({ length: n }, (_, i) => ({ op: OP_CODES.relu, inputs: [i], outputs: 1, attrs: {} })),
    outputs: [n],
  };
}

describe("decoded-program cache", () => {
  it("a second decode of the same bytes is a hit and equals decodeProgram", () => {
    const bytes = encodeProgram(reluChain(3));
    const first = inlineProgramCached(bytes).program;
    const hits = programCacheStats.hits;
    const again = inlineProgramCached(bytes.slice()).program;
    assert.equal(programCacheStats.hits, hits + 1);
    assert.equal(again, first);
    assert.deepEqual(again, decodeProgram(bytes));
  });

  it("a key that stands for other bytes (a store address rewritten) decodes those bytes", () => {
    const a = encodeProgram(reluChain(2));
    const b = encodeProgram(reluChain(5));
    const id = keccak256One(a);
    assert.equal(decodeProgramCached(a, id).nodes.length, 2);
    assert.equal(decodeProgramCached(b, id).nodes.length, 5);
    // And the entry now holds b's program.
    assert.equal(decodeProgramCached(b, id).nodes.length, 5);
    assert.equal(decodeProgramCached(a, id).nodes.length, 2);
  });

  it("an inline program's paramsHash is the receipt's hash of its bytes, on a miss and on a hit", () => {
    // Same length, different bytes: each keeps its own program and hash.
    const a = encodeProgram(reluChain(3, [2, 3]));
    const b = encodeProgram(reluChain(3, [3, 2]));
    assert.equal(a.length, b.length);
    for (let round = 0; round < 2; round++) {
      for (const bytes of [a, b]) {
        const inline = inlineProgramCached(bytes.slice());
        assert.deepEqual(inline.program, decodeProgram(bytes));
        assert.deepEqual(inline.paramsHash(), paramsHashBytes(bytes));
      }
    }
  });

  it("bytes that do not decode throw the same error every time and are not kept", () => {
    const bytes = encodeProgram(reluChain(2)).slice(0, 9);
    const errors = [0, 1].map(() => {
      try {
        inlineProgramCached(bytes);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.ok(errors[0] !== undefined);
    assert.equal(errors[1], errors[0]);
  });

  it("keeps at most 256 programs: the least recently used is decoded again", () => {
    const first = encodeProgram(reluChain(1, [1, 1]));
    inlineProgramCached(first);
    for (let i = 2; i <= 300; i++) inlineProgramCached(encodeProgram(reluChain(1, [1, i])));
    const misses = programCacheStats.misses;
    inlineProgramCached(first);
    assert.equal(programCacheStats.misses, misses + 1);
  });

  it("inference is kept per program and input metas; metas the program refuses throw every time", () => {
    const program = inlineProgramCached(encodeProgram(reluChain(4))).program;
    const metas = [{ dtype: "int8" as const, shape: [2, 3] }];
    const info = inferProgramCached(program, metas);
    assert.equal(inferProgramCached(program, [{ dtype: "int8", shape: [2, 3] }]), info);
    assert.deepEqual(info, inferProgram(program, metas));
    for (let i = 0; i < 2; i++) assert.throws(() => inferProgramCached(program, [{ dtype: "int8", shape: [3, 2] }]));
    assert.throws(() => inferProgramCached(program, [{ dtype: "int16", shape: [2, 3] }]));
  });
});
