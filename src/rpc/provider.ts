// An in-process EIP-1193 provider over a fresh DevNode: what viem's `custom()` transport and the
// Hardhat plugin's in-process network talk to. Errors are thrown as EIP-1193 ProviderRpcErrors
// ({ code, message, data }), so viem decodes reverts the same way it does over HTTP.
import { DevNode, type DevNodeOptions } from "../chain/node.ts";
import { toRpcError } from "./errors.ts";
import { createMethodTable, dispatch } from "./methods.ts";

export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | object;
}

export interface AivmProvider {
  request(args: RequestArguments): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): AivmProvider;
  removeListener(event: string, listener: (...args: unknown[]) => void): AivmProvider;
  /** The node behind the provider (for tests and the Hardhat plugin). */
  readonly node: DevNode;
  close(): Promise<void>;
}

export class ProviderRpcError extends Error {
  override name = "ProviderRpcError";
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface AivmProviderOptions extends DevNodeOptions {
  /** Wrap an existing node instead of creating one. */
  node?: DevNode;
}

export async function createAivmProvider(options: AivmProviderOptions = {}): Promise<AivmProvider> {
  const node = options.node ?? (await DevNode.create(options));
  const table = createMethodTable(node);
  const provider: AivmProvider = {
    node,
    async request({ method, params }) {
      try {
        // JSON round trip: callers get plain JSON values, exactly as over HTTP. A string (eth_call's
        // hex, which can be megabytes) comes back from it unchanged, so it skips it.
        const result = await dispatch(table, method, (Array.isArray(params) ? params : params === undefined ? [] : [params]) as unknown[]);
        if (typeof result === "string") return result;
        return result === undefined ? null : JSON.parse(JSON.stringify(result));
      } catch (error) {
        const rpc = toRpcError(error);
        throw new ProviderRpcError(rpc.rpcCode, rpc.shortMessage, rpc.data);
      }
    },
    on() {
      return provider;
    },
    removeListener() {
      return provider;
    },
    close: () => node.close(),
  };
  return provider;
}
