// Every AIVM failure is one of these classes. Messages describe shapes, dtypes, ops and limits;
// they never include tensor values, so a failing call does not leak a private payload.

export interface AivmErrorOptions {
  /** One or two sentences with the specifics (shapes, dtypes, limits). */
  details?: string;
  /** Path under docs/ that explains the rule that was broken. */
  docsPath?: string;
  /** Extra lines, e.g. "Expected: int8[4,8]". */
  metaMessages?: string[];
  cause?: unknown;
}

/**
 * The Solidity custom error (contracts/interfaces/IAIVMErrors.sol) a failure reverts with: its name
 * and its arguments in declaration order. precompiles/errors.ts encodes it as revert data.
 */
export interface SolidityErrorOf {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** uint32[] arguments: a dimension outside uint32 (only in refused shapes) encodes as 0. */
const u32s = (shape: readonly number[]) => shape.map((d) => (Number.isInteger(d) && d >= 0 && d <= 0xffffffff ? d : 0));

/** Base class of every AIVM error, shaped like viem's BaseError. */
export class AivmError extends Error {
  override name = "AivmError";
  /** Stable machine-readable code; maps 1:1 onto a Solidity custom error (precompiles/errors.ts). */
  readonly code: string = "AIVM_ERROR";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly docsPath: string | undefined;
  readonly metaMessages: string[];

  constructor(shortMessage: string, options: AivmErrorOptions = {}) {
    const lines = [shortMessage];
    if (options.metaMessages?.length) lines.push("", ...options.metaMessages);
    if (options.details) lines.push("", `Details: ${options.details}`);
    if (options.docsPath) lines.push(`Docs: docs/${options.docsPath}`);
    super(lines.join("\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.docsPath = options.docsPath;
    this.metaMessages = options.metaMessages ?? [];
  }

  /** The Solidity error this failure reverts with; AivmFailure(code, message) unless a subclass has its own. */
  get solidityError(): SolidityErrorOf {
    return { name: "AivmFailure", args: [this.code, this.shortMessage] };
  }
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Two tensors (or a tensor and an op's expectation) disagree on shape. */
export class ShapeMismatchError extends AivmError {
  override name = "ShapeMismatchError";
  override readonly code = "SHAPE_MISMATCH";
  constructor(
    readonly op: string,
    readonly input: string,
    readonly expected: readonly number[] | string,
    readonly actual: readonly number[],
    details?: string,
  ) {
    const exp = typeof expected === "string" ? expected : formatShape(expected);
    super(`${op}: input "${input}" has shape ${formatShape(actual)}, expected ${exp}.`, {
      details,
      docsPath: "spec.md#shapes",
      metaMessages: [`Expected: ${exp}`, `Actual:   ${formatShape(actual)}`],
    });
  }

  override get solidityError(): SolidityErrorOf {
    const expected = typeof this.expected === "string" ? this.expected : formatShape(this.expected);
    return { name: "ShapeMismatch", args: [this.op, this.input, expected, u32s(this.actual)] };
  }
}

/** A tensor has a dtype the op does not accept. */
export class DTypeMismatchError extends AivmError {
  override name = "DTypeMismatchError";
  override readonly code = "DTYPE_MISMATCH";
  constructor(
    readonly op: string,
    readonly input: string,
    readonly expected: readonly string[],
    readonly actual: string,
  ) {
    super(`${op}: input "${input}" has dtype ${actual}, expected ${expected.join(" or ")}.`, {
      docsPath: "spec.md#dtypes",
    });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "DTypeMismatch", args: [this.op, this.input, this.expected.join("|"), this.actual] };
  }
}

/** Rank above MAX_RANK. */
export class RankLimitError extends AivmError {
  override name = "RankLimitError";
  override readonly code = "RANK_LIMIT";
  constructor(
    readonly rank: number,
    readonly maxRank: number,
  ) {
    super(`Tensor rank ${rank} exceeds the maximum rank ${maxRank}.`, { docsPath: "spec.md#limits" });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "RankLimit", args: [BigInt(this.rank), BigInt(this.maxRank)] };
  }
}

/** The product of the dimensions is too large (overflow, element limit or memory limit). */
export class ElementLimitError extends AivmError {
  override name = "ElementLimitError";
  override readonly code = "ELEMENT_LIMIT";
  constructor(
    readonly shape: readonly number[],
    readonly maxElements: number,
  ) {
    super(`Tensor shape ${formatShape(shape)} has more than ${maxElements} elements.`, {
      docsPath: "spec.md#limits",
    });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "ElementLimit", args: [u32s(this.shape), BigInt(this.maxElements)] };
  }
}

/** A dimension is negative, fractional or otherwise not a valid size. */
export class InvalidDimensionError extends AivmError {
  override name = "InvalidDimensionError";
  override readonly code = "INVALID_DIMENSION";
  constructor(readonly shape: readonly number[] | string) {
    super(`Invalid tensor shape ${typeof shape === "string" ? shape : formatShape(shape)}: dimensions must be integers in [0, 2^31).`, {
      docsPath: "spec.md#limits",
    });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "InvalidDimension", args: [typeof this.shape === "string" ? this.shape : formatShape(this.shape)] };
  }
}

/** The element count implied by the shape differs from the data length. */
export class ElementCountError extends AivmError {
  override name = "ElementCountError";
  override readonly code = "ELEMENT_COUNT";
  constructor(
    readonly shape: readonly number[],
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`Tensor shape ${formatShape(shape)} needs ${expected} elements but the data holds ${actual}.`, {
      docsPath: "spec.md#tensor-wire-format",
    });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "ElementCount", args: [u32s(this.shape), BigInt(this.expected), BigInt(this.actual)] };
  }
}

