// `aivm export`, `aivm import` and `aivm genesis` (docs/node.md#chain-data). Export writes blocks as
// concatenated RLP, geth's format, read through a node's debug_getRawBlock or from its database.
// Import re-executes each block into a database (src/chain/import.ts) and stops at the first one
// that does not reproduce. Genesis writes a geth-style genesis.json (src/chain/genesis-json.ts).
import { open, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createBlockFromRLP } from "@ethereumjs/block";
import { bytesToHex, equalsBytes, hexToBytes } from "@ethereumjs/util";
import { DevNode } from "../chain/node.ts";
import { LevelStore } from "../chain/store.ts";
import { BlockImportError, importBlock, importEngineBlock, splitBlockRlps } from "../chain/import.ts";
import { GenesisFileError, genesisJsonOf, readGenesisJson, type ChainGenesis } from "../chain/genesis-json.ts";
import { aivmGenesisAccounts } from "../chain/genesis.ts";
import { devVrfSecretKey, vrfPublicKeyOf } from "../chain/block-randomness.ts";
import { DEFAULT_ACCOUNT_BALANCE, deriveDevAccounts } from "../chain/accounts.ts";
import { wallClockSeconds } from "../chain/clock.ts";
import { INITIAL_BASE_FEE } from "../chain/node.ts";
import { JsonRpcClient } from "../rpc/verify/json-rpc.ts";
import { DEFAULT_RPC_URL } from "./commands/defaults.ts";
import { AivmError } from "../engine/errors.ts";

type Hex = `0x${string}`;

/** debug_getRawBlock requests in flight at once while exporting through RPC. */
const EXPORT_CONCURRENCY = 16;

export interface ExportCommandOptions {
  rpc?: string;
  db?: string;
  from?: bigint;
  to?: bigint;
}

export interface ImportCommandOptions {
  db: string;
  genesis?: string;
  hardfork: string;
  mnemonic: string;
  vrfKey?: Hex;
  /** The blocks come from an engine-mode chain (aivm node --engine, aivm devnet). */
  engine: boolean;
}

export interface GenesisCommandOptions {
  out?: string;
  chainId: number;
  hardfork: "cancun" | "prague" | "osaka";
  gasLimit: bigint;
  timestamp?: bigint;
  allocDevAccounts: boolean;
  mnemonic: string;
  vrfKey?: Hex;
}

/** A refusal the user can act on: printed as one message, exit code 1, no stack trace. */
async function reported(command: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof AivmError)) throw error;
    console.error(`aivm ${command}: ${error.shortMessage}`);
    process.exitCode = 1;
  }
}

class ChainDataError extends AivmError {
  override name = "ChainDataError";
  override readonly code = "CHAIN_DATA";
  constructor(message: string) {
    super(message, { docsPath: "node.md#chain-data" });
  }
}

// ---------------------------------------------------------------- export

export async function exportChain(file: string, options: ExportCommandOptions): Promise<void> {
  await reported("export", async () => {
    if (options.rpc !== undefined && options.db !== undefined) throw new ChainDataError("give --rpc or --db, not both.");
    const source = options.db !== undefined ? await databaseSource(options.db) : rpcSource(options.rpc ?? DEFAULT_RPC_URL);
    try {
      const head = await source.head();
      const from = options.from ?? 1n;
      const to = options.to ?? head;
      if (to > head) throw new ChainDataError(`--to ${to} is past the head, block ${head}.`);
      if (from > to) throw new ChainDataError(`--from ${from} is after --to ${to}: nothing to export.`);
      const out = await open(file, "w");
      let bytes = 0;
      try {
        for (let n = from; n <= to; n += BigInt(EXPORT_CONCURRENCY)) {
          const last = n + BigInt(EXPORT_CONCURRENCY) - 1n < to ? n + BigInt(EXPORT_CONCURRENCY) - 1n : to;
          const numbers = Array.from({ length: Number(last - n) + 1 }, (_, i) => n + BigInt(i));
          for (const rlp of await Promise.all(numbers.map((k) => source.block(k)))) {
            await out.write(rlp);
            bytes += rlp.length;
          }
        }
      } finally {
        await out.close();
      }
      console.log(`Exported blocks ${from} to ${to} (${to - from + 1n} blocks, ${bytes} bytes) to ${file}`);
    } finally {
      await source.close();
    }
  });
}

