// Per-block VRF randomness (docs/vrf.md): the producer proves ECVRF-EDWARDS25519-SHA512-TAI over
// alpha = parentHash ‖ uint64be(blockNumber) at the start of each block (in engine mode the output is
// derived from the payload's prevRandao instead: randaoBlockVrf) and writes proof and output
// into the BlockRandomness system contract at 0x…A113, whose storage layout is fixed by the slot
// constants in contracts/system/BlockRandomness.sol (mirrored here).
import type { StateManagerInterface } from "@ethereumjs/common";
import { Address, bigIntToBytes, bytesToBigInt, bytesToHex, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { keccak256One } from "../commit/keccak.ts";
import { VRF_OUTPUT_BYTES, VRF_PROOF_BYTES, vrfKeygen, vrfProofToHash, vrfProve } from "../commit/vrf.ts";
import { DEFAULT_MNEMONIC } from "./accounts.ts";
import { BLOCK_RANDOMNESS_ADDRESS } from "../../precompiles/addresses.ts";
import type { GenesisAccount } from "./types.ts";

type Hex = `0x${string}`;

export { BLOCK_RANDOMNESS_ADDRESS };
/** BlockRandomness.PUBLIC_KEY_SLOT, LATEST_SLOT and RECORDS_SLOT. */
export const VRF_PUBLIC_KEY_SLOT = 0n;
export const VRF_LATEST_SLOT = 1n;
export const VRF_RECORDS_SLOT = 2n;
/** Words per block record: beta (2), then pi (3, the last one holding pi[64:80] left-aligned). */
const RECORD_WORDS = 5;

/** One block's VRF evaluation. */
export interface BlockVrf {
  blockNumber: bigint;
  /** parentHash (32) ‖ uint64 big-endian blockNumber (8). */
  alpha: Uint8Array;
  /** 80-byte proof. */
  pi: Uint8Array;
  /** 64-byte output. */
  beta: Uint8Array;
}

const word = (v: bigint): Uint8Array => setLengthLeft(bigIntToBytes(v), 32);

/** The VRF input of block `blockNumber`. */
export function vrfAlpha(parentHash: Uint8Array, blockNumber: bigint): Uint8Array {
  const alpha = new Uint8Array(40);
  alpha.set(setLengthLeft(parentHash, 32), 0);
  new DataView(alpha.buffer).setBigUint64(32, blockNumber);
  return alpha;
}

/**
 * The dev producer's VRF secret key: keccak256("AIVM dev VRF key" ‖ mnemonic). Derived from the
 * node's mnemonic so every dev node on the same mnemonic has the same, public, key; a real producer
 * passes its own (`aivm node --vrf-key`).
 */
export function devVrfSecretKey(mnemonic: string = DEFAULT_MNEMONIC): Uint8Array {
  return keccak256One(concatBytes(utf8ToBytes("AIVM dev VRF key"), utf8ToBytes(mnemonic)));
}

/** Proves block `blockNumber`'s VRF over its parent hash. */
export function proveBlockVrf(secretKey: Uint8Array, parentHash: Uint8Array, blockNumber: bigint): BlockVrf {
  const alpha = vrfAlpha(parentHash, blockNumber);
  const pi = vrfProve(secretKey, alpha);
  return { blockNumber, alpha, pi, beta: vrfProofToHash(pi) };
}

/**
 * Engine mode's rule (docs/vrf.md#engine-mode): block `blockNumber`'s randomness from the beacon
 * chain's RANDAO mix the payload carries as prevRandao, so any node re-executes a block from its
 * payload alone. beta = SHA-512("AIVM.randao" ‖ prevRandao ‖ alpha); there is no producer key, so
 * the proof is 80 zero bytes.
 */
export function randaoBlockVrf(prevRandao: Uint8Array, parentHash: Uint8Array, blockNumber: bigint): BlockVrf {
  const alpha = vrfAlpha(parentHash, blockNumber);
  const beta = sha512(concatBytes(RANDAO_DOMAIN, setLengthLeft(prevRandao, 32), alpha));
  return { blockNumber, alpha, pi: new Uint8Array(VRF_PROOF_BYTES), beta };
}

const RANDAO_DOMAIN = utf8ToBytes("AIVM.randao");

/** The first storage slot of a block's record: keccak256(abi.encode(blockNumber, RECORDS_SLOT)). */
export function vrfRecordSlot(blockNumber: bigint): bigint {
  return bytesToBigInt(keccak256One(concatBytes(word(blockNumber), word(VRF_RECORDS_SLOT))));
}

const recordSlots = (blockNumber: bigint): Uint8Array[] => {
  const base = vrfRecordSlot(blockNumber);
  return Array.from({ length: RECORD_WORDS }, (_, i) => word((base + BigInt(i)) % 2n ** 256n));
};

/** The BlockRandomness predeploy's genesis account: its code and the producer's public key. */
export function blockRandomnessGenesis(code: Hex, publicKey: Uint8Array): GenesisAccount {
  return { address: BLOCK_RANDOMNESS_ADDRESS, code, storage: { [bytesToHex(word(VRF_PUBLIC_KEY_SLOT)) as Hex]: bytesToHex(publicKey) as Hex } };
}

/** The public key of a VRF secret key, as genesis stores it. */
export function vrfPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return vrfKeygen(secretKey).publicKey;
}

