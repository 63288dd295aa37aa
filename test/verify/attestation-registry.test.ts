// contracts/verify/AttestationRegistry.sol on a dev node through JSON-RPC and viem: bonds, the
// threshold, EIP-712 signatures relayed by anyone, duplicates, unregistered signers, the three ways
// a verifier loses its bond (a root other than BlockAnchor's, two roots for one block, a root
// against the attested one, found by CommitteeVerifier's watcher), leaving after the delay, and the
// AttestationGate consumer. Prints the gas of register, attest and the slashes (docs/verify.md).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, decodeEventLog, parseAbi, parseEther, type Abi, type Address, type Hex, type TransactionReceipt } from "viem";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { ATTESTATION_REGISTRY_ABI, CommitteeVerifier, flipLowestBit, signAttestation, SLASH_REASONS, VERIFIER_FAULTS, type CommitteeEvent } from "../../src/rpc/verify/committee.ts";
import { VERIFIER_FAULTS as CLI_FAULTS } from "../../src/cli/commands/verifier.ts";
import { chainClients, consumerContract, deployRegistry, devKeys, registryAt, registryContract, sendTmatmul, tmatmulCalldata } from "./attestation.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";

const BLOCK_ANCHOR_ABI = parseAbi(["function anchorOf(uint256 blockNumber) view returns (bytes32 root, uint256 receiptCount, uint256 flops)"]);

const MIN_BOND = parseEther("1");
const EXIT_DELAY = 5n;
const CHAIN_ID = 31337;

/** The custom error a call reverts with (viem decodes it from the registry's ABI). */
async function revertName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const r = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : undefined;
    if (r instanceof ContractFunctionRevertedError) return r.data?.errorName ?? "unknown revert";
    throw e;
  }
  return "no revert";
}

