// The devnet's block driver (docs/network.md#devnet): a simulated beacon in the manner of geth's
// `--dev` mode. It speaks only the Engine API, exactly as a consensus client does: each slot one node
// (round robin) builds a payload (engine_forkchoiceUpdatedV3 with attributes, engine_getPayloadV*),
// every node re-executes it (engine_newPayloadV*), and a block that a strict majority found VALID
// becomes every node's head, safe and finalized block (engine_forkchoiceUpdatedV3). A node that
// answers INVALID is named in the log with the node's reason; a node that answers SYNCING (it was
// restarted, or missed blocks) is sent the blocks it lacks, oldest first. There are no validators,
// signatures or attestations: it drives the execution nodes, it does not secure them.
import { createHash } from "node:crypto";
import { SignJWT } from "jose";

type Hex = `0x${string}`;

export interface BeaconMember {
  name: string;
  /** The node's Engine API URL (its auth port). */
  engineUrl: string;
  jwtSecret: Uint8Array;
  /** The address this node's blocks pay their fees to. */
  feeRecipient: Hex;
  /** The node's ordinary JSON-RPC URL: where the blocks accepted before this driver started are read back (debug_getRawTransaction). */
  rpcUrl: string;
}

/** getPayload / newPayload versions per execution fork (the node's docs/network.md#methods). */
const FORK_VERSIONS: Record<string, { getPayload: number; newPayload: number }> = {
  cancun: { getPayload: 3, newPayload: 3 },
  prague: { getPayload: 4, newPayload: 4 },
  osaka: { getPayload: 5, newPayload: 4 },
};

export const BEACON_FORKS: readonly string[] = Object.keys(FORK_VERSIONS);

export interface SimulatedBeaconOptions {
  members: BeaconMember[];
  /** The execution fork every node runs (cancun, prague, osaka). */
  fork: string;
  slotMs: number;
  log?: (line: string) => void;
}

/** A block the majority accepted: what newPayload needs to hand it to a node that lacks it. */
interface AcceptedBlock {
  number: bigint;
  hash: Hex;
  timestamp: bigint;
  /** Undefined for genesis. */
  payload: Record<string, unknown> | undefined;
  executionRequests: Hex[];
  parentBeaconBlockRoot: Hex;
}

interface PayloadStatus {
  status: "VALID" | "INVALID" | "SYNCING" | "ACCEPTED";
  latestValidHash: Hex | null;
  validationError: string | null;
}

/** A JSON-RPC error answer (the node was reached and refused the call). */
class EngineCallError extends Error {
  override name = "EngineCallError";
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message} (${code})`);
  }
}

async function engineCall<T>(member: BeaconMember, method: string, params: unknown[]): Promise<T> {
  const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(member.jwtSecret);
  const res = await fetch(member.engineUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(60_000),
  });
  if (res.status === 401) throw new EngineCallError(method, 401, `the JWT was refused: ${await res.text()}`);
  const json = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (json.error) throw new EngineCallError(method, json.error.code, json.error.message);
  return json.result as T;
}

async function publicCall<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }), signal: AbortSignal.timeout(60_000) });
  const json = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (json.error) throw new EngineCallError(method, json.error.code, json.error.message);
  return json.result as T;
}

/** The EIP-7685 requests hash of no requests: sha256 of nothing. */
const EMPTY_REQUESTS_HASH = `0x${createHash("sha256").digest("hex")}`;

/** Block n of a member as newPayload takes it, rebuilt from its JSON-RPC (the transactions raw). */
async function acceptedBlockFromRpc(member: BeaconMember, n: number): Promise<AcceptedBlock> {
  const b = await publicCall<Record<string, Hex> & { transactions: Hex[]; withdrawals: unknown[] }>(member.rpcUrl, "eth_getBlockByNumber", [`0x${n.toString(16)}`, false]);
  if (b.requestsHash !== undefined && b.requestsHash !== EMPTY_REQUESTS_HASH) throw new Error(`block ${n} carries execution requests, which the driver cannot read back`);
  const transactions = await Promise.all(b.transactions.map((hash) => publicCall<Hex>(member.rpcUrl, "debug_getRawTransaction", [hash])));
  const payload: Record<string, unknown> = {
    parentHash: b.parentHash,
    feeRecipient: b.miner,
    stateRoot: b.stateRoot,
    receiptsRoot: b.receiptsRoot,
    logsBloom: b.logsBloom,
    prevRandao: b.mixHash,
    blockNumber: b.number,
    gasLimit: b.gasLimit,
    gasUsed: b.gasUsed,
    timestamp: b.timestamp,
    extraData: b.extraData,
    baseFeePerGas: b.baseFeePerGas,
    blockHash: b.hash,
    transactions,
    withdrawals: b.withdrawals,
    blobGasUsed: b.blobGasUsed,
    excessBlobGas: b.excessBlobGas,
  };
  return { number: BigInt(n), hash: b.hash!, timestamp: BigInt(b.timestamp!), payload, executionRequests: [], parentBeaconBlockRoot: b.parentBeaconBlockRoot! };
}

function digest(label: string, slot: number): Hex {
  return `0x${createHash("sha256").update(`aivm-devnet ${label} ${slot}`).digest("hex")}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  return String(error);
}

