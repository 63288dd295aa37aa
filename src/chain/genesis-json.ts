// A geth-style genesis.json for an AIVM chain (docs/node.md#chain-data). `readGenesisJson` turns one
// into the node's options: the chain id, the one hardfork the chain runs (chosen from the config's
// fork blocks and times), the block gas limit and the genesis block's header fields and alloc.
// `genesisJsonOf` writes one, with the AIVM system contracts and predeploys in alloc, so several
// nodes can share a genesis. The system accounts are always in an AIVM genesis: an alloc entry at
// one of their addresses must be exactly the account the node puts there (as `aivm genesis` writes
// it, then dropped from the alloc), anything else is refused by address.
import { bytesToHex, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { AivmError } from "../engine/errors.ts";
import type { GenesisAccount } from "./types.ts";

type Hex = `0x${string}`;

/** One alloc entry as geth writes it: quantities as hex (decimal accepted), code and storage as hex. */
export interface GenesisAllocJson {
  balance?: string;
  nonce?: string;
  code?: string;
  storage?: Record<string, string>;
}

/** The fields of geth's genesis.json this chain reads and writes. */
export interface GenesisJson {
  config: { chainId: number } & Record<string, unknown>;
  nonce?: string;
  timestamp?: string;
  extraData?: string;
  gasLimit?: string;
  difficulty?: string;
  mixHash?: string;
  coinbase?: string;
  baseFeePerGas?: string;
  excessBlobGas?: string;
  blobGasUsed?: string;
  number?: string;
  gasUsed?: string;
  parentHash?: string;
  alloc: Record<string, GenesisAllocJson>;
}

/** What a genesis.json gives the node (DevNodeOptions' chainId, hardfork, blockGasLimit and genesis). */
export interface ChainGenesis {
  chainId: number;
  hardfork: string;
  blockGasLimit: bigint;
  genesis: {
    header: { timestamp: bigint; gasLimit: bigint; extraData: Uint8Array; baseFeePerGas: bigint; mixHash: Uint8Array; coinbase: Uint8Array; excessBlobGas?: bigint; blobGasUsed?: bigint };
    /** The alloc, without the entries that repeat a system account. */
    accounts: GenesisAccount[];
  };
}

/** The genesis.json cannot start this chain: the message names the field or address. */
export class GenesisFileError extends AivmError {
  override name = "GenesisFileError";
  override readonly code = "GENESIS_FILE";
  constructor(message: string) {
    super(message, { docsPath: "node.md#chain-data" });
  }
}

/** The forks a node runs, newest first, with the config field that schedules each. */
const NODE_FORK_TIMES = [
  ["osaka", "osakaTime"],
  ["prague", "pragueTime"],
  ["cancun", "cancunTime"],
] as const;
/** The pre-merge forks scheduled by block number, and the merge and Shanghai, all active from genesis on this chain. */
const EARLIER_FORK_BLOCKS = [
  "homesteadBlock",
  "eip150Block",
  "eip155Block",
  "eip158Block",
  "byzantiumBlock",
  "constantinopleBlock",
  "petersburgBlock",
  "istanbulBlock",
  "berlinBlock",
  "londonBlock",
] as const;
/** EIP-4844/7691 blob parameters per fork, as geth's genesis.json carries them. */
const BLOB_SCHEDULE = {
  cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
  prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
  osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
} as const;
const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;
const ZERO_ADDRESS = `0x${"00".repeat(20)}` as Hex;

/**
 * Reads a parsed genesis.json. `systemAccounts` are the accounts the node's runtime adds to every
 * genesis (aivmGenesisAccounts with the producer's VRF key).
 */
export function readGenesisJson(json: unknown, systemAccounts: readonly GenesisAccount[]): ChainGenesis {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new GenesisFileError("genesis.json must hold a JSON object with config and alloc.");
  const file = json as Partial<GenesisJson>;
  const config = file.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) throw new GenesisFileError("genesis.json has no config object.");
  const chainId = config.chainId;
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) throw new GenesisFileError("genesis.json config.chainId must be a positive integer.");
  for (const field of ["number", "gasUsed", "difficulty"] as const) {
    if (file[field] !== undefined && quantityOf(file[field], field) !== 0n) throw new GenesisFileError(`genesis.json ${field} must be 0: the genesis block of a post-merge chain.`);
  }
  if (file.parentHash !== undefined && hexOf(file.parentHash, "parentHash", 32) !== ZERO_HASH) throw new GenesisFileError("genesis.json parentHash must be zero.");
  if (file.nonce !== undefined && quantityOf(file.nonce, "nonce") !== 0n) throw new GenesisFileError("genesis.json nonce must be 0: the genesis block of a post-merge chain.");
  const timestamp = file.timestamp === undefined ? 0n : quantityOf(file.timestamp, "timestamp");
  const gasLimit = file.gasLimit === undefined ? undefined : quantityOf(file.gasLimit, "gasLimit");
  if (gasLimit === undefined || gasLimit < 21_000n || gasLimit >= 2n ** 64n) throw new GenesisFileError("genesis.json gasLimit must be a gas amount from 21000 to 2^64 - 1.");
  const baseFeePerGas = file.baseFeePerGas === undefined ? 1_000_000_000n : quantityOf(file.baseFeePerGas, "baseFeePerGas");
  const extraData = hexToBytes(file.extraData === undefined ? "0x" : hexOf(file.extraData, "extraData"));
  if (extraData.length > 32) throw new GenesisFileError(`genesis.json extraData is ${extraData.length} bytes; a header holds at most 32.`);
  const header: ChainGenesis["genesis"]["header"] = {
    timestamp,
    gasLimit,
    extraData,
    baseFeePerGas,
    mixHash: hexToBytes(file.mixHash === undefined ? ZERO_HASH : hexOf(file.mixHash, "mixHash", 32)),
    coinbase: hexToBytes(file.coinbase === undefined ? ZERO_ADDRESS : hexOf(file.coinbase, "coinbase", 20)),
  };
  if (file.excessBlobGas !== undefined) header.excessBlobGas = quantityOf(file.excessBlobGas, "excessBlobGas");
  if (file.blobGasUsed !== undefined) header.blobGasUsed = quantityOf(file.blobGasUsed, "blobGasUsed");
  return { chainId, hardfork: hardforkOf(config, timestamp), blockGasLimit: gasLimit, genesis: { header, accounts: allocAccounts(file.alloc, systemAccounts) } };
}

