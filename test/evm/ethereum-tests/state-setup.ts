// Pre-state of a test ("pre": address → balance, nonce, code, storage), written as genesis is.
import { Account, Address, hexToBytes, setLengthLeft, type PrefixedHexString } from "@ethereumjs/util";
import type { MerkleStateManager } from "@ethereumjs/statemanager";

export interface PreAccount {
  balance: string;
  nonce: string;
  code: string;
  storage: Record<string, string>;
}

/** Hex as the fixtures write it ("0x", odd lengths) to bytes. */
export function bytesOf(hex: string): Uint8Array {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  return hexToBytes(`0x${digits.length % 2 === 1 ? "0" : ""}${digits}` as PrefixedHexString);
}

export function addressOf(hex: string): Address {
  return new Address(setLengthLeft(bytesOf(hex), 20));
}

export async function writePreState(state: MerkleStateManager, pre: Record<string, PreAccount>): Promise<void> {
  await state.checkpoint();
  for (const [address, a] of Object.entries(pre)) {
    const at = addressOf(address);
    await state.putAccount(at, new Account(BigInt(a.nonce), BigInt(a.balance)));
    const code = bytesOf(a.code);
    if (code.length > 0) await state.putCode(at, code);
    for (const [key, value] of Object.entries(a.storage)) {
      if (BigInt(value) === 0n) continue;
      await state.putStorage(at, setLengthLeft(bytesOf(key), 32), bytesOf(value));
    }
  }
  await state.commit();
}