export class SimulatedBeacon {
  private readonly log: (line: string) => void;
  private readonly versions: { getPayload: number; newPayload: number };
  /** The accepted chain from genesis, by block number. */
  private readonly chain: AcceptedBlock[] = [];
  private slot = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Blocks each member answered INVALID (diagnostics and tests), with the member that built each. */
  readonly rejections: { member: string; number: bigint; hash: Hex; proposer: string; validationError: string | null }[] = [];
  /** Which member built each recent payload, by block hash (to say whose block a node rejected). */
  private readonly builders = new Map<Hex, string>();

  constructor(private readonly options: SimulatedBeaconOptions) {
    const versions = FORK_VERSIONS[options.fork];
    if (versions === undefined) throw new Error(`The devnet drives ${BEACON_FORKS.join(", ")}; got ${options.fork}.`);
    this.versions = versions;
    this.log = options.log ?? ((line) => console.log(line));
  }

  /** The accepted head: the newest block a majority found VALID. */
  get head(): { number: bigint; hash: Hex } {
    const block = this.chain[this.chain.length - 1]!;
    return { number: block.number, hash: block.hash };
  }

  /** The member that built the payload with this block hash (the most recent 256 payloads). */
  builderOf(hash: Hex): string | undefined {
    return this.builders.get(hash.toLowerCase() as Hex);
  }

  /** Reads every member's genesis block (they must agree), then proposes one block per slot. */
  async start(): Promise<void> {
    const geneses = await Promise.all(this.options.members.map((m) => engineCall<{ hash: Hex; timestamp: Hex }>(m, "eth_getBlockByNumber", ["0x0", false])));
    const distinct = new Set(geneses.map((g) => g.hash));
    if (distinct.size > 1) {
      const list = this.options.members.map((m, i) => `${m.name} ${geneses[i]!.hash}`).join(", ");
      throw new Error(`The nodes have different genesis blocks (${list}): start them with the same --genesis file, chain id, hardfork and mnemonic.`);
    }
    await this.resume(geneses[0]!);
    for (const member of this.options.members) await this.forkchoice(member, undefined).catch(() => undefined);
    this.schedule();
  }

