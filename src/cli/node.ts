// `aivm node`: starts the dev node (HTTP + WebSocket JSON-RPC), prints the accounts, the system
// addresses and a ready-to-run example, and shuts down cleanly on SIGINT/SIGTERM.
import { DEFAULT_HARDFORK } from "../evm/chain-vm.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/index.ts";
import { AGENT_NAMESPACES_ADDRESS, BLOCK_ANCHOR_ADDRESS, CONGESTION_ADDRESS } from "../chain/genesis.ts";
import { deployDemo, demoInferCalldata, type DeployedDemo } from "./demo.ts";
import { deployAgentMemory, deployStoryTellerContract, demoAgentMemoryAddress, demoStoryTellerAddress, lmGenesisAccounts } from "./demo-lm.ts";
import { packLm, type LmPackage } from "../model/lm-package.ts";
import { startNodeServer, type NodeServer } from "../rpc/server.ts";
import { ExposureError, remoteExposureWarning } from "../rpc/access.ts";
import { createAivmRuntime } from "../chain/runtime.ts";
import { devVrfSecretKey } from "../chain/block-randomness.ts";
import { hexToBytes } from "@ethereumjs/util";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readOrCreateJwtSecret } from "../rpc/engine/auth.ts";
import { startEngineServer, type EngineServer } from "../rpc/engine/server.ts";
import { peerBlockSource, peerReceiptSource } from "../rpc/engine/sync.ts";
import { startTxForwarding } from "../rpc/tx-forward.ts";
import { checkGenesisBlock, readGenesisFile } from "./chain-data.ts";
import { GenesisFileError, type ChainGenesis } from "../chain/genesis-json.ts";
import { matmulKernelSummary } from "../engine/kernels/matmul-wasm.ts";
import { matmulWorkerCount } from "../engine/kernels/matmul-threads.ts";

export interface NodeCommandOptions {
  port: number;
  host: string;
  blockTime?: number;
  db?: string;
  mnemonic: string;
  /** The block producer's VRF secret key (hex, 32 bytes); default: derived from the mnemonic. */
  vrfKey?: `0x${string}`;
  demo: boolean;
  quiet?: boolean;
  /** Listen on a host other machines can reach. */
  allowRemote?: boolean;
  /** Browser origins allowed beyond localhost pages. */
  cors?: string[];
  /** Host header names allowed beyond localhost and IP literals. */
  allowedHosts?: string[];
  /** Gas limit of the blocks the node mines; default DEFAULT_BLOCK_GAS_LIMIT. */
  blockGasLimit?: bigint;
  /** Gas cap of eth_call, eth_estimateGas and aivm_quote; 0n: none; default the block gas limit. */
  "rpc.gascap"?: bigint;
  /** Their wall-clock deadline in ms; 0: none. */
  "rpc.evmtimeout"?: number;
  /** The EVM rules: one of NODE_HARDFORKS; default DEFAULT_HARDFORK. */
  hardfork?: string;
  /** TEST ONLY: the opcode whose receipts get one output-commit bit flipped (AivmRuntimeOptions.injectFault). */
  injectFault?: string;
  /** Execution-client mode: blocks only from a consensus client, through the Engine API on the auth port. */
  engine?: boolean;
  "authrpc.port"?: number;
  "authrpc.addr"?: string;
  /** The JWT secret file; created when missing. */
  "authrpc.jwtsecret"?: string;
  /** With --engine: JSON-RPC URLs of the nodes missed blocks are fetched from (../rpc/engine/sync.ts). */
  syncPeers?: string[];
  /** JSON-RPC URLs of the nodes every pooled transaction is forwarded to (../rpc/tx-forward.ts). */
  txPeers?: string[];
  /** A geth-style genesis.json: its chain id, fork, gas limit and genesis block replace the defaults. */
  genesis?: string;
}

/** `aivm node` (the command: ./commands/node.ts). */
export async function startNode(options: NodeCommandOptions): Promise<void> {
  if (options.engine && (options.demo || options.blockTime !== undefined)) {
    console.error("aivm node: with --engine the blocks come from the consensus client; --demo and --block-time need a node that mines its own.");
    process.exitCode = 1;
    return;
  }
  try {
    await runNode(options);
  } catch (error) {
    // A refused setting is the user's to fix: say what to do, without a stack trace.
    if (!(error instanceof ExposureError || error instanceof GenesisFileError)) throw error;
    console.error(`aivm node: ${error.message}`);
    process.exitCode = 1;
  }
}