interface BlockSource {
  head(): Promise<bigint>;
  block(n: bigint): Promise<Uint8Array>;
  close(): Promise<void>;
}

function rpcSource(url: string): BlockSource {
  const client = new JsonRpcClient(url);
  return {
    head: async () => BigInt(await client.request<Hex>("eth_blockNumber")),
    block: async (n) => {
      const raw = await client.request<Hex | null>("debug_getRawBlock", [`0x${n.toString(16)}`]);
      if (raw === null) throw new ChainDataError(`the node at ${url} has no block ${n}.`);
      return hexToBytes(raw);
    },
    close: async () => {},
  };
}

async function databaseSource(dir: string): Promise<BlockSource> {
  if (!existsSync(dir)) throw new ChainDataError(`there is no database at ${dir}.`);
  let store: LevelStore;
  try {
    store = await LevelStore.open(dir);
  } catch (error) {
    throw new ChainDataError(`cannot open the database at ${dir} (${error instanceof Error ? error.message : String(error)}); if a node is running on it, export with --rpc instead.`);
  }
  const meta = await store.readMeta();
  if (!meta) {
    await store.close();
    throw new ChainDataError(`${dir} holds no chain.`);
  }
  let blocks: Uint8Array[] | undefined;
  return {
    head: async () => meta.headNumber,
    block: async (n) => {
      blocks ??= (await store.readBlocks(meta.headNumber)).map((b) => b.rlp);
      return blocks[Number(n)]!;
    },
    close: () => store.close(),
  };
}

// ---------------------------------------------------------------- import