  /**
   * The accepted chain so far: genesis, or, on a devnet started again on its databases, the chain
   * to the head a strict majority of the nodes share, read back from one of them.
   */
  private async resume(genesis: { hash: Hex; timestamp: Hex }): Promise<void> {
    this.chain.push({ number: 0n, hash: genesis.hash, timestamp: BigInt(genesis.timestamp), payload: undefined, executionRequests: [], parentBeaconBlockRoot: `0x${"00".repeat(32)}` });
    const members = this.options.members;
    const heads = await Promise.all(members.map((m) => engineCall<{ hash: Hex; number: Hex }>(m, "eth_getBlockByNumber", ["latest", false])));
    const votes = new Map<Hex, number>();
    for (const head of heads) votes.set(head.hash, (votes.get(head.hash) ?? 0) + 1);
    const [hash, count] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const holder = members[heads.findIndex((h) => h.hash === hash)]!;
    const height = Number(BigInt(heads.find((h) => h.hash === hash)!.number));
    if (height === 0 || count * 2 <= members.length) return;
    for (let n = 1; n <= height; n++) this.chain.push(await acceptedBlockFromRpc(holder, n));
    this.log(`resuming at block ${height} ${hash} (the head of ${count}/${members.length} nodes)`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.proposeSlot()
        .catch((error: unknown) => this.log(`slot ${this.slot}: ${errorText(error)}`))
        .finally(() => this.schedule());
    }, this.options.slotMs);
  }

  private forkchoice(member: BeaconMember, attributes: Record<string, unknown> | undefined) {
    const { hash } = this.head;
    const state = { headBlockHash: hash, safeBlockHash: hash, finalizedBlockHash: hash };
    return engineCall<{ payloadStatus: PayloadStatus; payloadId: Hex | null }>(member, "engine_forkchoiceUpdatedV3", attributes ? [state, attributes] : [state]);
  }

  private newPayload(member: BeaconMember, block: AcceptedBlock, payload: Record<string, unknown>): Promise<PayloadStatus> {
    const params: unknown[] = [payload, [], block.parentBeaconBlockRoot];
    if (this.versions.newPayload >= 4) params.push(block.executionRequests);
    return engineCall<PayloadStatus>(member, `engine_newPayloadV${this.versions.newPayload}`, params);
  }

  /** One slot: build on the proposer (the next member that answers), then let every member judge. */
  private async proposeSlot(): Promise<void> {
    const slot = ++this.slot;
    const members = this.options.members;
    const parent = this.chain[this.chain.length - 1]!;
    let built: AcceptedBlock | undefined;
    let proposer: BeaconMember | undefined;
    for (let i = 0; i < members.length && built === undefined; i++) {
      const candidate = members[(slot + i) % members.length]!;
      try {
        built = await this.build(candidate, slot, parent);
        proposer = candidate;
      } catch (error) {
        this.log(`slot ${slot}: ${candidate.name} could not build a block: ${errorText(error)}`);
      }
    }
    if (built?.payload === undefined || proposer === undefined) return;
    const payload = built.payload;
    this.builders.set(built.hash.toLowerCase() as Hex, proposer.name);
    if (this.builders.size > 256) this.builders.delete(this.builders.keys().next().value!);
    const statuses = await Promise.all(members.map((m) => this.judge(m, built, payload, proposer)));
    const valid = statuses.filter((s) => s === "VALID").length;
    const txs = (payload.transactions as unknown[]).length;
    if (valid * 2 <= members.length) {
      this.log(`slot ${slot}: block ${built.number} ${built.hash} by ${proposer.name} not accepted: VALID on ${valid}/${members.length}`);
      return;
    }
    this.chain.push(built);
    await Promise.all(members.map((m) => this.forkchoice(m, undefined).catch(() => undefined)));
    this.log(`slot ${slot}: block ${built.number} ${built.hash} by ${proposer.name}, ${txs} transaction(s), VALID on ${valid}/${members.length}`);
  }

  private async build(member: BeaconMember, slot: number, parent: AcceptedBlock): Promise<AcceptedBlock> {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const timestamp = now > parent.timestamp ? now : parent.timestamp + 1n;
    const parentBeaconBlockRoot = digest("beacon block root", slot);
    const attributes = {
      timestamp: `0x${timestamp.toString(16)}`,
      prevRandao: digest("randao", slot),
      suggestedFeeRecipient: member.feeRecipient,
      withdrawals: [],
      parentBeaconBlockRoot,
    };
    let answer = await this.forkchoice(member, attributes);
    if (answer.payloadStatus.status === "SYNCING") {
      await this.catchUp(member);
      answer = await this.forkchoice(member, attributes);
    }
    if (answer.payloadId === null) throw new Error(`forkchoiceUpdated answered ${answer.payloadStatus.status} without a payload id${answer.payloadStatus.validationError ? `: ${answer.payloadStatus.validationError}` : ""}`);
    const got = await engineCall<{ executionPayload: Record<string, unknown>; executionRequests?: Hex[] }>(member, `engine_getPayloadV${this.versions.getPayload}`, [answer.payloadId]);
    const payload = got.executionPayload;
    return {
      number: BigInt(payload.blockNumber as Hex),
      hash: payload.blockHash as Hex,
      timestamp,
      payload,
      executionRequests: got.executionRequests ?? [],
      parentBeaconBlockRoot,
    };
  }

  /** A member's verdict on a block; SYNCING members are first sent what they lack. Unreachable: "DOWN". */
  private async judge(member: BeaconMember, block: AcceptedBlock, payload: Record<string, unknown>, proposer: BeaconMember): Promise<string> {
    try {
      let status = await this.newPayload(member, block, payload);
      if (status.status === "SYNCING") {
        await this.catchUp(member);
        status = await this.newPayload(member, block, payload);
      }
      if (status.status === "INVALID") {
        this.rejections.push({ member: member.name, number: block.number, hash: block.hash, proposer: proposer.name, validationError: status.validationError });
        this.log(`${member.name} rejected block ${block.number} ${block.hash} from ${proposer.name}: ${status.validationError ?? "no reason given"}`);
      }
      return status.status;
    } catch (error) {
      if (error instanceof EngineCallError) this.log(`${member.name}: ${error.message}`);
      return "DOWN";
    }
  }

  /** Sends a member the accepted blocks after the newest one it has, oldest first, then points its head at ours. */
  private async catchUp(member: BeaconMember): Promise<void> {
    let from = Number(BigInt(await engineCall<Hex>(member, "eth_blockNumber", [])));
    from = Math.min(from, this.chain.length - 1);
    // Walk back to the newest block the member shares with the accepted chain.
    while (from > 0) {
      const block = await engineCall<{ hash: Hex } | null>(member, "eth_getBlockByNumber", [`0x${from.toString(16)}`, false]);
      if (block?.hash === this.chain[from]!.hash) break;
      from--;
    }
    const missing = this.chain.slice(from + 1);
    if (missing.length > 0) this.log(`${member.name} is behind: sending blocks ${from + 1}..${from + missing.length}`);
    for (const block of missing) {
      if (block.payload === undefined) return;
      const status = await this.newPayload(member, block, block.payload);
      if (status.status !== "VALID") {
        this.log(`${member.name} answered ${status.status} to block ${block.number} while catching up${status.validationError ? `: ${status.validationError}` : ""}`);
        return;
      }
    }
    await this.forkchoice(member, undefined);
  }
}
