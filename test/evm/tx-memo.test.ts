// Memoised transaction serialize()/getSenderAddress() (src/evm/tx-memo.ts): equal to a fresh
// computation for every transaction type, computed once per frozen transaction, and never cached
// for an unfrozen one (which can still change).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTx, createTxFromRLP, TransactionType } from "@ethereumjs/tx";
import { Common, Hardfork, Mainnet } from "@ethereumjs/common";
import { bytesToHex, hexToBytes, publicToAddress } from "@ethereumjs/util";
import { installTxMemo } from "../../src/evm/tx-memo.ts";

installTxMemo();
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague });
const key = hexToBytes("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
const base = { nonce: 7n, gasLimit: 50_000n, to: "0x00000000000000000000000000000000000000ee", value: 3n, data: "0x1234" } as const;
const types = [
  { type: TransactionType.Legacy, gasPrice: 10n },
  { type: TransactionType.AccessListEIP2930, gasPrice: 10n, accessList: [] },
  { type: TransactionType.FeeMarketEIP1559, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n },
];

test("memoised serialize and sender equal upstream's for every type, and are computed once", () => {
  for (const fields of types) {
    const signed = createTx({ ...base, ...fields }, { common }).sign(key);
    const raw = signed.serialize();
    const tx = createTxFromRLP(raw, { common });
    assert.ok(Object.isFrozen(tx));
    assert.equal(bytesToHex(tx.serialize()), bytesToHex(raw), `type ${fields.type}`);
    assert.equal(tx.serialize(), tx.serialize(), "the same array: computed once");
    const expected = bytesToHex(publicToAddress(tx.getSenderPublicKey()));
    assert.equal(tx.getSenderAddress().toString(), expected);
    assert.equal(tx.getSenderAddress(), tx.getSenderAddress(), "the same Address: derived once");
  }
});

test("an unfrozen transaction is never served from the memo", () => {
  const tx = createTx({ ...base, ...types[2] }, { common, freeze: false }).sign(key, undefined);
  assert.ok(!Object.isFrozen(tx));
  assert.notEqual(tx.serialize(), tx.serialize(), "a fresh array each call");
  assert.notEqual(tx.getSenderAddress(), tx.getSenderAddress());
});
