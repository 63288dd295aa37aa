// `aivm ffi call | seed`: the AIVM precompiles for Foundry's `ffi` cheatcode. Forge runs its own EVM,
// which has no AIVM precompiles; contracts/foundry/AivmTest.sol etches shims at 0x…A101–0x…A108 that
// call this command. Each call runs in a fresh in-memory chain VM (createAivmVM: the node's VM,
// runtime and precompile code) after replaying what the forge state says happened before it: the
// state-writing calls of earlier transactions (`--history`, each in a transaction of its own), then
// the earlier calls of the current transaction (`--tx`, so scratch handles, receipts, the trace root
// and call indices are the node's). A call is an *entry*, abi.encode(address precompile, address
// caller, bool isStatic, bytes data); forge keeps only entries' keccak256 hashes, the entries themselves
// are files under `<store>/calls/` (content-addressed, so parallel forge tests share them safely).
// Output on stdout: the hex of abi.encode(bool success, bytes returnData, uint256 gasUsed), which
// forge's ffi decodes to bytes. docs/foundry.md.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createAddressFromString } from "@ethereumjs/util";
import { bytesToHex, decodeAbiParameters, encodeAbiParameters, hexToBytes, keccak256, type Hex } from "viem";
import { createAivmRuntime } from "../chain/runtime.ts";
import { createAivmVM } from "../chain/vm.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { TSTORE_TARGET } from "../../precompiles/flags.ts";
import { REPLAY_GAS, ZERO_ADDRESS } from "./commands/ffi.ts";

const ENTRY = [
  { name: "precompile", type: "address" },
  { name: "caller", type: "address" },
  { name: "isStatic", type: "bool" },
  { name: "data", type: "bytes" },
] as const;
const RESULT = [
  { name: "success", type: "bool" },
  { name: "returnData", type: "bytes" },
  { name: "gasUsed", type: "uint256" },
] as const;

/** The flags of `aivm ffi call`. */
export interface FfiCallFlags {
  store: string;
  caller: Hex;
  static: boolean;
  gas: bigint;
  history: Hex[];
  tx: Hex[];
}

/** One precompile call as forge made it. */
export interface FfiEntry {
  precompile: Hex;
  caller: Hex;
  isStatic: boolean;
  data: Hex;
}

/** What forge sees: the shim returns `returnData` (or reverts with it) and burns `gasUsed`. */
export interface FfiResult {
  success: boolean;
  returnData: Hex;
  gasUsed: bigint;
}

export function encodeEntry(e: FfiEntry): Hex {
  return encodeAbiParameters(ENTRY, [e.precompile, e.caller, e.isStatic, e.data]);
}

/** Writes an entry under `<store>/calls/<keccak256(entry)>.bin` (atomically: parallel tests may write the same one) and returns its hash. */
export function saveEntry(store: string, e: FfiEntry): Hex {
  const encoded = encodeEntry(e);
  const hash = keccak256(encoded);
  const dir = join(store, "calls");
  const file = join(dir, `${hash}.bin`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, hexToBytes(encoded));
    renameSync(tmp, file);
  }
  return hash;
}

function loadEntry(store: string, hash: Hex): FfiEntry {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(join(store, "calls", `${hash}.bin`));
  } catch {
    throw new Error(`aivm ffi: no entry ${hash} under ${join(store, "calls")} (was the store directory cleared during the test run?)`);
  }
  if (keccak256(bytes) !== hash) throw new Error(`aivm ffi: entry file ${hash}.bin does not hash to its name`);
  const [precompile, caller, isStatic, data] = decodeAbiParameters(ENTRY, bytesToHex(bytes));
  return { precompile, caller, isStatic, data };
}

/** A fresh chain VM whose persistent store holds what `history` stored, and its runtime. */
async function chainWith(history: readonly FfiEntry[]) {
  const runtime = createAivmRuntime();
  const vm = await createAivmVM({ runtime });
  for (const e of history) {
    const r = await runInTx(vm, runtime, [e]);
    if (!r.success) throw new Error(`aivm ffi: replaying a stored write to ${e.precompile} failed (${r.returnData}); the store directory does not match this test's state`);
  }
  return { vm, runtime };
}

type Chain = Awaited<ReturnType<typeof chainWith>>;

/**
 * Runs `calls` as one transaction and returns the last one's result. Every call is a message at depth 1
 * from its recorded caller: the runtime keeps one transaction context across them (a depth-0 message
 * would start a new one), and nothing bumps the caller's nonce.
 */
