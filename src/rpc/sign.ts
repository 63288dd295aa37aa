// Signing with the node's unlocked dev accounts: eth_sign, personal_sign and eth_signTypedData_v4,
// as Hardhat's node answers them. The signatures are viem's (noble secp256k1), never hand-rolled.
import { hashTypedData, type TypedDataDefinition } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DevNode } from "../chain/node.ts";
import { InvalidParamsError, RpcError, SERVER_ERROR } from "./errors.ts";

type Hex = `0x${string}`;

function devKey(node: DevNode, who: Hex): Hex {
  const account = node.accounts.find((a) => a.address.toLowerCase() === who);
  // Impersonated accounts send transactions without a key; they cannot sign.
  if (!account) throw new RpcError(SERVER_ERROR, `Unknown account ${who}: only the node's dev accounts can sign.`);
  return account.privateKey;
}

/** EIP-191 personal message over the raw bytes of `message` (eth_sign and personal_sign). */
export async function signPersonalMessage(node: DevNode, who: Hex, message: Hex): Promise<Hex> {
  return privateKeyToAccount(devKey(node, who)).signMessage({ message: { raw: message } });
}

/** EIP-712 v4; the typed data may be a JSON string (what viem and MetaMask send) or an object. */
export async function signTypedDataV4(node: DevNode, who: Hex, raw: unknown): Promise<Hex> {
  let typedData: unknown = raw;
  if (typeof raw === "string") {
    try {
      typedData = JSON.parse(raw);
    } catch {
      throw new InvalidParamsError("Invalid typedData: expected EIP-712 typed data as an object or a JSON string.");
    }
  }
  if (typedData === null || typeof typedData !== "object" || Array.isArray(typedData)) {
    throw new InvalidParamsError("Invalid typedData: expected an object with domain, types, primaryType and message.");
  }
  const { domain, types, primaryType, message } = typedData as Record<string, unknown>;
  if (typeof types !== "object" || types === null || typeof primaryType !== "string" || typeof message !== "object" || message === null) {
    throw new InvalidParamsError("Invalid typedData: expected an object with domain, types, primaryType and message.");
  }
  const definition = { domain: domain ?? {}, types, primaryType, message } as unknown as TypedDataDefinition;
  try {
    hashTypedData(definition);
  } catch (e) {
    throw new InvalidParamsError(`Invalid typedData: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`);
  }
  return privateKeyToAccount(devKey(node, who)).signTypedData(definition);
}
