// StoryTeller's ABI as a user would write it, plus the address `npm start` deploys it at (dev
// account 3's first contract, so it is the same on every fresh node).
import { parseAbi } from "viem";

/** Where `npm start` deploys StoryTeller on a fresh chain (dev account 3, nonce 0). */
export const STORY_TELLER_ADDRESS = "0x057ef64E23666F000b34aE31332854aCBd1c8544";

export const storyTellerAbi = parseAbi([
  "function tell(bytes prompt, uint32 maxTokens, uint32 temperatureQ16, uint32 topK, uint32 topPQ16) returns (uint256 storyId, bytes text)",
  "function generate(bytes prompt, uint32 maxTokens, uint32 temperatureQ16, uint32 topK, uint32 topPQ16, bytes32 salt) view returns (uint256[] tokens, bytes32[] commits)",
  "function begin(bytes prompt, uint32 maxTokens, uint32 temperatureQ16, uint32 topK, uint32 topPQ16) returns (uint256 storyId, bytes text)",
  "function reply(uint256 storyId, bytes text, uint32 maxTokens, uint32 temperatureQ16, uint32 topK, uint32 topPQ16) returns (bytes generated)",
  "function maxContext() view returns (uint256)",
  "event StoryContinued(uint256 indexed storyId, uint256 turn, bytes text)",
  "event StoryStarted(uint256 indexed storyId, address indexed teller, bytes32 seedSalt, uint96 sampler, bytes prompt)",
  "event TokenGenerated(uint256 indexed storyId, uint256 index, uint256 token, bytes32 commit)",
  "event StoryFinished(uint256 indexed storyId, bytes text, bytes32 traceRoot)",
]);