/**
 * The one fork the chain runs: the newest of Cancun, Prague and Osaka scheduled at or before the
 * genesis timestamp (default Osaka when the config schedules no fork by time). A fork scheduled
 * after genesis is refused: this node runs one fork from genesis to head.
 */
function hardforkOf(config: Record<string, unknown>, timestamp: bigint): string {
  for (const field of EARLIER_FORK_BLOCKS) {
    if (config[field] !== undefined && config[field] !== null && quantityOf(config[field], `config.${field}`) !== 0n) {
      throw new GenesisFileError(`genesis.json config.${field} is ${String(config[field])}: this node runs one fork from genesis, so every fork block must be 0.`);
    }
  }
  if (config.terminalTotalDifficulty !== undefined && config.terminalTotalDifficulty !== null && quantityOf(config.terminalTotalDifficulty, "config.terminalTotalDifficulty") !== 0n) {
    throw new GenesisFileError("genesis.json config.terminalTotalDifficulty must be 0: an AIVM chain is post-merge from genesis.");
  }
  const timeFields = Object.keys(config).filter((k) => k.endsWith("Time") && config[k] !== null && config[k] !== undefined);
  for (const field of timeFields) {
    const at = quantityOf(config[field], `config.${field}`);
    if (at > timestamp) throw new GenesisFileError(`genesis.json config.${field} is ${at}, after the genesis timestamp ${timestamp}: this node runs one fork from genesis, so schedule it at or before genesis or leave it out.`);
  }
  if (timeFields.length === 0) return "osaka";
  const fork = NODE_FORK_TIMES.find(([, field]) => timeFields.includes(field));
  if (!fork) throw new GenesisFileError("genesis.json schedules no Cancun, Prague or Osaka: the AIVM library needs Cancun or later (set config.cancunTime, pragueTime or osakaTime to 0).");
  return fork[0];
}

/** The alloc as genesis accounts; an entry at a system account's address must equal it and is dropped. */
function allocAccounts(alloc: unknown, systemAccounts: readonly GenesisAccount[]): GenesisAccount[] {
  if (alloc === undefined) return [];
  if (alloc === null || typeof alloc !== "object" || Array.isArray(alloc)) throw new GenesisFileError("genesis.json alloc must be an object of address → account.");
  const system = new Map(systemAccounts.map((a) => [a.address.toLowerCase(), normalAccount(a)]));
  const accounts: GenesisAccount[] = [];
  for (const [key, raw] of Object.entries(alloc as Record<string, unknown>)) {
    const address = hexOf(key.startsWith("0x") ? key : `0x${key}`, `alloc address ${key.slice(0, 50)}`, 20);
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new GenesisFileError(`genesis.json alloc ${address} must be an object.`);
    const account = accountOf(address, raw as GenesisAllocJson);
    const reserved = system.get(address);
    if (reserved === undefined) {
      accounts.push(account);
      continue;
    }
    if (JSON.stringify(normalAccount(account)) !== JSON.stringify(reserved)) {
      throw new GenesisFileError(
        `genesis.json alloc ${address} collides with an AIVM system contract: the node puts its own account there. Leave the address out of alloc, or copy the account exactly as \`aivm genesis\` writes it (with the same VRF key).`,
      );
    }
  }
  return accounts;
}

