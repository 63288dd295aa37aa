// Issue 17, must-show 4: a committee of three `aivm verifier` processes, one started with
// --fault sign-wrong-root, follows an `aivm node` process over loopback. The blocks holding AIVM
// transactions reach attestation (2 of 3) in AttestationRegistry; the faulty verifier's signature is
// not counted, its bond is slashed through the contract, and its process stops with exit code 1.
// Then, in process: a verifier that re-executes a block of a node with an injected fault names the
// receipt and commit and signs nothing.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEventLog, getAddress, getContractAddress, parseAbi, parseEther, type Address, type Hex } from "viem";
import { REPO, spawnAivmNode, waitForExit, type SpawnedNode } from "../cli/helpers.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { createAivmRuntime } from "../../src/chain/runtime.ts";
import { ATTESTATION_REGISTRY_ABI, CommitteeVerifier, SLASH_REASONS, type CommitteeEvent } from "../../src/rpc/verify/committee.ts";
import { formatCommitteeEvent } from "../../src/cli/verifier.ts";
import { HardforkMismatchError } from "../../src/rpc/verify/verify-blocks.ts";
import { chainClients, deployRegistry, devKeys, registryAt, sendTmatmul } from "./attestation.ts";

const BLOCK_ANCHOR_ABI = parseAbi(["function anchorOf(uint256 blockNumber) view returns (bytes32 root, uint256 receiptCount, uint256 flops)"]);
const BLOCK_ANCHOR: Address = "0x000000000000000000000000000000000000A110";
/**
 * The whole run, from starting the node to the last assertion: 48–58 s with the machine's two cores
 * shared with other test processes (load average 16–19), so the bound leaves room for a slow CI
 * host while still failing a run that hangs.
 */
const DEADLINE_MS = 150_000;

