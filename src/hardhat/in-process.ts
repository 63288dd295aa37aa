// What marks a Hardhat network as AIVM-in-process, and the network the plugin adds by default.
import type { HttpNetworkUserConfig } from "hardhat/types/config";

/**
 * The URL of an in-process AIVM network. Hardhat's `http` networks need a URL; requests to this one
 * never leave the process: the plugin's `onRequest` hook answers them. `.invalid` never resolves,
 * so a misconfigured setup fails loudly instead of reaching some real host.
 */
export const AIVM_IN_PROCESS_URL = "http://in-process.aivm.invalid/";

/** Name of the network the plugin adds when the config does not define it. */
export const AIVM_NETWORK_NAME = "aivm";

/** The `aivm` network: chain id 31337 like Hardhat's own simulated network. */
export const AIVM_NETWORK: HttpNetworkUserConfig = {
  type: "http",
  chainType: "l1",
  url: AIVM_IN_PROCESS_URL,
};

export function isInProcessUrl(url: string): boolean {
  return url === AIVM_IN_PROCESS_URL || url === AIVM_IN_PROCESS_URL.slice(0, -1);
}
