// Memoised serialize() and getSenderAddress() on EthereumJS transactions. A pooled transaction is
// serialised four times on its way into a block (its hash, the signature check, the block's
// transactions root, the stored block body), and its sender is derived twice (once when the node
// admits it, once more in runTx, through a noble keccak of the public key). A frozen transaction
// (EthereumJS freezes them by default) can never change, so both are computed once per object.
// Unfrozen transactions keep upstream's behaviour. The sender is keccak256(public key)[12..32], as
// upstream's publicToAddress computes it, but with the node's WASM keccak instead of noble's.
// How the sender differs from upstream's getSenderAddress: src/evm/upstream/tx-sender.diff.
import { AccessList2930Tx, Blob4844Tx, EOACode7702Tx, FeeMarket1559Tx, LegacyTx } from "@ethereumjs/tx";
import { Address } from "@ethereumjs/util";
import { keccak256One } from "../commit/keccak.ts";

let installed = false;

interface Memoisable {
  serialize(): Uint8Array;
  getSenderAddress(): Address;
  getSenderPublicKey(): Uint8Array;
}

/** Wraps both methods of every transaction class, once per process. */
export function installTxMemo(): void {
  if (installed) return;
  installed = true;
  const serialized = new WeakMap<object, Uint8Array>();
  const senders = new WeakMap<object, Address>();
  for (const cls of [LegacyTx, AccessList2930Tx, FeeMarket1559Tx, Blob4844Tx, EOACode7702Tx]) {
    const proto = cls.prototype as unknown as Memoisable;
    const serialize = proto.serialize;
    const getSenderAddress = proto.getSenderAddress;
    proto.serialize = function (this: Memoisable): Uint8Array {
      if (!Object.isFrozen(this)) return serialize.call(this);
      let bytes = serialized.get(this);
      if (bytes === undefined) {
        bytes = serialize.call(this);
        serialized.set(this, bytes);
      }
      return bytes;
    };
    proto.getSenderAddress = function (this: Memoisable): Address {
      if (!Object.isFrozen(this)) return getSenderAddress.call(this);
      let sender = senders.get(this);
      if (sender === undefined) {
        const publicKey = this.getSenderPublicKey();
        // Upstream's path for anything but a 64-byte key (it throws the error users know).
        sender = publicKey.length === 64 ? new Address(keccak256One(publicKey).slice(12)) : getSenderAddress.call(this);
        senders.set(this, sender);
      }
      return sender;
    };
  }
}