function accountOf(address: Hex, raw: GenesisAllocJson): GenesisAccount {
  const where = `alloc ${address}`;
  const account: GenesisAccount = { address, balance: raw.balance === undefined ? 0n : quantityOf(raw.balance, `${where}.balance`), nonce: raw.nonce === undefined ? 0n : quantityOf(raw.nonce, `${where}.nonce`) };
  if (raw.code !== undefined && raw.code !== "0x" && raw.code !== "") account.code = hexOf(raw.code, `${where}.code`);
  if (raw.storage !== undefined) {
    if (raw.storage === null || typeof raw.storage !== "object" || Array.isArray(raw.storage)) throw new GenesisFileError(`genesis.json ${where}.storage must be an object of slot → value.`);
    const storage: Record<Hex, Hex> = {};
    for (const [slot, value] of Object.entries(raw.storage)) {
      storage[word(slot, `${where}.storage key`)] = word(value, `${where}.storage[${slot.slice(0, 66)}]`);
    }
    account.storage = storage;
  }
  return account;
}

/** An account in one canonical form (lower-case hex, 32-byte words, zero slots left out, nonce as the node applies it) for comparison. */
function normalAccount(a: GenesisAccount): unknown {
  const storage = Object.entries(a.storage ?? {})
    .map(([k, v]) => [word(k, "slot"), word(v, "value")] as const)
    .filter(([, v]) => v !== ZERO_HASH)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return { balance: String(a.balance ?? 0n), nonce: String(a.nonce ?? (a.code ? 1n : 0n)), code: (a.code ?? "0x").toLowerCase(), storage };
}

/** Writes a genesis.json for the chain: fork fields up to `hardfork` at 0, the system accounts and `accounts` in alloc. */
export function genesisJsonOf(options: {
  chainId: number;
  hardfork: "cancun" | "prague" | "osaka";
  timestamp: bigint;
  gasLimit: bigint;
  baseFeePerGas: bigint;
  systemAccounts: readonly GenesisAccount[];
  accounts: readonly GenesisAccount[];
}): GenesisJson {
  const forks = NODE_FORK_TIMES.slice(NODE_FORK_TIMES.findIndex(([name]) => name === options.hardfork)).reverse();
  const config: GenesisJson["config"] = { chainId: options.chainId };
  for (const field of EARLIER_FORK_BLOCKS) config[field] = 0;
  Object.assign(config, { mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0 });
  for (const [, field] of forks) config[field] = 0;
  config.blobSchedule = Object.fromEntries(forks.map(([name]) => [name, BLOB_SCHEDULE[name]]));
  const alloc: Record<string, GenesisAllocJson> = {};
  for (const a of [...options.systemAccounts, ...options.accounts]) {
    const entry: GenesisAllocJson = { balance: hexQuantity(a.balance ?? 0n) };
    const nonce = a.nonce ?? (a.code ? 1n : 0n);
    if (nonce !== 0n) entry.nonce = hexQuantity(nonce);
    if (a.code) entry.code = a.code;
    if (a.storage && Object.keys(a.storage).length > 0) entry.storage = Object.fromEntries(Object.entries(a.storage).map(([k, v]) => [word(k, "slot"), word(v, "value")]));
    alloc[a.address.toLowerCase()] = entry;
  }
  return {
    config,
    nonce: "0x0",
    timestamp: hexQuantity(options.timestamp),
    extraData: "0x",
    gasLimit: hexQuantity(options.gasLimit),
    difficulty: "0x0",
    mixHash: ZERO_HASH,
    coinbase: ZERO_ADDRESS,
    baseFeePerGas: hexQuantity(options.baseFeePerGas),
    number: "0x0",
    gasUsed: "0x0",
    parentHash: ZERO_HASH,
    alloc,
  };
}

const hexQuantity = (v: bigint): string => `0x${v.toString(16)}`;

/** geth's HexOrDecimal: "0x…" hex, a decimal string, or a JSON number. */
function quantityOf(value: unknown, name: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && (/^0x[0-9a-fA-F]{1,64}$/.test(value) || /^[0-9]{1,78}$/.test(value))) return BigInt(value);
  throw new GenesisFileError(`genesis.json ${name} must be a hex or decimal quantity, got ${JSON.stringify(String(value).slice(0, 40))}.`);
}

/** Hex bytes, of exactly `length` bytes when given. */
function hexOf(value: unknown, name: string, length?: number): Hex {
  if (typeof value !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(value) || (length !== undefined && value.length !== 2 + 2 * length)) {
    throw new GenesisFileError(`genesis.json ${name} must be ${length === undefined ? "hex bytes" : `${length} bytes of hex`}.`);
  }
  return value.toLowerCase() as Hex;
}

/** A storage key or value: hex of at most 32 bytes, as a 32-byte word. */
function word(value: unknown, name: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{0,64}$/.test(value)) throw new GenesisFileError(`genesis.json ${name} must be hex of at most 32 bytes.`);
  const digits = value.slice(2);
  return bytesToHex(setLengthLeft(hexToBytes(`0x${digits.length % 2 ? `0${digits}` : digits}`), 32)) as Hex;
}
