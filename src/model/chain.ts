// The model toolchain's view of a chain: run a program through the TGRAPH precompile with eth_call,
// quote it, and store tensors and programs with TSTORE — over any EIP-1193 provider or JSON-RPC URL.
import { createPublicClient, createWalletClient, custom, decodeAbiParameters, encodeAbiParameters, http, parseAbiParameters, type Hex, type PublicClient, type WalletClient, type Transport } from "viem";
import { bytesToHex, hexToBytes } from "viem";
import { decodeTensor, encodeTensor } from "../codec/tensor.ts";
import { encodeProgram, type Program } from "../codec/program.ts";
import type { Tensor } from "../engine/tensor.ts";
import { AivmError } from "../engine/errors.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { QUOTE_ONLY } from "../../precompiles/flags.ts";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import type { ProgramExecutor } from "./onnx-run.ts";

/** The node cannot be used for the requested step (no accounts, a reverted store transaction). */
export class ChainAccessError extends AivmError {
  override name = "ChainAccessError";
  override readonly code = "CHAIN_ACCESS";
  constructor(reason: string) {
    super(`Chain access failed: ${reason}.`, { docsPath: "models.md" });
  }
}


const TGRAPH_ARGS = parseAbiParameters("bytes program, bytes[] inputs, uint8 flags");
const TCUSTOM_ARGS = parseAbiParameters("bytes32 programId, bytes[] inputs, uint8 flags");
const TSTORE_ARGS = parseAbiParameters("uint8 target, bytes32 key, bytes data");
const OUTPUTS = parseAbiParameters("bytes[] outputs");

export interface ChainConnection {
  public: PublicClient;
  wallet: WalletClient;
  account: Hex;
}

/** Connects viem clients to a JSON-RPC URL or an in-process EIP-1193 provider; uses the node's first account. */
export async function connect(target: string | { request(args: { method: string; params?: unknown }): Promise<unknown> }): Promise<ChainConnection> {
  const transport: Transport = typeof target === "string" ? http(target, { timeout: 600_000 }) : custom(target);
  const pub = createPublicClient({ transport }) as PublicClient;
  const accounts = (await pub.request({ method: "eth_accounts" } as never)) as Hex[];
  if (!accounts.length) throw new ChainAccessError("the node has no unlocked accounts (eth_accounts is empty)");
  const wallet = createWalletClient({ transport, account: accounts[0]! });
  return { public: pub, wallet, account: accounts[0]! };
}

export function tgraphCalldata(program: Program | Uint8Array, inputs: readonly Tensor[], flags = 0): Hex {
  const bytes = program instanceof Uint8Array ? program : encodeProgram(program);
  return encodeAbiParameters(TGRAPH_ARGS, [bytesToHex(bytes), inputs.map((t) => bytesToHex(encodeTensor(t))), flags]);
}

export function tcustomCalldata(programId: Hex, inputs: readonly Tensor[], flags = 0): Hex {
  return encodeAbiParameters(TCUSTOM_ARGS, [programId, inputs.map((t) => bytesToHex(encodeTensor(t))), flags]);
}

export function decodeOutputs(data: Hex): Tensor[] {
  const [outs] = decodeAbiParameters(OUTPUTS, data);
  return outs.map((h) => decodeTensor(hexToBytes(h)));
}

/** Runs programs through TGRAPH with eth_call (the precompile path: decode, charge, run, commit, encode). */
export function chainExecutor(conn: ChainConnection): ProgramExecutor {
  return async (program, inputs) => {
    const { data } = await conn.public.call({ to: PRECOMPILE_ADDRESSES.TGRAPH, data: tgraphCalldata(program, inputs), account: conn.account });
    return decodeOutputs(data ?? "0x");
  };
}

/** Runs a stored program (TSTORE target 2) through TCUSTOM with eth_call. */
export async function callStoredProgram(conn: ChainConnection, programId: Hex, inputs: readonly Tensor[]): Promise<Tensor[]> {
  const { data } = await conn.public.call({ to: PRECOMPILE_ADDRESSES.TCUSTOM, data: tcustomCalldata(programId, inputs), account: conn.account });
  return decodeOutputs(data ?? "0x");
}

/** The precompile's own exact quote for a TGRAPH run (QUOTE_ONLY flag). */
export async function quoteOnChain(conn: ChainConnection, program: Program | Uint8Array, inputs: readonly Tensor[]): Promise<bigint> {
  const { data } = await conn.public.call({ to: PRECOMPILE_ADDRESSES.TGRAPH, data: tgraphCalldata(program, inputs, QUOTE_ONLY), account: conn.account });
  const [gas] = decodeAbiParameters(parseAbiParameters("uint256 gas"), data ?? "0x");
  return gas;
}

