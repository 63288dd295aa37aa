// One input loader for `aivm model run` and `aivm onnx run`: a model input from an ONNX TensorProto
// (.pb), JSON (nested arrays or {"shape", "data"}), NumPy's .npy, or an image (PNG/JPEG) turned into a
// tensor by the preprocessing declared at pack time (`aivm model pack --image-preprocess`).
import { readFileSync } from "node:fs";
import path from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { AivmError, ShapeMismatchError, formatShape } from "../engine/errors.ts";
import { decodeTensorFile, hostTensor, type HostDType, type HostTensor } from "./onnx.ts";

export const INPUT_EXTENSIONS = [".pb", ".json", ".npy", ".png", ".jpg", ".jpeg"] as const;

/** An input file cannot be read as a tensor (format, dtype, layout). */
export class InputFileError extends AivmError {
  override name = "InputFileError";
  override readonly code = "INPUT_FILE";
  constructor(file: string, reason: string, metaMessages?: string[]) {
    super(`Cannot read input ${file}: ${reason}.`, { docsPath: "models.md#inputs", metaMessages });
  }
}

/** How an image becomes a model input (declared at pack time, stored in the package). */
export interface ImagePreprocess {
  /** Where the channels go: [N,C,H,W] or [N,H,W,C] (without N for rank-3 inputs). Default NCHW. */
  layout: "NCHW" | "NHWC";
  /** 1 (grayscale: ITU-R BT.601 luma) or 3 (RGB); default: from the input shape. */
  channels?: 1 | 3;
  /** [H, W] to resize to; default: from the input shape (needed when the input is flat, e.g. [1,784]). */
  size?: [number, number];
  resize: "bilinear" | "nearest";
  /** Multiplies each 0–255 pixel (after `invert`). Default 1/255. */
  scale: number;
  /** Per-channel (or one) mean subtracted and std divided after scaling. */
  mean?: number[];
  std?: number[];
  /** 255 − pixel first (white-on-black models fed black-on-white pictures). */
  invert?: boolean;
}

export const PREPROCESS_EXAMPLE = `--image-preprocess '{"layout":"NCHW","size":[28,28],"channels":1,"scale":0.00392156862745098}'`;

/** Parses the JSON of `--image-preprocess`, filling in the defaults and checking every field. */
export function parseImagePreprocess(text: string): ImagePreprocess {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputFileError("--image-preprocess", `not JSON (${(e as Error).message})`, [`Example: ${PREPROCESS_EXAMPLE}`]);
  }
  const bad = (field: string, why: string) => new InputFileError("--image-preprocess", `"${field}" ${why}`, [`Example: ${PREPROCESS_EXAMPLE}`]);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("spec", "must be a JSON object");
  const known = new Set(["layout", "channels", "size", "resize", "scale", "mean", "std", "invert"]);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw bad(k, `is not a preprocessing field (${[...known].join(", ")})`);
  const spec: ImagePreprocess = { layout: "NCHW", resize: "bilinear", scale: 1 / 255 };
  if (raw.layout !== undefined) {
    if (raw.layout !== "NCHW" && raw.layout !== "NHWC") throw bad("layout", 'must be "NCHW" or "NHWC"');
    spec.layout = raw.layout;
  }
  if (raw.channels !== undefined) {
    if (raw.channels !== 1 && raw.channels !== 3) throw bad("channels", "must be 1 or 3");
    spec.channels = raw.channels;
  }
  if (raw.size !== undefined) {
    const s = raw.size;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((d) => Number.isInteger(d) && d >= 1 && d <= 8192)) throw bad("size", "must be [H, W], integers 1–8192");
    spec.size = [s[0] as number, s[1] as number];
  }
  if (raw.resize !== undefined) {
    if (raw.resize !== "bilinear" && raw.resize !== "nearest") throw bad("resize", 'must be "bilinear" or "nearest"');
    spec.resize = raw.resize;
  }
  if (raw.scale !== undefined) {
    if (typeof raw.scale !== "number" || !Number.isFinite(raw.scale)) throw bad("scale", "must be a number");
    spec.scale = raw.scale;
  }
  for (const k of ["mean", "std"] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const list = typeof v === "number" ? [v] : v;
    if (!Array.isArray(list) || (list.length !== 1 && list.length !== 3) || !list.every((x) => typeof x === "number" && Number.isFinite(x))) throw bad(k, "must be a number or a list of 1 or 3 numbers");
    if (k === "std" && list.some((x) => x === 0)) throw bad(k, "must not be 0");
    spec[k] = list as number[];
  }
  if (raw.invert !== undefined) {
    if (typeof raw.invert !== "boolean") throw bad("invert", "must be true or false");
    spec.invert = raw.invert;
  }
  return spec;
}

