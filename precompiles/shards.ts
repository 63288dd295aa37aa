// Sharded persistent tensors: large weights are uploaded as several 1-D shard tensors (one TSTORE
// each, so no single transaction has to carry them) and joined by a manifest stored with TSTORE
// target 4. Loading the manifest's id assembles the full tensor.
import { keccak256One } from "../src/commit/keccak.ts";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { parseAbiParameters } from "viem";
import { DTypeMismatchError, MalformedEncodingError, ShapeMismatchError } from "../src/engine/errors.ts";
import { allocate, byteSize, checkShape, type Tensor, type TensorMeta } from "../src/engine/tensor.ts";
import { DTYPE_BY_CODE, encodedTensorLength } from "../src/codec/tensor.ts";
import type { TensorArg } from "./call.ts";
import { commitOf } from "./commit.ts";
import { decodeParams } from "./abi-decode.ts";

/** "AISH": the first bytes of a stored manifest blob. */
const MANIFEST_MAGIC = Uint8Array.of(0x41, 0x49, 0x53, 0x48);
const MANIFEST_PARAMS = parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds");
export const MAX_SHARDS = 4096;
/**
 * Every shard but the last holds at least this many data bytes, and none is empty: each shard is a
 * stored read with its own cold access (2600 gas), so tiny shards would buy many lookups for few
 * bytes. The model packager cuts 24 KiB shards (src/model/package.ts).
 */
export const MIN_SHARD_BYTES = 1024;

export interface ShardManifest {
  meta: TensorMeta;
  shards: Uint8Array[];
  /** Joins the shards (already resolved) into one tensor argument, checking dtypes and sizes. */
  assemble(shards: readonly TensorArg[]): TensorArg;
}

export function isShardManifest(blob: Uint8Array): boolean {
  return blob.length >= 4 && MANIFEST_MAGIC.every((b, i) => blob[i] === b);
}

/** Content id of a manifest (its ABI data, domain-separated). */
export function shardManifestId(data: Uint8Array): Uint8Array {
  return keccak256One(concatBytes(utf8ToBytes("AIVM.shards"), data));
}

/** The stored form of a manifest. */
export function shardManifestBlob(data: Uint8Array): Uint8Array {
  return concatBytes(MANIFEST_MAGIC, data);
}

/** Decodes manifest ABI data (without the magic), validating dtype, shape and shard count. */
export function decodeShardManifestData(data: Uint8Array): ShardManifest {
  // Canonical only: the manifest's id hashes these bytes, so one manifest must have one encoding.
  const [dtypeCode, shape, ids] = decodeParams(MANIFEST_PARAMS, data, "shard manifest");
  const dtype = DTYPE_BY_CODE.get(dtypeCode);
  if (!dtype) throw new MalformedEncodingError("shard manifest", `unknown dtype code ${dtypeCode}`);
  if (ids.length < 1 || ids.length > MAX_SHARDS) throw new MalformedEncodingError("shard manifest", `needs 1 … ${MAX_SHARDS} shards`);
  const count = checkShape(shape);
  const meta: TensorMeta = { dtype, shape: [...shape] };
  return {
    meta,
    shards: ids,
    assemble(shards) {
      let total = 0;
      shards.forEach((s, i) => {
        if (s.meta.dtype !== dtype) throw new DTypeMismatchError("shards", `shard ${i}`, [dtype], s.meta.dtype);
        if (s.meta.shape.length !== 1) throw new ShapeMismatchError("shards", `shard ${i}`, "rank 1", s.meta.shape);
        const n = s.meta.shape[0]!;
        if (n === 0) throw new ShapeMismatchError("shards", `shard ${i}`, "at least one element", s.meta.shape);
        if (i < shards.length - 1 && byteSize(s.meta) < MIN_SHARD_BYTES) {
          throw new ShapeMismatchError("shards", `shard ${i}`, `at least ${MIN_SHARD_BYTES} bytes (all shards but the last)`, s.meta.shape);
        }
        total += n;
      });
      if (total !== count) throw new ShapeMismatchError("shards", "shards", `${count} elements in total`, [total]);
      let assembled: Tensor | undefined;
      return {
        meta,
        source: "sharded",
        transientBytes: byteSize(meta),
        encodedBytes: encodedTensorLength(meta),
        async load() {
          if (assembled) return assembled;
          const data = allocate(dtype, count);
          let o = 0;
          for (const s of shards) {
            const t = await s.load();
            data.set(t.data, o);
            o += t.data.length;
          }
          assembled = { dtype, shape: meta.shape, data };
          return assembled;
        },
        async commit() {
          return commitOf(await this.load());
        },
      };
    },
  };
}

export function decodeShardManifest(blob: Uint8Array): ShardManifest {
  return decodeShardManifestData(blob.subarray(4));
}
