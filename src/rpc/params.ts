// Parameter parsing for the method table. Every parser throws InvalidParamsError (-32602) with the
// parameter's name and what was expected, never echoing large input back.
import type { AccountOverride, BlockRef, CallRequest, DevNode, SignedAuthorization } from "../chain/node.ts";
import { InvalidParamsError, RpcError, SERVER_ERROR } from "./errors.ts";

type Hex = `0x${string}`;

const HEX_RE = /^0x[0-9a-fA-F]*$/;
const LOWER_HEX_RE = /^0x[0-9a-f]*$/;
// Leading zeros are accepted, as Hardhat's node does ("0x01", a 32-byte slot that starts with 0);
// the width checks (66 characters here, 64 bits in uint64) still bound the value.
const QUANTITY_RE = /^0x[0-9a-fA-F]+$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HASH_RE = /^0x[0-9a-fA-F]{64}$/;

function describe(value: unknown): string {
  if (typeof value === "string") return value.length > 20 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : typeof value;
}

export function paramList(params: unknown, min: number, max: number, method: string): unknown[] {
  const list = params === undefined || params === null ? [] : params;
  if (!Array.isArray(list)) throw new InvalidParamsError(`${method}: params must be an array.`);
  if (list.length < min || list.length > max) {
    throw new InvalidParamsError(`${method}: expected ${min === max ? min : `${min} to ${max}`} params, got ${list.length}.`);
  }
  return list;
}

export function quantity(value: unknown, name: string): bigint {
  // Hardhat and some clients send plain numbers for small quantities; accept safe integers.
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value !== "string" || !QUANTITY_RE.test(value) || value.length > 66) {
    throw new InvalidParamsError(`Invalid ${name}: expected a hex quantity, got ${describe(value)}.`);
  }
  return BigInt(value);
}

/** The largest value of a 64-bit field: block timestamps, gas limits, nonces (EIP-2681). */
export const MAX_UINT64 = 2n ** 64n - 1n;

/** A quantity that must fit its 64-bit field (a block timestamp, a gas limit, a nonce). */
export function uint64(value: unknown, name: string): bigint {
  const n = quantity(value, name);
  if (n > MAX_UINT64) throw new InvalidParamsError(`Invalid ${name}: ${n} does not fit in 64 bits (at most ${MAX_UINT64}).`);
  return n;
}

export function data(value: unknown, name: string): Hex {
  if (typeof value !== "string" || value.length % 2 !== 0) throw invalidData(value, name);
  // Clients send lower case: then one scan, and no copy of what may be megabytes.
  if (LOWER_HEX_RE.test(value)) return value as Hex;
  if (!HEX_RE.test(value)) throw invalidData(value, name);
  return value.toLowerCase() as Hex;
}

function invalidData(value: unknown, name: string): InvalidParamsError {
  return new InvalidParamsError(`Invalid ${name}: expected even-length 0x-prefixed hex data, got ${describe(value)}.`);
}

export function address(value: unknown, name: string): Hex {
  if (typeof value !== "string" || !ADDRESS_RE.test(value)) {
    throw new InvalidParamsError(`Invalid ${name}: expected a 20-byte hex address, got ${describe(value)}.`);
  }
  return value.toLowerCase() as Hex;
}

export function hash(value: unknown, name: string): Hex {
  if (typeof value !== "string" || !HASH_RE.test(value)) {
    throw new InvalidParamsError(`Invalid ${name}: expected a 32-byte hex hash, got ${describe(value)}.`);
  }
  return value.toLowerCase() as Hex;
}

export function bool(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw new InvalidParamsError(`Invalid ${name}: expected a boolean, got ${describe(value)}.`);
  return value;
}

/** A block tag or number; also accepts EIP-1898 `{ blockNumber }` / `{ blockHash }`. */
export function blockRef(value: unknown, node: DevNode, name = "block"): BlockRef {
  // A consensus client's safe and finalized blocks (engine mode); the head otherwise.
  if ((value === "safe" || value === "finalized") && node.engine !== undefined) return node.checkpointNumber(value);
  if (value === undefined || value === null || value === "latest" || value === "safe" || value === "finalized") return "latest";
  if (value === "pending") return "pending";
  if (value === "earliest") return 0n;
  if (typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if (obj.blockHash !== undefined) {
      const found = node.blockByHashHex(hash(obj.blockHash, `${name}.blockHash`));
      if (!found) throw new InvalidParamsError(`Unknown ${name}.blockHash.`);
      return found.block.header.number;
    }
    if (obj.blockNumber !== undefined) return blockRef(obj.blockNumber, node, name);
  }
  const n = quantity(value, name);
  // Hardhat's code and wording for a state read past the head.
  if (n > node.headNumber) throw new RpcError(SERVER_ERROR, `Received invalid block tag ${n}. Latest block number is ${node.headNumber}`);
  return n;
}