/** What the model expects of one input: its name, shape and element type. */
export interface InputTarget {
  name: string;
  shape: readonly number[];
  dtype: HostDType;
}

/**
 * Reads one model input by its extension. `target` gives the expected name, shape and dtype (an image
 * is made to that shape; JSON and .npy keep their own shape, checked by the caller against the model).
 */
export function loadInput(file: string, target?: InputTarget, preprocess?: ImagePreprocess): HostTensor {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case ".pb":
      return decodeTensorFile(readFileSync(file), file).tensor;
    case ".json":
      return readJsonTensor(file, readFileSync(file, "utf8"), target?.dtype ?? "float32");
    case ".npy":
      return readNpy(file, readFileSync(file));
    case ".png":
    case ".jpg":
    case ".jpeg": {
      if (!target) throw new InputFileError(file, "an image needs the model's input shape");
      if (!preprocess) {
        throw new InputFileError(file, `the model declares no image preprocessing, so there is no way to turn a picture into input "${target.name}" ${formatShape(target.shape)}`, [
          `Declare it when packing: aivm model pack … ${PREPROCESS_EXAMPLE}`,
          "(aivm onnx run takes the same --image-preprocess option.) Or pass the tensor as .pb, .json or .npy.",
        ]);
      }
      return imageToTensor(file, decodeImage(file, readFileSync(file), ext), target, preprocess);
    }
    default:
      throw new InputFileError(file, `unknown extension "${ext}"; inputs are ${INPUT_EXTENSIONS.join(", ")}`);
  }
}

// ---------------------------------------------------------------- JSON

const HOST_DTYPES: readonly HostDType[] = ["float32", "float64", "int8", "uint8", "int32", "int64", "bool"];

function nestedShape(file: string, v: unknown, depth = 0): number[] {
  if (!Array.isArray(v)) return [];
  if (depth > 8) throw new InputFileError(file, "nested deeper than rank 8");
  if (v.length === 0) throw new InputFileError(file, "has an empty array (a dimension of 0)");
  return [v.length, ...nestedShape(file, v[0], depth + 1)];
}

function readJsonTensor(file: string, text: string, defaultDtype: HostDType): HostTensor {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputFileError(file, `not JSON (${(e as Error).message})`);
  }
  let dtype = defaultDtype;
  let shape: number[];
  let flat: unknown[];
  if (Array.isArray(raw)) {
    shape = nestedShape(file, raw);
    flat = (raw as unknown[]).flat(shape.length);
    // A ragged array flattens to a different count than its first-element shape implies.
    const n = shape.reduce((a, b) => a * b, 1);
    if (flat.length !== n || !isRectangular(raw, shape)) throw new InputFileError(file, `is a ragged array (not every row has the shape ${formatShape(shape.slice(1))})`);
  } else if (typeof raw === "object" && raw !== null && "data" in raw) {
    const o = raw as { shape?: unknown; data: unknown; dtype?: unknown };
    if (o.dtype !== undefined) {
      if (!HOST_DTYPES.includes(o.dtype as HostDType)) throw new InputFileError(file, `dtype "${String(o.dtype)}" is not one of ${HOST_DTYPES.join(", ")}`);
      dtype = o.dtype as HostDType;
    }
    if (!Array.isArray(o.data)) throw new InputFileError(file, '"data" must be an array');
    flat = (o.data as unknown[]).flat(8);
    if (o.shape === undefined) shape = [flat.length];
    else if (Array.isArray(o.shape) && o.shape.length <= 8 && o.shape.every((d) => Number.isInteger(d) && d >= 0)) shape = o.shape as number[];
    else throw new InputFileError(file, '"shape" must be a list of at most 8 non-negative integers');
  } else {
    throw new InputFileError(file, 'must be nested arrays of numbers or {"shape": [...], "data": [...]}');
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== n) throw new InputFileError(file, `shape ${formatShape(shape)} needs ${n} numbers, the data has ${flat.length}`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = flat[i];
    if (typeof v === "boolean") data[i] = v ? 1 : 0;
    else if (typeof v === "number" && Number.isFinite(v)) data[i] = v;
    else throw new InputFileError(file, `element ${i} is not a finite number`);
  }
  return hostTensor(dtype, shape, data);
}

