// The Engine API method table (docs/network.md#engine-api): engine_* for the fork the node runs,
// with the execution-apis JSON shapes (paris.md … osaka.md), plus the ordinary eth_*, net_* and
// web3_* methods, which consensus clients also call on the authenticated port.
import type { Block, ExecutionPayload } from "@ethereumjs/block";
import { bytesToHex, hexToBytes, type WithdrawalData } from "@ethereumjs/util";
import type { DevNode } from "../../chain/node.ts";
import { InvalidForkchoiceStateError, InvalidPayloadAttributesError, type BuiltPayload, type PayloadAttributes } from "../../chain/engine-chain.ts";
import { INVALID_PARAMS, InvalidParamsError, RpcError } from "../errors.ts";
import { q } from "../format.ts";
import { CLIENT_VERSION, createMethodTable, type MethodTable } from "../methods.ts";
import { address, data, hash, paramList, quantity } from "../params.ts";

type Hex = `0x${string}`;

/** Engine API error codes (execution-apis src/engine/common.md#errors). */
export const UNKNOWN_PAYLOAD = -38001;
export const INVALID_FORKCHOICE_STATE = -38002;
export const INVALID_PAYLOAD_ATTRIBUTES = -38003;
export const TOO_LARGE_REQUEST = -38004;
export const UNSUPPORTED_FORK = -38005;

/** The forks a node runs and the getPayload / newPayload versions each takes. */
const VERSIONS: Record<string, { getPayload: number; newPayload: number }> = {
  cancun: { getPayload: 3, newPayload: 3 },
  prague: { getPayload: 4, newPayload: 4 },
  osaka: { getPayload: 5, newPayload: 4 },
};

/** engine_getBlobs: at most this many hashes per request (the spec's 128). */
const MAX_BLOB_HASHES = 128;

export const ENGINE_METHODS = [
  "engine_exchangeCapabilities",
  "engine_getClientVersionV1",
  "engine_forkchoiceUpdatedV3",
  "engine_newPayloadV3",
  "engine_newPayloadV4",
  "engine_getPayloadV3",
  "engine_getPayloadV4",
  "engine_getPayloadV5",
  "engine_getBlobsV1",
  "engine_getBlobsV2",
  "engine_getPayloadBodiesByHashV1",
  "engine_getPayloadBodiesByRangeV1",
] as const;

/** engine_getPayloadBodies*: at most this many blocks per request (the spec's 1024 lower bound). */
const MAX_BODIES = 1024;

