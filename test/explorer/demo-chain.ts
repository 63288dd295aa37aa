// The chains the explorer's browser tests and screenshots look at. startFashionChain: a node that
// has run the Fashion demo (deployDemo, what `npm start` deploys first), then two classifications
// sent as transactions and mined in one block, so the block's anchor has two leaves and each proof a
// sibling (after the agent work below, so the block is among the overview's latest). startFullDemoChain: `npm start`'s node itself (runNode --demo, language model included)
// with the same classifications and one StoryTeller generation (examples/story-teller.ts). Both
// also get two staked agents whose ticks the scheduler runs (scheduleAgentWork).
import { decodeEventLog, decodeFunctionResult, encodeFunctionData, parseAbi, toHex, type Hex } from "viem";
import { chromium, type Browser } from "playwright-core";
import { runNode } from "../../src/cli/node.ts";
import { DEFAULT_MNEMONIC } from "../../src/cli/commands/defaults.ts";
import { deployDemo, fashionSamples } from "../../src/cli/demo.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { FASHION_DEMO_ADDRESS, fashionDemoAbi } from "../../examples/fashion-abi.ts";
import { STORY_TELLER_ADDRESS, storyTellerAbi } from "../../examples/story-teller-abi.ts";

export const CHROMIUM = "/usr/bin/chromium";

export interface DemoChain {
  server: NodeServer;
  explorerUrl: string;
  /** classifyAndRecord of samples 0 and 1, mined together: one TCUSTOM receipt each over a 28×28 image. */
  fashionTxs: [Hex, Hex];
  /** The block that holds them. */
  fashionBlock: bigint;
  storyTx?: Hex;
}

export async function rpcCall<T = any>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const json = (await res.json()) as { result?: T; error?: { message: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result as T;
}

async function classifyTwoInOneBlock(server: NodeServer): Promise<{ fashionTxs: [Hex, Hex]; fashionBlock: bigint }> {
  const from = server.node.accounts[2]!.address;
  const samples = fashionSamples();
  await rpcCall(server.url, "evm_setAutomine", [false]);
  const fashionTxs: Hex[] = [];
  for (const sample of samples.slice(0, 2)) {
    const data = encodeFunctionData({ abi: fashionDemoAbi, functionName: "classifyAndRecord", args: [sample.input] });
    fashionTxs.push(await rpcCall<Hex>(server.url, "eth_sendTransaction", [{ from, to: FASHION_DEMO_ADDRESS, data, gas: "0x1000000" }]));
  }
  await rpcCall(server.url, "evm_mine");
  await rpcCall(server.url, "evm_setAutomine", [true]);
  const receipt = await rpcCall<{ blockNumber: string; status: string }>(server.url, "eth_getTransactionReceipt", [fashionTxs[1]]);
  if (receipt.status !== "0x1") throw new Error("classifyAndRecord failed");
  return { fashionTxs: fashionTxs as [Hex, Hex], fashionBlock: BigInt(receipt.blockNumber) };
}

/** What the scheduler demo does with AgentScheduler (contracts/interfaces/IAgentScheduler.sol). */
const schedulerWrites = parseAbi([
  "function registerAgent(address callback) payable returns (uint256 agentId)",
  "function submitTick(uint256 agentId, uint8 class_, uint32 callbackGas) payable returns (uint256 requestId)",
  "function quoteTick(uint32 callbackGas) view returns (uint256 units, uint256 fee)",
  "event AgentRegistered(uint256 indexed agentId, address indexed owner, address callback, uint256 stake)",
]);
export const AGENT_SCHEDULER = "0x000000000000000000000000000000000000a121";
/** Two agents staking 1 and 3 stake units (1 ether each on the dev chain). */
export const AGENT_STAKES = [10n ** 18n, 3n * 10n ** 18n] as const;
/** Each agent submits one tick per latency class (RT, Interactive, Bulk). */
export const TICKS_PER_CLASS = AGENT_STAKES.length;

/** Registers the agents, submits their ticks, then mines two epochs' worth of blocks so the scheduler runs them. */
async function scheduleAgentWork(server: NodeServer): Promise<void> {
  const callbackGas = 50_000;
  for (const [i, stake] of AGENT_STAKES.entries()) {
    const owner = server.node.accounts[3 + i]!.address;
    const reg = await rpcCall<Hex>(server.url, "eth_sendTransaction", [{ from: owner, to: AGENT_SCHEDULER, value: toHex(stake), data: encodeFunctionData({ abi: schedulerWrites, functionName: "registerAgent", args: [owner] }) }]);
    const receipt = await rpcCall<{ logs: { data: Hex; topics: [Hex, ...Hex[]] }[] }>(server.url, "eth_getTransactionReceipt", [reg]);
    const agentId = (decodeEventLog({ abi: schedulerWrites, ...receipt.logs[0]! }).args as { agentId: bigint }).agentId;
    for (const cls of [0, 1, 2]) {
      const quoted = await rpcCall<Hex>(server.url, "eth_call", [{ to: AGENT_SCHEDULER, data: encodeFunctionData({ abi: schedulerWrites, functionName: "quoteTick", args: [callbackGas] }) }]);
      const [, fee] = decodeFunctionResult({ abi: schedulerWrites, functionName: "quoteTick", data: quoted });
      const data = encodeFunctionData({ abi: schedulerWrites, functionName: "submitTick", args: [agentId, cls, callbackGas] });
      const tx = await rpcCall<Hex>(server.url, "eth_sendTransaction", [{ from: owner, to: AGENT_SCHEDULER, value: toHex(fee * 2n), data }]);
      const status = (await rpcCall<{ status: string }>(server.url, "eth_getTransactionReceipt", [tx])).status;
      if (status !== "0x1") throw new Error(`submitTick (class ${cls}) failed`);
    }
  }
  await rpcCall(server.url, "hardhat_mine", ["0x14"]);
}

export async function startFashionChain(): Promise<DemoChain> {
  const server = await startNodeServer({ port: 0, host: "127.0.0.1" });
  await deployDemo(server.node);
  await scheduleAgentWork(server);
  const fashion = await classifyTwoInOneBlock(server);
  return { server, explorerUrl: `${server.url}/explorer/`, ...fashion };
}

export async function startFullDemoChain(): Promise<DemoChain> {
  const server = await runNode({ port: 0, host: "127.0.0.1", mnemonic: DEFAULT_MNEMONIC, demo: true, quiet: true });
  await scheduleAgentWork(server);
  const fashion = await classifyTwoInOneBlock(server);
  const tell = encodeFunctionData({ abi: storyTellerAbi, functionName: "tell", args: [toHex("dog: "), 24, Math.round(0.8 * 65536), 40, Math.round(0.95 * 65536)] });
  const storyTx = await rpcCall<Hex>(server.url, "eth_sendTransaction", [{ from: server.node.accounts[2]!.address, to: STORY_TELLER_ADDRESS, data: tell, gas: toHex(50_000_000) }]);
  return { server, explorerUrl: `${server.url}/explorer/`, ...fashion, storyTx };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}
