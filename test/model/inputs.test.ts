// The one input loader of `aivm model run` and `aivm onnx run`: .pb, .json, .npy and PNG/JPEG (with
// the preprocessing declared at pack time) give the same tensor, and wrong files fail with a clear error.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { DEMO_PACKAGE, DEMO_SAMPLES, type DemoSamples } from "../../scripts/pack-demo-model.ts";
import { modelRun } from "../../src/cli/model.ts";
import { ShapeMismatchError } from "../../src/engine/errors.ts";
import { InputFileError, loadInput, parseImagePreprocess, readNpy, type InputTarget } from "../../src/model/inputs.ts";
import { encodeTensorFile, hostTensor, type HostTensor } from "../../src/model/onnx.ts";
import { parsePackage, serializePackage } from "../../src/model/package.ts";

const dir = mkdtempSync(path.join(tmpdir(), "aivm-inputs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

/** A .npy file as NumPy writes it: magic, version, little-endian header length, dict header padded to 64 bytes, data. */
function npy(descr: string, shape: number[], body: Uint8Array, version = 1, fortran = false): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? "True" : "False"}, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const pre = version === 1 ? 10 : 12;
  const padded = dict + " ".repeat((64 - ((pre + dict.length + 1) % 64)) % 64) + "\n";
  const out = new Uint8Array(pre + padded.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), pre);
  out.set(body, pre + padded.length);
  return out;
}

function bytesOf(values: readonly number[], width: number, put: (v: DataView, o: number, x: number) => void): Uint8Array {
  const b = new Uint8Array(values.length * width);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => put(v, i * width, x));
  return b;
}

function assertSameTensor(got: HostTensor, want: HostTensor, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  assert.deepEqual(Array.from(got.data), Array.from(want.data), `${what}: data`);
}

const shape = [2, 3, 4];
const values = Array.from({ length: 24 }, (_, i) => Math.fround((i - 11) * 0.37));
const nested = [0, 1].map((a) => [0, 1, 2].map((b) => [0, 1, 2, 3].map((c) => values[a * 12 + b * 4 + c]!)));

test("a float32 tensor reads the same from .pb, nested-array JSON, {shape, data} JSON and .npy (v1 and v2, little- and big-endian)", () => {
  const want = hostTensor("float32", shape, values);
  writeFileSync(file("t.pb"), encodeTensorFile("x", want));
  writeFileSync(file("nested.json"), JSON.stringify(nested));
  writeFileSync(file("flat.json"), JSON.stringify({ shape, data: values }));
  writeFileSync(file("v1.npy"), npy("<f4", shape, bytesOf(values, 4, (v, o, x) => v.setFloat32(o, x, true))));
  writeFileSync(file("v2.npy"), npy("<f4", shape, bytesOf(values, 4, (v, o, x) => v.setFloat32(o, x, true)), 2));
  writeFileSync(file("be.npy"), npy(">f4", shape, bytesOf(values, 4, (v, o, x) => v.setFloat32(o, x, false))));
  for (const f of ["t.pb", "nested.json", "flat.json", "v1.npy", "v2.npy", "be.npy"]) assertSameTensor(loadInput(file(f)), want, f);
  // float64 .npy keeps its own dtype and values.
  writeFileSync(file("f8.npy"), npy("<f8", shape, bytesOf(values, 8, (v, o, x) => v.setFloat64(o, x, true))));
  assertSameTensor(loadInput(file("f8.npy")), hostTensor("float64", shape, values), "f8.npy");
});

test("integer .npy files (int8, uint8, int32, int64) and a typed JSON tensor read as their own dtypes", () => {
  const ints = [-128, -1, 0, 1, 127, 5];
  const cases: [string, HostTensor["dtype"], number[], number, (v: DataView, o: number, x: number) => void][] = [
    ["|i1", "int8", ints, 1, (v, o, x) => v.setInt8(o, x)],
    ["|u1", "uint8", ints.map((x) => x + 128), 1, (v, o, x) => v.setUint8(o, x)],
    ["<i4", "int32", ints.map((x) => x * 100_000), 4, (v, o, x) => v.setInt32(o, x, true)],
    ["<i8", "int64", ints.map((x) => x * 2 ** 40), 8, (v, o, x) => v.setBigInt64(o, BigInt(x), true)],
  ];
  for (const [descr, dtype, data, width, put] of cases) {
    writeFileSync(file("i.npy"), npy(descr, [2, 3], bytesOf(data, width, put)));
    assertSameTensor(loadInput(file("i.npy")), hostTensor(dtype, [2, 3], data), descr);
    writeFileSync(file("i.json"), JSON.stringify({ shape: [2, 3], data, dtype }));
    assertSameTensor(loadInput(file("i.json")), hostTensor(dtype, [2, 3], data), `${dtype} json`);
  }
});

