// The in-process `aivm` network: every JSON-RPC request on a connection to an http network whose
// URL is AIVM_IN_PROCESS_URL is answered here by an AIVM dev node living in this process, one fresh
// chain per connection (like Hardhat's simulated network). Other networks pass through, except that
// an AIVM node's web3_clientVersion is made recognisable to Hardhat's network helpers.
import type { HookContext, NetworkHooks } from "hardhat/types/hooks";
import type { ChainType, NetworkConnection } from "hardhat/types/network";
import type { JsonRpcRequest, JsonRpcResponse } from "hardhat/types/providers";
import { configuredPrivateKeys } from "../accounts.ts";
import { isInProcessUrl } from "../in-process.ts";
import { answerWith, clientVersionForHardhat, lazyAivmProvider, type LazyAivmProvider } from "../provider-bridge.ts";

export default async (): Promise<Partial<NetworkHooks>> => {
  const inProcess = new WeakMap<NetworkConnection<ChainType | string>, LazyAivmProvider>();

  const handlers: Partial<NetworkHooks> = {
    async newConnection<ChainTypeT extends ChainType | string>(
      context: HookContext,
      next: (nextContext: HookContext) => Promise<NetworkConnection<ChainTypeT>>,
    ): Promise<NetworkConnection<ChainTypeT>> {
      const connection = await next(context);
      const config = connection.networkConfig;
      if (config.type === "http" && isInProcessUrl(await config.url.getUrl())) {
        const privateKeys = await configuredPrivateKeys(config.accounts);
        inProcess.set(connection, lazyAivmProvider({ chainId: config.chainId, ...(privateKeys ? { privateKeys } : {}) }));
      }
      return connection;
    },

    async onRequest<ChainTypeT extends ChainType | string>(
      context: HookContext,
      connection: NetworkConnection<ChainTypeT>,
      request: JsonRpcRequest,
      next: (c: HookContext, n: NetworkConnection<ChainTypeT>, r: JsonRpcRequest) => Promise<JsonRpcResponse>,
    ): Promise<JsonRpcResponse> {
      const aivm = inProcess.get(connection);
      const response = aivm ? await answerWith(await aivm.get(), request) : await next(context, connection, request);
      if (request.method === "web3_clientVersion") return clientVersionForHardhat(response);
      return response;
    },

    async closeConnection<ChainTypeT extends ChainType | string>(
      context: HookContext,
      connection: NetworkConnection<ChainTypeT>,
      next: (c: HookContext, n: NetworkConnection<ChainTypeT>) => Promise<void>,
    ): Promise<void> {
      const aivm = inProcess.get(connection);
      inProcess.delete(connection);
      await aivm?.close();
      await next(context, connection);
    },
  };
  return handlers;
};
