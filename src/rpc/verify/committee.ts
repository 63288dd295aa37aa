// The committee verifier behind `aivm verifier` (docs/verify.md#committee): follows a node through
// its JSON-RPC, re-executes every block that has AIVM receipts with verifyBlock (this process's own
// VM, the pre-state proven against the parent header), and when every receipt, trace root and the
// anchor match, signs (blockNumber, blockHash, anchorRoot) as EIP-712 typed data and sends it to
// contracts/verify/AttestationRegistry.sol's attest() from its own key. It also reads the registry's
// AttestationRecorded events and reports every counted signature whose root disagrees with the
// attested one (slashWrongRoot).
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  http,
  parseAbi,
  BaseError,
  ContractFunctionRevertedError,
  type Account,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
  type WalletClient,
  type Transport,
  type Chain,
} from "viem";
import { JsonRpcClient } from "./json-rpc.ts";
import { verifyBlock, type BlockVerdict } from "./verify-blocks.ts";

/** The part of AttestationRegistry's ABI the verifier uses (test/verify/attestation-registry.test.ts pins it to the compiled one). */
export const ATTESTATION_REGISTRY_ABI = parseAbi([
  "function register() payable",
  "function requestExit()",
  "function withdraw()",
  "function minBond() view returns (uint256)",
  "function exitDelay() view returns (uint256)",
  "function threshold() view returns (uint256)",
  "function activeCount() view returns (uint256)",
  "function burned() view returns (uint256)",
  "function verifiers(address verifier) view returns (uint256 bond, uint64 exitBlock, bool active)",
  "function attestationDigest(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot) view returns (bytes32)",
  "function attest(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot, bytes signature) returns (bool counted)",
  "function slashConflicting(uint256 blockNumber, bytes32 blockHash, bytes32 rootA, bytes signatureA, bytes32 rootB, bytes signatureB)",
  "function slashWrongRoot(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot, bytes signature)",
  "function isAttested(uint256 blockNumber, bytes32 anchorRoot) view returns (bool)",
  "function attestedRoot(uint256 blockNumber) view returns (bytes32 blockHash, bytes32 anchorRoot)",
  "function voteOf(uint256 blockNumber, address verifier) view returns (bytes32 blockHash, bytes32 anchorRoot)",
  "function votesFor(uint256 blockNumber, bytes32 blockHash, bytes32 anchorRoot) view returns (uint256)",
  "event VerifierRegistered(address indexed verifier, uint256 bond)",
  "event ExitRequested(address indexed verifier, uint256 withdrawableAt)",
  "event VerifierWithdrew(address indexed verifier, uint256 bond)",
  "event AttestationRecorded(uint256 indexed blockNumber, address indexed verifier, bytes32 blockHash, bytes32 anchorRoot, uint256 votes, bytes signature)",
  "event BlockAttested(uint256 indexed blockNumber, bytes32 blockHash, bytes32 anchorRoot, uint256 votes)",
  "event Slashed(address indexed verifier, uint256 indexed blockNumber, uint8 reason, address reporter, uint256 reward, uint256 burnedAmount)",
  "error ThresholdTooLow()",
  "error BondTooLow(uint256 sent, uint256 minimum)",
  "error AlreadyRegistered(address verifier)",
  "error NotRegistered(address verifier)",
  "error NotLeaving(address verifier)",
  "error ExitDelayPending(uint256 withdrawableAt)",
  "error InvalidSignature()",
  "error BlockNotSealed(uint256 blockNumber, uint256 currentBlock)",
  "error EmptyAnchorRoot(uint256 blockNumber)",
  "error WrongBlockHash(uint256 blockNumber, bytes32 signed, bytes32 onChain)",
  "error DuplicateAttestation(address verifier, uint256 blockNumber)",
  "error OtherBlockHash(uint256 blockNumber, bytes32 signed, bytes32 recorded)",
  "error NotConflicting()",
  "error NotProvablyWrong(uint256 blockNumber, bytes32 anchorRoot)",
  "error NothingToSlash(address verifier)",
  "error TransferFailed(address to, uint256 amount)",
]);