test("bad files are refused with what is wrong: Fortran order, a short body, an unknown dtype, a ragged array, an unknown extension", () => {
  const body = bytesOf(values, 4, (v, o, x) => v.setFloat32(o, x, true));
  assert.throws(() => readNpy("f.npy", npy("<f4", shape, body, 1, true)), (e: unknown) => e instanceof InputFileError && /Fortran \(column-major\) order; save it in C order/.test(e.message) && /ascontiguousarray/.test(e.message));
  assert.throws(() => readNpy("s.npy", npy("<f4", shape, body.subarray(4))), /needs 96 data bytes, the file has 92/);
  assert.throws(() => readNpy("c.npy", npy("<c8", [1], new Uint8Array(8))), /has dtype <c8; supported: float32/);
  assert.throws(() => readNpy("m.npy", new Uint8Array(16)), /not a NumPy \.npy file/);
  writeFileSync(file("ragged.json"), JSON.stringify([[1, 2], [3]]));
  assert.throws(() => loadInput(file("ragged.json")), /ragged array/);
  writeFileSync(file("short.json"), JSON.stringify({ shape: [2, 2], data: [1, 2, 3] }));
  assert.throws(() => loadInput(file("short.json")), /shape \[2,2\] needs 4 numbers, the data has 3/);
  writeFileSync(file("x.bmp"), "");
  assert.throws(() => loadInput(file("x.bmp")), /unknown extension "\.bmp"; inputs are \.pb, \.json, \.npy, \.png, \.jpg, \.jpeg/);
  assert.throws(() => parseImagePreprocess('{"layout":"CHW"}'), /"layout" must be "NCHW" or "NHWC"/);
  assert.throws(() => parseImagePreprocess('{"sizes":[2,2]}'), /"sizes" is not a preprocessing field/);
});

/** A gray picture as an RGBA PNG. */
function grayPng(pixels: readonly number[], w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  pixels.forEach((p, i) => png.data.set([p, p, p, 255], i * 4));
  return PNG.sync.write(png);
}

test("images: preprocessing lays out, scales, normalizes, inverts and resizes; without it an image is refused with how to declare it", () => {
  const px = [0, 51, 102, 153, 204, 255];
  writeFileSync(file("g.png"), grayPng(px, 3, 2));
  const nchw: InputTarget = { name: "x", shape: [1, 1, 2, 3], dtype: "float32" };
  const scaled = loadInput(file("g.png"), nchw, parseImagePreprocess("{}"));
  assert.deepEqual(Array.from(scaled.data), px.map((p) => Math.fround(p / 255)));
  const norm = loadInput(file("g.png"), nchw, parseImagePreprocess('{"scale":1,"mean":[127.5],"std":[127.5],"invert":true}'));
  assert.deepEqual(Array.from(norm.data), px.map((p) => Math.fround((255 - p - 127.5) / 127.5)));
  // Three channels in NHWC: the gray value repeated per pixel.
  const nhwc = loadInput(file("g.png"), { name: "x", shape: [1, 2, 3, 3], dtype: "float32" }, parseImagePreprocess('{"layout":"NHWC","scale":1}'));
  assert.deepEqual(Array.from(nhwc.data), px.flatMap((p) => [p, p, p]));
  // A 2× nearest upscale resized back to 3×2 is the original picture; bilinear keeps a flat picture flat.
  const big = [0, 0, 51, 51, 102, 102, 0, 0, 51, 51, 102, 102, 153, 153, 204, 204, 255, 255, 153, 153, 204, 204, 255, 255];
  writeFileSync(file("big.png"), grayPng(big, 6, 4));
  assert.deepEqual(Array.from(loadInput(file("big.png"), nchw, parseImagePreprocess('{"scale":1,"resize":"nearest"}')).data), px);
  writeFileSync(file("flat.png"), grayPng(new Array(35).fill(90), 7, 5));
  assert.deepEqual(Array.from(loadInput(file("flat.png"), nchw, parseImagePreprocess('{"scale":1}')).data), new Array(6).fill(90));
  // A JPEG is lossy: within a few levels of the PNG's pixels.
  const raw = new Uint8Array(16 * 16 * 4);
  for (let i = 0; i < 256; i++) raw.set([120, 120, 120, 255], i * 4);
  writeFileSync(file("g.jpg"), jpeg.encode({ width: 16, height: 16, data: raw }, 95).data);
  const j = loadInput(file("g.jpg"), { name: "x", shape: [1, 1, 16, 16], dtype: "float32" }, parseImagePreprocess('{"scale":1}'));
  assert.ok(Array.from(j.data).every((v) => Math.abs(v - 120) <= 3));

  // A header claiming 100,000 × 100,000 pixels is refused before decoding (no 40 GB allocation).
  const huge = PNG.sync.write(new PNG({ width: 4, height: 4 }));
  huge.writeUInt32BE(100_000, 16);
  huge.writeUInt32BE(100_000, 20);
  writeFileSync(file("huge.png"), huge);
  assert.throws(() => loadInput(file("huge.png"), nchw, parseImagePreprocess("{}")), /100000×100000 pixels is above the 64000000 this reader decodes/);

  assert.throws(() => loadInput(file("g.png"), nchw), (e: unknown) => e instanceof InputFileError && /declares no image preprocessing/.test(e.message) && /aivm model pack … --image-preprocess/.test(e.message));
  assert.throws(() => loadInput(file("g.png"), { name: "x", shape: [1, 1, 4, 4], dtype: "float32" }, parseImagePreprocess('{"size":[2,3]}')), (e: unknown) => e instanceof ShapeMismatchError && /expected \[1,1,4,4\]/.test(e.message));
  assert.throws(() => loadInput(file("g.png"), { name: "x", shape: [1, 6], dtype: "float32" }, parseImagePreprocess("{}")), /declare "size" and "channels"/);
});

