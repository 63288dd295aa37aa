// max_pool, avg_pool, global_avg_pool: goldens, a direct 2-D reference over random attributes, the
// 2-D and the axis-by-axis kernels against the generic N-D kernel, the ONNX backend node cases (inputs scaled to
// integers), FLOPs and bad input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AivmError, ElementLimitError, InvalidArgumentError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { getOp } from "../../src/engine/registry.ts";
import { DTYPE_MIN, numElements, tensor, zeros, type Tensor } from "../../src/engine/tensor.ts";
import { AUTO_PAD, poolReference, poolSeparable } from "../../src/engine/ops/pool.ts";
import { checkGolden } from "../golden/nonlinear/golden.ts";
import { listOnnxCases, loadOnnxCase } from "../golden/nonlinear/onnx-cases.ts";
import { prng } from "../golden/nonlinear/prng.ts";

const run = (op: string, inputs: Tensor[], attrs: Attrs) => getOp(op).run(inputs, attrs)[0]!;

test("golden vectors: max_pool, avg_pool, global_avg_pool", () => {
  for (const op of ["max_pool", "avg_pool", "global_avg_pool"]) assert.ok(checkGolden(op) >= 2);
});

/**
 * Direct 2-D pooling: explicit loops over output rows/cols and kernel taps, no precomputed windows.
 * `seen.emptyWindows` counts the windows with no tap inside the input.
 */
function reference2d(op: string, x: Tensor, k: number[], s: number[], d: number[], pads: number[], outH: number, outW: number, cip: boolean, seen = { emptyWindows: 0 }): number[] {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out: number[] = [];
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let best = -Infinity;
        let sum = 0n;
        let valid = 0;
        let inPad = 0;
        for (let ky = 0; ky < k[0]!; ky++) {
          for (let kx = 0; kx < k[1]!; kx++) {
            const iy = oy * s[0]! - pads[0]! + ky * d[0]!;
            const ix = ox * s[1]! - pads[1]! + kx * d[1]!;
            if (iy < h + pads[2]! && ix < w + pads[3]!) inPad++;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            const v = x.data[p * h * w + iy * w + ix]!;
            best = Math.max(best, v);
            sum += BigInt(v);
            valid++;
          }
        }
        if (valid === 0) seen.emptyWindows++;
        if (op === "max_pool") out.push(best === -Infinity ? DTYPE_MIN[x.dtype] : best);
        else {
          const div = BigInt(cip ? inPad : valid);
          if (div === 0n) {
            out.push(0); // a window wholly in the padding (documented)
            continue;
          }
          const q = (2n * (sum < 0n ? -sum : sum) + div) / (2n * div);
          out.push(Number(sum < 0n ? -q : q));
        }
      }
    }
  }
  return out;
}

test("max_pool/avg_pool match a direct 2-D reference over random kernels, strides, dilations, pads, ceil_mode", () => {
  const r = prng(31);
  let checked = 0;
  for (let c = 0; c < 400; c++) {
    const h = r.int(1, 9);
    const w = r.int(1, 9);
    const x = zeros("int8", [r.int(1, 2), r.int(1, 2), h, w]);
    for (let i = 0; i < x.data.length; i++) x.data[i] = r.int(-128, 127);
    const k = [r.int(1, 4), r.int(1, 4)];
    const s = [r.int(1, 3), r.int(1, 3)];
    const d = [r.int(1, 2), r.int(1, 2)];
    const pads = [r.int(0, 2), r.int(0, 2), r.int(0, 2), r.int(0, 2)];
    const ceil = r.int(0, 1);
    const cip = r.int(0, 1);
    const op = r.pick(["max_pool", "avg_pool"]);
    const attrs: Attrs = { kernel_shape: k, strides: s, dilations: d, pads, ceil_mode: ceil, ...(op === "avg_pool" ? { count_include_pad: cip } : {}) };
    let y: Tensor;
    try {
      y = run(op, [x], attrs);
    } catch (e) {
      // Only a kernel that does not fit the padded input may be rejected.
      assert.ok(e instanceof ShapeMismatchError, String(e));
      assert.ok((k[0]! - 1) * d[0]! + 1 > h + pads[0]! + pads[2]! || (k[1]! - 1) * d[1]! + 1 > w + pads[1]! + pads[3]!);
      continue;
    }
    const [outH, outW] = [y.shape[2]!, y.shape[3]!];
    // Output size: floor/ceil formula, minus the window that would start in the end padding.
    for (const [i, size] of [h, w].entries()) {
      const span = size + pads[i]! + pads[i + 2]! - ((k[i]! - 1) * d[i]! + 1);
      let want = (ceil ? Math.ceil(span / s[i]!) : Math.floor(span / s[i]!)) + 1;
      if (ceil && (want - 1) * s[i]! >= size + pads[i]!) want--;
      assert.equal(y.shape[2 + i], want);
    }
    assert.deepEqual(Array.from(y.data), reference2d(op, x, k, s, d, pads, outH, outW, cip === 1), `${op} ${JSON.stringify(attrs)} on ${x.shape}`);
    checked++;
  }
  assert.ok(checked > 300);
});