/** Gas limit of an attest transaction: above every path's use (at most 144K gas measured, docs/verify.md#committee). */
export const ATTEST_GAS_LIMIT = 300_000n;

/** Blocks per eth_getLogs request. */
const LOG_SLICE = 10_000n;

/** AttestationRegistry.SlashReason, by its uint8 value. */
export const SLASH_REASONS = ["WrongAnchor", "Conflicting", "AgainstAttested"] as const;

/** The EIP-712 type a verifier signs (AttestationRegistry.ATTESTATION_TYPEHASH). */
export const ATTESTATION_TYPES = {
  Attestation: [
    { name: "blockNumber", type: "uint256" },
    { name: "blockHash", type: "bytes32" },
    { name: "anchorRoot", type: "bytes32" },
  ],
} as const;

export function attestationDomain(chainId: number, registry: Address) {
  return { name: "AivmAttestationRegistry", version: "1", chainId, verifyingContract: registry } as const;
}

/** What a verifier signs. */
export interface Attestation {
  blockNumber: bigint;
  blockHash: Hex;
  anchorRoot: Hex;
}

/** Signs an attestation for `registry` on chain `chainId` (EIP-712; v is 27 or 28, s is low). */
export function signAttestation(account: Account, chainId: number, registry: Address, a: Attestation): Promise<Hex> {
  if (!account.signTypedData) throw new Error("The verifier's account cannot sign typed data: it needs a local private key.");
  return account.signTypedData({ domain: attestationDomain(chainId, registry), types: ATTESTATION_TYPES, primaryType: "Attestation", message: a });
}

/** TEST ONLY faults a verifier can be started with. `sign-wrong-root`: signs the anchor root with its lowest bit flipped. */
export const VERIFIER_FAULTS = ["sign-wrong-root"] as const;
export type VerifierFault = (typeof VERIFIER_FAULTS)[number];

export function flipLowestBit(root: Hex): Hex {
  const last = parseInt(root.slice(-1), 16) ^ 1;
  return `${root.slice(0, -1)}${last.toString(16)}` as Hex;
}

/** A counted signature, from an AttestationRecorded event. */
export interface RecordedVote extends Attestation {
  verifier: Address;
  signature: Hex;
}

/**
 * The counted signatures that the majority rule shows wrong: same block and block hash as an
 * attested anchor, another root. `attested` maps block numbers to the attested (blockHash, anchorRoot).
 */
export function votesAgainstAttested(votes: readonly RecordedVote[], attested: ReadonlyMap<bigint, { blockHash: Hex; anchorRoot: Hex }>): RecordedVote[] {
  return votes.filter((v) => {
    const a = attested.get(v.blockNumber);
    return a !== undefined && a.blockHash === v.blockHash && a.anchorRoot !== v.anchorRoot;
  });
}

/** One line of what the verifier did, for its log. */
export type CommitteeEvent =
  | { kind: "waiting"; reason: string }
  | { kind: "error"; error: string }
  | { kind: "registered"; verifier: Address; bond: bigint; txHash: Hex }
  | { kind: "already-registered"; verifier: Address; bond: bigint }
  | { kind: "skipped"; blockNumber: bigint; reason: string }
  | { kind: "mismatch"; blockNumber: bigint; verdict: BlockVerdict }
  | { kind: "signed"; blockNumber: bigint; attestation: Attestation; counted: boolean; votes?: bigint; txHash: Hex; ms: number }
  | { kind: "rejected"; blockNumber: bigint; attestation: Attestation; error: string }
  | { kind: "attested"; blockNumber: bigint; blockHash: Hex; anchorRoot: Hex; votes: bigint }
  | { kind: "slashed"; verifier: Address; blockNumber: bigint; reason: string; reporter: Address; reward: bigint; self: boolean }
  | { kind: "reported"; vote: RecordedVote; txHash: Hex };

