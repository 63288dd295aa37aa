// Reading a geth-style genesis.json (src/chain/genesis-json.ts) into a node: the fork from the
// config's fork fields, the header fields and the alloc's balance, nonce, code and storage as the
// node's state; refusals that name the field or the address (a fork after genesis, an alloc entry
// that collides with an AIVM system contract); and the file aivm genesis writes reading back to the
// same genesis block on every node.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex } from "@ethereumjs/util";
import { DevNode } from "../../src/chain/node.ts";
import { GenesisFileError, genesisJsonOf, readGenesisJson, type GenesisJson } from "../../src/chain/genesis-json.ts";
import { aivmGenesisAccounts } from "../../src/chain/genesis.ts";
import { devVrfSecretKey, vrfPublicKeyOf } from "../../src/chain/block-randomness.ts";
import { BLOCK_ANCHOR_ADDRESS, BLOCK_RANDOMNESS_ADDRESS } from "../../precompiles/addresses.ts";

const system = aivmGenesisAccounts();
const CONTRACT = "0x00000000000000000000000000000000000c0de1";
const HOLDER = "0x1111111111111111111111111111111111111111";
const OTHER_MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow";

/** A genesis.json as another tool writes it: Cancun by time, decimal and hex quantities, an address without 0x. */
function foreignGenesis(): GenesisJson {
  return {
    config: { chainId: 1337, homesteadBlock: 0, londonBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0 },
    timestamp: "0x6553f100",
    gasLimit: "30000000",
    extraData: "0x616976",
    baseFeePerGas: "0x3b9aca00",
    difficulty: "0x0",
    alloc: {
      [HOLDER.slice(2)]: { balance: "1000000000000000000" },
      [CONTRACT]: { balance: "0x0", nonce: "0x5", code: "0x600160005260206000f3", storage: { "0x01": "0x2a", [`0x${"00".repeat(31)}02`]: `0x${"ff".repeat(32)}` } },
    },
  };
}

function refusal(json: unknown): string {
  try {
    readGenesisJson(json, system);
  } catch (error) {
    assert.ok(error instanceof GenesisFileError, String(error));
    return error.shortMessage;
  }
  assert.fail("the genesis file was accepted");
}

