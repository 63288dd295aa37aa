// The ONE place that maps AIVM error codes to Solidity custom errors (contracts/interfaces/IAIVMErrors.sol)
// and encodes them as revert data. Error data carries dtypes, shapes, ops and limits — never values.
import { encodeErrorResult, parseAbi, type Hex } from "viem";
import { AivmError, type SolidityErrorOf } from "../src/engine/errors.ts";

/** The IAIVMErrors ABI, kept equal to the Solidity interface (a test compiles both and compares). */
export const AIVM_ERRORS_ABI = parseAbi([
  "error ShapeMismatch(string op, string input, string expected, uint32[] actual)",
  "error DTypeMismatch(string op, string input, string expected, string actual)",
  "error RankLimit(uint256 rank, uint256 maxRank)",
  "error ElementLimit(uint32[] shape, uint256 maxElements)",
  "error InvalidDimension(string shape)",
  "error ElementCount(uint32[] shape, uint256 expected, uint256 actual)",
  "error MalformedEncoding(string what, string reason)",
  "error MemoryLimit(uint256 requestedBytes, uint256 limitBytes, uint256 usedBytes)",
  "error InvalidArgument(string op, string argument, string reason)",
  "error UnsupportedOp(string op)",
  "error WriteInStaticCall(address precompile)",
  "error UnknownHandle(uint8 kind, address owner, bytes32 id)",
  "error AivmFailure(string code, string message)",
]);

/** TSTORE to a state target inside a STATICCALL frame. */
export class WriteInStaticCallError extends AivmError {
  override name = "WriteInStaticCallError";
  override readonly code = "WRITE_IN_STATIC_CALL";
  constructor(readonly precompile: Hex) {
    super(`${precompile}: state writes are not allowed inside a static call.`, { docsPath: "precompiles.md#memory" });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "WriteInStaticCall", args: [this.precompile] };
  }
}

/**
 * A precompile input that is not the canonical ABI layout of its parameters (precompiles/abi-decode.ts).
 * Reverts as MalformedEncoding(what, reason): a layout fault is an encoding fault to a contract.
 */
export class NonCanonicalAbiError extends AivmError {
  override name = "NonCanonicalAbiError";
  override readonly code = "NON_CANONICAL_ABI";
  constructor(
    readonly what: string,
    /** The parameter types, e.g. "(bytes[],string[],int64[][],uint8)". */
    readonly layout: string,
    /** The first byte where the input leaves the canonical layout. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${what} is not the canonical ABI encoding of ${layout}: ${reason} (byte ${offset}).`, {
      docsPath: "precompiles.md#canonical-abi-input",
      metaMessages: ["Encode the input with Solidity's abi.encode, viem's encodeAbiParameters or ethers' AbiCoder: they all write the canonical layout."],
    });
  }

  /** A layout fault is an encoding fault to a contract. */
  override get solidityError(): SolidityErrorOf {
    return { name: "MalformedEncoding", args: [this.what, this.shortMessage] };
  }
}

/**
 * A node fault inside a precompile: an exception that is not an AivmError (allocation failure, failed
 * WASM memory.grow, stack overflow, a bug). Deliberately not an AivmError: it is no result of the
 * call and maps to no Solidity error. The transaction that hit it is not included, its block is
 * aborted, and clients get a JSON-RPC internal error (-32603). docs/precompiles.md#node-faults.
 */
export class PrecompileFaultError extends Error {
  override name = "PrecompileFaultError";
  constructor(
    readonly opcode: string,
    cause: unknown,
  ) {
    super(`Node fault in ${opcode}: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`.slice(0, 500), { cause });
  }
}

/** Handle kinds; 4 (seed) names the sampling seed derived from the block's VRF output and a salt (docs/vrf.md). */
export const HANDLE_KIND = { scratch: 1, persistent: 2, namespace: 3, seed: 4 } as const;
export type HandleKind = (typeof HANDLE_KIND)[keyof typeof HANDLE_KIND];

/** A handle that names nothing: unknown scratch slot, missing content id or empty namespace key. */
export class UnknownHandleError extends AivmError {
  override name = "UnknownHandleError";
  override readonly code = "UNKNOWN_HANDLE";
  constructor(
    readonly kind: number,
    readonly owner: Hex,
    readonly id: Hex,
  ) {
    super(`No tensor behind handle kind ${kind} owner ${owner} id ${id}.`, { docsPath: "precompiles.md#calling-convention" });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "UnknownHandle", args: [this.kind, this.owner, this.id] };
  }
}

/** ABI-encoded revert data for an error thrown by a precompile: its `solidityError`, in IAIVMErrors' ABI. */
export function revertDataOf(err: AivmError): Hex {
  const { name, args } = err.solidityError;
  return encodeErrorResult({ abi: AIVM_ERRORS_ABI, errorName: name, args } as Parameters<typeof encodeErrorResult>[0]);
}