const DTYPES = ["int8", "int16", "int32"] as const;

/** A random tensor over the dtype's whole range. */
function randomTensor(r: ReturnType<typeof prng>, dtype: (typeof DTYPES)[number], shape: number[]): Tensor {
  const x = zeros(dtype, shape);
  const span = dtype === "int8" ? 128 : dtype === "int16" ? 32768 : 2 ** 31;
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.floor(r.next() * 2 * span) - span;
  return x;
}

test("2-D max_pool/avg_pool equal the generic N-D kernel and the direct reference bit for bit, every dtype and attribute", () => {
  const r = prng(59);
  const seen = { emptyWindows: 0 };
  const covered = { ceil: 0, autoPad: 0, asymmetricPads: 0, dilated: 0, strideOverKernel: 0, countIncludePad: 0, emptyWindows: 0 };
  let checked = 0;
  for (let c = 0; c < 600; c++) {
    const dtype = r.pick(DTYPES);
    const [h, w] = [r.int(1, 12), r.int(1, 12)];
    const x = randomTensor(r, dtype, [r.int(1, 2), r.int(1, 3), h, w]);
    const k = [r.int(1, 4), r.int(1, 4)];
    const s = [r.int(1, 5), r.int(1, 5)];
    const d = [r.int(1, 3), r.int(1, 3)];
    const autoPad = r.pick([AUTO_PAD.NOTSET, AUTO_PAD.NOTSET, AUTO_PAD.NOTSET, AUTO_PAD.SAME_UPPER, AUTO_PAD.SAME_LOWER, AUTO_PAD.VALID]);
    const pads = [r.int(0, 4), r.int(0, 4), r.int(0, 4), r.int(0, 4)];
    const ceil = r.int(0, 1);
    const cip = r.int(0, 1);
    const op = r.pick(["max_pool", "avg_pool"] as const);
    const attrs: Attrs = {
      kernel_shape: k, strides: s, dilations: d, ceil_mode: ceil,
      ...(autoPad === AUTO_PAD.NOTSET ? { pads } : { auto_pad: autoPad }),
      ...(op === "avg_pool" ? { count_include_pad: cip } : {}),
    };
    let want: Tensor;
    try {
      want = poolReference(op, [x], attrs);
    } catch (e) {
      assert.ok(e instanceof ShapeMismatchError, String(e));
      assert.throws(() => run(op, [x], attrs), ShapeMismatchError);
      continue;
    }
    const y = run(op, [x], attrs);
    const label = `${op} ${JSON.stringify(attrs)} on ${dtype}${JSON.stringify(x.shape)}`;
    assert.deepEqual(y.shape, want.shape, label);
    assert.equal(y.data.constructor, want.data.constructor, label);
    assert.deepEqual(Array.from(y.data), Array.from(want.data), label);
    if (autoPad === AUTO_PAD.NOTSET) {
      const before = seen.emptyWindows;
      assert.deepEqual(Array.from(y.data), reference2d(op, x, k, s, d, pads, y.shape[2]!, y.shape[3]!, cip === 1, seen), label);
      if (seen.emptyWindows > before) covered.emptyWindows++;
      if (pads[0] !== pads[2] || pads[1] !== pads[3]) covered.asymmetricPads++;
      covered.ceil += ceil;
    } else covered.autoPad++;
    if (d[0]! > 1 || d[1]! > 1) covered.dilated++;
    if (s[0]! > k[0]! || s[1]! > k[1]!) covered.strideOverKernel++;
    if (op === "avg_pool") covered.countIncludePad += cip;
    checked++;
  }
  assert.ok(checked > 400, `checked ${checked}`);
  for (const [what, n] of Object.entries(covered)) assert.ok(n >= 10, `${what}: ${n} cases`);
});