function isRectangular(v: unknown, shape: readonly number[]): boolean {
  if (shape.length === 0) return !Array.isArray(v);
  return Array.isArray(v) && v.length === shape[0] && v.every((x) => isRectangular(x, shape.slice(1)));
}

// ---------------------------------------------------------------- NumPy .npy

/** NPY descr → host dtype and element width (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). */
const NPY_DTYPES: Record<string, { dtype: HostDType; width: number }> = {
  f4: { dtype: "float32", width: 4 },
  f8: { dtype: "float64", width: 8 },
  i1: { dtype: "int8", width: 1 },
  u1: { dtype: "uint8", width: 1 },
  i4: { dtype: "int32", width: 4 },
  i8: { dtype: "int64", width: 8 },
  b1: { dtype: "bool", width: 1 },
};

/** Reads a .npy file (format versions 1–3): little- or big-endian float32/64, int8/32/64, uint8, bool; C order. */
export function readNpy(file: string, bytes: Uint8Array): HostTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw new InputFileError(file, "is not a NumPy .npy file (no \\x93NUMPY magic)");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputFileError(file, "is cut short in its header");
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new InputFileError(file, `uses .npy format version ${major}, this reader knows 1, 2 and 3`);
  }
  if (start + headerLen > bytes.length) throw new InputFileError(file, "is cut short in its header");
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText) throw new InputFileError(file, `has a header this reader does not understand: ${header.trim().slice(0, 120)}`);
  const kind = `${descr[2]}${descr[3]}`;
  const spec = NPY_DTYPES[kind];
  if (!spec) throw new InputFileError(file, `has dtype ${descr[1]}${kind}; supported: float32 (f4), float64 (f8), int8 (i1), uint8 (u1), int32 (i4), int64 (i8), bool (b1)`);
  if (fortran[1] === "True") {
    throw new InputFileError(file, "is stored in Fortran (column-major) order; save it in C order", ["In NumPy: np.save(path, np.ascontiguousarray(x))"]);
  }
  const shape = shapeText[1]!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new InputFileError(file, `has shape (${shapeText[1]}); at most rank 8 of non-negative sizes`);
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart !== n * spec.width) throw new InputFileError(file, `shape ${formatShape(shape)} of ${spec.dtype} needs ${n * spec.width} data bytes, the file has ${bytes.length - dataStart}`);
  const little = descr[1] !== ">";
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = dataStart + i * spec.width;
    switch (kind) {
      case "f4": data[i] = view.getFloat32(o, little); break;
      case "f8": data[i] = view.getFloat64(o, little); break;
      case "i1": data[i] = view.getInt8(o); break;
      case "u1": case "b1": data[i] = view.getUint8(o); break;
      case "i4": data[i] = view.getInt32(o, little); break;
      case "i8": data[i] = Number(view.getBigInt64(o, little)); break;
    }
  }
  return hostTensor(spec.dtype, shape, data);
}

// ---------------------------------------------------------------- images

interface Rgba {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  data: Uint8Array;
}

/** The largest picture decoded (64 megapixels: 256 MB of RGBA). */
const MAX_IMAGE_PIXELS = 64_000_000;

function decodeImage(file: string, bytes: Buffer, ext: string): Rgba {
  try {
    if (ext === ".png") {
      // IHDR's width and height (bytes 16–23) bound the decode, like jpeg-js's maxResolutionInMP below.
      if (bytes.length >= 24 && bytes.readUInt32BE(16) * bytes.readUInt32BE(20) > MAX_IMAGE_PIXELS) {
        throw new Error(`${bytes.readUInt32BE(16)}×${bytes.readUInt32BE(20)} pixels is above the ${MAX_IMAGE_PIXELS} this reader decodes`);
      }
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: png.data };
    }
    // jpeg-js refuses pictures above these bounds instead of allocating for them.
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1_000_000, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new InputFileError(file, `is not a readable ${ext === ".png" ? "PNG" : "JPEG"} (${(e as Error).message})`);
  }
}