export interface CommitteeVerifierOptions {
  rpc: string;
  account: Account;
  registry: Address;
  /** First block to verify (default: the block after the head at start). */
  fromBlock?: bigint;
  /** Bond sent with register() when not registered (default: the registry's minBond). */
  bond?: bigint;
  fault?: VerifierFault;
  /** Milliseconds between polls of eth_blockNumber. */
  pollMs?: number;
  /** The node's --hardfork, for re-execution (verifyBlock's default: read from the headers). */
  hardfork?: string;
  onEvent?: (event: CommitteeEvent) => void;
}

/** The revert's error name and arguments, or the message. */
export function describeError(e: unknown): string {
  if (e instanceof BaseError) {
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data) {
      return `${reverted.data.errorName}(${(reverted.data.args ?? []).map(String).join(", ")})`;
    }
    return e.shortMessage;
  }
  return e instanceof Error ? e.message : String(e);
}

export class CommitteeVerifier {
  readonly client: JsonRpcClient;
  private readonly publicClient: PublicClient<Transport, Chain>;
  private wallet!: WalletClient<Transport, Chain, Account>;
  private chainId!: number;
  private nextBlock: bigint | undefined;
  private nextLogBlock = 0n;
  private readonly votes: RecordedVote[] = [];
  private readonly attested = new Map<bigint, { blockHash: Hex; anchorRoot: Hex }>();
  /** "verifier:block" of the wrong signatures already slashed or reported. */
  private readonly reported = new Set<string>();
  private stopped = false;
  /** Set once this verifier's own bond was slashed; it then stops signing. */
  slashed = false;

  constructor(readonly options: CommitteeVerifierOptions) {
    this.client = new JsonRpcClient(options.rpc);
    // cacheTime 0: viem would otherwise answer eth_blockNumber from a cache for a polling interval,
    // and a block mined within it would wait for the next poll (or, for a caller of step(), be missed).
    this.publicClient = createPublicClient({ transport: http(options.rpc), pollingInterval: 100, cacheTime: 0 }) as PublicClient<Transport, Chain>;
    this.nextBlock = options.fromBlock;
  }

  get address(): Address {
    return this.options.account.address;
  }

  private emit(event: CommitteeEvent): void {
    this.options.onEvent?.(event);
  }