test("2-D windows wholly in the padding (dilation 3 over a 1×1 input): max_pool gives the dtype minimum, avg_pool 0", () => {
  const attrs = { kernel_shape: [2, 2], dilations: [3, 3], pads: [2, 2, 2, 2] };
  for (const dtype of DTYPES) {
    const x = tensor(dtype, [1, 2, 1, 1], [5, -7]);
    for (const op of ["max_pool", "avg_pool"] as const) {
      for (const a of op === "avg_pool" ? [attrs, { ...attrs, count_include_pad: 1 }] : [attrs]) {
        const y = run(op, [x], a);
        assert.deepEqual(y.shape, [1, 2, 2, 2]);
        assert.deepEqual(Array.from(y.data), new Array<number>(8).fill(op === "max_pool" ? DTYPE_MIN[dtype] : 0), `${op} ${dtype} ${JSON.stringify(a)}`);
        assert.deepEqual(Array.from(poolReference(op, [x], a).data), Array.from(y.data));
      }
    }
  }
});

test("2-D avg_pool over int32 with a 2048×2048 kernel (taps · 2^31 ≥ 2^53: the BigInt sums) equals the generic kernel", () => {
  const r = prng(61);
  const kernel = [2048, 2048];
  assert.ok(kernel[0]! * kernel[1]! * 2 ** 31 >= 2 ** 53); // the exactness rule sends these windows to BigInt
  const x = randomTensor(r, "int32", [1, 2, 5, 6]);
  for (let i = 0; i < 8; i++) x.data[r.int(0, x.data.length - 1)] = r.pick([-(2 ** 31), 2 ** 31 - 1]);
  const pads = [1030, 1029, 1031, 1030];
  for (const cip of [0, 1]) {
    const attrs = { kernel_shape: kernel, strides: [3, 2], pads, count_include_pad: cip };
    const y = run("avg_pool", [x], attrs);
    assert.deepEqual(Array.from(y.data), Array.from(poolReference("avg_pool", [x], attrs).data));
    assert.deepEqual(Array.from(y.data), reference2d("avg_pool", x, kernel, [3, 2], [1, 1], pads, y.shape[2]!, y.shape[3]!, cip === 1));
    assert.ok(y.data.some((v) => v !== 0), "some window averages to a non-zero value");
  }
});

/** Direct N-D pooling: every output multi-index, every kernel tap, no precomputed tap lists. */
function referenceNd(op: string, x: Tensor, k: number[], s: number[], pads: number[], outSpatial: number[], cip: boolean): number[] {
  const spatial = x.shape.slice(2);
  const n = spatial.length;
  const planes = x.shape[0]! * x.shape[1]!;
  const inPlane = numElements(spatial);
  const walk = (dims: number[], visit: (i: number[]) => void) => {
    const i = new Array<number>(dims.length).fill(0);
    if (dims.some((d) => d === 0)) return;
    for (;;) {
      visit(i);
      let d = dims.length - 1;
      while (d >= 0 && ++i[d]! === dims[d]!) i[d--] = 0;
      if (d < 0) return;
    }
  };
  const out: number[] = [];
  for (let p = 0; p < planes; p++) {
    walk(outSpatial, (o) => {
      let best = DTYPE_MIN[x.dtype]; // a window wholly in the padding yields the dtype minimum
      let sum = 0n;
      let valid = 0;
      let inPad = 0;
      walk(k, (t) => {
        const pos = o.map((oi, d) => oi * s[d]! - pads[d]! + t[d]!);
        if (pos.every((q, d) => q < spatial[d]! + pads[n + d]!)) inPad++;
        if (pos.some((q, d) => q < 0 || q >= spatial[d]!)) return;
        const v = x.data[p * inPlane + pos.reduce((a, q, d) => a * spatial[d]! + q, 0)]!;
        best = Math.max(best, v);
        sum += BigInt(v);
        valid++;
      });
      if (op === "max_pool") out.push(best);
      else {
        const div = BigInt(cip ? inPad : valid);
        if (div === 0n) return void out.push(0); // no tap counted: the engine's 0
        out.push(Number(sum < 0n ? -((-2n * sum + div) / (2n * div)) : (2n * sum + div) / (2n * div)));
      }
    });
  }
  return out;
}

