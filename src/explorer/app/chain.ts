// What the explorer knows about an AIVM chain besides the JSON-RPC: the fixed addresses
// (../../../precompiles/addresses.ts, DESIGN.md) and the ABI fragments of the contracts it reads.
import { parseAbi } from "viem";
import { PRECOMPILE_ADDRESSES, SYSTEM_CONTRACT_ADDRESSES } from "../../../precompiles/addresses.ts";

/** The predeploys (src/chain/predeploys.ts; test/explorer/bundle.test.ts checks they agree). */
export const MODEL_REGISTRY = "0x000000000000000000000000000000000000a120";
export const AGENT_SCHEDULER = "0x000000000000000000000000000000000000a121";
export const BLOCK_ANCHOR = SYSTEM_CONTRACT_ADDRESSES.BlockAnchor;

const NAMES = new Map<string, string>([
  ...Object.entries(PRECOMPILE_ADDRESSES).map(([name, address]) => [address, name] as [string, string]),
  ...Object.entries(SYSTEM_CONTRACT_ADDRESSES).map(([name, address]) => [address, name] as [string, string]),
  [MODEL_REGISTRY, "ModelRegistry"],
  [AGENT_SCHEDULER, "AgentScheduler"],
]);

/** "TCUSTOM", "ModelRegistry", … for a known address. */
export function nameOf(address: string | undefined | null): string | undefined {
  return address ? NAMES.get(address.toLowerCase()) : undefined;
}

export const registryAbi = parseAbi([
  "struct Model { address owner; uint8 kind; uint32 activeVersion; uint32 versionCount; bytes32 name; }",
  "struct Version { bytes32 contentHash; bytes32 weightsRoot; bytes32 programHash; bytes32 programHandle; uint64 gasQuote; uint128 fee; uint16 revenueShareBps; uint8 status; uint16 approvals; uint32 approverSetId; uint64 proposedAt; uint64 eta; uint64 activatedAt; }",
  "struct Resolved { uint32 version; uint8 kind; address owner; bytes32 programHandle; bytes32 contentHash; uint64 gasQuote; uint128 fee; uint16 revenueShareBps; }",
  "function getModel(uint256 modelId) view returns (Model)",
  "function getVersion(uint256 modelId, uint32 version) view returns (Version)",
  "function resolve(uint256 modelId, uint32 pinnedVersion) view returns (Resolved)",
  "event ModelCreated(uint256 indexed modelId, address indexed owner, uint8 kind, bytes32 name)",
  "event VersionApproved(uint256 indexed modelId, uint32 indexed version, address indexed approver, uint16 approvals)",
]);

export const VERSION_STATUS = ["None", "Proposed", "Queued", "Active", "Revoked"] as const;
export const MODEL_KIND = ["Graph", "CustomKernel"] as const;

export const schedulerAbi = parseAbi([
  "struct Config { uint32 epochLength; uint64 capacity; uint64 guaranteedCapacity; uint32 maxCallbackGas; uint96 stakeUnit; uint64 unitPrice; }",
  "struct Agent { address owner; uint96 stake; address callback; uint32 pending; uint16 recentWait; uint128 lastFinish; }",
  "function config() view returns (Config, address registry, address congestion, address governor)",
  "function currentEpoch() view returns (uint64)",
  "function nextSlot() view returns (uint64)",
  "function slotLoad(uint64 slot) view returns (uint64 reservedUnits, uint256 requests)",
  "function bulkBacklog() view returns (uint256)",
  "function getAgent(uint256 agentId) view returns (Agent)",
  "function weightOf(uint256 agentId) view returns (uint256)",
  "struct Request { uint64 agentId; uint64 modelId; uint32 version; uint32 callbackGas; uint8 kind; uint8 class_; uint8 status; uint64 submitEpoch; uint64 deadline; uint64 slot; uint64 units; address requester; uint96 fee; bytes32 input; }",
  "function getRequest(uint256 requestId) view returns (Request)",
  "event AgentRegistered(uint256 indexed agentId, address indexed owner, address callback, uint256 stake)",
  "event RequestSubmitted(uint256 indexed requestId, uint256 indexed agentId, uint8 kind, uint8 class_, uint64 slot, uint64 deadline, uint256 units, uint256 fee)",
]);

export const LATENCY_CLASSES = ["RT", "Interactive", "Bulk"] as const;
/** IAgentScheduler.RequestStatus. */
export const REQUEST_STATUS = { Queued: 1, Executed: 2, Refunded: 3 } as const;

/** contracts/examples/StoryTeller.sol's events: a generation, token by token, with each token's commit. */
export const storyAbi = parseAbi([
  "event StoryStarted(uint256 indexed storyId, address indexed teller, bytes32 seedSalt, uint96 sampler, bytes prompt)",
  "event TokenGenerated(uint256 indexed storyId, uint256 index, uint256 token, bytes32 commit)",
  "event StoryFinished(uint256 indexed storyId, bytes text, bytes32 traceRoot)",
]);
