// Errors the dev node raises. The RPC layer maps each class onto one JSON-RPC error code
// (src/rpc/errors.ts), so callers see a stable code and a short message.
import { AivmError } from "../engine/errors.ts";

/** A node-level problem: unknown block, bad timestamp, database mismatch. */
export class NodeError extends AivmError {
  override name = "NodeError";
  override readonly code: string = "NODE_ERROR";
  constructor(message: string) {
    super(message, { docsPath: "node.md" });
  }
}

/** The transaction was not accepted (nonce, funds, fee, signature, gas limit). Nothing was mined. */
export class TransactionRejectedError extends NodeError {
  override name = "TransactionRejectedError";
  override readonly code = "TX_REJECTED";
}

/** The call reverted; `data` is the revert data (a custom error or Error(string) encoding). */
export class ExecutionRevertedError extends NodeError {
  override name = "ExecutionRevertedError";
  override readonly code = "EXECUTION_REVERTED";
  constructor(readonly data: `0x${string}`) {
    super("execution reverted");
  }
}

/** The call failed without revert data: out of gas, invalid opcode, stack overflow... */
export class ExecutionFailedError extends NodeError {
  override name = "ExecutionFailedError";
  override readonly code = "EXECUTION_FAILED";
  constructor(readonly reason: string) {
    super(`execution failed: ${reason}`);
  }
}

/** eth_call, eth_estimateGas or aivm_quote ran past the RPC deadline and was stopped (--rpc.evmtimeout). */
export class CallTimeoutError extends NodeError {
  override name = "CallTimeoutError";
  override readonly code = "CALL_TIMEOUT";
  constructor(readonly timeoutMs: number) {
    super(`Execution stopped after the RPC deadline of ${timeoutMs} ms (--rpc.evmtimeout; 0 disables it).`);
  }
}

/** The call ran out of gas at the RPC gas cap rather than at a limit the caller chose (--rpc.gascap). */
export class CallGasCapError extends NodeError {
  override name = "CallGasCapError";
  override readonly code = "CALL_GAS_CAP";
  constructor(readonly gasCap: bigint) {
    super(`Gas required exceeds the RPC gas cap of ${gasCap} (--rpc.gascap; default: the block gas limit).`);
  }
}
