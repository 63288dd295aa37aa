// The storage the genesis predeploys write (src/chain/predeploys.ts) is pinned to the contracts:
// REGISTRY_LAYOUT / SCHEDULER_LAYOUT and the contracts' `*_SLOT` constants agree with solc's
// storageLayout, and a constructor deployment with the dev genesis's arguments leaves exactly the
// storage genesis wrote, slot for slot and storage root for storage root.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeDeployData, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { CONTRACTS_DIR, SOLC_SETTINGS, getContract } from "../../src/chain/solc.ts";
import { CONGESTION_ADDRESS } from "../../src/chain/genesis.ts";
import {
  AGENT_SCHEDULER_ADDRESS,
  DEV_REGISTRY_GENESIS,
  DEV_SCHEDULER_GENESIS,
  MODEL_REGISTRY_ADDRESS,
  REGISTRY_LAYOUT,
  REGISTRY_SLOTS,
  SCHEDULER_LAYOUT,
  SCHEDULER_SLOTS,
  registryGenesisStorage,
  schedulerGenesisStorage,
  type RegistryGenesis,
  type SchedulerGenesis,
  type StorageVar,
} from "../../src/chain/predeploys.ts";

interface SolcStorage {
  storage: { label: string; offset: number; slot: string; type: string }[];
  types: Record<string, { label: string; numberOfBytes: string }>;
}
interface AstNode {
  nodeType: string;
  name?: string;
  constant?: boolean;
  typeDescriptions?: { typeString: string };
  value?: { nodeType: string; kind?: string; value?: string };
  nodes?: AstNode[];
}
interface LayoutOutput {
  errors?: { severity: string; formattedMessage: string }[];
  sources: Record<string, { ast: AstNode }>;
  contracts: Record<string, Record<string, { storageLayout: SolcStorage }>>;
}

/**
 * This test's own solc run: storageLayout and the AST only (no code generation), under the node's
 * language settings. It leaves SOLC_SETTINGS, and so every cached and prebuilt compile key, alone.
 */
function compileLayouts(files: string[]): LayoutOutput {
  const require = createRequire(import.meta.url);
  const solc = require("solc") as { compile(input: string, callbacks: object): string };
  const read = (f: string) => readFileSync(join(CONTRACTS_DIR, f), "utf8");
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(files.map((f) => [f, { content: read(f) }])),
    settings: { evmVersion: SOLC_SETTINGS.evmVersion, outputSelection: { "*": { "*": ["storageLayout"], "": ["ast"] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: (path: string) => ({ contents: read(path) }) })) as LayoutOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  assert.deepEqual(errors.map((e) => e.formattedMessage), [], "the contracts compile");
  return out;
}

/** The contract's uint256 constants named *_SLOT, with their literal values. */
function slotConstants(ast: AstNode, contract: string): Record<string, bigint> {
  const node = ast.nodes!.find((n) => n.nodeType === "ContractDefinition" && n.name === contract)!;
  const out: Record<string, bigint> = {};
  for (const n of node.nodes ?? []) {
    if (n.nodeType !== "VariableDeclaration" || !n.constant || !n.name!.endsWith("_SLOT")) continue;
    if (n.typeDescriptions?.typeString !== "uint256") continue; // LOCK_SLOT is a bytes32 transient slot
    assert.equal(n.value?.nodeType, "Literal", `${contract}.${n.name} is a literal`);
    out[n.name!] = BigInt(n.value!.value!);
  }
  return out;
}

function checkLayout(out: LayoutOutput, contract: string, slots: Record<string, bigint>, layout: Record<string, StorageVar>): void {
  const source = `${contract}.sol`;
  const { storage, types } = out.contracts[source]![contract]!.storageLayout;
  assert.deepEqual(slotConstants(out.sources[source]!.ast, contract), slots, `${contract}'s *_SLOT constants are the slots predeploys.ts writes`);
  for (const [label, v] of Object.entries(layout)) {
    const entry = storage.find((s) => s.label === label);
    assert.ok(entry, `${contract}.${label} is a state variable`);
    const type = types[entry.type]!;
    assert.deepEqual(
      { slot: BigInt(entry.slot), offset: entry.offset, bytes: Number(type.numberOfBytes), type: type.label },
      v,
      `${contract}.${label}: solc's storageLayout against predeploys.ts`,
    );
  }
  // Nothing else shares a pinned slot, so genesis writes every variable in the words it writes.
  const pinned = new Set(Object.values(slots));
  const inPinned = storage.filter((s) => pinned.has(BigInt(s.slot))).map((s) => s.label);
  assert.deepEqual(inPinned.sort(), Object.keys(layout).sort(), `${contract}: the variables in the pinned slots`);
}