export async function importChain(file: string, options: ImportCommandOptions): Promise<void> {
  await reported("import", async () => {
    const vrfSecretKey = vrfSecretKeyOf(options);
    const spec = options.genesis === undefined ? undefined : await readGenesisFile(options.genesis, vrfSecretKey);
    const chainId = spec?.chainId ?? (await storedChainId(options.db));
    const started = performance.now();
    const node = await DevNode.create({
      dbPath: options.db,
      ...(chainId !== undefined ? { chainId } : {}),
      hardfork: spec?.hardfork ?? options.hardfork,
      mnemonic: options.mnemonic,
      vrfKey: bytesToHex(vrfSecretKey) as Hex,
      ...(spec ? { blockGasLimit: spec.blockGasLimit, genesis: spec.genesis } : {}),
      automine: false,
      engine: options.engine,
    });
    try {
      if (spec) checkGenesisBlock(node, spec, options.genesis!);
      const raws = splitBlockRlps(await readFile(file));
      let imported = 0;
      let known = 0;
      for (const raw of raws) {
        let block;
        try {
          block = createBlockFromRLP(raw, { common: node.blocks[0]!.common });
        } catch (error) {
          throw new ChainDataError(`block ${imported + known + 1} of ${file} cannot be decoded: ${error instanceof Error ? error.message : String(error)}`);
        }
        const number = block.header.number;
        const ours = node.blockByNumber(number);
        if (ours !== undefined) {
          // geth skips the blocks it has; a different block at the same height is another chain.
          if (!equalsBytes(ours.block.hash(), block.hash())) throw new BlockImportError(number, [`the database already holds a different block ${number} (${bytesToHex(ours.block.hash())})`]);
          known++;
          continue;
        }
        await (options.engine ? importEngineBlock(node, block) : importBlock(node, block));
        imported++;
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      console.log(`Imported ${imported} blocks (${known} already known) in ${seconds} s; head ${node.headNumber} ${bytesToHex(node.head.hash())}`);
    } finally {
      await node.close();
    }
  });
}

/** The chain id of an existing database, so it reopens without --genesis. */
async function storedChainId(dir: string): Promise<number | undefined> {
  if (!existsSync(dir)) return undefined;
  const store = await LevelStore.open(dir);
  try {
    return (await store.readMeta())?.chainId;
  } finally {
    await store.close();
  }
}

/** A database reopened with --genesis must have been made from it (its chain id and genesis header fields). */
export function checkGenesisBlock(node: DevNode, spec: ChainGenesis, file: string): void {
  const header = node.blocks[0]!.header;
  const wanted = spec.genesis.header;
  const same =
    node.chainId === spec.chainId &&
    header.timestamp === wanted.timestamp &&
    header.gasLimit === wanted.gasLimit &&
    header.baseFeePerGas === wanted.baseFeePerGas &&
    equalsBytes(header.extraData, wanted.extraData) &&
    equalsBytes(header.mixHash, wanted.mixHash) &&
    equalsBytes(header.coinbase.bytes, wanted.coinbase);
  if (!same) throw new GenesisFileError(`the database's genesis block (${bytesToHex(node.blocks[0]!.hash())}) was not made from ${file}.`);
}

// ---------------------------------------------------------------- genesis

export async function writeGenesis(options: GenesisCommandOptions): Promise<void> {
  await reported("genesis", async () => {
    const vrfSecretKey = vrfSecretKeyOf(options);
    const systemAccounts = aivmGenesisAccounts(vrfPublicKeyOf(vrfSecretKey));
    const accounts = options.allocDevAccounts ? deriveDevAccounts(options.mnemonic).map((a) => ({ address: a.address, balance: DEFAULT_ACCOUNT_BALANCE })) : [];
    const json = genesisJsonOf({
      chainId: options.chainId,
      hardfork: options.hardfork,
      timestamp: options.timestamp ?? wallClockSeconds(),
      gasLimit: options.gasLimit,
      baseFeePerGas: INITIAL_BASE_FEE,
      systemAccounts,
      accounts,
    });
    // The hash every node started from the file gets: built by a node in memory, as `aivm node --genesis` builds it.
    const spec = readGenesisJson(json, systemAccounts);
    const node = await DevNode.create({ chainId: spec.chainId, hardfork: spec.hardfork, blockGasLimit: spec.blockGasLimit, genesis: spec.genesis, vrfKey: bytesToHex(vrfSecretKey) as Hex });
    const hash = bytesToHex(node.blocks[0]!.hash());
    await node.close();
    const text = `${JSON.stringify(json, null, 2)}\n`;
    if (options.out === undefined) {
      process.stdout.write(text);
      console.error(`Genesis hash ${hash} (chain id ${spec.chainId}, ${spec.hardfork})`);
    } else {
      await writeFile(options.out, text);
      console.log(`Wrote ${options.out}: genesis hash ${hash} (chain id ${spec.chainId}, ${spec.hardfork}, ${Object.keys(json.alloc).length} accounts in alloc)`);
    }
  });
}

/**
 * A genesis.json's options for DevNode (`aivm node --genesis`, `aivm import --genesis`). The system
 * accounts it may repeat are the ones a node with this VRF key adds.
 */
export async function readGenesisFile(file: string, vrfSecretKey: Uint8Array): Promise<ChainGenesis> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new GenesisFileError(`cannot read ${file} as JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  return readGenesisJson(json, aivmGenesisAccounts(vrfPublicKeyOf(vrfSecretKey)));
}

function vrfSecretKeyOf(options: { mnemonic: string; vrfKey?: Hex }): Uint8Array {
  if (options.vrfKey === undefined) return devVrfSecretKey(options.mnemonic);
  if (!/^0x[0-9a-fA-F]{64}$/.test(options.vrfKey)) throw new ChainDataError("--vrf-key must be 32 bytes of hex (0x followed by 64 hex digits).");
  return hexToBytes(options.vrfKey);
}
