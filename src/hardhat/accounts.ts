// The accounts a Hardhat `http` network config names, as private keys for the in-process AIVM node:
// `accounts: [key, ...]` or `accounts: { mnemonic, path, initialIndex, count, passphrase }`. The
// plugin answers requests before Hardhat's local-signing handler, so the node itself must hold
// these keys: they become its funded, unlocked dev accounts. "remote" (the default) keeps the
// node's own dev accounts.
import type { HttpNetworkConfig } from "hardhat/types/config";
import { bytesToHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

export async function configuredPrivateKeys(accounts: HttpNetworkConfig["accounts"]): Promise<Hex[] | undefined> {
  if (accounts === "remote") return undefined;
  if (Array.isArray(accounts)) {
    const keys = await Promise.all(accounts.map((a) => a.get()));
    return keys.map((k) => (k.startsWith("0x") ? k : `0x${k}`) as Hex);
  }
  const mnemonic = await accounts.mnemonic.get();
  const passphrase = await accounts.passphrase.get();
  const keys: Hex[] = [];
  for (let i = 0; i < accounts.count; i++) {
    const account = mnemonicToAccount(mnemonic, { path: `${accounts.path}/${accounts.initialIndex + i}` as `m/44'/60'/${string}`, passphrase });
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error(`No private key derived for account ${accounts.initialIndex + i} of the configured mnemonic.`);
    keys.push(bytesToHex(key));
  }
  return keys;
}