/** An encoded tensor or program could not be decoded (truncated, bad magic, bad version...). */
export class MalformedEncodingError extends AivmError {
  override name = "MalformedEncodingError";
  override readonly code = "MALFORMED_ENCODING";
  constructor(
    readonly what: string,
    reason: string,
  ) {
    super(`Malformed ${what}: ${reason}.`, { docsPath: "spec.md#tensor-wire-format" });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "MalformedEncoding", args: [this.what, this.shortMessage] };
  }
}

/** The transaction's tensor memory budget would be exceeded. */
export class MemoryLimitError extends AivmError {
  override name = "MemoryLimitError";
  override readonly code = "MEMORY_LIMIT";
  constructor(
    readonly requestedBytes: number,
    readonly limitBytes: number,
    readonly usedBytes: number,
  ) {
    super(
      `Tensor memory limit exceeded: ${requestedBytes} more bytes requested with ${usedBytes} in use, limit ${limitBytes}.`,
      { docsPath: "spec.md#memory" },
    );
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "MemoryLimit", args: [BigInt(this.requestedBytes), BigInt(this.limitBytes), BigInt(this.usedBytes)] };
  }
}

/** An op attribute or argument is invalid (axis out of range, bad stride, unknown op...). */
export class InvalidArgumentError extends AivmError {
  override name = "InvalidArgumentError";
  override readonly code = "INVALID_ARGUMENT";
  constructor(
    readonly op: string,
    readonly argument: string,
    reason: string,
  ) {
    super(`${op}: invalid ${argument}: ${reason}.`, { docsPath: "spec.md#ops" });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "InvalidArgument", args: [this.op, this.argument, this.shortMessage] };
  }
}

/** The op is not known to the engine (or the importer). */
export class UnsupportedOpError extends AivmError {
  override name = "UnsupportedOpError";
  override readonly code = "UNSUPPORTED_OP";
  constructor(
    readonly op: string,
    readonly supported: readonly string[],
    readonly where?: string,
  ) {
    super(`Unsupported op "${op}"${where ? ` at ${where}` : ""}.`, {
      docsPath: "onnx-ops.md",
      metaMessages: [`Supported: ${supported.join(", ")}`],
    });
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "UnsupportedOp", args: [this.op] };
  }
}
