// AgentMemory's ABI as a user would write it, plus the address `npm start` deploys it at (dev
// account 4's first contract, so it is the same on every fresh node).
import { parseAbi } from "viem";

/** Where `npm start` deploys AgentMemory(512) on a fresh chain (dev account 4, nonce 0). */
export const AGENT_MEMORY_ADDRESS = "0xbdEd0D2bf404bdcBa897a74E6657f1f12e5C6fb6";

export const agentMemoryAbi = parseAbi([
  "function remember(bytes[] embeddings) returns (uint256 firstId)",
  "function recall(bytes query, uint256 k) view returns (uint256[] ids, int256[] scores)",
  "function size() view returns (uint256)",
  "event Remembered(uint256 indexed firstId, uint256 count, bytes32 indexed pageId, bytes32 manifestId)",
]);