/** Sends a TSTORE transaction and returns the id the store assigned (the 32-byte id inside the returned handle). */
export async function tstore(conn: ChainConnection, target: number, data: Uint8Array, key: Hex = `0x${"00".repeat(32)}`): Promise<{ id: Hex; txHash: Hex; gasUsed: bigint }> {
  const calldata = encodeAbiParameters(TSTORE_ARGS, [target, key, bytesToHex(data)]);
  // Simulate first: the return value carries the handle (AREF ‖ kind ‖ owner ‖ id).
  const { data: ret } = await conn.public.call({ to: PRECOMPILE_ADDRESSES.TSTORE, data: calldata, account: conn.account });
  const [ref] = decodeAbiParameters(parseAbiParameters("bytes ref"), ret ?? "0x");
  const handle = hexToBytes(ref);
  const id = bytesToHex(handle.subarray(handle.length - 32));
  const txHash = await conn.wallet.sendTransaction({ to: PRECOMPILE_ADDRESSES.TSTORE, data: calldata, account: conn.account, chain: null });
  const receipt = await conn.public.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") throw new ChainAccessError(`TSTORE transaction ${txHash} reverted`);
  return { id, txHash, gasUsed: receipt.gasUsed };
}

/** The limits a model meets on a node: the block gas limit (transactions) and the eth_call cap (--rpc.gascap). */
export interface NodeGasLimits {
  blockGasLimit: bigint;
  /** Gas an eth_call without a gas field runs with: the --rpc.gascap, else the block gas limit. */
  callGasLimit: bigint;
  callLimitKind: "block gas limit" | "rpc.gascap";
}

/** Init code that fails at once whatever its gas (PUSH4 0xffffffff MLOAD: a 4 GiB memory expansion). */
const OUT_OF_GAS_AT_ONCE: Hex = "0x63ffffffff51";

/**
 * Reads the node's limits without doing any work: the latest block's gasLimit, and the call cap by
 * asking for a call with 2^53 − 1 gas that runs out of gas at its first instruction (an AIVM node
 * answers CALL_GAS_CAP with the cap when the request was capped; no answer means no cap).
 */
export async function nodeGasLimits(conn: ChainConnection): Promise<NodeGasLimits> {
  const block = (await conn.public.request({ method: "eth_getBlockByNumber", params: ["latest", false] } as never)) as { gasLimit: Hex };
  const blockGasLimit = BigInt(block.gasLimit);
  try {
    // No retries: viem retries a "limit exceeded" answer with back-off, which is the answer wanted here.
    await conn.public.request({ method: "eth_call", params: [{ from: conn.account, data: OUT_OF_GAS_AT_ONCE, gas: `0x${(2n ** 53n - 1n).toString(16)}` }, "latest"] } as never, { retryCount: 0 });
  } catch (e) {
    // viem wraps the JSON-RPC error (its `data`) in one or more causes.
    let d: { code?: string; gasCap?: Hex } | undefined;
    for (let c = e as { data?: unknown; cause?: unknown } | undefined; c && !d; c = c.cause as typeof c) {
      const x = c.data as { code?: string; gasCap?: Hex } | undefined;
      if (x?.code === "CALL_GAS_CAP") d = x;
    }
    if (d?.gasCap) {
      const cap = BigInt(d.gasCap);
      return { blockGasLimit, callGasLimit: cap, callLimitKind: cap === blockGasLimit ? "block gas limit" : "rpc.gascap" };
    }
  }
  return { blockGasLimit, callGasLimit: blockGasLimit, callLimitKind: "block gas limit" };
}

/** Whether the persistent store already holds this content id (a shard, a manifest or a program): aivm_getTensor, a read. */
export async function isStored(conn: ChainConnection, id: Hex): Promise<boolean> {
  const found = await conn.public.request({ method: "aivm_getTensor", params: [id] } as never);
  return found !== null && found !== undefined;
}

/** The congestion multiplier the node's next block prices AIVM work at (aivm_congestion; fixed point, 1.0 = MULTIPLIER_ONE). */
export async function nodeMultiplier(conn: ChainConnection): Promise<bigint> {
  const c = (await conn.public.request({ method: "aivm_congestion" } as never)) as { multiplier: Hex | null; nextMultiplier: Hex | null };
  return BigInt(c.nextMultiplier ?? c.multiplier ?? MULTIPLIER_ONE);
}
