// The demo contract's ABI as a user would write it, plus the address `npm start` deploys it at
// (the first contract of dev account 0, so it is the same on every fresh node).
import { parseAbi } from "viem";

export const DEMO_ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

export const demoAbi = parseAbi([
  "function infer(bytes x) view returns (bytes y)",
  "function inferAndRecord(bytes x) returns (bytes32 outputCommit, uint256 argmax)",
  "function weightsRef() view returns (bytes)",
  "function inferences() view returns (uint256)",
  "event Inferred(address indexed caller, bytes32 indexed outputCommit, uint256 argmax, bytes output)",
  "error ShapeMismatch(string op, string input, string expected, uint32[] actual)",
]);