/** Where height, width and channels sit in the input shape, for a layout (rank 4 with a batch of 1, or rank 3). */
function imageDims(shape: readonly number[], layout: ImagePreprocess["layout"]): { c: number; h: number; w: number } | undefined {
  const s = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape.length === 3 ? shape : undefined;
  if (!s) return undefined;
  return layout === "NCHW" ? { c: s[0]!, h: s[1]!, w: s[2]! } : { h: s[0]!, w: s[1]!, c: s[2]! };
}

/** Channel k (0 R, 1 G, 2 B) of pixel (x, y), or the BT.601 luma for one channel. */
function sample(img: Rgba, x: number, y: number, k: number, channels: number): number {
  const o = (y * img.width + x) * 4;
  if (channels === 1) return 0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!;
  return img.data[o + k]!;
}

/** The image resized to h × w (pixel centres aligned, like ONNX Resize's half_pixel), channel k. */
function resized(img: Rgba, h: number, w: number, k: number, channels: number, mode: ImagePreprocess["resize"]): Float64Array {
  const out = new Float64Array(h * w);
  const sy = img.height / h;
  const sx = img.width / w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const fy = Math.min(img.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const fx = Math.min(img.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      if (mode === "nearest" || (img.height === h && img.width === w)) {
        out[y * w + x] = sample(img, Math.min(img.width - 1, Math.floor((x + 0.5) * sx)), Math.min(img.height - 1, Math.floor((y + 0.5) * sy)), k, channels);
        continue;
      }
      const y0 = Math.floor(fy);
      const x0 = Math.floor(fx);
      const y1 = Math.min(img.height - 1, y0 + 1);
      const x1 = Math.min(img.width - 1, x0 + 1);
      const dy = fy - y0;
      const dx = fx - x0;
      const top = sample(img, x0, y0, k, channels) * (1 - dx) + sample(img, x1, y0, k, channels) * dx;
      const bottom = sample(img, x0, y1, k, channels) * (1 - dx) + sample(img, x1, y1, k, channels) * dx;
      out[y * w + x] = top * (1 - dy) + bottom * dy;
    }
  }
  return out;
}

/** Applies the declared preprocessing and lays the pixels out as the model input `target`. */
export function imageToTensor(file: string, img: Rgba, target: InputTarget, pre: ImagePreprocess): HostTensor {
  const dims = imageDims(target.shape, pre.layout);
  const c = pre.channels ?? dims?.c;
  const [h, w] = pre.size ?? (dims ? [dims.h, dims.w] : [undefined, undefined]);
  if (c === undefined || h === undefined || w === undefined) {
    throw new ShapeMismatchError("image input", target.name, target.shape, [], `${file}: the input is not an image shape ([1,C,H,W], [C,H,W] or NHWC); declare "size" and "channels" in --image-preprocess so the picture has ${target.shape.reduce((a, b) => a * b, 1)} elements`);
  }
  if (c !== 1 && c !== 3) throw new ShapeMismatchError("image input", target.name, target.shape, pre.layout === "NCHW" ? [1, c, h, w] : [1, h, w, c], `${file}: an image has 1 (gray) or 3 (RGB) channels`);
  const shape = pre.layout === "NCHW" ? [1, c, h, w] : [1, h, w, c];
  const n = c * h * w;
  // Checked before resizing, so a wrong "size" never allocates for it.
  if (n !== target.shape.reduce((a, b) => a * b, 1)) throw new ShapeMismatchError("image input", target.name, target.shape, shape, `${file} preprocessed to ${c}×${h}×${w} (${pre.layout})`);
  const planes = Array.from({ length: c }, (_, k) => resized(img, h, w, k, c, pre.resize));
  const data = new Float64Array(n);
  for (let k = 0; k < c; k++) {
    const mean = pre.mean ? (pre.mean[k] ?? pre.mean[0]!) : 0;
    const std = pre.std ? (pre.std[k] ?? pre.std[0]!) : 1;
    const plane = planes[k]!;
    for (let i = 0; i < h * w; i++) {
      const v = ((pre.invert ? 255 - plane[i]! : plane[i]!) * pre.scale - mean) / std;
      data[pre.layout === "NCHW" ? k * h * w + i : i * c + k] = v;
    }
  }
  // The element order is the layout's; a flat input (e.g. [1,784]) takes the same elements. Rounded
  // to float32 like the same values written to a float32 TensorProto or .npy.
  if (target.dtype !== "float64") for (let i = 0; i < n; i++) data[i] = Math.fround(data[i]!);
  return hostTensor(target.dtype === "float64" ? "float64" : "float32", target.shape, data);
}
