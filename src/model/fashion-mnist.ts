// Reads the real Fashion-MNIST set from the Debian package `dataset-fashion-mnist` (idx files,
// gzip-compressed). Used by the model fixtures' accuracy tests, calibration and the demo.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { AivmError } from "../engine/errors.ts";

/** Where `apt-get install dataset-fashion-mnist` puts the files. Override with AIVM_FASHION_MNIST_DIR. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

export type FashionMnistSplit = "train" | "test";

export interface FashionMnistSet {
  /** One 28×28 u8 image per entry, row-major (784 bytes). */
  images: Uint8Array[];
  /** Class index 0..9 per image. */
  labels: Uint8Array;
  rows: number;
  cols: number;
}

/** The dataset files are not installed (or not where we look). */
export class DatasetMissingError extends AivmError {
  override name = "DatasetMissingError";
  override readonly code = "DATASET_MISSING";
  constructor(readonly path: string) {
    super(`Fashion-MNIST file not found: ${path}.`, {
      details: "Install it with `apt-get install dataset-fashion-mnist`, or set AIVM_FASHION_MNIST_DIR.",
      docsPath: "hardhat.md#fashion-mnist-fixtures",
    });
  }
}

/** An idx file whose header or size is not what the format says. */
export class MalformedIdxError extends AivmError {
  override name = "MalformedIdxError";
  override readonly code = "MALFORMED_IDX";
  constructor(path: string, reason: string) {
    super(`Malformed idx file ${path}: ${reason}.`, { docsPath: "hardhat.md#fashion-mnist-fixtures" });
  }
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an (uncompressed) idx buffer of unsigned bytes: 0x0000, dtype 0x08, rank, big-endian u32 dims. */
export function parseIdx(buf: Uint8Array, path = "<buffer>"): IdxArray {
  if (buf.length < 4) throw new MalformedIdxError(path, `${buf.length} bytes, shorter than the header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint16(0) !== 0) throw new MalformedIdxError(path, "magic does not start with 0x0000");
  const dtype = buf[2]!;
  if (dtype !== 0x08) throw new MalformedIdxError(path, `dtype 0x${dtype.toString(16)}, expected 0x08 (u8)`);
  const rank = buf[3]!;
  if (rank < 1 || rank > 4) throw new MalformedIdxError(path, `rank ${rank}, expected 1..4`);
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) throw new MalformedIdxError(path, "truncated dimension list");
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    count *= d;
  }
  if (buf.length !== headerBytes + count) {
    throw new MalformedIdxError(path, `header promises ${count} bytes of data, file has ${buf.length - headerBytes}`);
  }
  return { dims, data: buf.subarray(headerBytes) };
}

function readIdxGz(path: string): IdxArray {
  if (!existsSync(path)) throw new DatasetMissingError(path);
  return parseIdx(new Uint8Array(gunzipSync(readFileSync(path))), path);
}

export function fashionMnistDir(): string {
  return process.env.AIVM_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR;
}

/** True when the dataset files for `split` are present. */
export function hasFashionMnist(split: FashionMnistSplit = "test", dir = fashionMnistDir()): boolean {
  const prefix = split === "train" ? "train" : "t10k";
  return existsSync(join(dir, `${prefix}-images-idx3-ubyte.gz`)) && existsSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
}

/** Loads one split: 60,000 training or 10,000 test images with their labels. */
export function loadFashionMnist(split: FashionMnistSplit = "test", dir = fashionMnistDir()): FashionMnistSet {
  const prefix = split === "train" ? "train" : "t10k";
  const imagesPath = join(dir, `${prefix}-images-idx3-ubyte.gz`);
  const labelsPath = join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  const images = readIdxGz(imagesPath);
  const labels = readIdxGz(labelsPath);
  if (images.dims.length !== 3) throw new MalformedIdxError(imagesPath, `rank ${images.dims.length}, expected 3`);
  if (labels.dims.length !== 1) throw new MalformedIdxError(labelsPath, `rank ${labels.dims.length}, expected 1`);
  const [n, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) throw new MalformedIdxError(labelsPath, `${labels.dims[0]} labels for ${n} images`);
  const size = rows * cols;
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(images.data.subarray(i * size, (i + 1) * size));
  return { images: out, labels: labels.data, rows, cols };
}
