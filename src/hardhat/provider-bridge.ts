// Between Hardhat's JSON-RPC objects and the AIVM EIP-1193 provider (src/rpc/provider.ts).
import type { JsonRpcRequest, JsonRpcResponse } from "hardhat/types/providers";
import type { AivmProvider, AivmProviderOptions } from "../rpc/provider.ts";

/** A provider created on first use, so connections that never send a request cost nothing. */
export interface LazyAivmProvider {
  get(): Promise<AivmProvider>;
  close(): Promise<void>;
}

export function lazyAivmProvider(options: AivmProviderOptions = {}): LazyAivmProvider {
  let pending: Promise<AivmProvider> | undefined;
  let closed = false;
  return {
    get() {
      if (closed) return Promise.reject(new Error("The AIVM in-process network connection is closed."));
      // The node (EthereumJS, precompiles) loads on first use, not with the plugin.
      pending ??= import("../rpc/provider.ts").then(({ createAivmProvider }) => createAivmProvider(options));
      return pending;
    },
    async close() {
      closed = true;
      if (pending) await (await pending).close();
    },
  };
}

interface RpcErrorLike {
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

/** Runs one request on the provider and packs the outcome as a JSON-RPC 2.0 response. */
export async function answerWith(provider: AivmProvider, request: JsonRpcRequest): Promise<JsonRpcResponse> {
  try {
    const result = await provider.request({ method: request.method, params: request.params });
    return { jsonrpc: "2.0", id: request.id, result: result ?? null };
  } catch (e) {
    const err = e as RpcErrorLike;
    const code = typeof err.code === "number" ? err.code : -32603;
    const message = typeof err.message === "string" ? err.message : String(e);
    const error = err.data === undefined ? { code, message } : { code, message, data: err.data };
    return { jsonrpc: "2.0", id: request.id, error };
  }
}

/**
 * Hardhat's network helpers (mine, time, snapshots, setBalance) only run on nodes whose
 * web3_clientVersion starts with "HardhatNetwork", "anvil" or "zksync". The AIVM node implements the
 * hardhat_* / evm_* methods they use, so its version is reported as "HardhatNetwork/aivm/<version>".
 */
export function clientVersionForHardhat(response: JsonRpcResponse): JsonRpcResponse {
  if ("result" in response && typeof response.result === "string" && response.result.startsWith("aivm/")) {
    return { ...response, result: `HardhatNetwork/${response.result}` };
  }
  return response;
}
