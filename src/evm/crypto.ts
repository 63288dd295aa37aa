// Native secp256k1 (libsecp256k1 through the `secp256k1` package's prebuilt binding) for the
// dev node's Common. Pure-JS recovery costs milliseconds per transaction and bounds the node's
// throughput; libsecp256k1 gives the same results (same curve maths, RFC 6979 nonces, low-S) in
// tens of microseconds. When the binding cannot load, the node keeps EthereumJS's JS crypto.
// How nativeEcrecover differs from EthereumJS's ecrecover: src/evm/upstream/crypto-ecrecover.diff.
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import type { CustomCrypto } from "@ethereumjs/common";
import { calculateSigRecovery, concatBytes, setLengthLeft } from "@ethereumjs/util";
import { keccak256One } from "../commit/keccak.ts";

/** The part of the `secp256k1` package's native binding this module uses. */
interface NativeSecp256k1 {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array, options?: { data?: Uint8Array }): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
}

type EcSign = typeof secp256k1.sign;
type SignOptions = NonNullable<Parameters<EcSign>[2]>;

/** Loads the native binding (not the package's elliptic fallback, which is slower than noble). */
function loadNative(): NativeSecp256k1 | undefined {
  try {
    const native = createRequire(import.meta.url)("secp256k1/bindings") as NativeSecp256k1;
    return typeof native.ecdsaRecover === "function" && typeof native.ecdsaSign === "function" ? native : undefined;
  } catch {
    return undefined;
  }
}

/** EthereumJS's `ecrecover` contract on libsecp256k1: the 64-byte uncompressed key without its 0x04 prefix. */
export function nativeEcrecover(native: NativeSecp256k1): NonNullable<CustomCrypto["ecrecover"]> {
  return (msgHash, v, r, s, chainId) => {
    const recovery = calculateSigRecovery(v, chainId);
    if (recovery !== 0n && recovery !== 1n) throw new Error("Invalid signature v value");
    const signature = concatBytes(setLengthLeft(r, 32), setLengthLeft(s, 32));
    return native.ecdsaRecover(signature, Number(recovery), msgHash, false).slice(1);
  };
}

/**
 * noble's `sign` contract on libsecp256k1, for the options EthereumJS passes (a 32-byte digest,
 * low-S, compact or recovered output, optional 32-byte extra entropy); anything else goes to noble.
 */
export function nativeEcsign(native: NativeSecp256k1): EcSign {
  return (message: Uint8Array, secretKey: Uint8Array, options: SignOptions = {}) => {
    const format = options.format ?? "compact";
    const entropy = options.extraEntropy === true ? randomBytes(32) : options.extraEntropy || undefined;
    const supported =
      options.prehash === false &&
      options.lowS !== false &&
      (format === "compact" || format === "recovered") &&
      message.length === 32 &&
      (entropy === undefined || entropy.length === 32);
    if (!supported) return secp256k1.sign(message, secretKey, options);
    const { signature, recid } = native.ecdsaSign(message, secretKey, entropy ? { data: entropy } : {});
    return format === "recovered" ? concatBytes(Uint8Array.of(recid), signature) : Uint8Array.from(signature);
  };
}

const native = loadNative();

/** True when the native binding loaded (else `defaultCustomCrypto()` has no signature functions: EthereumJS's JS ones). */
export const nativeSecp256k1Loaded = native !== undefined;

/** The dev node's default Common crypto: WASM keccak256 and native ecrecover/ecsign (EthereumJS's JS ones when the binding cannot load). */
export function defaultCustomCrypto(): CustomCrypto {
  if (!native) return { keccak256: keccak256One };
  return { keccak256: keccak256One, ecrecover: nativeEcrecover(native), ecsign: nativeEcsign(native) };
}

/** The native binding, for tests comparing it with the JS implementation. */
export function nativeSecp256k1(): NativeSecp256k1 | undefined {
  return native;
}