test("max_pool/avg_pool over 1, 3 and 4 spatial dimensions match a direct N-D reference", () => {
  const r = prng(47);
  let checked = 0;
  for (let c = 0; c < 200; c++) {
    const n = r.pick([1, 3, 4]);
    const spatial = Array.from({ length: n }, () => r.int(1, n === 4 ? 4 : 6));
    const dtype = r.pick(["int8", "int16", "int32"] as const);
    const x = zeros(dtype, [r.int(1, 2), r.int(1, 2), ...spatial]);
    const span = dtype === "int8" ? 128 : dtype === "int16" ? 32768 : 2 ** 31;
    for (let i = 0; i < x.data.length; i++) x.data[i] = Math.floor(r.next() * 2 * span) - span;
    const k = spatial.map((d) => r.int(1, Math.min(3, d)));
    const s = spatial.map(() => r.int(1, 2));
    const pads = [...spatial.map(() => r.int(0, 1)), ...spatial.map(() => r.int(0, 1))];
    const cip = r.int(0, 1);
    const op = r.pick(["max_pool", "avg_pool"]);
    const attrs: Attrs = { kernel_shape: k, strides: s, pads, ...(op === "avg_pool" ? { count_include_pad: cip } : {}) };
    const y = run(op, [x], attrs);
    assert.deepEqual(Array.from(y.data), referenceNd(op, x, k, s, pads, y.shape.slice(2), cip === 1), `${op} ${JSON.stringify(attrs)} on ${dtype}${JSON.stringify(x.shape)}`);
    checked++;
  }
  assert.equal(checked, 200);
});

/** Whether some output index along one axis has no tap inside the input: its windows lie wholly in the padding. */
function hasEmptyWindow(size: number[], out: number[], k: number[], s: number[], d: number[], padBegin: number[]): boolean {
  return size.some((n, a) => {
    for (let o = 0; o < out[a]!; o++) {
      let inside = false;
      for (let j = 0; j < k[a]!; j++) {
        const q = o * s[a]! - padBegin[a]! + j * d[a]!;
        if (q >= 0 && q < n) inside = true;
      }
      if (!inside) return true;
    }
    return false;
  });
}

test("1-, 3-, 4- and 5-D max_pool/avg_pool: the axis-by-axis kernels equal the generic kernel bit for bit, every dtype and attribute", () => {
  const r = prng(83);
  let fallbacks = 0;
  const covered = { rank1: 0, rank3: 0, rank4: 0, rank5: 0, int8: 0, int16: 0, int32: 0, ceil: 0, autoPad: 0, asymmetricPads: 0, dilated: 0, strided: 0, countIncludePad: 0, emptyWindows: 0 };
  let checked = 0;
  for (let c = 0; c < 700; c++) {
    const n = r.pick([1, 3, 3, 4, 4, 5]);
    const dtype = r.pick(DTYPES);
    const spatial = Array.from({ length: n }, () => r.int(1, n >= 4 ? 5 : 8));
    const x = randomTensor(r, dtype, [r.int(1, 2), r.int(1, 3), ...spatial]);
    for (let i = 0; i < 4; i++) x.data[r.int(0, x.data.length - 1)] = r.pick([DTYPE_MIN[dtype], -DTYPE_MIN[dtype] - 1]);
    const k = spatial.map(() => r.int(1, 3));
    const s = spatial.map(() => r.int(1, 3));
    const d = spatial.map(() => r.int(1, 3));
    const autoPad = r.pick([AUTO_PAD.NOTSET, AUTO_PAD.NOTSET, AUTO_PAD.NOTSET, AUTO_PAD.SAME_UPPER, AUTO_PAD.SAME_LOWER, AUTO_PAD.VALID]);
    const pads = Array.from({ length: 2 * n }, () => r.int(0, 4));
    const ceil = r.int(0, 1);
    const cip = r.int(0, 1);
    const op = r.pick(["max_pool", "avg_pool"] as const);
    const attrs: Attrs = {
      kernel_shape: k, strides: s, dilations: d, ceil_mode: ceil,
      ...(autoPad === AUTO_PAD.NOTSET ? { pads } : { auto_pad: autoPad }),
      ...(op === "avg_pool" ? { count_include_pad: cip } : {}),
    };
    let want: Tensor;
    try {
      want = poolReference(op, [x], attrs);
    } catch (e) {
      assert.ok(e instanceof ShapeMismatchError, String(e));
      continue;
    }
    const label = `${op} ${JSON.stringify(attrs)} on ${dtype}${JSON.stringify(x.shape)}`;
    assert.deepEqual(Array.from(run(op, [x], attrs).data), Array.from(want.data), `run: ${label}`);
    const y = poolSeparable(op, [x], attrs);
    if (y === null) {
      fallbacks++; // pass buffers past the scratch bound (heavy padding of tiny inputs)
      continue;
    }
    assert.deepEqual(y.shape, want.shape, label);
    assert.equal(y.data.constructor, want.data.constructor, label);
    assert.deepEqual(Array.from(y.data), Array.from(want.data), label);
    covered[`rank${n}` as keyof typeof covered]++;
    covered[dtype]++;
    if (autoPad === AUTO_PAD.NOTSET) {
      if (hasEmptyWindow(spatial, y.shape.slice(2), k, s, d, pads)) covered.emptyWindows++;
      if (spatial.some((_, a) => pads[a] !== pads[a + n])) covered.asymmetricPads++;
      covered.ceil += ceil;
    } else covered.autoPad++;
    if (d.some((v) => v > 1)) covered.dilated++;
    if (s.some((v) => v > 1)) covered.strided++;
    if (op === "avg_pool") covered.countIncludePad += cip;
    checked++;
  }
  assert.ok(checked > 400 && fallbacks < checked / 10, `checked ${checked}, ${fallbacks} left to the generic kernel`);
  for (const [what, count] of Object.entries(covered)) assert.ok(count >= 10, `${what}: ${count} cases`);
});