/**
 * A block number for lookups and log ranges, where a block past the head is not an error (as on
 * Hardhat's node): a lookup answers null, a log range stops at the head. latest/pending: the head.
 */
export function blockNumberParam(value: unknown, node: DevNode, name = "block"): bigint {
  if (typeof value === "string" && value.startsWith("0x")) return quantity(value, name);
  if (typeof value === "number") return quantity(value, name);
  if (value !== null && typeof value === "object" && (value as Record<string, unknown>).blockNumber !== undefined) {
    return blockNumberParam((value as Record<string, unknown>).blockNumber, node, name);
  }
  return blockNumberOf(blockRef(value, node, name), node);
}

/** Resolves latest/pending to the head number (for block lookups and log ranges). */
export function blockNumberOf(ref: BlockRef, node: DevNode): bigint {
  return typeof ref === "bigint" ? ref : node.headNumber;
}

export function callRequest(value: unknown, name = "transaction"): CallRequest {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidParamsError(`Invalid ${name}: expected an object, got ${describe(value)}.`);
  }
  const obj = value as Record<string, unknown>;
  const req: CallRequest = {};
  if (obj.from !== undefined && obj.from !== null) req.from = address(obj.from, `${name}.from`);
  if (obj.to !== undefined && obj.to !== null) req.to = address(obj.to, `${name}.to`);
  const input = obj.input ?? obj.data;
  if (input !== undefined && input !== null) req.data = data(input, `${name}.input`);
  if (obj.value !== undefined && obj.value !== null) req.value = quantity(obj.value, `${name}.value`);
  if (obj.gas !== undefined && obj.gas !== null) req.gas = quantity(obj.gas, `${name}.gas`);
  if (obj.gasPrice !== undefined && obj.gasPrice !== null) req.gasPrice = quantity(obj.gasPrice, `${name}.gasPrice`);
  if (obj.maxFeePerGas !== undefined && obj.maxFeePerGas !== null) req.maxFeePerGas = quantity(obj.maxFeePerGas, `${name}.maxFeePerGas`);
  if (obj.maxPriorityFeePerGas !== undefined && obj.maxPriorityFeePerGas !== null) {
    req.maxPriorityFeePerGas = quantity(obj.maxPriorityFeePerGas, `${name}.maxPriorityFeePerGas`);
  }
  if (obj.nonce !== undefined && obj.nonce !== null) req.nonce = uint64(obj.nonce, `${name}.nonce`);
  if (Array.isArray(obj.accessList)) {
    req.accessList = obj.accessList.map((item: unknown, i) => {
      const entry = item as Record<string, unknown>;
      if (!entry || typeof entry !== "object" || !Array.isArray(entry.storageKeys)) throw new InvalidParamsError(`Invalid ${name}.accessList[${i}].`);
      return { address: address(entry.address, `${name}.accessList[${i}].address`), storageKeys: entry.storageKeys.map((k: unknown) => hash(k, "storage key")) };
    });
  }
  if (obj.authorizationList !== undefined && obj.authorizationList !== null) req.authorizationList = authorizationList(obj.authorizationList, `${name}.authorizationList`);
  return req;
}

