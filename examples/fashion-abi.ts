// FashionDemo's ABI as a user would write it, plus the address `npm start` deploys it at (dev
// account 0's contract after InferenceDemo and the model's store and registry transactions, so it is
// the same on every fresh node).
import { parseAbi } from "viem";

/** Where `npm start` deploys FashionDemo on a fresh chain (dev account 0, after InferenceDemo and the model's store/registry transactions). */
export const FASHION_DEMO_ADDRESS = "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0";

export const fashionDemoAbi = parseAbi([
  "function classify(bytes image) view returns (uint256 label, string name)",
  "function classifyAndRecord(bytes image) returns (uint256 label, bytes32 logitsCommit)",
  "function modelId() view returns (uint256)",
  "function registry() view returns (address)",
  "event Classified(address indexed caller, uint256 label, bytes32 indexed logitsCommit, bytes32 programHandle)",
]);
