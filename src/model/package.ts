// The AIVM model package (docs/models.md): the compiled program with its weights split out as
// content-addressed shards, the I/O schema with quantization, the build config and the
// quantization report. `pack` builds it from an ONNX file and calibration inputs.
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { concatHex, encodeAbiParameters, parseAbiParameters, stringToHex } from "viem";
import { declaredMeta, decodeProgram, encodeProgram, type Program, type ValueDecl } from "../codec/program.ts";
import { DTYPE_CODES, decodeTensor, encodeTensor } from "../codec/tensor.ts";
import { commitTensor } from "../commit/tensor-commit.ts";
import { merkleRoot } from "../commit/merkle.ts";
import { AivmError, ShapeMismatchError } from "../engine/errors.ts";
import { DTYPE_BYTES, allocate, byteSize, tensor, type Tensor, type TensorMeta } from "../engine/tensor.ts";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import { quoteProgram } from "../gas/quote.ts";
import { storedReadsGas, type StoredBlobInfo } from "../gas/reads.ts";
import { keccak256 } from "viem";
import { dequantize, quantizeInput, type CalibrationResult, type LayerReport } from "./calibrate.ts";
import { prepareOnnx, type OnnxRunOptions } from "./onnx-run.ts";
import type { HostTensor } from "./onnx.ts";
import { parseImagePreprocess, type ImagePreprocess } from "./inputs.ts";
import type { IoSpec } from "./quantize.ts";

export const PACKAGE_FORMAT = "aivm-model/1";
/** Constants at least this large leave the program and become stored weight shards. */
export const SHARD_MIN_BYTES = 1024;

/** Weights above this size are split into 1-D shards joined by a manifest (TSTORE target 4). */
export const SHARD_MAX_BYTES = 24 * 1024;

export interface WeightShard {
  /** Program value id the shard stands for, or −1 when it is a piece of a sharded weight (see `manifests`). */
  value: number;
  /** Content id in the persistent store (the tensor's Tensor Commit; TSTORE target 1 returns it). */
  id: Hex;
  dtype: string;
  shape: number[];
  /** The tensor in the wire format (docs/spec.md#tensor-wire-format). */
  tensor: Hex;
}

/** A weight stored as several shards: the program's handle is the manifest id. */
export interface ShardManifestEntry {
  value: number;
  /** keccak256("AIVM.shards" ‖ data): the id TSTORE target 4 assigns. */
  id: Hex;
  /** abi.encode(uint8 dtype, uint32[] shape, bytes32[] shardIds) — the TSTORE target 4 payload. */
  data: Hex;
  shardIds: Hex[];
}

export interface ModelPackage {
  format: typeof PACKAGE_FORMAT;
  name: string;
  source: { file: string; keccak256: Hex };
  /** The program with weights referenced by handle (what is deployed). */
  program: Hex;
  /** keccak256 of `program` (TSTORE target 2 stores it under this id). */
  programId: Hex;
  shards: WeightShard[];
  /** Weights split into several shards (stored after their shards). */
  manifests: ShardManifestEntry[];
  /** Merkle root over the shard ids, in order (ModelRegistry weightsRoot). */
  weightsRoot: Hex;
  inputs: IoSpec[];
  outputs: IoSpec[];
  config: {
    calibrationSamples: number;
    widenAbove: number;
    wide: string[];
    engineVersion: number;
    /** ONNX inputs the program needs as constants (shapes, axes, weights fed as inputs), frozen from the first calibration sample. */
    frozenInputs?: string[];
  };
  quantReport: LayerReport[];
  /** How `aivm model run` turns a PNG/JPEG input file into a tensor (absent: image inputs are refused). */
  imagePreprocess?: ImagePreprocess;
  /** Exact AIVM gas of one inference at multiplier 1.0 (quoteProgram on the deployed program). */
  quote: { gas: string; flops: string; multiplier: string; programGas: string };
}

export class ModelPackageError extends AivmError {
  override name = "ModelPackageError";
  override readonly code = "MODEL_PACKAGE";
  constructor(reason: string) {
    super(`Invalid AIVM model package: ${reason}.`, { docsPath: "models.md" });
  }
}

function shardOf(t: Tensor, value: number): WeightShard {
  return { value, id: bytesToHex(commitTensor(t)), dtype: t.dtype, shape: [...t.shape], tensor: bytesToHex(encodeTensor(t)) };
}

/**
 * Moves large constants out of the program into shards referenced by content id; a weight above
 * SHARD_MAX_BYTES becomes 1-D pieces of at most that size joined by a manifest, so no single
 * store transaction carries a whole large tensor.
 */
