// The viem chain definition of the AIVM dev node.
import { defineChain } from "viem";
import { DEFAULT_CHAIN_ID } from "../../precompiles/addresses.ts";

export const aivmChain = defineChain({
  id: DEFAULT_CHAIN_ID,
  name: "AIVM Dev",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: {
    default: { http: ["http://127.0.0.1:8545"], webSocket: ["ws://127.0.0.1:8545"] },
  },
  testnet: true,
});

/** The same chain at another URL (a node started with --port or --host). */
export function aivmChainAt(url: string) {
  const ws = url.replace(/^http/, "ws");
  return defineChain({ ...aivmChain, rpcUrls: { default: { http: [url], webSocket: [ws] } } });
}
