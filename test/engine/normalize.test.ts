// softmax, log_softmax, layer_norm, rms_norm: golden vectors, properties, FLOPs and bad input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AivmError, DTypeMismatchError, InvalidArgumentError, RankLimitError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type Tensor, type TensorMeta } from "../../src/engine/tensor.ts";
import { checkGolden } from "../golden/nonlinear/golden.ts";
import { listOnnxCases, loadOnnxCase } from "../golden/nonlinear/onnx-cases.ts";
import { prng } from "../golden/nonlinear/prng.ts";

const run = (op: string, inputs: Tensor[], attrs: Attrs) => getOp(op).run(inputs, attrs)[0]!;
const S = { multiplier: 1 << 30, shift: 37 };

test("golden vectors: softmax, log_softmax, layer_norm, rms_norm", () => {
  for (const op of ["softmax", "log_softmax", "layer_norm", "rms_norm"]) assert.ok(checkGolden(op) >= 3);
});

test("softmax rows sum to 2^15 within half an ulp per element, and order is preserved", () => {
  const r = prng(11);
  for (let c = 0; c < 50; c++) {
    const n = r.int(1, 300);
    const xs = Array.from({ length: n }, () => r.int(-5000, 5000));
    const p = run("softmax", [tensor("int32", [n], xs)], S).data;
    const sum = Array.from(p).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 32768) <= n / 2 + 1, `sum ${sum} for n=${n}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (xs[i]! > xs[j]!) assert.ok(p[i]! >= p[j]!);
  }
});

test("softmax ignores a constant added to every score", () => {
  const xs = [3, -40, 17, 250, 0, 99];
  const a = run("softmax", [tensor("int32", [6], xs)], S).data;
  const b = run("softmax", [tensor("int32", [6], xs.map((v) => v + 123456789))], S).data;
  assert.deepEqual(a, b);
});

test("softmax over axis 0 equals softmax over the last axis of the transpose", () => {
  const x = tensor("int32", [4, 3], [5, -7, 100, 40, 2, -9, 0, 0, 1, 77, -300, 12]);
  const a = run("softmax", [x], { ...S, axis: 0 });
  const xt = run("transpose", [x], {});
  const b = run("transpose", [run("softmax", [xt], { ...S, axis: -1 })], {});
  assert.deepEqual(a, b);
});

test("int8 softmax output uses scale 1/256 with zero point -128, log_softmax int16 uses Q10", () => {
  const x = tensor("int32", [2], [0, 0]);
  assert.deepEqual(Array.from(run("softmax", [x], { ...S, outDtype: 0 }).data), [0, 0]); // 0.5·256 − 128
  assert.deepEqual(Array.from(run("softmax", [x], S).data), [16384, 16384]);
  assert.deepEqual(Array.from(run("log_softmax", [x], { ...S, outDtype: 1 }).data), [-710, -710]); // −ln 2 · 1024
  assert.deepEqual(Array.from(run("log_softmax", [x], S).data), [-45426, -45426]); // −ln 2 · 65536
});

test("layer_norm output does not change when a constant is added to the row", () => {
  const g = tensor("int8", [8], [64, 64, 64, 64, 64, 64, 64, 64]);
  const a = run("layer_norm", [tensor("int16", [1, 8], [1, 5, -3, 8, 0, 2, 2, 9]), g], { multiplier: 1 << 30, shift: 36 });
  const b = run("layer_norm", [tensor("int16", [1, 8], [1, 5, -3, 8, 0, 2, 2, 9].map((v) => v + 20000)), g], { multiplier: 1 << 30, shift: 36 });
  assert.deepEqual(a, b);
});

test("layer_norm of a constant row is beta requantized; rms_norm of zeros is too", () => {
  const attrs = { multiplier: 1, shift: 0, outDtype: 2 };
  const g = tensor("int8", [3], [5, 5, 5]);
  const beta = tensor("int32", [3], [7, -8, 9]);
  assert.deepEqual(Array.from(run("layer_norm", [tensor("int8", [1, 3], [4, 4, 4]), g, beta], attrs).data), [7, -8, 9]);
  assert.deepEqual(Array.from(run("rms_norm", [tensor("int8", [1, 3], [0, 0, 0]), g, beta], attrs).data), [7, -8, 9]);
});

test("FLOPs follow the documented per-element and per-row constants", () => {
  const x: TensorMeta = { dtype: "int32", shape: [3, 5] };
  assert.equal(getOp("softmax").flops([x], S), 12n * 15n);
  assert.equal(getOp("log_softmax").flops([x], S), 13n * 15n + 64n * 3n);
  const g: TensorMeta = { dtype: "int8", shape: [5] };
  assert.equal(getOp("layer_norm").flops([x, g], S), 10n * 15n + 64n * 3n);
  assert.equal(getOp("rms_norm").flops([x, { dtype: "int8", shape: [3, 5] }], { ...S, axis: 0 }), 10n * 15n + 64n); // axis 0: one row of 15
});

test("bad input: typed errors that name the op and input, never values", () => {
  const x = tensor("int32", [2, 3], [1, 2, 3, 4, 5, 6]);
  const g = tensor("int8", [3], [1, 1, 1]);
  const cases: [string, Tensor[], Attrs, new (...a: any[]) => AivmError][] = [
    ["softmax", [x], { multiplier: 1 }, InvalidArgumentError], // shift missing
    ["softmax", [x], { ...S, axis: 2 }, InvalidArgumentError],
    ["softmax", [x], { ...S, shift: 63 }, InvalidArgumentError],
    ["softmax", [x], { ...S, multiplier: -1 }, InvalidArgumentError],
    ["softmax", [x], { ...S, outDtype: 2 }, InvalidArgumentError],
    ["softmax", [x], { ...S, temperature: 1 }, InvalidArgumentError],
    ["softmax", [x, x], S, InvalidArgumentError],
    ["softmax", [tensor("int32", [], [1])], S, ShapeMismatchError],
    ["log_softmax", [x], { ...S, outDtype: 0 }, InvalidArgumentError],
    ["layer_norm", [x, tensor("int8", [2], [1, 1])], S, ShapeMismatchError],
    ["layer_norm", [x, tensor("int16", [3], [1, 1, 1])], S, DTypeMismatchError],
    ["layer_norm", [x, g, tensor("int8", [3], [1, 1, 1])], S, DTypeMismatchError],
    ["layer_norm", [x, g, tensor("int32", [1], [1])], S, ShapeMismatchError],
    ["layer_norm", [x], S, InvalidArgumentError],
    ["layer_norm", [x, g], { ...S, epsilon: -1 }, InvalidArgumentError],
    ["rms_norm", [x, g], { ...S, zeroPoint: 200 }, InvalidArgumentError],
    ["rms_norm", [x, g], { multiplier: 1 }, InvalidArgumentError],
  ];
  for (const [op, inputs, attrs, cls] of cases) {
    assert.throws(() => getOp(op).infer(inputs, attrs), (e: unknown) => {
      assert.ok(e instanceof cls, `${op} ${JSON.stringify(attrs)}: got ${String(e)}`);
      assert.match((e as AivmError).message, new RegExp(op));
      return true;
    });
    assert.throws(() => getOp(op).flops(inputs, attrs), cls);
    assert.throws(() => getOp(op).run(inputs, attrs), cls);
  }
  // Shape limits are checked on declared metadata, before anything is allocated.
  assert.throws(() => getOp("softmax").infer([{ dtype: "int32", shape: [1, 1, 1, 1, 1, 1, 1, 1, 1] }], S), RankLimitError);
  assert.throws(() => getOp("layer_norm").flops([{ dtype: "int32", shape: [2 ** 20, 2 ** 20] }, { dtype: "int8", shape: [2 ** 20] }], S), AivmError);
});

test("ONNX backend Softmax/LogSoftmax/LayerNormalization cases agree after integer quantization", { skip: listOnnxCases(/^test_softmax/).length === 0 }, (tc) => {
  const names = listOnnxCases(/^test_(softmax|logsoftmax|layer_normalization)_/);
  assert.ok(names.length >= 20, `found ${names.length}`);
  const worst: Record<string, number> = {};
  for (const name of names) {
    const c = loadOnnxCase(name);
    const x = c.inputs[0]!;
    const ref = c.outputs[0]!;
    const axis = (c.attrs["axis"] as number | undefined) ?? -1;
    let got: number[];
    let tol: number;
    if (c.opType !== "LayerNormalization") {
      // Scores in Q16: one unit is 2^-16 = 2^30 / 2^46.
      const xs = tensor("int32", x.shape, Array.from(x.data, (v) => Math.round(v * 65536)));
      if (c.opType === "Softmax") {
        got = Array.from(run("softmax", [xs], { axis, multiplier: 2 ** 30, shift: 46 }).data, (q) => q / 2 ** 15);
        tol = 2 / 2 ** 15;
      } else {
        got = Array.from(run("log_softmax", [xs], { axis, multiplier: 2 ** 30, shift: 46 }).data, (q) => q / 2 ** 16);
        tol = 1 / 2 ** 13;
      }
    } else {
      const [w, b] = [c.inputs[1]!, c.inputs[2]!];
      const sx = Math.max(...Array.from(x.data, Math.abs)) / 32767;
      const sg = Math.max(...Array.from(w.data, Math.abs)) / 127;
      const eps = (c.attrs["epsilon"] as number | undefined) ?? 1e-5;
      const inputs = [
        tensor("int16", x.shape, Array.from(x.data, (v) => Math.round(v / sx))),
        tensor("int8", w.shape, Array.from(w.data, (v) => Math.round(v / sg))),
        tensor("int32", b.shape, Array.from(b.data, (v) => Math.round((v * 4096) / sg))),
      ];
      // int32 output with M/2^t = 1: the real value is acc·s_γ/2^12.
      const y = run("layer_norm", inputs, { axis, epsilon: Math.round(eps / (sx * sx)), multiplier: 1, shift: 0, outDtype: 2 });
      got = Array.from(y.data, (q) => (q * sg) / 4096);
      tol = 0.02 * Math.max(...Array.from(ref.data, Math.abs));
    }
    let err = 0;
    got.forEach((g, i) => (err = Math.max(err, Math.abs(g - ref.data[i]!))));
    // Softmax/LogSoftmax: absolute error; LayerNormalization: relative to max|y_ref| (the AIVM rule).
    const rel = c.opType === "LayerNormalization" ? err / (tol / 0.02) : err;
    worst[c.opType] = Math.max(worst[c.opType] ?? 0, rel);
    assert.ok(err <= tol, `${name}: max error ${err} > ${tol}`);
  }
  tc.diagnostic(`${names.length} cases; worst max|error|: ${JSON.stringify(worst)}`);
});