/** The runtime of a node started with --inject-fault: the node's own VRF key, and the fault. */
function faultyRuntime(options: NodeCommandOptions) {
  console.error(`aivm node: TEST ONLY: every ${options.injectFault} receipt is recorded with a flipped output-commit bit (--inject-fault)`);
  const vrfSecretKey = options.vrfKey ? hexToBytes(options.vrfKey) : devVrfSecretKey(options.mnemonic);
  return createAivmRuntime({ vrfSecretKey, injectFault: options.injectFault });
}

export async function runNode(options: NodeCommandOptions): Promise<NodeServer> {
  // The demo chain's genesis holds the language model's blobs as TSTORE would write them (docs/lm.md).
  const lm: LmPackage | undefined = options.demo ? packLm().pkg : undefined;
  const fromFile = options.genesis ? await genesisOptions(options.genesis, options) : undefined;
  const server = await startNodeServer({
    ...(lm ? { genesisAccounts: lmGenesisAccounts(lm) } : {}),
    port: options.port,
    host: options.host,
    blockTime: options.blockTime,
    dbPath: options.db,
    mnemonic: options.mnemonic,
    vrfKey: options.vrfKey,
    allowRemote: options.allowRemote,
    corsOrigins: options.cors,
    allowedHosts: options.allowedHosts,
    blockGasLimit: options.blockGasLimit,
    rpcGasCap: options["rpc.gascap"],
    rpcEvmTimeoutMs: options["rpc.evmtimeout"],
    hardfork: options.hardfork,
    ...(options.injectFault ? { runtime: faultyRuntime(options) } : {}),
    ...(options.engine ? { engine: true } : {}),
    ...fromFile,
  });
  const { node } = server;
  if (fromFile) await checkedGenesis(server, fromFile, options.genesis!);
  const engine = options.engine ? await startEngine(server, options) : undefined;
  // Even with --quiet: whoever opened the node to the network must see what that gives away.
  if (server.remote) console.error(remoteExposureWarning(server.host, server.port, node.accounts.length));
  // Without this, a transaction dropped at block building (automine off) would vanish silently.
  node.on("droppedTransaction", ({ hash, reason }) => console.error(`aivm node: dropped transaction ${hash}: ${reason}`));
  let demo: DeployedDemo | undefined;
  let agents: AgentDemos | undefined;
  if (options.demo && node.headNumber === 0n) {
    demo = await deployDemo(node);
    agents = { storyTeller: await deployStoryTellerContract(node, lm!), agentMemory: await deployAgentMemory(node), lm: lm! };
  } else if (options.demo) {
    agents = { storyTeller: demoStoryTellerAddress(node), agentMemory: demoAgentMemoryAddress(node), lm: lm! };
  }
  const forwarding = options.txPeers?.length ? startTxForwarding(node, options.txPeers) : undefined;
  if (!options.quiet) printBanner(server, options, demo, agents);
  if (engine) console.log(`Engine API on ${engine.server.url} (JWT secret ${engine.secretPath})`);
  // The last line: scripts and tests wait for it.
  console.log(`Listening on ${server.url} (WebSocket ${server.wsUrl}), chain id ${node.chainId}, head block ${node.headNumber}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await forwarding?.stop();
    await engine?.server.close();
    await server.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  return server;
}

/** --genesis: the file's chain id, fork, block gas limit and genesis block. */
async function genesisOptions(file: string, options: NodeCommandOptions) {
  const { chainId, hardfork, blockGasLimit, genesis } = await readGenesisFile(file, options.vrfKey ? hexToBytes(options.vrfKey) : devVrfSecretKey(options.mnemonic));
  return { chainId, hardfork, blockGasLimit, genesis };
}

/** A --db chain reopened with --genesis must have been made from that file. */
async function checkedGenesis(server: NodeServer, spec: ChainGenesis, file: string): Promise<void> {
  try {
    checkGenesisBlock(server.node, spec, file);
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** --engine: the Engine API on the auth port, with the JWT secret file (created when missing, as geth does). */
async function startEngine(server: NodeServer, options: NodeCommandOptions): Promise<{ server: EngineServer; secretPath: string }> {
  const secretPath = options["authrpc.jwtsecret"] ?? join(options.db ?? mkdtempSync(join(tmpdir(), "aivm-engine-")), "jwtsecret");
  const { secret } = readOrCreateJwtSecret(secretPath);
  if (options.syncPeers?.length) {
    server.node.engine?.setBlockSource(peerBlockSource(options.syncPeers));
    server.node.engine?.setReceiptSource(peerReceiptSource(options.syncPeers));
  }
  const engine = await startEngineServer({ node: server.node, jwtSecret: secret, host: options["authrpc.addr"], port: options["authrpc.port"] });
  return { server: engine, secretPath };
}

/** The agent demos: the language model's StoryTeller and an AgentMemory for sentence embeddings. */
interface AgentDemos {
  storyTeller: `0x${string}`;
  agentMemory: `0x${string}`;
  lm: LmPackage;
}

function printBanner(server: NodeServer, options: NodeCommandOptions, demo: DeployedDemo | undefined, agents?: AgentDemos): void {
  const { node } = server;
  const lines: string[] = [];
  lines.push("AIVM dev node", "");
  const mining = options.engine ? "by a consensus client through the Engine API (--engine)" : options.blockTime ? `a block every ${options.blockTime} s` : "automine (one block per transaction)";
  lines.push(`Mining:   ${mining}`);
  lines.push(`Storage:  ${options.db ? `LevelDB at ${options.db}` : "in memory"}`);
  lines.push(`Hardfork: ${options.hardfork ?? DEFAULT_HARDFORK} (--hardfork)`);
  const cap = node.callGasCap === 0n ? "no gas cap" : `gas cap ${node.callGasCap}`;
  const deadline = node.rpcEvmTimeoutMs === 0 ? "no deadline" : `deadline ${node.rpcEvmTimeoutMs} ms`;
  lines.push(`Calls:    eth_call, eth_estimateGas and aivm_quote: ${cap}, ${deadline} (--rpc.gascap, --rpc.evmtimeout)`);
  const helpers = matmulWorkerCount();
  lines.push(`Engine:   matmul kernel ${matmulKernelSummary()}, ${helpers} matmul thread${helpers === 1 ? "" : "s"} beside the calling one (AIVM_MATMUL_KERNEL, AIVM_MATMUL_THREADS)`);
  lines.push(`Explorer: ${server.url}/explorer/ (blocks, transactions, AIVM ops and tensors, models, scheduler; docs/explorer.md)`, "");
  lines.push("Accounts (10,000 ETH each)", "==========================");
  node.accounts.forEach((a, i) => lines.push(`(${i}) ${a.address}`, `    private key: ${a.privateKey}`));
  lines.push("", `Mnemonic: ${node.mnemonic}`, "Path:     m/44'/60'/0'/0/{i}", "");
  lines.push("AIVM precompiles", "================");
  for (const [name, address] of Object.entries(PRECOMPILE_ADDRESSES)) lines.push(`${name.padEnd(9)} ${address}`);
  lines.push("", "System contracts", "================");
  lines.push(`BlockAnchor      ${BLOCK_ANCHOR_ADDRESS}`, `Congestion       ${CONGESTION_ADDRESS}`, `AgentNamespaces  ${AGENT_NAMESPACES_ADDRESS}`);
  if (demo) {
    lines.push("", "Demo model", "==========");
    lines.push(`${demo.name} at ${demo.address} (weights int8[4,3] in the persistent tensor store)`);
    if (demo.fashion) {
      const f = demo.fashion;
      lines.push(`Fashion-MNIST MLP: model id ${f.modelId} in ModelRegistry ${f.registry}, classifier at ${f.address} (${f.quoteGas} AIVM gas per image), try: npx tsx examples/fashion-classify.ts ${server.url}`);
    }
    if (agents) {
      const c = agents.lm.config;
      lines.push(
        `Language model (${c.n_layers} layers, d ${c.d_model}, context ${c.max_context}, ${agents.lm.stepQuote.gas} gas per token): StoryTeller at ${agents.storyTeller}, try: npx tsx examples/story-teller.ts ${server.url}`,
        `Agent memory (int8 sentence embeddings, on-chain top-k): AgentMemory at ${agents.agentMemory}, try: npx tsx examples/agent-memory.ts ${server.url}`,
      );
    }
    lines.push("", "Try it:", `  npx tsx examples/viem-inference.ts ${server.url}`, `  npx tsx examples/ethers-inference.ts ${server.url}`, "");
    lines.push(
      "  curl -s -X POST -H 'content-type: application/json' \\",
      `    --data '{"jsonrpc":"2.0","id":1,"method":"aivm_quote","params":[{"to":"${demo.address}","data":"${demoInferCalldata(demo)}"}]}' \\`,
      `    ${server.url}`,
    );
  } else {
    lines.push("", "Try it:", `  curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' ${server.url}`);
  }
  lines.push("");
  console.log(lines.join("\n"));
}