test("3-D windows wholly in the padding (dilation 3 over a 1×1×1 input): the axis-by-axis max_pool gives the dtype minimum, avg_pool 0", () => {
  const attrs = { kernel_shape: [2, 2, 2], dilations: [3, 3, 3], pads: [2, 2, 2, 2, 2, 2] };
  for (const dtype of DTYPES) {
    const x = tensor(dtype, [1, 2, 1, 1, 1], [5, -7]);
    for (const op of ["max_pool", "avg_pool"] as const) {
      for (const a of op === "avg_pool" ? [attrs, { ...attrs, count_include_pad: 1 }] : [attrs]) {
        const y = poolSeparable(op, [x], a);
        assert.ok(y !== null);
        assert.deepEqual(y.shape, [1, 2, 2, 2, 2]);
        assert.deepEqual(Array.from(y.data), new Array<number>(16).fill(op === "max_pool" ? DTYPE_MIN[dtype] : 0), `${op} ${dtype} ${JSON.stringify(a)}`);
        assert.deepEqual(Array.from(poolReference(op, [x], a).data), Array.from(y.data));
      }
    }
  }
});

test("3-D pooling the axis-by-axis kernels leave to the generic kernel: BigInt avg_pool sums, pass buffers past the default scratch bound", () => {
  const r = prng(89);
  // int32 taps · 2^31 ≥ 2^53: avg_pool's sums need BigInt; max_pool has no sums and still runs axis by axis.
  const x = randomTensor(r, "int32", [1, 2, 2, 3, 2]);
  for (const cip of [0, 1]) {
    const big = { kernel_shape: [256, 256, 256], pads: [127, 127, 127, 128, 127, 127], count_include_pad: cip };
    assert.equal(poolSeparable("avg_pool", [x], big), null);
    const y = run("avg_pool", [x], big);
    assert.deepEqual(Array.from(y.data), Array.from(poolReference("avg_pool", [x], big).data));
    assert.ok(y.data.some((v) => v !== 0));
  }
  const bigMax = { kernel_shape: [256, 256, 256], pads: [127, 127, 127, 128, 127, 127] };
  assert.deepEqual(Array.from(poolSeparable("max_pool", [x], bigMax)!.data), Array.from(poolReference("max_pool", [x], bigMax).data));
  // Padding the first axis grows the first pass's buffer to 101 · 300 elements, past 12 bytes per input and 8 per output element.
  const wide = randomTensor(r, "int8", [1, 1, 1, 1, 300]);
  for (const op of ["max_pool", "avg_pool"] as const) {
    const attrs = { kernel_shape: [1, 1, 300], pads: [100, 0, 0, 0, 0, 0] };
    assert.equal(poolSeparable(op, [wide], attrs), null);
    const y = run(op, [wide], attrs);
    assert.deepEqual(y.shape, [1, 1, 101, 1, 1]);
    assert.deepEqual(Array.from(y.data), Array.from(poolReference(op, [wide], attrs).data));
  }
});

const SCALE = 1024;

