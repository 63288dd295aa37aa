// Dev accounts: derived from a BIP-39 mnemonic along m/44'/60'/0'/0/i, the same path Hardhat and
// anvil use, so the usual "test test … junk" keys work in wallets and scripts unchanged.
import { mnemonicToAccount, privateKeyToAddress } from "viem/accounts";
import { bytesToHex, type Hex } from "viem";
import { NodeError } from "./node-errors.ts";

export const DEFAULT_MNEMONIC = "test test test test test test test test test test test junk";
/** Hardhat's node default: 20 accounts. */
export const DEFAULT_ACCOUNT_COUNT = 20;
/** 10,000 ETH per dev account. */
export const DEFAULT_ACCOUNT_BALANCE = 10_000n * 10n ** 18n;

export interface DevAccount {
  address: Hex;
  privateKey: Hex;
}

// BIP-39 seed derivation is PBKDF2 with 2048 rounds (~0.5 s); nodes created per test reuse it.
const derived = new Map<string, DevAccount[]>();

export function deriveDevAccounts(mnemonic = DEFAULT_MNEMONIC, count = DEFAULT_ACCOUNT_COUNT): DevAccount[] {
  const memoKey = `${count}:${mnemonic}`;
  const cached = derived.get(memoKey);
  if (cached) return cached.map((a) => ({ ...a }));
  const accounts: DevAccount[] = [];
  for (let addressIndex = 0; addressIndex < count; addressIndex++) {
    const account = mnemonicToAccount(mnemonic, { addressIndex });
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error(`No private key derived for account ${addressIndex}`);
    accounts.push({ address: account.address.toLowerCase() as Hex, privateKey: bytesToHex(key) });
  }
  derived.set(memoKey, accounts);
  return accounts.map((a) => ({ ...a }));
}

/** Dev accounts from explicit private keys (e.g. a Hardhat network's `accounts: [...]`). */
export function devAccountsFromKeys(keys: readonly Hex[]): DevAccount[] {
  return keys.map((key, i) => {
    // The message names the position only: a key is a secret.
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new NodeError(`Private key ${i} is not 32 bytes of 0x-prefixed hex.`);
    const privateKey = key.toLowerCase() as Hex;
    return { address: privateKeyToAddress(privateKey).toLowerCase() as Hex, privateKey };
  });
}
