// The LM compiler on a small random llama decoder: the integer step programs track the float
// reference, prefill + generation equals one teacher-forced pass, a generation split across calls
// equals one call, and sampling is a function of the seed.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { runProgram, runStream } from "../../src/codec/program-run.ts";
import { encodeProgram } from "../../src/codec/program.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { initialState, samplerTensor } from "../../src/model/lm.ts";
import { FloatDecoder } from "../../src/model/lm-float.ts";
import { TINY_CONFIG, tinyLm, tinyWeights, tokenSequence as sequence } from "./lm-fixture.ts";

const config = TINY_CONFIG;
const weights = tinyWeights();
const noHandles = () => {
  throw new Error("programs built in process carry their weights inline");
};
const tok = (t: number) => [tensor("int32", [1], [t])];
const seedOf = (s: number) => tensor("int32", [8], [s, 2, 3, 4, 5, 6, 7, 8]);
const lm = tinyLm();

function generateTokens(prompt: readonly number[], n: number, seed: Tensor, sampler = {}): number[] {
  const pre = runStream(lm.build({ token: "input", emit: "token" }), initialState(lm, seed, sampler), prompt.map(tok), noHandles);
  const out = [pre.outputs.at(-1)![0]!.data[0]!];
  if (n === 1) return out;
  const gen = runStream(lm.build({ token: "state", emit: "token" }), pre.state, Array.from({ length: n - 1 }, () => []), noHandles);
  return [...out, ...gen.outputs.map((o) => o[0]!.data[0]!)];
}

describe("LM compiler (tiny llama decoder)", () => {
  test("teacher-forced integer logits agree with the float decoder: top-1 on ≥ 90 % of positions, error ≤ 12 % of the logit range", () => {
    const score = lm.build({ token: "input", emit: "logits" });
    let agree = 0, total = 0, worst = 0;
    for (let s = 100; s < 104; s++) {
      const toks = sequence(s);
      const r = runStream(score, initialState(lm, seedOf(1)), toks.map(tok), noHandles);
      const ref = new FloatDecoder(config, weights);
      toks.forEach((t, i) => {
        const f = ref.step(t);
        const q = r.outputs[i]![0]!.data;
        let bf = 0, bq = 0, range = 0, err = 0;
        for (let j = 0; j < f.length; j++) {
          if (f[j]! > f[bf]!) bf = j;
          if (q[j]! > q[bq]!) bq = j;
          range = Math.max(range, Math.abs(f[j]!));
          err = Math.max(err, Math.abs(q[j]! * lm.logitScale - f[j]!));
        }
        worst = Math.max(worst, err / range);
        if (bf === bq || f[bq]! >= f[bf]! - 0.05 * range) agree++;
        total++;
      });
    }
    assert.ok(agree / total >= 0.9, `top-1 agreement ${agree}/${total}`);
    assert.ok(worst <= 0.12, `worst logit error ${worst} of the range`);
  });

  test("greedy generation equals the argmax of the teacher-forced logits of its own output", () => {
    const prompt = sequence(7).slice(0, 5);
    const generated = generateTokens(prompt, 6, seedOf(3));
    const score = lm.build({ token: "input", emit: "logits" });
    const all = [...prompt, ...generated.slice(0, -1)];
    const r = runStream(score, initialState(lm, seedOf(3)), all.map(tok), noHandles);
    const argmaxes = r.outputs.slice(prompt.length - 1).map((o) => {
      const d = o[0]!.data;
      let b = 0;
      for (let j = 1; j < d.length; j++) if (d[j]! > d[b]!) b = j;
      return b;
    });
    assert.deepEqual(generated, argmaxes);
  });

  test("a generation continued from the state of an earlier call equals one uninterrupted generation", () => {
    const prompt = sequence(9).slice(0, 3);
    const sampler = { temperature: 0.8, topK: 20, topP: 0.9 };
    const whole = generateTokens(prompt, 9, seedOf(5), sampler);
    const pre = runStream(lm.build({ token: "input", emit: "token" }), initialState(lm, seedOf(5), sampler), prompt.map(tok), noHandles);
    const step = lm.build({ token: "state", emit: "token" });
    let state = pre.state;
    const split = [pre.outputs.at(-1)![0]!.data[0]!];
    for (const n of [3, 5]) {
      const r = runStream(step, state, Array.from({ length: n }, () => []), noHandles);
      state = r.state;
      split.push(...r.outputs.map((o) => o[0]!.data[0]!));
    }
    assert.deepEqual(split, whole);
  });

  test("sampling is a function of the seed: same seed same tokens, other seeds other tokens; greedy ignores the seed", () => {
    const prompt = sequence(11).slice(0, 4);
    const hot = { temperature: 1.5 };
    const a = generateTokens(prompt, 10, seedOf(21), hot);
    assert.deepEqual(generateTokens(prompt, 10, seedOf(21), hot), a);
    const others = [22, 23, 24].map((s) => generateTokens(prompt, 10, seedOf(s), hot).join(","));
    assert.ok(others.some((o) => o !== a.join(",")), "a different seed changes the sample");
    assert.deepEqual(generateTokens(prompt, 6, seedOf(1)), generateTokens(prompt, 6, seedOf(99)));
  });

  test("the step programs are valid, static and share every weight; the state threads back unchanged in shape", () => {
    const step = lm.build({ token: "state", emit: "token" });
    const prefill = lm.build({ token: "input", emit: "token" });
    assert.equal(step.stateCount, 4 + 2 * config.n_layers);
    assert.ok(encodeProgram(step).length > 0 && encodeProgram(prefill).length > 0);
    const state = initialState(lm, seedOf(1));
    const outs = runProgram(step, state, new Map());
    outs.slice(0, step.stateCount).forEach((t, i) => {
      assert.equal(t.dtype, state[i]!.dtype);
      assert.deepEqual(t.shape, state[i]!.shape);
    });
    assert.deepEqual([...outs[1]!.data], [1], "position advanced by one");
  });

  test("sampler settings are validated before they reach the chain", () => {
    assert.throws(() => samplerTensor({ temperature: -1 }), /temperature/);
    assert.throws(() => samplerTensor({ topP: 0 }), /topP/);
    assert.throws(() => samplerTensor({ topK: 1.5 }), /topK/);
    assert.deepEqual([...samplerTensor({ temperature: 0.5, topK: 40, topP: 0.9 }).data], [32768, 40, 58982, 0]);
  });
});