async function runInTx(vm: Chain["vm"], runtime: Chain["runtime"], calls: readonly FfiEntry[], lastGas = REPLAY_GAS): Promise<FfiResult> {
  runtime.startTx(vm.evm);
  let result: FfiResult = { success: false, returnData: "0x", gasUsed: 0n };
  try {
    for (const [i, c] of calls.entries()) {
      const last = i === calls.length - 1;
      const r = await vm.evm.runCall({
        caller: createAddressFromString(c.caller),
        origin: createAddressFromString(c.caller),
        to: createAddressFromString(c.precompile),
        data: hexToBytes(c.data),
        isStatic: c.isStatic,
        gasLimit: last ? lastGas : REPLAY_GAS,
        depth: 1,
        skipBalance: true,
      });
      const fault = runtime.txFault();
      if (fault !== undefined) throw fault;
      result = { success: r.execResult.exceptionError === undefined, returnData: bytesToHex(r.execResult.returnValue), gasUsed: r.execResult.executionGasUsed };
      if (!last && !result.success) throw new Error(`aivm ffi: replaying call ${i} of the transaction (to ${c.precompile}) failed; it succeeded in forge`);
    }
  } finally {
    runtime.endTx(undefined, true);
  }
  return result;
}

export interface FfiCallOptions {
  store: string;
  caller: Hex;
  isStatic: boolean;
  gas: bigint;
  history: Hex[];
  tx: Hex[];
}

/** Runs one precompile call the way the node would, after the replay; saves its entry so a later call can replay it. */
export async function ffiCall(precompile: Hex, data: Hex, opts: FfiCallOptions): Promise<FfiResult> {
  const entry: FfiEntry = { precompile, caller: opts.caller, isStatic: opts.isStatic, data };
  saveEntry(opts.store, entry);
  const { vm, runtime } = await chainWith(opts.history.map((h) => loadEntry(opts.store, h)));
  return runInTx(vm, runtime, [...opts.tx.map((h) => loadEntry(opts.store, h)), entry], opts.gas);
}

/** The parts of an `aivm model pack` package that are stored: shards, manifests, program. */
interface StoredParts {
  shards: { tensor: Hex; id: Hex }[];
  manifests?: { data: Hex; id: Hex }[];
  program: Hex;
  programId: Hex;
}

/**
 * The TSTORE calls that store a model package (what deployModelPackage sends, in its order: shards,
 * manifests, program), run and checked against the package's ids, saved as entries. Returns their
 * hashes, for the forge state's history, and the program id.
 */
export async function ffiSeed(packageFile: string, store: string, caller: Hex = ZERO_ADDRESS): Promise<{ entries: Hex[]; programId: Hex }> {
  const pkg = JSON.parse(readFileSync(packageFile, "utf8")) as StoredParts;
  const zeroKey: Hex = `0x${"00".repeat(32)}`;
  const stores: { target: number; data: Hex; id: Hex }[] = [
    ...pkg.shards.map((s) => ({ target: TSTORE_TARGET.persistent, data: s.tensor, id: s.id })),
    ...(pkg.manifests ?? []).map((m) => ({ target: TSTORE_TARGET.sharded, data: m.data, id: m.id })),
    { target: TSTORE_TARGET.program, data: pkg.program, id: pkg.programId },
  ];
  const { vm, runtime } = await chainWith([]);
  const entries: Hex[] = [];
  for (const s of stores) {
    const entry: FfiEntry = {
      precompile: PRECOMPILE_ADDRESSES.TSTORE,
      caller,
      isStatic: false,
      data: encodeAbiParameters([{ type: "uint8" }, { type: "bytes32" }, { type: "bytes" }], [s.target, zeroKey, s.data]),
    };
    const r = await runInTx(vm, runtime, [entry]);
    if (!r.success) throw new Error(`aivm ffi seed: storing ${s.id} from ${packageFile} reverted (${r.returnData})`);
    const [ref] = decodeAbiParameters([{ type: "bytes" }], r.returnData);
    // The handle's last 32 bytes are the content id the store assigned.
    if (`0x${ref.slice(-64)}`.toLowerCase() !== s.id.toLowerCase()) throw new Error(`aivm ffi seed: the store assigned 0x${ref.slice(-64)} to what ${packageFile} calls ${s.id}`);
    entries.push(saveEntry(store, entry));
  }
  return { entries, programId: pkg.programId };
}

/** `aivm ffi call` (the command: ./commands/ffi.ts). */
export async function printFfiCall(address: Hex, calldata: Hex, o: FfiCallFlags): Promise<void> {
  const r = await ffiCall(address, calldata, { store: o.store, caller: o.caller, isStatic: o.static, gas: o.gas, history: o.history, tx: o.tx });
  process.stdout.write(encodeAbiParameters(RESULT, [r.success, r.returnData, r.gasUsed]));
}

/** `aivm ffi seed` (the command: ./commands/ffi.ts). */
export async function printFfiSeed(file: string, o: { store: string; caller: Hex }): Promise<void> {
  const { entries, programId } = await ffiSeed(file, o.store, o.caller);
  process.stdout.write(encodeAbiParameters([{ type: "bytes32[]" }, { type: "bytes32" }], [entries, programId]));
}