export function createEngineMethodTable(node: DevNode): MethodTable {
  const fork = node.common.hardfork();
  const versions = VERSIONS[fork];
  if (versions === undefined) throw new Error(`The Engine API serves ${Object.keys(VERSIONS).join(", ")}; this node runs ${fork}.`);
  const ordinary = createMethodTable(node);
  const table: MethodTable = {};
  for (const [name, handler] of Object.entries(ordinary)) if (/^(eth|net|web3)_/.test(name)) table[name] = handler;

  const forkCheck = (method: string, version: number, expected: number) => {
    if (version !== expected) throw new RpcError(UNSUPPORTED_FORK, `Unsupported fork: ${method} is not this node's ${fork} version (V${expected}).`);
  };

  const newPayload = (version: number) => async (params: unknown[]) => {
    const method = `engine_newPayloadV${version}`;
    forkCheck(method, version, versions.newPayload);
    const list = paramList(params, version === 3 ? 3 : 4, version === 3 ? 3 : 4, method);
    const payload = executionPayloadV3(list[0]);
    if (!Array.isArray(list[1])) throw new InvalidParamsError(`${method}: expectedBlobVersionedHashes must be an array.`);
    const blobHashes = list[1].map((h, i) => hash(h, `expectedBlobVersionedHashes[${i}]`));
    const beaconRoot = hash(list[2], "parentBeaconBlockRoot");
    let requests: Uint8Array[] | undefined;
    if (version >= 4) {
      if (!Array.isArray(list[3])) throw new InvalidParamsError(`${method}: executionRequests must be an array.`);
      requests = list[3].map((r, i) => hexToBytes(data(r, `executionRequests[${i}]`)));
      // prague.md: each `type ‖ data` with data, one per type, in ascending order of type.
      requests.forEach((r, i) => {
        if (r.length < 2) throw new InvalidParamsError(`executionRequests[${i}] has no request data (empty requests are left out).`);
        if (i > 0 && r[0]! <= requests![i - 1]![0]!) throw new InvalidParamsError(`executionRequests[${i}]: types must be strictly ascending.`);
      });
    }
    return node.engineNewPayload(payload, beaconRoot, requests, blobHashes);
  };

  const getPayload = (version: number) => async (params: unknown[]) => {
    const method = `engine_getPayloadV${version}`;
    forkCheck(method, version, versions.getPayload);
    const [id] = paramList(params, 1, 1, method);
    const payloadId = data(id, "payloadId");
    if (payloadId.length !== 18) throw new InvalidParamsError(`Invalid payloadId: expected 8 bytes.`);
    const built = await node.engineGetPayload(payloadId);
    if (built === undefined) throw new RpcError(UNKNOWN_PAYLOAD, `Unknown payload ${payloadId}.`);
    return getPayloadResponse(built, version);
  };

  Object.assign(table, {
    engine_exchangeCapabilities: (params: unknown[]) => {
      const [list] = paramList(params, 1, 1, "engine_exchangeCapabilities");
      if (!Array.isArray(list) || list.some((m) => typeof m !== "string")) throw new InvalidParamsError("engine_exchangeCapabilities: expected an array of method names.");
      return [...ENGINE_METHODS];
    },
    engine_getClientVersionV1: (params: unknown[]) => {
      paramList(params, 1, 1, "engine_getClientVersionV1");
      const [name, version] = CLIENT_VERSION.split("/");
      return [{ code: "AI", name: name!, version: `v${version!}`, commit: "0x00000000" }];
    },
    engine_forkchoiceUpdatedV3: async (params: unknown[]) => {
      const [stateRaw, attributesRaw] = paramList(params, 1, 2, "engine_forkchoiceUpdatedV3");
      const state = object(stateRaw, "forkchoiceState");
      const head = hash(state.headBlockHash, "headBlockHash");
      const safe = hash(state.safeBlockHash, "safeBlockHash");
      const finalized = hash(state.finalizedBlockHash, "finalizedBlockHash");
      const attributes = attributesRaw === undefined || attributesRaw === null ? undefined : payloadAttributesV3(attributesRaw);
      try {
        return await node.engineForkchoiceUpdated(head, safe, finalized, attributes);
      } catch (error) {
        if (error instanceof InvalidForkchoiceStateError) throw new RpcError(INVALID_FORKCHOICE_STATE, `Invalid forkchoice state: ${error.message}`);
        if (error instanceof InvalidPayloadAttributesError) throw new RpcError(INVALID_PAYLOAD_ATTRIBUTES, `Invalid payload attributes: ${error.message}`);
        throw error;
      }
    },
    engine_newPayloadV3: newPayload(3),
    engine_newPayloadV4: newPayload(4),
    engine_getPayloadV3: getPayload(3),
    engine_getPayloadV4: getPayload(4),
    engine_getPayloadV5: getPayload(5),
    // The node keeps no blobs (blob transactions are not built into payloads): nothing to answer.
    engine_getBlobsV1: (params: unknown[]) => blobHashes(params, "engine_getBlobsV1").map(() => null),
    engine_getBlobsV2: (params: unknown[]) => (blobHashes(params, "engine_getBlobsV2").length === 0 ? [] : null),
    // Canonical blocks' bodies, for a consensus client that stores blinded blocks (shanghai.md); null for unknown ones.
    engine_getPayloadBodiesByHashV1: (params: unknown[]) => {
      const [list] = paramList(params, 1, 1, "engine_getPayloadBodiesByHashV1");
      if (!Array.isArray(list)) throw new InvalidParamsError("engine_getPayloadBodiesByHashV1: expected an array of block hashes.");
      if (list.length > MAX_BODIES) throw new RpcError(TOO_LARGE_REQUEST, `Too large request: ${list.length} hashes, at most ${MAX_BODIES}.`);
      return list.map((h, i) => payloadBody(node.blockByHashHex(hash(h, `blockHashes[${i}]`))?.block));
    },
    engine_getPayloadBodiesByRangeV1: (params: unknown[]) => {
      const [startRaw, countRaw] = paramList(params, 2, 2, "engine_getPayloadBodiesByRangeV1");
      const start = quantity(startRaw, "start");
      const count = quantity(countRaw, "count");
      if (start < 1n || count < 1n) throw new InvalidParamsError("engine_getPayloadBodiesByRangeV1: start and count must be at least 1.");
      if (count > BigInt(MAX_BODIES)) throw new RpcError(TOO_LARGE_REQUEST, `Too large request: ${count} blocks, at most ${MAX_BODIES}.`);
      const last = start + count - 1n < node.headNumber ? start + count - 1n : node.headNumber;
      const bodies = [];
      for (let n = start; n <= last; n++) bodies.push(payloadBody(node.blockByNumber(n)?.block));
      return bodies;
    },
  });
  return table;
}

function payloadBody(block: Block | undefined): { transactions: Hex[]; withdrawals: unknown[] | null } | null {
  if (block === undefined) return null;
  return { transactions: block.transactions.map((tx) => bytesToHex(tx.serialize()) as Hex), withdrawals: block.withdrawals?.map((w) => w.toJSON()) ?? null };
}

function blobHashes(params: unknown[], method: string): Hex[] {
  const [list] = paramList(params, 1, 1, method);
  if (!Array.isArray(list)) throw new InvalidParamsError(`${method}: expected an array of versioned hashes.`);
  if (list.length > MAX_BLOB_HASHES) throw new RpcError(TOO_LARGE_REQUEST, `Too large request: ${list.length} hashes, at most ${MAX_BLOB_HASHES}.`);
  return list.map((h, i) => hash(h, `versionedHashes[${i}]`));
}