test("ONNX backend pooling cases: max_pool exact and avg_pool within 1/1024 on inputs scaled by 1024", { skip: listOnnxCases(/^test_maxpool/).length === 0 }, () => {
  const names = listOnnxCases(/^test_(maxpool|averagepool|globalaveragepool)/).filter((d) => !d.includes("with_argmax"));
  assert.ok(names.length >= 20, `found ${names.length} cases`);
  for (const name of names) {
    const c = loadOnnxCase(name);
    const attrs: Record<string, number | number[]> = {};
    for (const [k, v] of Object.entries(c.attrs)) {
      if (k === "auto_pad") attrs[k] = AUTO_PAD[v as keyof typeof AUTO_PAD];
      else if (k !== "storage_order") attrs[k] = v as number | number[];
    }
    const input = c.inputs[0]!;
    const ref = c.outputs[0]!;
    const x = tensor("int32", input.shape, Array.from(input.data, (v) => Math.round(v * SCALE)));
    const op = c.opType === "MaxPool" ? "max_pool" : c.opType === "AveragePool" ? "avg_pool" : "global_avg_pool";
    const y = run(op, [x], attrs);
    assert.deepEqual(y.shape, ref.shape, `${name}: shape`);
    for (let i = 0; i < numElements(ref.shape); i++) {
      if (op === "max_pool") assert.equal(y.data[i], Math.round(ref.data[i]! * SCALE) + 0, `${name}[${i}]`); // + 0 turns −0 into 0
      else assert.ok(Math.abs(y.data[i]! / SCALE - ref.data[i]!) <= 1 / SCALE + 1e-6, `${name}[${i}]: ${y.data[i]! / SCALE} vs ${ref.data[i]}`);
    }
  }
});

test("FLOPs: output elements × kernel taps (+1 per output for the average's division)", () => {
  const x = { dtype: "int8" as const, shape: [2, 3, 8, 8] };
  assert.equal(getOp("max_pool").flops([x], { kernel_shape: [2, 2], strides: [2, 2] }), 2n * 3n * 16n * 4n);
  assert.equal(getOp("avg_pool").flops([x], { kernel_shape: [2, 2], strides: [2, 2] }), 2n * 3n * 16n * 5n);
  assert.equal(getOp("global_avg_pool").flops([x], {}), 2n * 3n * 64n + 6n);
});

test("bad input: typed errors naming the op", () => {
  const x = tensor("int8", [1, 1, 4, 4], new Array<number>(16).fill(1));
  const cases: [string, Tensor[], Attrs, new (...a: any[]) => AivmError][] = [
    ["max_pool", [x], {}, InvalidArgumentError], // kernel_shape required
    ["max_pool", [x], { kernel_shape: [2] }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [2, 2], strides: [0, 1] }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [2, 2], pads: [1, 1, 1] }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [2, 2], pads: [-1, 0, 0, 0] }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [2, 2], auto_pad: 4 }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [2, 2], auto_pad: 1, pads: [0, 0, 0, 0] }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [2, 2], count_include_pad: 1 }, InvalidArgumentError],
    ["max_pool", [x], { kernel_shape: [6, 6] }, ShapeMismatchError],
    ["max_pool", [tensor("int8", [4, 4], new Array<number>(16).fill(1))], { kernel_shape: [2, 2] }, ShapeMismatchError],
    ["avg_pool", [x], { kernel_shape: [2, 2], ceil_mode: 2 }, InvalidArgumentError],
    ["global_avg_pool", [tensor("int8", [2, 2], [1, 2, 3, 4])], {}, ShapeMismatchError],
    ["global_avg_pool", [x], { axis: 1 }, InvalidArgumentError],
  ];
  for (const [op, inputs, attrs, cls] of cases) {
    assert.throws(() => getOp(op).infer(inputs, attrs), (e: unknown) => e instanceof cls && (e as AivmError).message.includes(op), `${op} ${JSON.stringify(attrs)}`);
    assert.throws(() => getOp(op).run(inputs, attrs), cls);
  }
  // A window larger than MAX_ELEMENTS taps is refused from the attributes alone.
  const big = { dtype: "int8" as const, shape: [1, 1, 4096, 4096] };
  assert.throws(() => getOp("max_pool").flops([big], { kernel_shape: [2 ** 14, 2 ** 14], pads: [2 ** 14, 2 ** 14, 2 ** 14, 2 ** 14] }), ElementLimitError);
});