/** EIP-7702 authorizations as viem and Hardhat send them: { chainId, address, nonce, yParity (or v), r, s }, each signed. */
function authorizationList(value: unknown, name: string): SignedAuthorization[] {
  if (!Array.isArray(value)) throw new InvalidParamsError(`Invalid ${name}: expected an array of signed authorizations.`);
  return value.map((item: unknown, i) => {
    const at = `${name}[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new InvalidParamsError(`Invalid ${at}: expected an object.`);
    const entry = item as Record<string, unknown>;
    if (entry.r === undefined || entry.s === undefined) throw new InvalidParamsError(`Invalid ${at}: an authorization must be signed by its authority (r, s and yParity).`);
    const parity = entry.yParity ?? entry.v;
    const yParity = quantity(parity, `${at}.yParity`);
    if (yParity > 1n) throw new InvalidParamsError(`Invalid ${at}.yParity: expected 0 or 1.`);
    const hex = (n: bigint) => `0x${n.toString(16)}` as Hex;
    return {
      chainId: hex(quantity(entry.chainId, `${at}.chainId`)),
      address: address(entry.address, `${at}.address`),
      nonce: hex(uint64(entry.nonce, `${at}.nonce`)),
      yParity: hex(yParity),
      r: hex(quantity(entry.r, `${at}.r`)),
      s: hex(quantity(entry.s, `${at}.s`)),
    };
  });
}

export interface LogFilter {
  fromBlock: bigint;
  toBlock: bigint;
  addresses: Hex[] | undefined;
  /** Per position: undefined = any; otherwise one of the listed topics. */
  topics: (Hex[] | undefined)[];
  blockHash?: Hex;
}

/** Upper bound on the number of blocks one eth_getLogs may scan. */
export const MAX_LOG_RANGE = 100_000n;

export function logFilter(value: unknown, node: DevNode, name = "filter"): LogFilter {
  if (value === undefined || value === null) value = {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidParamsError(`Invalid ${name}: expected an object.`);
  const obj = value as Record<string, unknown>;
  let fromBlock: bigint;
  let toBlock: bigint;
  let blockHashValue: Hex | undefined;
  if (obj.blockHash !== undefined && obj.blockHash !== null) {
    blockHashValue = hash(obj.blockHash, `${name}.blockHash`);
    const found = node.blockByHashHex(blockHashValue);
    if (!found) throw new InvalidParamsError(`Unknown ${name}.blockHash.`);
    fromBlock = toBlock = found.block.header.number;
  } else {
    fromBlock = blockNumberParam(obj.fromBlock, node, `${name}.fromBlock`);
    toBlock = blockNumberParam(obj.toBlock, node, `${name}.toBlock`);
  }
  // Blocks past the head are not searched (queryLogs clamps), so they do not count toward the range.
  const searchedTo = toBlock < node.headNumber ? toBlock : node.headNumber;
  if (searchedTo - fromBlock > MAX_LOG_RANGE) throw new InvalidParamsError(`Invalid ${name}: at most ${MAX_LOG_RANGE} blocks per query.`);
  let addresses: Hex[] | undefined;
  if (Array.isArray(obj.address)) addresses = obj.address.map((a: unknown) => address(a, `${name}.address`));
  else if (obj.address !== undefined && obj.address !== null) addresses = [address(obj.address, `${name}.address`)];
  const topics: (Hex[] | undefined)[] = [];
  if (obj.topics !== undefined && obj.topics !== null) {
    if (!Array.isArray(obj.topics) || obj.topics.length > 4) throw new InvalidParamsError(`Invalid ${name}.topics: expected up to 4 entries.`);
    for (const t of obj.topics) {
      if (t === null || t === undefined) topics.push(undefined);
      else if (Array.isArray(t)) topics.push(t.map((x: unknown) => hash(x, `${name}.topics`)));
      else topics.push([hash(t, `${name}.topics`)]);
    }
  }
  return { fromBlock, toBlock, addresses, topics, ...(blockHashValue ? { blockHash: blockHashValue } : {}) };
}

const OVERRIDE_FIELDS = new Set(["balance", "nonce", "code", "state", "stateDiff"]);

/** eth_call's third param, geth's state override set: address → { balance, nonce, code, state | stateDiff }. */
export function stateOverrides(value: unknown, name = "stateOverrides"): Map<Hex, AccountOverride> {
  const out = new Map<Hex, AccountOverride>();
  if (value === undefined || value === null) return out;
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidParamsError(`Invalid ${name}: expected an object of address → override, got ${describe(value)}.`);
  for (const [who, raw] of Object.entries(value as Record<string, unknown>)) {
    const at = `${name}[${who.length > 42 ? "…" : who}]`;
    const addr = address(who, name);
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new InvalidParamsError(`Invalid ${at}: expected an object, got ${describe(raw)}.`);
    const obj = raw as Record<string, unknown>;
    const unknown = Object.keys(obj).filter((k) => !OVERRIDE_FIELDS.has(k));
    if (unknown.length) {
      throw new InvalidParamsError(`Invalid ${at}: ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(", ")} not supported; an override may set balance, nonce, code, state or stateDiff.`);
    }
    if (obj.state != null && obj.stateDiff != null) throw new InvalidParamsError(`Invalid ${at}: set state (replaces all storage) or stateDiff (edits slots), not both.`);
    const o: AccountOverride = {};
    if (obj.balance != null) o.balance = quantity(obj.balance, `${at}.balance`);
    if (obj.nonce != null) o.nonce = uint64(obj.nonce, `${at}.nonce`);
    if (obj.code != null) o.code = data(obj.code, `${at}.code`);
    for (const field of ["state", "stateDiff"] as const) {
      const slots = obj[field];
      if (slots == null) continue;
      if (typeof slots !== "object" || Array.isArray(slots)) throw new InvalidParamsError(`Invalid ${at}.${field}: expected an object of slot → 32-byte value.`);
      o[field] = Object.entries(slots as Record<string, unknown>).map(([slot, word]) => [hash(slot, `${at}.${field} slot`), hash(word, `${at}.${field} value`)]);
    }
    out.set(addr, o);
  }
  return out;
}
