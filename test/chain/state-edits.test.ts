// The dev node's state edits and eth_call overrides (state-edits.ts), on a bare state manager.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MerkleStateManager } from "@ethereumjs/statemanager";
import { bytesToHex, createAddressFromString, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { applyOverrides, setBalanceIn, setCodeIn, setNonceIn, setStorageIn } from "../../src/chain/state-edits.ts";

const WHO = "0x00000000000000000000000000000000000000aa";
const addr = createAddressFromString(WHO);
const word = (n: number) => bytesToHex(setLengthLeft(hexToBytes(`0x${n.toString(16).padStart(2, "0")}`), 32)) as `0x${string}`;

describe("state edits", () => {
  it("set balance, nonce, code and storage on an account that did not exist", async () => {
    const sm = new MerkleStateManager();
    await setBalanceIn(sm, WHO, 5n);
    await setNonceIn(sm, WHO, 3n);
    await setCodeIn(sm, WHO, "0x6001");
    await setStorageIn(sm, WHO, "0x01", word(7));
    const account = (await sm.getAccount(addr))!;
    assert.deepEqual([account.balance, account.nonce], [5n, 3n]);
    assert.equal(bytesToHex(await sm.getCode(addr)), "0x6001");
    assert.equal(bytesToHex(await sm.getStorage(addr, setLengthLeft(hexToBytes("0x01"), 32))), "0x07");
  });

  it("a nonce is never lowered", async () => {
    const sm = new MerkleStateManager();
    await setNonceIn(sm, WHO, 9n);
    await assert.rejects(setNonceIn(sm, WHO, 2n), /New nonce \(2\) must not be smaller than the existing nonce \(9\)/);
    await setNonceIn(sm, WHO, 9n);
  });

  it("overrides: state replaces all storage, stateDiff edits slots, balance and nonce are set", async () => {
    const sm = new MerkleStateManager();
    await setStorageIn(sm, WHO, word(1), word(1));
    await setStorageIn(sm, WHO, word(2), word(2));
    await applyOverrides(sm, new Map([[WHO, { balance: 10n, nonce: 4n, state: [[word(3), word(3)]] }]]));
    const read = async (slot: number) => bytesToHex(await sm.getStorage(addr, hexToBytes(word(slot))));
    assert.deepEqual([await read(1), await read(2), await read(3)], ["0x", "0x", "0x03"]);
    await applyOverrides(sm, new Map([[WHO, { stateDiff: [[word(1), word(9)]] }]]));
    assert.deepEqual([await read(1), await read(3)], ["0x09", "0x03"]);
    const account = (await sm.getAccount(addr))!;
    assert.deepEqual([account.balance, account.nonce], [10n, 4n]);
  });
});
