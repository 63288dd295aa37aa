// Tensor Commits (docs/spec.md#tensor-commitment): a Merkle root over fixed 4 KiB chunks of the
// wire data, bound to the header (dtype, shape, quantization), so one chunk can be opened alone.
import { decodeTensorHeader, encodeTensorHeader, tensorDataBytes } from "../codec/tensor.ts";
import { AivmError, MalformedEncodingError } from "../engine/errors.ts";
import type { Tensor } from "../engine/tensor.ts";
import { DOMAIN, equalBytes, taggedHash, u32be } from "./hash.ts";
import { isWellFormedProof, merkleProof, merkleRoot, rootFromProof } from "./merkle.ts";

/** Chunk size in bytes of element data; the last chunk may be shorter. */
export const CHUNK_BYTES = 4096;

export function chunkCount(dataLength: number): number {
  return Math.ceil(dataLength / CHUNK_BYTES);
}

export function chunkLeaf(chunk: Uint8Array): Uint8Array {
  return taggedHash(DOMAIN.chunkLeaf, chunk);
}

export function headerHash(header: Uint8Array): Uint8Array {
  return taggedHash(DOMAIN.tensorHeader, header);
}

function chunkLeaves(data: Uint8Array): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += CHUNK_BYTES) leaves.push(chunkLeaf(data.subarray(o, o + CHUNK_BYTES)));
  return leaves;
}

/** keccak256(0x03 ‖ headerHash ‖ chunkRoot ‖ chunkCount u32 BE) */
export function combineCommit(hHash: Uint8Array, chunkRoot: Uint8Array, count: number): Uint8Array {
  return taggedHash(DOMAIN.tensorCommit, hHash, chunkRoot, u32be(count));
}

function commitParts(header: Uint8Array, data: Uint8Array): Uint8Array {
  const leaves = chunkLeaves(data);
  return combineCommit(headerHash(header), merkleRoot(leaves), leaves.length);
}

/** The Tensor Commit of a tensor. Also its content id in the persistent store. */
export function commitTensor(t: Tensor): Uint8Array {
  return commitParts(encodeTensorHeader(t), tensorDataBytes(t));
}

/** The Tensor Commit of one encoded tensor, without decoding its data (equal to commitTensor of it). */
export function commitEncodedTensor(bytes: Uint8Array): Uint8Array {
  const h = decodeTensorHeader(bytes);
  if (h.encodedLength !== bytes.length) {
    throw new MalformedEncodingError("tensor encoding", `length ${bytes.length} differs from the ${h.encodedLength} bytes the header declares`);
  }
  return commitParts(bytes.subarray(0, h.dataOffset), bytes.subarray(h.dataOffset));
}

/** Everything needed to check one chunk against a commitment without the rest of the data. */
export interface ChunkOpening {
  index: number;
  chunk: Uint8Array;
  /** Sibling hashes, leaf level first. */
  proof: Uint8Array[];
  /** The tensor's wire header (dtype, shape, quantization, data length). */
  header: Uint8Array;
}

/** Opens chunk `index` of a tensor's commitment. */
export function openChunk(t: Tensor, index: number): ChunkOpening {
  const data = tensorDataBytes(t);
  return {
    index,
    chunk: data.slice(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES),
    proof: merkleProof(chunkLeaves(data), index),
    header: encodeTensorHeader(t),
  };
}

/**
 * Checks an opened chunk against a Tensor Commit. The header fixes the data length, hence the
 * chunk count and the exact length of every chunk.
 */
export function verifyChunk(commit: Uint8Array, o: ChunkOpening): boolean {
  let dataLength: number;
  try {
    const h = decodeTensorHeader(o.header);
    if (h.dataOffset !== o.header.length) return false;
    dataLength = h.dataLength;
  } catch (e) {
    if (e instanceof AivmError) return false;
    throw e;
  }
  const count = chunkCount(dataLength);
  if (!isWellFormedProof(o.index, count, o.proof)) return false;
  if (o.chunk.length !== Math.min(CHUNK_BYTES, dataLength - o.index * CHUNK_BYTES)) return false;
  const root = rootFromProof(chunkLeaf(o.chunk), o.index, o.proof);
  return equalBytes(combineCommit(headerHash(o.header), root, count), commit);
}