describe("AttestationRegistry", () => {
  let server: NodeServer;
  let url: string;
  let registry: Address;
  const keys = devKeys();
  const gas: Record<string, bigint> = {};
  // Accounts 1–5 are verifiers, 6 relays and reports, 0 deploys and sends the AIVM transactions.
  const v = (i: number) => chainClients(url, keys[i]!);
  const relayer = () => chainClients(url, keys[6]!);

  async function send(i: number, functionName: string, args: readonly unknown[] = [], value?: bigint): Promise<TransactionReceipt> {
    const { wallet, publicClient } = i === 6 ? relayer() : v(i);
    const hash = await wallet.writeContract({ ...registryAt(registry), functionName: functionName as never, args: args as never, ...(value !== undefined ? { value } : {}) } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    return receipt;
  }
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    v(0).publicClient.readContract({ ...registryAt(registry), functionName: functionName as never, args: args as never }) as Promise<T>;
  const simulate = (i: number, functionName: string, args: readonly unknown[] = [], value?: bigint) =>
    v(0).publicClient.simulateContract({ ...registryAt(registry), account: (i === 6 ? relayer() : v(i)).account, functionName: functionName as never, args: args as never, ...(value !== undefined ? { value } : {}) } as never);
  const sign = (i: number, blockNumber: bigint, blockHash: Hex, anchorRoot: Hex) => signAttestation(v(i).account, CHAIN_ID, registry, { blockNumber, blockHash, anchorRoot });
  const events = (receipt: TransactionReceipt) =>
    receipt.logs.filter((l) => l.address.toLowerCase() === registry.toLowerCase()).map((l) => decodeEventLog({ abi: ATTESTATION_REGISTRY_ABI, data: l.data, topics: l.topics }));

  before(async () => {
    server = await startNodeServer({ port: 0 });
    url = server.url;
    registry = await deployRegistry(url, keys[0]!, { minBond: MIN_BOND, exitDelay: EXIT_DELAY, minThreshold: 2n });
  });
  after(async () => {
    await server?.close();
    console.log(JSON.stringify({ attestationRegistryGas: Object.fromEntries(Object.entries(gas).map(([k, g]) => [k, Number(g)])) }));
  });

  it("the verifier's ABI and faults are the compiled contract's and the CLI's", () => {
    // Each item as the words that fix its ABI encoding: kind, name, mutability, parameter types, names and indexing.
    const shape = (x: Abi[number]) => JSON.stringify([x.type, "name" in x ? x.name : "", "stateMutability" in x ? x.stateMutability : "", "inputs" in x ? x.inputs.map((p) => [p.type, p.name, "indexed" in p ? Boolean(p.indexed) : false]) : [], "outputs" in x ? x.outputs.map((p) => p.type) : []]);
    const compiled = new Set((registryContract().abi as Abi).map(shape));
    for (const item of ATTESTATION_REGISTRY_ABI) assert.ok(compiled.has(shape(item)), `${shape(item)} is in AttestationRegistry's ABI`);
    assert.deepEqual(CLI_FAULTS, [...VERIFIER_FAULTS]);
  });

  it("registers verifiers with at least the minimum bond, once; the threshold is max(2, ⌈2n/3⌉)", async () => {
    assert.equal(await revertName(simulate(1, "register", [], MIN_BOND - 1n)), "BondTooLow");
    const thresholds: bigint[] = [await read<bigint>("threshold")];
    for (const i of [1, 2, 3, 4]) {
      const receipt = await send(i, "register", [], MIN_BOND);
      if (i === 1) gas.register = receipt.gasUsed;
      const [e] = events(receipt);
      assert.equal(e?.eventName, "VerifierRegistered");
      thresholds.push(await read<bigint>("threshold"));
    }
    assert.deepEqual(thresholds, [2n, 2n, 2n, 2n, 3n]);
    assert.equal(await read<bigint>("activeCount"), 4n);
    assert.equal(await revertName(simulate(1, "register", [], MIN_BOND)), "AlreadyRegistered");
    assert.deepEqual(await read("verifiers", [v(1).account.address]), [MIN_BOND, 0n, true]);
  });

  it("attests a block once threshold() distinct verifiers signed the same (hash, root), relayed by anyone; refuses duplicates, strangers, bad signatures and other hashes", async () => {
    // Verifier 4 leaves first, so the threshold is back to 2 of 3 for the rest of the file.
    await send(4, "requestExit");
    assert.equal(await read<bigint>("threshold"), 2n);
    const b = await sendTmatmul(url, keys[0]!);
    const sig1 = await sign(1, b.blockNumber, b.blockHash, b.anchorRoot);
    const first = await send(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, sig1]);
    gas.attestFirstSignature = first.gasUsed;
    assert.deepEqual(events(first).map((e) => e.eventName), ["AttestationRecorded"]);
    assert.equal(await read<boolean>("isAttested", [b.blockNumber, b.anchorRoot]), false);

    assert.equal(await revertName(simulate(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, sig1])), "DuplicateAttestation");
    assert.equal(await revertName(simulate(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, await sign(7, b.blockNumber, b.blockHash, b.anchorRoot)])), "NotRegistered");
    assert.equal(await revertName(simulate(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, await sign(4, b.blockNumber, b.blockHash, b.anchorRoot)])), "NotRegistered", "a leaving verifier no longer signs");
    // The malleated twin of a valid signature (s → n − s, v flipped) is refused.
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sig2 = await sign(2, b.blockNumber, b.blockHash, b.anchorRoot);
    const twin = `0x${sig2.slice(2, 66)}${(n - BigInt(`0x${sig2.slice(66, 130)}`)).toString(16).padStart(64, "0")}${sig2.slice(130) === "1b" ? "1c" : "1b"}` as Hex;
    assert.equal(await revertName(simulate(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, twin])), "InvalidSignature");
    const otherHash = flipLowestBit(b.blockHash);
    assert.equal(await revertName(simulate(6, "attest", [b.blockNumber, otherHash, b.anchorRoot, await sign(2, b.blockNumber, otherHash, b.anchorRoot)])), "WrongBlockHash");
    const head = await v(0).publicClient.getBlockNumber();
    assert.equal(await revertName(simulate(6, "attest", [head + 5n, b.blockHash, b.anchorRoot, await sign(2, head + 5n, b.blockHash, b.anchorRoot)])), "BlockNotSealed");

    const second = await send(2, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, sig2]);
    gas.attestReachingThreshold = second.gasUsed;
    const evs = events(second);
    assert.deepEqual(evs.map((e) => e.eventName), ["AttestationRecorded", "BlockAttested"]);
    assert.equal((evs[1]!.args as { votes: bigint }).votes, 2n);
    assert.equal(await read<boolean>("isAttested", [b.blockNumber, b.anchorRoot]), true);
    assert.deepEqual(await read("attestedRoot", [b.blockNumber]), [b.blockHash, b.anchorRoot]);
    assert.equal(await read<boolean>("isAttested", [b.blockNumber, flipLowestBit(b.anchorRoot)]), false);
  });

  it("a signature on a root other than BlockAnchor's is not counted: it slashes its signer, half to the relayer", async () => {
    const b = await sendTmatmul(url, keys[0]!);
    const wrong = flipLowestBit(b.anchorRoot);
    const relayerBefore = await v(0).publicClient.getBalance({ address: relayer().account.address });
    const burnedBefore = await read<bigint>("burned");
    const receipt = await send(6, "attest", [b.blockNumber, b.blockHash, wrong, await sign(3, b.blockNumber, b.blockHash, wrong)]);
    gas.attestSlashingWrongAnchor = receipt.gasUsed;
    const [e] = events(receipt);
    assert.equal(e?.eventName, "Slashed");
    const args = e!.args as { verifier: Address; blockNumber: bigint; reason: number; reporter: Address; reward: bigint; burnedAmount: bigint };
    assert.equal(args.verifier, v(3).account.address);
    assert.equal(SLASH_REASONS[args.reason], "WrongAnchor");
    assert.equal(args.reward, MIN_BOND / 2n);
    assert.deepEqual(await read("verifiers", [v(3).account.address]), [0n, 0n, false]);
    assert.equal(await read<bigint>("activeCount"), 2n);
    assert.equal(await read<bigint>("burned"), burnedBefore + MIN_BOND / 2n);
    const relayerAfter = await v(0).publicClient.getBalance({ address: relayer().account.address });
    assert.equal(relayerAfter - relayerBefore, MIN_BOND / 2n - receipt.gasUsed * receipt.effectiveGasPrice);
    assert.deepEqual(await read("voteOf", [b.blockNumber, v(3).account.address]), [`0x${"0".repeat(64)}`, `0x${"0".repeat(64)}`], "not counted");
    // Verifier 3 re-registers for the tests below.
    await send(3, "register", [], MIN_BOND);
  });

  it("two signatures on different roots for one block slash their signer, whoever submits them; same root or two signers is no proof", async () => {
    const b = await sendTmatmul(url, keys[0]!);
    const wrong = flipLowestBit(b.anchorRoot);
    const good = await sign(5, b.blockNumber, b.blockHash, b.anchorRoot);
    await send(5, "register", [], MIN_BOND);
    const bad = await sign(5, b.blockNumber, b.blockHash, wrong);
    assert.equal(await revertName(simulate(6, "slashConflicting", [b.blockNumber, b.blockHash, b.anchorRoot, good, b.anchorRoot, good])), "NotConflicting");
    assert.equal(await revertName(simulate(6, "slashConflicting", [b.blockNumber, b.blockHash, b.anchorRoot, good, wrong, await sign(1, b.blockNumber, b.blockHash, wrong)])), "NotConflicting");
    const receipt = await send(6, "slashConflicting", [b.blockNumber, b.blockHash, b.anchorRoot, good, wrong, bad]);
    gas.slashConflicting = receipt.gasUsed;
    const [e] = events(receipt);
    assert.equal(e?.eventName, "Slashed");
    assert.equal(SLASH_REASONS[(e!.args as { reason: number }).reason], "Conflicting");
    assert.deepEqual(await read("verifiers", [v(5).account.address]), [0n, 0n, false]);
    assert.equal(await revertName(simulate(6, "slashConflicting", [b.blockNumber, b.blockHash, b.anchorRoot, good, wrong, bad])), "NothingToSlash", "once");
  });

  it("past the 256-block window the majority decides: a counted signature against the attested root is reported by a verifier's watcher and slashed", async () => {
    const b = await sendTmatmul(url, keys[0]!);
    await v(0).publicClient.request({ method: "hardhat_mine" as never, params: ["0x101"] as never });
    const wrong = flipLowestBit(b.anchorRoot);
    // Out of the window the contract cannot read the anchor: verifier 3's wrong root is counted.
    const counted = await send(6, "attest", [b.blockNumber, b.blockHash, wrong, await sign(3, b.blockNumber, b.blockHash, wrong)]);
    assert.deepEqual(events(counted).map((e) => e.eventName), ["AttestationRecorded"]);
    assert.equal(await revertName(simulate(6, "slashWrongRoot", [b.blockNumber, b.blockHash, wrong, await sign(3, b.blockNumber, b.blockHash, wrong)])), "NotProvablyWrong", "nothing shows it wrong yet");
    for (const i of [1, 2]) await send(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, await sign(i, b.blockNumber, b.blockHash, b.anchorRoot)]);
    assert.deepEqual(await read("attestedRoot", [b.blockNumber]), [b.blockHash, b.anchorRoot]);

    // Verifier 1's watcher (the loop of `aivm verifier`) reads the events and reports the disagreeing vote.
    const seen: CommitteeEvent[] = [];
    const watcher = new CommitteeVerifier({ rpc: url, account: v(1).account, registry, fromBlock: b.blockNumber, onEvent: (e) => seen.push(e) });
    await watcher.init();
    await watcher.watch(await v(0).publicClient.getBlockNumber());
    const reported = seen.find((e) => e.kind === "reported");
    assert.ok(reported && reported.kind === "reported" && reported.vote.verifier === v(3).account.address, JSON.stringify(seen, (_k, x) => (typeof x === "bigint" ? String(x) : x)));
    const receipt = await v(0).publicClient.getTransactionReceipt({ hash: reported.txHash });
    gas.slashWrongRootAgainstAttested = receipt.gasUsed;
    const [e] = events(receipt);
    assert.equal(SLASH_REASONS[(e!.args as { reason: number }).reason], "AgainstAttested");
    assert.deepEqual(await read("verifiers", [v(3).account.address]), [0n, 0n, false]);
    // Slashing withdrew the vote it had counted.
    assert.equal(await read<bigint>("votesFor", [b.blockNumber, b.blockHash, wrong]), 0n);
  });

  it("slashWrongRoot takes a signature that never reached the registry, against BlockAnchor's anchor", async () => {
    await send(3, "register", [], MIN_BOND);
    const b = await sendTmatmul(url, keys[0]!);
    const wrong = flipLowestBit(b.anchorRoot);
    assert.equal(await revertName(simulate(6, "slashWrongRoot", [b.blockNumber, b.blockHash, b.anchorRoot, await sign(3, b.blockNumber, b.blockHash, b.anchorRoot)])), "NotProvablyWrong");
    const receipt = await send(6, "slashWrongRoot", [b.blockNumber, b.blockHash, wrong, await sign(3, b.blockNumber, b.blockHash, wrong)]);
    gas.slashWrongRootAgainstAnchor = receipt.gasUsed;
    assert.equal(SLASH_REASONS[(events(receipt)[0]!.args as { reason: number }).reason], "WrongAnchor");
  });

  it("a leaving verifier withdraws its bond after the exit delay, and stays slashable until then", async () => {
    // Verifier 4 asked to leave in the second test: long enough ago.
    const before4 = await v(0).publicClient.getBalance({ address: v(4).account.address });
    const w = await send(4, "withdraw");
    assert.equal(events(w)[0]?.eventName, "VerifierWithdrew");
    assert.equal((await v(0).publicClient.getBalance({ address: v(4).account.address })) - before4, MIN_BOND - w.gasUsed * w.effectiveGasPrice);
    assert.equal(await revertName(simulate(4, "withdraw")), "NotLeaving");

    await send(5, "register", [], MIN_BOND);
    await send(5, "requestExit");
    assert.equal(await revertName(simulate(5, "withdraw")), "ExitDelayPending");
    const b = await sendTmatmul(url, keys[0]!);
    const wrong = flipLowestBit(b.anchorRoot);
    const receipt = await send(6, "slashWrongRoot", [b.blockNumber, b.blockHash, wrong, await sign(5, b.blockNumber, b.blockHash, wrong)]);
    assert.equal(events(receipt)[0]?.eventName, "Slashed");
    assert.equal(await revertName(simulate(5, "withdraw")), "NotLeaving", "nothing left to withdraw");
  });

  it("AttestationGate: an AgentScheduler-style callback acts on a result only once its block's anchor is attested", async () => {
    const c = consumerContract();
    const { wallet, publicClient, account } = v(0);
    const deployed = await publicClient.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi: c.abi as Abi, bytecode: c.bytecode, args: [account.address, registry] }) });
    const consumer = { address: deployed.contractAddress!, abi: c.abi as Abi };
    // The result's delivery and the inference it reports land in one block.
    await publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    const inference = await chainClients(url, keys[8]!).wallet.sendTransaction({ to: PRECOMPILE_ADDRESSES.TMATMUL as Address, data: tmatmulCalldata() });
    const deliver = await wallet.writeContract({ ...consumer, functionName: "onInferenceResult", args: [7n, `0x${"ab".repeat(32)}`, "0x"], gas: 200_000n });
    await publicClient.request({ method: "evm_mine" as never, params: [] as never });
    await publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    const mined = await publicClient.getTransactionReceipt({ hash: inference });
    assert.equal((await publicClient.getTransactionReceipt({ hash: deliver })).blockNumber, mined.blockNumber);
    const [anchorRoot] = (await publicClient.readContract({ address: "0x000000000000000000000000000000000000A110", abi: BLOCK_ANCHOR_ABI, functionName: "anchorOf", args: [mined.blockNumber] })) as [Hex, bigint, bigint];
    const b = { blockNumber: mined.blockNumber, blockHash: mined.blockHash, anchorRoot };
    assert.notEqual(anchorRoot, `0x${"0".repeat(64)}`);

    const actError = async () => revertName(publicClient.simulateContract({ ...consumer, account, functionName: "act", args: [7n] }));
    assert.equal(await actError(), "NotAttested");
    await send(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, await sign(1, b.blockNumber, b.blockHash, b.anchorRoot)]);
    assert.equal(await actError(), "NotAttested", "one signature of two");
    await send(6, "attest", [b.blockNumber, b.blockHash, b.anchorRoot, await sign(2, b.blockNumber, b.blockHash, b.anchorRoot)]);
    const acted = await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ ...consumer, functionName: "act", args: [7n] }) });
    assert.equal(acted.status, "success");
    const log = decodeEventLog({ abi: c.abi as Abi, data: acted.logs[0]!.data, topics: acted.logs[0]!.topics });
    assert.equal(log.eventName, "ResultActedOn");
    assert.equal((log.args as unknown as { anchorRoot: Hex }).anchorRoot, b.anchorRoot);
  });
});