describe("genesis.json", () => {
  it("reads the fork, header fields and alloc of another tool's file into the node's genesis state", async () => {
    const spec = readGenesisJson(foreignGenesis(), system);
    assert.equal(spec.chainId, 1337);
    assert.equal(spec.hardfork, "cancun");
    assert.equal(spec.blockGasLimit, 30_000_000n);
    const node = await DevNode.create({ chainId: spec.chainId, hardfork: spec.hardfork, blockGasLimit: spec.blockGasLimit, genesis: spec.genesis });
    try {
      const header = node.blocks[0]!.header;
      assert.equal(header.timestamp, 0x6553f100n);
      assert.equal(header.gasLimit, 30_000_000n);
      assert.equal(header.baseFeePerGas, 1_000_000_000n);
      assert.equal(bytesToHex(header.extraData), "0x616976");
      assert.equal(await node.getBalance(HOLDER), 10n ** 18n);
      assert.equal(await node.getNonce(CONTRACT), 5n);
      assert.equal(await node.getCode(CONTRACT), "0x600160005260206000f3");
      assert.equal(BigInt(await node.getStorageAt(CONTRACT, "0x01")), 42n);
      assert.equal(await node.getStorageAt(CONTRACT, "0x02"), `0x${"ff".repeat(32)}`);
      // The dev accounts have keys but no funds: the file's alloc is the whole genesis besides the system contracts.
      assert.equal(await node.getBalance(node.accounts[0]!.address), 0n);
      assert.notEqual(await node.getCode(BLOCK_ANCHOR_ADDRESS), "0x");
    } finally {
      await node.close();
    }
  });

  it("chooses the newest of Cancun, Prague and Osaka at genesis, and refuses forks that would activate later", () => {
    const withConfig = (config: Record<string, unknown>, timestamp = "0x10") => ({ ...foreignGenesis(), timestamp, config: { chainId: 1, ...config } });
    assert.equal(readGenesisJson(withConfig({ cancunTime: 0, pragueTime: 0 }), system).hardfork, "prague");
    assert.equal(readGenesisJson(withConfig({ cancunTime: 0, pragueTime: 16, osakaTime: 16 }), system).hardfork, "osaka");
    assert.equal(readGenesisJson(withConfig({}), system).hardfork, "osaka");
    assert.match(refusal(withConfig({ cancunTime: 0, pragueTime: 17 })), /config\.pragueTime is 17, after the genesis timestamp 16/);
    assert.match(refusal(withConfig({ londonBlock: 5 })), /config\.londonBlock is 5/);
    assert.match(refusal(withConfig({ shanghaiTime: 0 })), /needs Cancun or later/);
    assert.match(refusal(withConfig({ terminalTotalDifficulty: 58750000000000000000000n.toString() })), /terminalTotalDifficulty must be 0/);
    assert.match(refusal({ ...foreignGenesis(), difficulty: "0x1" }), /difficulty must be 0/);
    assert.match(refusal({ ...foreignGenesis(), gasLimit: undefined }), /gasLimit must be a gas amount/);
    assert.match(refusal({ ...foreignGenesis(), extraData: `0x${"00".repeat(33)}` }), /extraData is 33 bytes/);
    assert.match(refusal({ ...foreignGenesis(), config: { chainId: "1" } }), /config\.chainId must be a positive integer/);
  });

  it("refuses an alloc entry at a system contract's address unless it is that contract exactly, naming the address", () => {
    const written = genesisJsonOf({ chainId: 9, hardfork: "osaka", timestamp: 1n, gasLimit: 60_000_000n, baseFeePerGas: 1n, systemAccounts: system, accounts: [] });
    // As aivm genesis writes it: accepted, and left to the node.
    assert.deepEqual(readGenesisJson(written, system).genesis.accounts, []);
    const anchor = BLOCK_ANCHOR_ADDRESS.toLowerCase();
    assert.match(refusal({ ...written, alloc: { ...written.alloc, [anchor]: { ...written.alloc[anchor], code: "0x00" } } }), new RegExp(`alloc ${anchor} collides with an AIVM system contract`));
    assert.match(refusal({ ...foreignGenesis(), alloc: { [anchor]: { balance: "1" } } }), new RegExp(`alloc ${anchor} collides`));
    // Another producer's VRF key in BlockRandomness is another genesis.
    const randomness = BLOCK_RANDOMNESS_ADDRESS.toLowerCase();
    const storage = { ...written.alloc[randomness]!.storage, [`0x${"00".repeat(32)}`]: `0x${"ab".repeat(32)}` };
    assert.match(refusal({ ...written, alloc: { ...written.alloc, [randomness]: { ...written.alloc[randomness], storage } } }), new RegExp(`alloc ${randomness} collides`));
  });

  it("gives every node started from one written file the same genesis block", async () => {
    const written = JSON.parse(JSON.stringify(genesisJsonOf({ chainId: 77, hardfork: "prague", timestamp: 1_700_000_000n, gasLimit: 50_000_000n, baseFeePerGas: 7n, systemAccounts: system, accounts: [{ address: HOLDER, balance: 3n }] })));
    const hashes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const spec = readGenesisJson(written, system);
      // Another mnemonic (other dev accounts) with the same producer VRF key: the same genesis.
      const node = await DevNode.create({ chainId: spec.chainId, hardfork: spec.hardfork, blockGasLimit: spec.blockGasLimit, genesis: spec.genesis, mnemonic: i === 0 ? undefined : OTHER_MNEMONIC, vrfKey: bytesToHex(devVrfSecretKey()) as `0x${string}` });
      hashes.push(bytesToHex(node.blocks[0]!.hash()));
      assert.equal(await node.getBalance(HOLDER), 3n);
      await node.close();
    }
    assert.equal(hashes[0], hashes[1]);
    // A node with another producer key would put another BlockRandomness there: refused, by address.
    const otherSystem = aivmGenesisAccounts(vrfPublicKeyOf(devVrfSecretKey(OTHER_MNEMONIC)));
    assert.throws(() => readGenesisJson(written, otherSystem), new RegExp(`alloc ${BLOCK_RANDOMNESS_ADDRESS.toLowerCase()} collides`));
  });
});
