// 0x…A105 TSTORE: store a tensor in scratch, or in state — the persistent content-addressed store,
// a program, the caller's agent namespace, or a shard manifest. State targets are refused inside a
// static call, are charged per byte, and are undone with the state journal if the frame reverts.
// input  abi.encode(uint8 target, bytes32 key, bytes data)
// output abi.encode(bytes ref)
import { keccak256One } from "../src/commit/keccak.ts";
import { parseAbiParameters } from "viem";
import { InvalidArgumentError } from "../src/engine/errors.ts";
import { encodeTensor } from "../src/codec/tensor.ts";
import { byteSize } from "../src/engine/tensor.ts";
import { putBlob, putNamespaceEntry } from "./memory.ts";
import { encodeBytes } from "../src/codec/abi.ts";
import type { Plan, PrecompileCall } from "./call.ts";
import { PRECOMPILE_ADDRESSES } from "./addresses.ts";
import { TSTORE_TARGET } from "./flags.ts";
import { HANDLE_KIND, WriteInStaticCallError } from "./errors.ts";
import { encodeHandle, scratchHandle } from "./handles.ts";
import { argumentGas, storeGas } from "./gas.ts";
import { decodeShardManifestData, shardManifestBlob, shardManifestId } from "./shards.ts";
import { decodeProgramCached } from "./program-cache.ts";

export const TSTORE_INPUT = parseAbiParameters("uint8 target, bytes32 key, bytes data");

export async function planTstore(call: PrecompileCall): Promise<Plan> {
  const [target, key, data] = call.decode(TSTORE_INPUT);
  if (target > TSTORE_TARGET.sharded) throw new InvalidArgumentError("TSTORE", "target", "must be 0 … 4");
  if (target !== TSTORE_TARGET.namespace && key.some((b) => b !== 0)) throw new InvalidArgumentError("TSTORE", "key", "is only used with the namespace target");
  if (target !== TSTORE_TARGET.scratch && call.frame.isStatic) throw new WriteInStaticCallError(PRECOMPILE_ADDRESSES.TSTORE);
  const bytes = data;
  // The receipt's params: target and key; what was stored is the output commit.
  const params = new Uint8Array(33);
  params[0] = target;
  params.set(key, 1);

  if (target === TSTORE_TARGET.program) {
    const id = keccak256One(bytes);
    decodeProgramCached(bytes, id); // validates the whole program before it is stored (and keeps it decoded for its calls)
    const gas = storeGas(bytes.length);
    return {
      gas,
      flops: 0n,
      workingBytes: 0,
      async execute() {
        await putBlob(call.state, id, bytes);
        await call.record(params, [], [id], gas, 0n);
        return encodeBytes(encodeHandle(HANDLE_KIND.persistent, id));
      },
    };
  }

  if (target === TSTORE_TARGET.sharded) {
    const manifest = decodeShardManifestData(bytes);
    manifest.assemble(await call.shardArgs(manifest.shards)); // checks dtypes and sizes against the manifest
    const id = shardManifestId(bytes);
    const gas = call.readGas + storeGas(bytes.length + 4);
    return {
      gas,
      flops: 0n,
      workingBytes: 0,
      async execute() {
        await putBlob(call.state, id, shardManifestBlob(bytes));
        await call.record(params, [], [id], gas, 0n);
        return encodeBytes(encodeHandle(HANDLE_KIND.persistent, id));
      },
    };
  }

  const arg = await call.tensorArg(bytes);
  if (target === TSTORE_TARGET.scratch) {
    const gas = call.readGas + argumentGas(arg.meta, arg.source);
    return {
      gas,
      flops: 0n,
      workingBytes: byteSize(arg.meta),
      async execute() {
        const t = await arg.load();
        const handle = scratchHandle(call.tx.scratch.put(t));
        await call.record(params, [t], [call.commit(t)], gas, 0n);
        return encodeBytes(handle);
      },
    };
  }

  // Persistent tensor, or a namespace entry pointing at one: content id = the tensor's commit.
  const gas = call.readGas + storeGas(arg.encodedBytes) + (target === TSTORE_TARGET.namespace ? storeGas(32) : 0n);
  const owner = call.frame.caller.bytes;
  return {
    gas,
    flops: 0n,
    workingBytes: arg.transientBytes + arg.encodedBytes,
    async execute() {
      const t = await arg.load();
      const id = call.commit(t);
      await putBlob(call.state, id, encodeTensor(t));
      if (target === TSTORE_TARGET.namespace) await putNamespaceEntry(call.state, owner, key, id);
      await call.record(params, [t], [id], gas, 0n);
      const ref = target === TSTORE_TARGET.namespace ? encodeHandle(HANDLE_KIND.namespace, key, owner) : encodeHandle(HANDLE_KIND.persistent, id);
      return encodeBytes(ref);
    },
  };
}