describe("predeploy storage layout", () => {
  it("REGISTRY_LAYOUT, SCHEDULER_LAYOUT and the contracts' *_SLOT constants match solc's storageLayout", () => {
    const out = compileLayouts(["ModelRegistry.sol", "AgentScheduler.sol"]);
    checkLayout(out, "ModelRegistry", REGISTRY_SLOTS, REGISTRY_LAYOUT);
    checkLayout(out, "AgentScheduler", SCHEDULER_SLOTS, SCHEDULER_LAYOUT);
  });

  describe("a constructor deployment with the genesis arguments leaves the predeploy's storage", () => {
    // Every field non-zero and distinct from its neighbours, so a value written at the wrong offset shows.
    const ACCOUNTS = [2, 3, 4, 5, 6].map((i) => `0x${"0".repeat(36)}${i.toString(16).padStart(2, "0")}ee` as Hex);
    const REGISTRY_COPY = "0x000000000000000000000000000000000000b120" as Hex;
    const SCHEDULER_COPY = "0x000000000000000000000000000000000000b121" as Hex;
    const ODD_REGISTRY: RegistryGenesis = { governor: ACCOUNTS[0]!, approvers: ACCOUNTS.slice(1, 4), threshold: 2, timelock: 3_600n };
    const ODD_SCHEDULER: SchedulerGenesis = {
      registry: REGISTRY_COPY,
      congestion: CONGESTION_ADDRESS,
      governor: ACCOUNTS[4]!,
      epochLength: 7,
      capacity: 12_345_678n,
      guaranteedCapacity: 2_345_678n,
      maxCallbackGas: 765_432,
      stakeUnit: 3n * 10n ** 17n,
      unitPrice: 17n,
      nextSlot: 3n, // deployed in block 14..20 (epoch 2)
    };
    const SOURCES = ["ModelRegistry.sol", "AgentScheduler.sol"]; // the predeploys' compile (predeploys.ts)
    let node: DevNode;

    before(async () => {
      // The dev chain's own predeploys, plus copies at 0x…B120/B121 whose genesis storage uses the odd config.
      const code = (name: string) => getContract(name, undefined, SOURCES).deployedBytecode;
      node = await DevNode.create({
        genesisAccounts: [
          { address: REGISTRY_COPY, code: code("ModelRegistry"), storage: registryGenesisStorage(ODD_REGISTRY) },
          { address: SCHEDULER_COPY, code: code("AgentScheduler"), storage: schedulerGenesisStorage(ODD_SCHEDULER) },
        ],
      });
    });
    after(async () => {
      await node.close();
    });

    async function deploy(name: string, args: unknown[]): Promise<Hex> {
      const c = getContract(name, undefined, SOURCES);
      const hash = await node.sendTransaction({ from: node.accounts[0]!.address, to: null, data: encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args }), gas: 10_000_000n });
      const mined = node.transaction(hash);
      assert.equal(mined?.record.status, 1, `${name} deploys`);
      return mined.record.contractAddress!;
    }

    async function sameStorage(predeploy: Hex, deployed: Hex, genesis: Record<Hex, Hex>): Promise<void> {
      // Every slot genesis writes holds what genesis wrote at the predeploy and what the constructor wrote at the copy.
      for (const [slot, value] of Object.entries(genesis) as [Hex, Hex][]) {
        assert.equal(await node.getStorageAt(predeploy, slot), value, `predeploy slot ${slot}`);
        assert.equal(await node.getStorageAt(deployed, slot), value, `constructor-written slot ${slot}`);
      }
      // And the constructor wrote no other slot: equal storage tries have equal roots.
      const [a, b] = await Promise.all([node.getProof(predeploy, []), node.getProof(deployed, [])]);
      assert.equal(b.storageHash, a.storageHash, "the constructor wrote exactly the slots genesis writes");
    }

    const schedulerArgs = (g: SchedulerGenesis) => {
      const { epochLength, capacity, guaranteedCapacity, maxCallbackGas, stakeUnit, unitPrice } = g;
      return [g.registry, g.congestion, g.governor, { epochLength, capacity, guaranteedCapacity, maxCallbackGas, stakeUnit, unitPrice }];
    };

    it("ModelRegistry(governor, approvers, threshold, timelock): the dev predeploy and an odd config", async () => {
      for (const [g, predeploy] of [[DEV_REGISTRY_GENESIS, MODEL_REGISTRY_ADDRESS], [ODD_REGISTRY, REGISTRY_COPY]] as const) {
        const deployed = await deploy("ModelRegistry", [g.governor, g.approvers, g.threshold, g.timelock]);
        await sameStorage(predeploy, deployed, registryGenesisStorage(g));
      }
    });

    it("AgentScheduler(registry, congestion, governor, config): the dev predeploy (epoch 0) and an odd config (epoch 2)", async () => {
      const dev: SchedulerGenesis = { ...DEV_SCHEDULER_GENESIS, registry: MODEL_REGISTRY_ADDRESS, congestion: CONGESTION_ADDRESS };
      assert.ok(node.headNumber + 1n < BigInt(dev.epochLength), "deployed in epoch 0, as the dev genesis's nextSlot 1 assumes");
      await sameStorage(AGENT_SCHEDULER_ADDRESS, await deploy("AgentScheduler", schedulerArgs(dev)), schedulerGenesisStorage(dev));

      while (node.headNumber < 14n) await node.mine();
      await sameStorage(SCHEDULER_COPY, await deploy("AgentScheduler", schedulerArgs(ODD_SCHEDULER)), schedulerGenesisStorage(ODD_SCHEDULER));
    });
  });
});
