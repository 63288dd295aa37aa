// The pre-state a re-execution reads, proven: every account, storage slot and code the verifier's
// VM asks the node for is checked against the parent block's state root (eth_getProof's account
// and storage proofs; code against the proven account's code hash). A node that serves another
// pre-state (other weights than it ran, say) fails here instead of steering the re-execution.
import { RLP } from "@ethereumjs/rlp";
import { RPCStateManager, type RPCStateManagerOpts } from "@ethereumjs/statemanager";
import { verifyMerkleProof as verifyTrieProof } from "@ethereumjs/mpt";
import { Account, Address, KECCAK256_NULL, bytesToHex, createAccountFromRLP, equalsBytes, hexToBytes } from "@ethereumjs/util";
import { keccak256 } from "../../commit/keccak.ts";
import { AivmError } from "../../engine/errors.ts";
import type { JsonRpcClient } from "./json-rpc.ts";

type Hex = `0x${string}`;

/** The node served state that its proof does not tie to the parent block's state root. */
export class UnprovenStateError extends AivmError {
  override name = "UnprovenStateError";
  override readonly code = "UNPROVEN_STATE";
  constructor(readonly what: string) {
    super(`pre-state: ${what} does not match the parent block's state root`, { docsPath: "verify.md#aivm-verify" });
  }
}

interface ProofResponse {
  accountProof: Hex[];
  storageProof: { key: Hex; value: Hex; proof: Hex[] }[];
}

/** A proof's trie value under `root` (null: proven absent); throws unless the proof is rooted there. */
async function provenValue(root: Uint8Array, key: Uint8Array, proof: Hex[], what: string, failed: string[]): Promise<Uint8Array | null> {
  try {
    return await provenValueOrThrow(root, key, proof, what);
  } catch (e) {
    if (e instanceof UnprovenStateError) failed.push(e.shortMessage);
    throw e;
  }
}

async function provenValueOrThrow(root: Uint8Array, key: Uint8Array, proof: Hex[], what: string): Promise<Uint8Array | null> {
  const nodes = proof.map((p) => hexToBytes(p));
  if (nodes.length === 0 || !equalsBytes(keccak256(nodes[0]!), root)) throw new UnprovenStateError(what);
  try {
    return await verifyTrieProof(key, nodes, { useKeyHashing: true });
  } catch {
    throw new UnprovenStateError(what);
  }
}

export class ProvenRpcStateManager extends RPCStateManager {
  /** Proven pre-state accounts (undefined: proven absent), for storage roots and code hashes. */
  private readonly proven = new Map<string, Account | undefined>();
  /** Reads checked against the root, for the report. */
  provenReads = 0;
  /**
   * Reads that failed their proof. A precompile turns the thrown UnprovenStateError into a revert
   * of its call, so the verifier reports these rather than the re-execution's knock-on differences.
   */
  readonly unproven: string[] = [];

  constructor(
    opts: RPCStateManagerOpts,
    private readonly stateRoot: Uint8Array,
    private readonly client: JsonRpcClient,
  ) {
    super(opts);
  }

  private async provenAccount(address: Address, slots: Uint8Array[] = []): Promise<{ account: Account | undefined; proof: ProofResponse }> {
    const proof = await this.client.request<ProofResponse>("eth_getProof", [address.toString(), slots.map((s) => bytesToHex(s)), this._blockTag]);
    const rlp = await provenValue(this.stateRoot, address.bytes, proof.accountProof, `account ${address}`, this.unproven);
    const account = rlp === null ? undefined : createAccountFromRLP(rlp);
    this.proven.set(address.toString(), account);
    this.provenReads++;
    return { account, proof };
  }

  override async getAccountFromProvider(address: Address): Promise<Account> {
    const { account } = await this.provenAccount(address);
    // RPCStateManager reads a zero code hash as "no account".
    return account ?? new Account(0n, 0n, undefined, new Uint8Array(32));
  }

  override async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const cached = this._caches.storage?.get(address, key);
    if (cached !== undefined) return cached;
    const { account, proof } = await this.provenAccount(address, [key]);
    let value: Uint8Array = new Uint8Array();
    if (account !== undefined) {
      const nodes = proof.storageProof[0]?.proof ?? [];
      // An empty storage trie has no nodes to prove absence with.
      const empty = nodes.length === 0 && equalsBytes(account.storageRoot, KECCAK_EMPTY_TRIE);
      const leaf = empty ? null : await provenValue(account.storageRoot, key, nodes, `slot ${bytesToHex(key)} of ${address}`, this.unproven);
      if (leaf !== null) value = RLP.decode(leaf) as Uint8Array;
    }
    await this.putStorage(address, key, value);
    return value;
  }

  override async getCode(address: Address): Promise<Uint8Array> {
    const cached = this._caches.code?.get(address)?.code;
    if (cached !== undefined) return cached;
    const code = hexToBytes(await this.client.request<Hex>("eth_getCode", [address.toString(), this._blockTag]));
    const account = this.proven.has(address.toString()) ? this.proven.get(address.toString()) : (await this.provenAccount(address)).account;
    const codeHash = account?.codeHash ?? KECCAK256_NULL;
    if (!equalsBytes(code.length === 0 ? KECCAK256_NULL : keccak256(code), codeHash)) {
      const error = new UnprovenStateError(`code of ${address}`);
      this.unproven.push(error.shortMessage);
      throw error;
    }
    this._caches.code?.put(address, code);
    return code;
  }
}

/** keccak256(RLP("")): the root of an empty trie. */
const KECCAK_EMPTY_TRIE = hexToBytes("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