interface Spawned {
  child: ChildProcess;
  output: () => string;
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function spawnVerifier(args: string[]): Spawned {
  const child = spawn(process.execPath, [join(REPO, "bin/aivm.mjs"), "verifier", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d.toString()));
  child.stderr!.on("data", (d) => (out += d.toString()));
  return { child, output: () => out };
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await waitForExit(child);
  clearTimeout(timer);
}

async function until<T>(what: string, deadline: number, probe: () => Promise<T | undefined>, describeState: () => string): Promise<T> {
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describeState()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("aivm verifier committee", () => {
  it("3 verifier processes, one faulty, on an aivm node process: AIVM blocks reach 2-of-3 attestation, the faulty one is slashed", async () => {
    const started = Date.now();
    const deadline = started + DEADLINE_MS;
    const keys = devKeys();
    const keyDir = mkdtempSync(join(tmpdir(), "aivm-committee-"));
    let node: SpawnedNode | undefined;
    const verifiers: Spawned[] = [];
    const state = () => [`after ${Date.now() - started} ms`, `node:\n${node?.output() ?? ""}`, ...verifiers.map((v, i) => `verifier ${i + 1}:\n${v.output()}`)].join("\n");
    try {
      const phases: Record<string, number> = {};
      const mark = (phase: string) => (phases[phase] = Date.now() - started);
      // The verifiers start with the node, on a port picked here, and wait for it and for the
      // registry, whose address follows from the deployer's first nonce.
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const registryAddress = getContractAddress({ from: chainClients(url, keys[0]!).account.address, nonce: 0n });
      const common = ["--rpc", url, "--registry", registryAddress, "--poll", "200"];
      // Verifier 1 reads its key from a file, the others take it as hex.
      writeFileSync(join(keyDir, "key"), `${keys[1]!}\n`, { mode: 0o600 });
      verifiers.push(spawnVerifier(["--key", join(keyDir, "key"), ...common]));
      verifiers.push(spawnVerifier(["--key", keys[2]!, ...common]));
      verifiers.push(spawnVerifier(["--key", keys[3]!, ...common, "--fault", "sign-wrong-root"]));
      node = await spawnAivmNode(["--quiet", "--port", String(port)], DEADLINE_MS);
      mark("nodeListening");
      assert.equal(node.url, url);
      const registry = await deployRegistry(url, keys[0]!, { minBond: parseEther("1"), exitDelay: 10n, minThreshold: 2n });
      assert.equal(getAddress(registry), registryAddress);
      const { publicClient } = chainClients(url, keys[0]!);
      mark("registryDeployed");
      const [honest1, honest2, faulty] = [1, 2, 3].map((i) => chainClients(url, keys[i]!).account.address);
      const registryRead = <T>(functionName: string, args: readonly unknown[] = []) =>
        publicClient.readContract({ ...registryAt(registry), functionName: functionName as never, args: args as never }) as Promise<T>;
      await until("3 registered verifiers", deadline, async () => ((await registryRead<bigint>("activeCount")) === 3n ? true : undefined), state);
      mark("verifiersRegistered");
      assert.equal(await registryRead<bigint>("threshold"), 2n);

      // Three blocks with AIVM receipts (TMATMUL straight to the precompile), from an account that is not a verifier.
      const blocks: { blockNumber: bigint; blockHash: Hex; anchorRoot: Hex }[] = [];
      for (let i = 0; i < 3; i++) blocks.push(await sendTmatmul(url, keys[0]!));
      mark("aivmBlocksMined");

      await until(
        "the 3 blocks attested and the faulty verifier slashed",
        deadline,
        async () => {
          for (const b of blocks) if (!(await registryRead<boolean>("isAttested", [b.blockNumber, b.anchorRoot]))) return undefined;
          const [bond] = await registryRead<[bigint]>("verifiers", [faulty]);
          return bond === 0n ? true : undefined;
        },
        state,
      );
      const elapsed = mark("attestedAndSlashed");

      // What the chain holds: each block attested under its BlockAnchor root, by the two honest verifiers only.
      const logs = (await publicClient.getLogs({ address: registry, fromBlock: 0n, toBlock: "latest" })).map((l) => decodeEventLog({ abi: ATTESTATION_REGISTRY_ABI, data: l.data, topics: l.topics }));
      for (const b of blocks) {
        const [root] = await publicClient.readContract({ address: BLOCK_ANCHOR, abi: BLOCK_ANCHOR_ABI, functionName: "anchorOf", args: [b.blockNumber] });
        assert.equal(root, b.anchorRoot);
        assert.deepEqual(await registryRead("attestedRoot", [b.blockNumber]), [b.blockHash, b.anchorRoot]);
        const attested = logs.filter((e) => e.eventName === "BlockAttested" && e.args.blockNumber === b.blockNumber);
        assert.equal(attested.length, 1);
        const voters = logs.filter((e) => e.eventName === "AttestationRecorded" && e.args.blockNumber === b.blockNumber).map((e) => (e.args as { verifier: Address }).verifier);
        assert.deepEqual(voters.toSorted(), [honest1, honest2].toSorted(), `block ${b.blockNumber}: counted signatures`);
      }
      const slashes = logs.filter((e) => e.eventName === "Slashed");
      assert.equal(slashes.length, 1);
      const slash = slashes[0]!.args as { verifier: Address; blockNumber: bigint; reason: number };
      assert.equal(slash.verifier, faulty);
      assert.equal(SLASH_REASONS[slash.reason], "WrongAnchor");
      assert.ok(blocks.some((b) => b.blockNumber === slash.blockNumber));
      assert.deepEqual(await registryRead("verifiers", [faulty]), [0n, 0n, false]);
      for (const a of [honest1, honest2]) assert.deepEqual(await registryRead("verifiers", [a]), [parseEther("1"), 0n, true]);
      assert.ok((await registryRead<bigint>("burned")) > 0n);

      // The processes: the faulty one stops with exit code 1, the honest ones saw the attestations.
      await until("the faulty verifier to exit", deadline, async () => (verifiers[2]!.child.exitCode !== null ? true : undefined), state);
      assert.equal(verifiers[2]!.child.exitCode, 1, verifiers[2]!.output());
      assert.match(verifiers[2]!.output(), /THIS VERIFIER SLASHED for block \d+ \(WrongAnchor\)/);
      // Each honest process reports the last block's attestation once its next poll reads the event.
      const attestedLine = new RegExp(`block ${blocks[2]!.blockNumber}: ATTESTED anchor ${blocks[2]!.anchorRoot}`);
      for (const v of verifiers.slice(0, 2)) {
        assert.match(v.output(), /re-executed and signed anchor 0x[0-9a-f]{64}/);
        await until("the honest verifiers to report the last attestation", deadline, async () => (attestedLine.test(v.output()) ? true : undefined), state);
      }
      assert.ok(elapsed < DEADLINE_MS);
      console.log(JSON.stringify({ committee: { attestedBlocks: blocks.map((b) => Number(b.blockNumber)), msFromStart: phases } }));
    } finally {
      await Promise.all([...verifiers.map((v) => stop(v.child)), ...(node ? [stop(node.child)] : [])]);
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it("a verifier whose re-execution disagrees with the node names the receipt and commit, and signs nothing", async () => {
    let server: NodeServer | undefined;
    try {
      server = await startNodeServer({ port: 0, runtime: createAivmRuntime({ injectFault: "TMATMUL" }) });
      const keys = devKeys();
      const registry = await deployRegistry(server.url, keys[0]!, { minBond: parseEther("1"), exitDelay: 10n, minThreshold: 1n });
      const events: CommitteeEvent[] = [];
      const verifier = new CommitteeVerifier({ rpc: server.url, account: chainClients(server.url, keys[1]!).account, registry, onEvent: (e) => events.push(e) });
      await verifier.init();
      const b = await sendTmatmul(server.url, keys[0]!);
      await verifier.step();
      const mismatch = events.find((e) => e.kind === "mismatch");
      assert.ok(mismatch, JSON.stringify(events.map((e) => e.kind)));
      const text = formatCommitteeEvent(mismatch);
      assert.match(text, new RegExp(`^block ${b.blockNumber}: MISMATCH, not signing\\n  tx ${b.txHash} receipt #0 \\(leaf 0\\) TMATMUL: output commit 0, leaf`));
      assert.ok(!events.some((e) => e.kind === "signed"));
      const { publicClient } = chainClients(server.url, keys[0]!);
      assert.deepEqual(await publicClient.readContract({ ...registryAt(registry), functionName: "voteOf", args: [b.blockNumber, verifier.address] }), [`0x${"0".repeat(64)}`, `0x${"0".repeat(64)}`]);
    } finally {
      await server?.close();
    }
  });

  it("a verifier re-executes under the node's --hardfork: prague signs a Prague chain's block, cancun is refused and signs nothing", async () => {
    let server: NodeServer | undefined;
    try {
      server = await startNodeServer({ port: 0, hardfork: "prague" });
      const keys = devKeys();
      const registry = await deployRegistry(server.url, keys[0]!, { minBond: parseEther("1"), exitDelay: 10n, minThreshold: 1n });
      const run = async (key: Hex, hardfork: string) => {
        const events: CommitteeEvent[] = [];
        const verifier = new CommitteeVerifier({ rpc: server!.url, account: chainClients(server!.url, key).account, registry, hardfork, onEvent: (e) => events.push(e) });
        await verifier.init();
        return { verifier, events };
      };
      const wrong = await run(keys[2]!, "cancun");
      const right = await run(keys[1]!, "prague");
      const b = await sendTmatmul(server.url, keys[0]!);
      await right.verifier.step();
      assert.ok(right.events.some((e) => e.kind === "signed" && e.blockNumber === b.blockNumber), JSON.stringify(right.events.map((e) => e.kind)));
      await assert.rejects(wrong.verifier.step(), (e: Error) => e instanceof HardforkMismatchError && /requestsHash/.test(e.message));
      assert.ok(!wrong.events.some((e) => e.kind === "signed"));
    } finally {
      await server?.close();
    }
  });
});