/** Runs `aivm model run --json` in process and returns its parsed output (or the error object). */
async function runJson(pkgFile: string, input: string): Promise<{ outputs?: { argmax: number; values: number[] }[]; error?: { name: string; code: string; message: string } }> {
  const log = console.log;
  let out = "";
  console.log = (...a: unknown[]) => void (out += a.join(" "));
  const exit = process.exitCode;
  try {
    await modelRun(pkgFile, { input: [input], json: true });
  } finally {
    console.log = log;
    process.exitCode = exit;
  }
  return JSON.parse(out) as never;
}

test("a Fashion-MNIST test image saved as PNG runs through aivm model run and gives the same class and outputs as its .pb", async () => {
  const pkg = parsePackage(readFileSync(DEMO_PACKAGE, "utf8"));
  // The MLP takes a flat [1,784]: the picture is 28×28 gray, scaled by 1/255 (as at calibration).
  const withImages = parsePackage(serializePackage({ ...pkg, imagePreprocess: parseImagePreprocess('{"size":[28,28],"channels":1}') }));
  writeFileSync(file("fashion.aivm.json"), serializePackage(withImages));
  const { samples } = JSON.parse(readFileSync(DEMO_SAMPLES, "utf8")) as DemoSamples;
  const s = samples[0]!;
  writeFileSync(file("fashion.png"), grayPng(s.pixels, 28, 28));
  writeFileSync(file("fashion.pb"), encodeTensorFile("input", hostTensor("float32", [1, 784], s.pixels.map((p) => p / 255))));
  writeFileSync(file("fashion.json"), JSON.stringify([s.pixels.map((p) => Math.fround(p / 255))]));
  const viaPng = await runJson(file("fashion.aivm.json"), file("fashion.png"));
  const viaPb = await runJson(file("fashion.aivm.json"), file("fashion.pb"));
  const viaJson = await runJson(file("fashion.aivm.json"), file("fashion.json"));
  assert.ok(viaPng.outputs && viaPb.outputs && viaJson.outputs, JSON.stringify(viaPng.error ?? viaPb.error ?? viaJson.error));
  assert.equal(viaPng.outputs[0]!.argmax, viaPb.outputs[0]!.argmax);
  assert.deepEqual(viaPng.outputs[0]!.values, viaPb.outputs[0]!.values);
  assert.deepEqual(viaJson.outputs[0]!.values, viaPb.outputs[0]!.values);
  // A package without declared preprocessing refuses the picture; a wrong shape names the expected one.
  writeFileSync(file("plain.aivm.json"), serializePackage(pkg));
  const refused = await runJson(file("plain.aivm.json"), file("fashion.png"));
  assert.equal(refused.error?.code, "INPUT_FILE");
  assert.match(refused.error!.message, /declares no image preprocessing/);
  writeFileSync(file("wrong.json"), JSON.stringify(s.pixels));
  const wrong = await runJson(file("fashion.aivm.json"), file("wrong.json"));
  assert.equal(wrong.error?.name, "ShapeMismatchError");
  assert.match(wrong.error!.message, /has shape \[784\], expected \[1,784\]/);
});