const contract = new Address(hexToBytes(BLOCK_RANDOMNESS_ADDRESS));

/** The (slot, value) writes of a record, worked out once per evaluation: eth_call writes the pending block's before every call. */
const recordWrites = new WeakMap<BlockVrf, [Uint8Array, Uint8Array][]>();

function writesOf(vrf: BlockVrf): [Uint8Array, Uint8Array][] {
  let writes = recordWrites.get(vrf);
  if (writes === undefined) {
    const pi2 = new Uint8Array(32);
    pi2.set(vrf.pi.subarray(64, VRF_PROOF_BYTES));
    const values = [vrf.beta.slice(0, 32), vrf.beta.slice(32, 64), vrf.pi.slice(0, 32), vrf.pi.slice(32, 64), pi2];
    writes = recordSlots(vrf.blockNumber).map((slot, i): [Uint8Array, Uint8Array] => [slot, values[i]!]);
    writes.push([word(VRF_LATEST_SLOT), word(vrf.blockNumber)]);
    recordWrites.set(vrf, writes);
  }
  return writes;
}

/**
 * Writes a block's record and marks it the latest. A chain whose genesis predates BlockRandomness
 * has no such account: nothing is written there (its seed handles still use the output).
 */
export async function writeBlockVrf(state: StateManagerInterface, vrf: BlockVrf): Promise<void> {
  if ((await state.getAccount(contract)) === undefined) return;
  for (const [slot, value] of writesOf(vrf)) await state.putStorage(contract, slot, value);
}

/** A block's stored proof and output, or undefined when the block has no record. */
export async function readBlockVrf(state: StateManagerInterface, blockNumber: bigint): Promise<{ pi: Uint8Array; beta: Uint8Array } | undefined> {
  const words = [];
  for (const slot of recordSlots(blockNumber)) words.push(setLengthLeft(await state.getStorage(contract, slot), 32));
  const beta = concatBytes(words[0]!, words[1]!);
  if (beta.every((b) => b === 0)) return undefined;
  return { beta: beta.slice(0, VRF_OUTPUT_BYTES), pi: concatBytes(words[2]!, words[3]!, words[4]!.subarray(0, 16)) };
}

/** The producer public key stored at genesis. */
export async function readVrfPublicKey(state: StateManagerInterface): Promise<Uint8Array> {
  return setLengthLeft(await state.getStorage(contract, word(VRF_PUBLIC_KEY_SLOT)), 32);
}
