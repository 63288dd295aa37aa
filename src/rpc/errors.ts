// JSON-RPC errors, and the one place where node and engine errors become JSON-RPC error codes.
import { AivmError } from "../engine/errors.ts";
import { CallGasCapError, CallTimeoutError, ExecutionFailedError, ExecutionRevertedError, NodeError, TransactionRejectedError } from "../chain/node-errors.ts";

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** EIP-1474 "transaction rejected" / server error; used for node-level refusals. */
export const SERVER_ERROR = -32000;
/** Execution reverted: the error's data field carries the revert data (geth, Hardhat, anvil). */
export const EXECUTION_REVERTED = 3;
/** EIP-1474: request exceeds a defined limit (body size, batch size, block range). */
export const LIMIT_EXCEEDED = -32005;

/**
 * A JSON-RPC error, in the AivmError hierarchy like every AIVM error: `rpcCode` is the JSON-RPC error
 * code, `code` the AIVM one, and the JSON message is the short message.
 */
export class RpcError extends AivmError {
  override name = "RpcError";
  override readonly code: string = "RPC_ERROR";
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message, { docsPath: "node.md#errors" });
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.rpcCode, message: this.shortMessage } : { code: this.rpcCode, message: this.shortMessage, data: this.data };
  }
}

export class InvalidParamsError extends RpcError {
  override name = "InvalidParamsError";
  override readonly code = "INVALID_PARAMS";
  constructor(message: string) {
    super(INVALID_PARAMS, message);
  }
}

export class MethodNotFoundError extends RpcError {
  override name = "MethodNotFoundError";
  override readonly code = "METHOD_NOT_FOUND";
  constructor(method: string) {
    super(METHOD_NOT_FOUND, `Method ${JSON.stringify(method.slice(0, 80))} is not supported by the AIVM dev node.`);
  }
}

/** Maps any thrown value onto a JSON-RPC error; unknown errors become -32603 with their message. */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  if (error instanceof ExecutionRevertedError) return new RpcError(EXECUTION_REVERTED, revertMessage(error.data), error.data);
  if (error instanceof ExecutionFailedError) return new RpcError(SERVER_ERROR, error.message);
  // The node's own limits, not the contract's behaviour: "request exceeds a defined limit".
  if (error instanceof CallTimeoutError) return new RpcError(LIMIT_EXCEEDED, error.shortMessage, { code: error.code, limit: "rpc.evmtimeout", timeoutMs: error.timeoutMs });
  if (error instanceof CallGasCapError) return new RpcError(LIMIT_EXCEEDED, error.shortMessage, { code: error.code, limit: "rpc.gascap", gasCap: `0x${error.gasCap.toString(16)}` });
  if (error instanceof TransactionRejectedError || error instanceof NodeError) return new RpcError(SERVER_ERROR, error.shortMessage);
  if (error instanceof AivmError) return new RpcError(INVALID_PARAMS, error.shortMessage, { code: error.code, docsPath: error.docsPath });
  const message = error instanceof Error ? error.message : String(error);
  return new RpcError(INTERNAL_ERROR, `Internal error: ${message.split(" -> ")[0]!.slice(0, 500)}`);
}

// Error(string) reverts carry their reason in the message, as geth does; custom errors keep the generic text.
export function revertMessage(data: `0x${string}`): string {
  if (data.startsWith("0x08c379a0") && data.length >= 138) {
    try {
      const length = Number(BigInt(`0x${data.slice(74, 138)}`));
      const bytes = Buffer.from(data.slice(138, 138 + length * 2), "hex");
      return `execution reverted: ${bytes.toString("utf8")}`;
    } catch {
      return "execution reverted";
    }
  }
  return "execution reverted";
}