export function shardProgram(program: Program): { program: Program; shards: WeightShard[]; manifests: ShardManifestEntry[] } {
  const shards: WeightShard[] = [];
  const manifests: ShardManifestEntry[] = [];
  const values: ValueDecl[] = program.values.map((v, i) => {
    if (v.kind !== "const" || byteSize(v.tensor) < SHARD_MIN_BYTES) return v;
    const t = v.tensor;
    let id: Hex;
    if (byteSize(t) <= SHARD_MAX_BYTES) {
      const s = shardOf(t, i);
      shards.push(s);
      id = s.id;
    } else {
      const per = Math.floor(SHARD_MAX_BYTES / DTYPE_BYTES[t.dtype]);
      const pieces: WeightShard[] = [];
      for (let o = 0; o < t.data.length; o += per) {
        const part = t.data.slice(o, Math.min(t.data.length, o + per));
        pieces.push(shardOf(tensor(t.dtype, [part.length], part), -1));
      }
      shards.push(...pieces);
      const shardIds = pieces.map((p) => p.id);
      const data = encodeAbiParameters(parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds"), [DTYPE_CODES[t.dtype], [...t.shape], shardIds]);
      id = keccak256(concatHex([stringToHex("AIVM.shards"), data]));
      manifests.push({ value: i, id, data, shardIds });
    }
    return { kind: "handle", id: hexToBytes(id), dtype: t.dtype, shape: [...t.shape] };
  });
  return { program: { ...program, values }, shards, manifests };
}

/** Puts the shards back inline (for running without a chain). */
export function inlineProgram(pkg: ModelPackage): Program {
  const program = decodeProgram(hexToBytes(pkg.program));
  const byId = new Map(pkg.shards.map((s) => [s.id.toLowerCase(), decodeTensor(hexToBytes(s.tensor))]));
  const byValue = new Map<number, Tensor>();
  for (const s of pkg.shards) if (s.value >= 0) byValue.set(s.value, byId.get(s.id.toLowerCase())!);
  for (const m of pkg.manifests ?? []) {
    const parts = m.shardIds.map((id) => byId.get(id.toLowerCase())!);
    const decl = program.values[m.value]!;
    const meta = declaredMeta(decl);
    const data = allocate(meta.dtype, parts.reduce((n, p) => n + p.data.length, 0));
    let o = 0;
    for (const p of parts) {
      data.set(p.data, o);
      o += p.data.length;
    }
    byValue.set(m.value, tensor(meta.dtype, meta.shape, data));
  }
  return { ...program, values: program.values.map((v, i) => (byValue.has(i) ? { kind: "const", tensor: byValue.get(i)! } : v)) };
}

export function inputMetas(pkg: Pick<ModelPackage, "inputs">): TensorMeta[] {
  return pkg.inputs.map((i) => ({ dtype: i.quant.dtype, shape: i.shape }));
}

const hexBytes = (h: Hex) => (h.length - 2) / 2;

/**
 * The stored reads of one TCUSTOM call of the package in a fresh transaction, in the order the
 * precompile makes them: the program, then each handle in value order (a manifest with its shards).
 */
export function packageReads(pkg: Pick<ModelPackage, "program" | "programId" | "shards" | "manifests">): StoredBlobInfo[] {
  const shardBytes = new Map(pkg.shards.map((s) => [s.id.toLowerCase(), hexBytes(s.tensor)]));
  const manifests = new Map((pkg.manifests ?? []).map((m) => [m.id.toLowerCase(), m]));
  const known = (id: string) => {
    const n = shardBytes.get(id);
    if (n === undefined) throw new ModelPackageError(`handle ${id} is neither a shard nor a manifest of the package`);
    return n;
  };
  const reads: StoredBlobInfo[] = [{ id: pkg.programId.toLowerCase(), blobBytes: hexBytes(pkg.program) }];
  for (const v of decodeProgram(hexToBytes(pkg.program)).values) {
    if (v.kind !== "handle") continue;
    const id = bytesToHex(v.id).toLowerCase();
    const m = manifests.get(id);
    if (!m) reads.push({ id, blobBytes: known(id) });
    else {
      // The stored manifest blob is a 4-byte magic before the ABI data.
      const shards = m.shardIds.map((s) => ({ id: s.toLowerCase(), blobBytes: known(s.toLowerCase()) }));
      reads.push({ id, blobBytes: 4 + hexBytes(m.data), shards });
    }
  }
  return reads;
}

/**
 * Exact gas of one inference (a TCUSTOM call of the stored program with inline inputs, in a fresh
 * transaction: every stored read cold) at a congestion multiplier (fixed point, MULTIPLIER_ONE = 1.0).
 */
export function quoteModel(pkg: ModelPackage, multiplier: bigint = MULTIPLIER_ONE): { gas: bigint; flops: bigint; programGas: bigint } {
  const io = { storedProgram: true, readsGas: storedReadsGas(packageReads(pkg)) };
  const q = quoteProgram(decodeProgram(hexToBytes(pkg.program)), inputMetas(pkg), multiplier, undefined, io);
  return { gas: q.gas, flops: q.flops, programGas: q.programGas };
}

export interface PackOptions extends OnnxRunOptions {
  name?: string;
  file?: string;
  imagePreprocess?: ImagePreprocess;
}

/** Imports, calibrates on `samples` (each one value per ONNX input), quantizes and packages a model. */
export function packModel(onnxBytes: Uint8Array, samples: HostTensor[][], options: PackOptions = {}): ModelPackage {
  if (samples.length === 0) throw new ModelPackageError("at least one calibration sample is needed");
  const prepared = prepareOnnx(onnxBytes, samples[0]!, { ...options, calibration: samples });
  const pkg = packCalibrated(onnxBytes, prepared.calibration, samples.length, options);
  if (prepared.frozen.size > 0) pkg.config.frozenInputs = [...prepared.frozen];
  return pkg;
}

/** Packages an already calibrated model (same result as packModel on the same samples). */
export function packCalibrated(onnxBytes: Uint8Array, calibration: CalibrationResult, sampleCount: number, options: PackOptions = {}): ModelPackage {
  const { model, wide, report } = calibration;
  const { program, shards, manifests } = shardProgram(model.program);
  const bytes = encodeProgram(program);
  const pkg: ModelPackage = {
    format: PACKAGE_FORMAT,
    name: options.name ?? "model",
    source: { file: options.file ?? "", keccak256: keccak256(onnxBytes) },
    program: bytesToHex(bytes),
    programId: keccak256(bytes),
    shards,
    manifests,
    weightsRoot: bytesToHex(merkleRoot(shards.map((s) => hexToBytes(s.id)))),
    inputs: model.inputs,
    outputs: model.outputs,
    config: { calibrationSamples: sampleCount, widenAbove: options.widenAbove ?? 0.01, wide: [...wide], engineVersion: 1 },
    quantReport: report,
    ...(options.imagePreprocess ? { imagePreprocess: options.imagePreprocess } : {}),
    quote: { gas: "0", flops: "0", multiplier: MULTIPLIER_ONE.toString(), programGas: "0" },
  };
  const q = quoteModel(pkg);
  pkg.quote = { gas: q.gas.toString(), flops: q.flops.toString(), multiplier: MULTIPLIER_ONE.toString(), programGas: q.programGas.toString() };
  return pkg;
}

export function serializePackage(pkg: ModelPackage): string {
  return JSON.stringify(pkg, null, 1);
}

export function parsePackage(text: string): ModelPackage {
  let pkg: ModelPackage;
  try {
    pkg = JSON.parse(text) as ModelPackage;
  } catch (e) {
    throw new ModelPackageError(`not JSON (${(e as Error).message})`);
  }
  if (pkg.format !== PACKAGE_FORMAT) throw new ModelPackageError(`format is "${String(pkg.format)}", expected "${PACKAGE_FORMAT}"`);
  if (keccak256(pkg.program) !== pkg.programId) throw new ModelPackageError("programId does not match the program bytes");
  for (const s of pkg.shards) {
    if (bytesToHex(commitTensor(decodeTensor(hexToBytes(s.tensor)))) !== s.id) throw new ModelPackageError(`shard ${s.id} does not match its content id`);
  }
  pkg.manifests ??= [];
  if (pkg.imagePreprocess !== undefined) pkg.imagePreprocess = parseImagePreprocess(JSON.stringify(pkg.imagePreprocess));
  for (const m of pkg.manifests) {
    if (keccak256(concatHex([stringToHex("AIVM.shards"), m.data])) !== m.id) throw new ModelPackageError(`manifest for value ${m.value} does not match its id`);
  }
  return pkg;
}

/** Float host inputs (ONNX input order) → the program's integer inputs, checking shapes first. */
export function encodeInputs(pkg: ModelPackage, inputs: readonly HostTensor[]): Tensor[] {
  if (inputs.length !== pkg.inputs.length) throw new ModelPackageError(`the model takes ${pkg.inputs.length} inputs, ${inputs.length} given`);
  return pkg.inputs.map((spec, i) => {
    const t = inputs[i]!;
    const same = t.shape.length === spec.shape.length && t.shape.every((d, k) => d === spec.shape[k]);
    if (!same) throw new ShapeMismatchError("model", spec.name, spec.shape, t.shape);
    return quantizeInput(t, spec);
  });
}

export function decodeOutputs(pkg: ModelPackage, outputs: readonly Tensor[]): HostTensor[] {
  return outputs.map((t, i) => dequantize(t, pkg.outputs[i]!.quant, pkg.outputs[i]!.hostDtype));
}