/** The getPayload response of `version` (V3: Cancun, V4: + executionRequests, V5: blobsBundle V2). */
export function getPayloadResponse(built: BuiltPayload, version: number): Record<string, unknown> {
  const response: Record<string, unknown> = {
    executionPayload: executionPayloadJson(built),
    blockValue: q(built.blockValue),
    blobsBundle: { commitments: [], proofs: [], blobs: [] },
    shouldOverrideBuilder: false,
  };
  if (version >= 4) response.executionRequests = built.executionRequests.map((r) => bytesToHex(r));
  return response;
}

/** ExecutionPayloadV3 of a block: the header and body fields, without parentBeaconBlockRoot and requestsHash (they travel beside it). */
function executionPayloadJson(built: BuiltPayload): Record<string, unknown> {
  const payload = built.block.toExecutionPayload() as unknown as Record<string, unknown>;
  delete payload.parentBeaconBlockRoot;
  delete payload.requestsHash;
  return payload;
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InvalidParamsError(`Invalid ${name}: expected an object.`);
  return value as Record<string, unknown>;
}

function sizedData(value: unknown, name: string, bytes: number): Hex {
  const hex = data(value, name);
  if (hex.length !== 2 + 2 * bytes) throw new InvalidParamsError(`Invalid ${name}: expected ${bytes} bytes.`);
  return hex;
}

function quantityHex(value: unknown, name: string): Hex {
  return q(quantity(value, name));
}

function withdrawalsParam(value: unknown, name: string): WithdrawalData[] {
  if (!Array.isArray(value)) throw new InvalidParamsError(`Invalid ${name}: expected an array of withdrawals.`);
  return value.map((w, i) => {
    const o = object(w, `${name}[${i}]`);
    return {
      index: quantity(o.index, `${name}[${i}].index`),
      validatorIndex: quantity(o.validatorIndex, `${name}[${i}].validatorIndex`),
      address: address(o.address, `${name}[${i}].address`),
      amount: quantity(o.amount, `${name}[${i}].amount`),
    };
  });
}

/** ExecutionPayloadV3 (cancun.md), every field checked for its type and width. */
function executionPayloadV3(value: unknown): ExecutionPayload {
  const p = object(value, "executionPayload");
  if (!Array.isArray(p.transactions)) throw new InvalidParamsError("Invalid executionPayload.transactions: expected an array.");
  const extraData = data(p.extraData, "extraData");
  if (extraData.length > 2 + 64) throw new InvalidParamsError("Invalid extraData: at most 32 bytes.");
  return {
    parentHash: hash(p.parentHash, "parentHash"),
    feeRecipient: address(p.feeRecipient, "feeRecipient"),
    stateRoot: hash(p.stateRoot, "stateRoot"),
    receiptsRoot: hash(p.receiptsRoot, "receiptsRoot"),
    logsBloom: sizedData(p.logsBloom, "logsBloom", 256),
    prevRandao: hash(p.prevRandao, "prevRandao"),
    blockNumber: quantityHex(p.blockNumber, "blockNumber"),
    gasLimit: quantityHex(p.gasLimit, "gasLimit"),
    gasUsed: quantityHex(p.gasUsed, "gasUsed"),
    timestamp: quantityHex(p.timestamp, "timestamp"),
    extraData,
    baseFeePerGas: quantityHex(p.baseFeePerGas, "baseFeePerGas"),
    blockHash: hash(p.blockHash, "blockHash"),
    transactions: p.transactions.map((tx, i) => data(tx, `transactions[${i}]`)),
    withdrawals: withdrawalsParam(p.withdrawals, "withdrawals").map((w) => ({
      index: q(w.index as bigint),
      validatorIndex: q(w.validatorIndex as bigint),
      address: w.address as Hex,
      amount: q(w.amount as bigint),
    })),
    blobGasUsed: quantityHex(p.blobGasUsed, "blobGasUsed"),
    excessBlobGas: quantityHex(p.excessBlobGas, "excessBlobGas"),
  };
}

/** PayloadAttributesV3 (cancun.md); a missing or malformed field is -38003. */
function payloadAttributesV3(value: unknown): PayloadAttributes {
  try {
    const a = object(value, "payloadAttributes");
    return {
      timestamp: quantity(a.timestamp, "timestamp"),
      prevRandao: hexToBytes(hash(a.prevRandao, "prevRandao")),
      suggestedFeeRecipient: address(a.suggestedFeeRecipient, "suggestedFeeRecipient"),
      withdrawals: withdrawalsParam(a.withdrawals, "withdrawals"),
      parentBeaconBlockRoot: hexToBytes(hash(a.parentBeaconBlockRoot, "parentBeaconBlockRoot")),
    };
  } catch (error) {
    if (error instanceof RpcError && error.rpcCode === INVALID_PARAMS) throw new RpcError(INVALID_PAYLOAD_ATTRIBUTES, `Invalid payload attributes: ${error.shortMessage}`);
    throw error;
  }
}