  /** Reads the chain id and registers with a bond unless this key already holds one. */
  async init(): Promise<void> {
    await this.waitForRegistry();
    if (this.stopped) return;
    this.chainId = await this.publicClient.getChainId();
    const chain = defineChain({ id: this.chainId, name: "aivm", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [this.options.rpc] } } });
    this.wallet = createWalletClient({ account: this.options.account, chain, transport: http(this.options.rpc), pollingInterval: 100 });
    const registry = this.options.registry;
    const [bond] = await this.publicClient.readContract({ address: registry, abi: ATTESTATION_REGISTRY_ABI, functionName: "verifiers", args: [this.address] });
    if (bond > 0n) this.emit({ kind: "already-registered", verifier: this.address, bond });
    else {
      const value = this.options.bond ?? (await this.publicClient.readContract({ address: registry, abi: ATTESTATION_REGISTRY_ABI, functionName: "minBond" }));
      const txHash = await this.wallet.writeContract({ address: registry, abi: ATTESTATION_REGISTRY_ABI, functionName: "register", value });
      await this.publicClient.waitForTransactionReceipt({ hash: txHash });
      this.emit({ kind: "registered", verifier: this.address, bond: value, txHash });
    }
    this.nextBlock ??= (await this.publicClient.getBlockNumber()) + 1n;
    this.nextLogBlock = this.nextBlock;
  }

  /** Waits until the node answers and the registry has code (a verifier may start before either). */
  private async waitForRegistry(): Promise<void> {
    let waiting: string | undefined;
    while (!this.stopped) {
      let reason: string;
      try {
        const code = await this.publicClient.getCode({ address: this.options.registry });
        if (code !== undefined && code !== "0x") return;
        reason = `no contract at ${this.options.registry} yet`;
      } catch (e) {
        reason = describeError(e);
      }
      if (reason !== waiting) this.emit({ kind: "waiting", reason });
      waiting = reason;
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 250));
    }
  }

  /** Verifies and attests every sealed block not yet seen, then reports wrong counted signatures. */
  async step(): Promise<void> {
    const head = await this.publicClient.getBlockNumber();
    while (!this.stopped && !this.slashed && this.nextBlock! <= head) {
      await this.attestBlock(this.nextBlock!);
      this.nextBlock!++;
    }
    // Read up to the new head: the events of the transactions just sent (its own slashing among them).
    if (!this.stopped) await this.watch(await this.publicClient.getBlockNumber());
  }

  /** Polls until stop() or until this verifier is slashed. */
  async run(): Promise<void> {
    await this.init();
    while (!this.stopped && !this.slashed) {
      try {
        await this.step();
      } catch (e) {
        // A node restarting or a request failing: the same block is tried again at the next poll.
        this.emit({ kind: "error", error: describeError(e) });
      }
      if (!this.stopped && !this.slashed) await new Promise((r) => setTimeout(r, this.options.pollMs ?? 250));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Block n: skipped when it has no AIVM receipts (a zero anchor: nothing to attest, and the
   * verifiers' own attest transactions land in such blocks); else re-executed, and signed and sent
   * only when everything matches.
   */
  async attestBlock(n: bigint): Promise<void> {
    const anchor = await this.client.request<{ anchorRoot: Hex; receiptCount: number } | null>("aivm_getAnchor", [`0x${n.toString(16)}`]);
    if (!anchor || anchor.receiptCount === 0) return;
    const t0 = performance.now();
    const verdict = await verifyBlock(this.client, n, this.options.hardfork === undefined ? {} : { hardfork: this.options.hardfork });
    if (!verdict.valid) return this.emit({ kind: "mismatch", blockNumber: n, verdict });
    const attestation: Attestation = {
      blockNumber: n,
      blockHash: verdict.blockHash,
      anchorRoot: this.options.fault === "sign-wrong-root" ? flipLowestBit(verdict.anchorRoot) : verdict.anchorRoot,
    };
    const registry = this.options.registry;
    const [attestedHash, attestedRoot] = await this.publicClient.readContract({ address: registry, abi: ATTESTATION_REGISTRY_ABI, functionName: "attestedRoot", args: [n] });
    if (attestedHash === attestation.blockHash && attestedRoot === attestation.anchorRoot) {
      return this.emit({ kind: "skipped", blockNumber: n, reason: "already attested with the same root" });
    }
    const signature = await signAttestation(this.options.account, this.chainId, registry, attestation);
    let txHash: Hex;
    try {
      const call = { address: registry, abi: ATTESTATION_REGISTRY_ABI, functionName: "attest", args: [n, attestation.blockHash, attestation.anchorRoot, signature] } as const;
      // Simulated first, so a signature the registry refuses (duplicate, unregistered) is never sent; then
      // sent with a fixed limit, not the estimate: the other verifiers' signatures landing first can make
      // this one the vote that reaches the threshold, which costs more gas than estimated.
      await this.publicClient.simulateContract({ ...call, account: this.options.account });
      txHash = await this.wallet.writeContract({ ...call, gas: ATTEST_GAS_LIMIT });
    } catch (e) {
      return this.emit({ kind: "rejected", blockNumber: n, attestation, error: describeError(e) });
    }
    const receipt = await this.publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success") return this.emit({ kind: "rejected", blockNumber: n, attestation, error: `transaction ${txHash} reverted` });
    let counted = false;
    let votes: bigint | undefined;
    for (const log of this.registryLogs(receipt.logs)) {
      const mine = "verifier" in log.args && log.args.verifier.toLowerCase() === this.address.toLowerCase();
      if (mine && log.eventName === "AttestationRecorded") {
        counted = true;
        votes = log.args.votes;
      }
      // Its own signature was the fraud proof (watch() reports the Slashed event).
      if (mine && log.eventName === "Slashed") this.slashed = true;
    }
    this.emit({ kind: "signed", blockNumber: n, attestation, counted, ...(votes !== undefined ? { votes } : {}), txHash, ms: performance.now() - t0 });
  }

  private registryLogs(logs: readonly Log[]) {
    const out = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.options.registry.toLowerCase()) continue;
      try {
        out.push(decodeEventLog({ abi: ATTESTATION_REGISTRY_ABI, data: log.data, topics: log.topics }));
      } catch {
        // not one of the registry's events
      }
    }
    return out;
  }

  /**
   * Reads the registry's events up to `head`: attestations and slashes are reported (a slash of this
   * verifier stops it), and every counted signature that disagrees with its block's attested root
   * is sent to slashWrongRoot.
   */
  async watch(head: bigint): Promise<void> {
    const logs: Log[] = [];
    // In slices the node's eth_getLogs accepts (MAX_LOG_RANGE, src/rpc/params.ts), for a verifier far behind.
    for (let from = this.nextLogBlock; from <= head; from += LOG_SLICE) {
      const to = from + LOG_SLICE - 1n < head ? from + LOG_SLICE - 1n : head;
      logs.push(...(await this.publicClient.getLogs({ address: this.options.registry, fromBlock: from, toBlock: to })));
    }
    if (this.nextLogBlock <= head) this.nextLogBlock = head + 1n;
    for (const event of this.registryLogs(logs)) {
      if (event.eventName === "AttestationRecorded") {
        const a = event.args;
        this.votes.push({ blockNumber: a.blockNumber, verifier: a.verifier, blockHash: a.blockHash, anchorRoot: a.anchorRoot, signature: a.signature });
      } else if (event.eventName === "BlockAttested") {
        const a = event.args;
        this.attested.set(a.blockNumber, { blockHash: a.blockHash, anchorRoot: a.anchorRoot });
        this.emit({ kind: "attested", blockNumber: a.blockNumber, blockHash: a.blockHash, anchorRoot: a.anchorRoot, votes: a.votes });
      } else if (event.eventName === "Slashed") {
        const a = event.args;
        const self = a.verifier.toLowerCase() === this.address.toLowerCase();
        this.reported.add(`${a.verifier.toLowerCase()}:${a.blockNumber}`);
        this.emit({ kind: "slashed", verifier: a.verifier, blockNumber: a.blockNumber, reason: SLASH_REASONS[a.reason] ?? String(a.reason), reporter: a.reporter, reward: a.reward, self });
        if (self) this.slashed = true;
      }
    }
    if (this.slashed) return;
    for (const vote of votesAgainstAttested(this.votes, this.attested)) {
      const key = `${vote.verifier.toLowerCase()}:${vote.blockNumber}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      try {
        const txHash = await this.wallet.writeContract({
          address: this.options.registry,
          abi: ATTESTATION_REGISTRY_ABI,
          functionName: "slashWrongRoot",
          args: [vote.blockNumber, vote.blockHash, vote.anchorRoot, vote.signature],
        });
        await this.publicClient.waitForTransactionReceipt({ hash: txHash });
        this.emit({ kind: "reported", vote, txHash });
      } catch (e) {
        // Another verifier reported it first, or its bond is already gone.
        this.emit({ kind: "rejected", blockNumber: vote.blockNumber, attestation: vote, error: `slashWrongRoot: ${describeError(e)}` });
      }
    }
  }
}
