// Computes Merkle Patricia Trie roots in one pass over sorted keys, as geth's StackTrie / DeriveSha
// does. The block builder derives the transactions root and the receipts root of every block by
// putting each item into a fresh @ethereumjs/mpt trie: an async put per item that re-hashes the
// nodes along its path. Here the keys are sorted once and the trie is built bottom-up, so each
// node is hashed at most once and nothing waits on a database.
//
// The trie is the one @ethereumjs/mpt builds without key hashing: keys are used as given, split
// into nibbles. Like MerklePatriciaTrie.put, an empty value means "absent". Integer-only code.
import { RLP, type NestedUint8Array } from "@ethereumjs/rlp";
import { keccak256One } from "../commit/keccak.ts";
import { bytesToHex } from "@noble/hashes/utils.js";

export type Keccak = (bytes: Uint8Array) => Uint8Array;

/** A decoded trie node (leaf, extension or branch) or a child reference inside one. */
type NodeItem = Uint8Array | NestedUint8Array;

const EMPTY = new Uint8Array(0);
const RLP_EMPTY_STRING = Uint8Array.of(0x80);
const BRANCH_WIDTH = 16;

/** Sorted, non-empty entries with keys split into nibbles, shared by the recursive build. */
interface SortedEntries {
  nibbles: Uint8Array[];
  values: Uint8Array[];
  keccak: Keccak;
}

/**
 * Root of the trie mapping RLP(i) → values[i] for i = 0..n-1: the transactions root and the
 * receipts root of a block (what genTransactionsTrieRoot and BlockBuilder.receiptTrie compute).
 */
export function orderedTrieRoot(values: readonly Uint8Array[], keccak: Keccak = keccak256One): Uint8Array {
  const entries = values.map((value, index): [Uint8Array, Uint8Array] => [RLP.encode(index), value]);
  return trieRoot(entries, keccak);
}

/**
 * Root of the trie holding the given key → value entries (keys not hashed). Entries with an empty
 * value are left out, as MerklePatriciaTrie.put treats them as deletes. No entries gives the
 * empty-trie root keccak(RLP("")), which is KECCAK256_RLP for the default keccak. Throws on a repeated key.
 */
export function trieRoot(entries: readonly [Uint8Array, Uint8Array][], keccak: Keccak = keccak256One): Uint8Array {
  const present = entries.filter(([, value]) => value.length > 0);
  if (present.length === 0) return keccak(RLP_EMPTY_STRING);
  present.sort(([a], [b]) => compareBytes(a, b));
  for (let i = 1; i < present.length; i++) {
    if (compareBytes(present[i - 1][0], present[i][0]) === 0) {
      throw new Error(`trieRoot: key 0x${bytesToHex(present[i][0])} appears more than once`);
    }
  }
  const sorted: SortedEntries = { nibbles: present.map(([key]) => toNibbles(key)), values: present.map(([, value]) => value), keccak };
  // The root node is hashed even when its encoding is shorter than 32 bytes.
  return keccak(RLP.encode(buildNode(sorted, 0, present.length, 0)));
}

/** The node for entries [lo, hi), which all share their first `depth` nibbles. */
function buildNode(sorted: SortedEntries, lo: number, hi: number, depth: number): NestedUint8Array {
  const first = sorted.nibbles[lo];
  if (hi - lo === 1) return [hexPrefix(first, depth, first.length, true), sorted.values[lo]];
  // Keys are sorted, so the prefix all of them share is the one the first and last share.
  const sharedEnd = sharedPrefixEnd(first, sorted.nibbles[hi - 1], depth);
  if (sharedEnd > depth) {
    return [hexPrefix(first, depth, sharedEnd, false), childRef(sorted, buildBranch(sorted, lo, hi, sharedEnd))];
  }
  return buildBranch(sorted, lo, hi, depth);
}

/** A branch splitting entries [lo, hi) on their nibble at `depth`; a key ending there is its value. */
function buildBranch(sorted: SortedEntries, lo: number, hi: number, depth: number): NestedUint8Array {
  const branch: NodeItem[] = new Array<NodeItem>(BRANCH_WIDTH + 1).fill(EMPTY);
  let start = lo;
  // A key that ends at this depth is a prefix of the others, so it sorts first.
  if (sorted.nibbles[start].length === depth) {
    branch[BRANCH_WIDTH] = sorted.values[start];
    start++;
  }
  while (start < hi) {
    const nibble = sorted.nibbles[start][depth];
    let end = start + 1;
    while (end < hi && sorted.nibbles[end][depth] === nibble) end++;
    branch[nibble] = childRef(sorted, buildNode(sorted, start, end, depth + 1));
    start = end;
  }
  return branch;
}

/** How a parent points at a child: the node itself if its encoding is under 32 bytes, else its hash. */
function childRef(sorted: SortedEntries, node: NestedUint8Array): NodeItem {
  const encoded = RLP.encode(node);
  return encoded.length < 32 ? node : sorted.keccak(encoded);
}

/** Hex-prefix (compact) encoding of nibbles[from, to), flagging leaf vs extension and odd length. */
function hexPrefix(nibbles: Uint8Array, from: number, to: number, isLeaf: boolean): Uint8Array {
  const length = to - from;
  const odd = length & 1;
  const out = new Uint8Array((length >> 1) + 1);
  const flag = (isLeaf ? 2 : 0) | odd;
  let next = from;
  if (odd === 1) {
    out[0] = (flag << 4) | nibbles[next];
    next++;
  } else {
    out[0] = flag << 4;
  }
  for (let i = 1; i < out.length; i++, next += 2) out[i] = (nibbles[next] << 4) | nibbles[next + 1];
  return out;
}

/** First index at or after `from` where a and b differ (or where the shorter one ends). */
function sharedPrefixEnd(a: Uint8Array, b: Uint8Array, from: number): number {
  const end = a.length < b.length ? a.length : b.length;
  let i = from;
  while (i < end && a[i] === b[i]) i++;
  return i;
}

function toNibbles(key: Uint8Array): Uint8Array {
  const nibbles = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    nibbles[2 * i] = key[i] >> 4;
    nibbles[2 * i + 1] = key[i] & 0x0f;
  }
  return nibbles;
}

/** Byte-wise order, a prefix before its extensions: the same order as the keys' nibble paths. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const end = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < end; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
