// debug_traceTransaction and debug_traceCall (docs/node.md#tracing): parse geth's trace options,
// re-execute through src/chain/trace.ts, and answer with the struct logger's, callTracer's or
// aivmTracer's result. A bad option is refused by name (-32602) rather than ignored. The
// debug_getRaw* methods are raw-methods.ts's.
import type { DevNode } from "../chain/node.ts";
import {
  TRACERS,
  TraceTooLargeError,
  callTracerResult,
  fourByteTracerResult,
  structLoggerResult,
  traceCall,
  traceTransaction,
  type TraceOptions,
  type TracedRun,
  type TracerName,
} from "../chain/trace.ts";
import { InvalidParamsError, LIMIT_EXCEEDED, RpcError, SERVER_ERROR } from "./errors.ts";
import { blockRef, callRequest, hash, paramList } from "./params.ts";
import type { MethodTable } from "./methods.ts";
import { createRawMethods } from "./raw-methods.ts";

const STRUCT_LOGGER_FLAGS = ["disableStack", "disableStorage", "enableMemory", "enableReturnData", "disableMemory"] as const;
const CALL_TRACER_FLAGS = ["onlyTopCall", "withLog"] as const;
/** Accepted for compatibility and not used: geth's re-execution depth (every state is kept). */
const IGNORED = ["reexec"] as const;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function createDebugMethods(node: DevNode): MethodTable {
  return {
    ...createRawMethods(node),
    debug_traceTransaction: async (params) => {
      const [h, raw] = paramList(params, 1, 2, "debug_traceTransaction");
      const txHash = hash(h, "transactionHash");
      const options = traceOptions(raw);
      const run = await limited(traceTransaction(node, txHash, options));
      if (!run) {
        const pending = node.pendingTransaction(txHash) !== undefined;
        // Hardhat's wording; a pending transaction has no block to re-execute in yet.
        throw new RpcError(SERVER_ERROR, pending ? `Transaction ${txHash} is pending: only mined transactions can be traced.` : `Unable to find a block containing transaction ${txHash}`);
      }
      return resultOf(run, options);
    },
    debug_traceCall: async (params) => {
      const [req, tag, raw] = paramList(params, 1, 3, "debug_traceCall");
      const request = callRequest(req, "call");
      const options = traceOptions(raw, ["stateOverrides", "blockOverrides"]);
      const run = await limited(traceCall(node, request, tag === undefined || tag === null ? "latest" : blockRef(tag, node), options));
      return resultOf(run, options);
    },
  };
}

function resultOf(run: TracedRun, options: TraceOptions): unknown {
  if (options.tracer === "structLogger") return structLoggerResult(run);
  if (options.tracer === "4byteTracer") return fourByteTracerResult(run);
  return callTracerResult(run, options);
}

/** A trace too large to hold is a limit the request exceeded (-32005), as the call limits are. */
async function limited<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (error) {
    if (error instanceof TraceTooLargeError) throw new RpcError(LIMIT_EXCEEDED, error.shortMessage, { code: error.code });
    throw error;
  }
}

/** geth's trace config: the struct logger's flags at the top level, the tracer's in tracerConfig. */
export function traceOptions(raw: unknown, unsupported: readonly string[] = []): TraceOptions {
  if (raw === undefined || raw === null) return { tracer: "structLogger" };
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidParamsError("Invalid trace options: expected an object such as { tracer: \"callTracer\" }.");
  const o = raw as Record<string, unknown>;
  const known = new Set<string>(["tracer", "tracerConfig", "limit", "timeout", ...STRUCT_LOGGER_FLAGS, ...IGNORED]);
  for (const key of Object.keys(o)) {
    if (unsupported.includes(key)) throw new InvalidParamsError(`Invalid trace options: ${key} is not supported by this node.`);
    if (!known.has(key)) throw new InvalidParamsError(`Invalid trace options: unknown field ${JSON.stringify(key.slice(0, 60))}.`);
  }
  let tracer: TracerName = "structLogger";
  if (o.tracer !== undefined && o.tracer !== null && o.tracer !== "") {
    if (typeof o.tracer !== "string" || !(TRACERS as readonly string[]).includes(o.tracer) || o.tracer === "structLogger") {
      throw new InvalidParamsError(
        `Invalid tracer ${JSON.stringify(String(o.tracer).slice(0, 60))}: this node has the struct logger (no tracer), "callTracer", "aivmTracer" and "4byteTracer".`,
      );
    }
    tracer = o.tracer as TracerName;
  }
  const options: TraceOptions = { tracer };
  for (const flag of STRUCT_LOGGER_FLAGS) {
    const v = o[flag];
    if (v === undefined || v === null) continue;
    if (typeof v !== "boolean") throw new InvalidParamsError(`Invalid trace options: ${flag} must be true or false.`);
    if (tracer !== "structLogger" && v) throw new InvalidParamsError(`Invalid trace options: ${flag} is a struct logger option, not ${tracer}'s.`);
    // Hardhat's legacy disableMemory: false asks for memory, as geth's enableMemory: true does.
    if (flag === "disableMemory") {
      if (!v) options.enableMemory = true;
    } else options[flag] = v;
  }
  if (o.limit !== undefined && o.limit !== null && o.limit !== 0) {
    if (typeof o.limit !== "number" || !Number.isSafeInteger(o.limit) || o.limit < 0) throw new InvalidParamsError("Invalid trace options: limit must be a whole number of steps.");
    if (tracer !== "structLogger") throw new InvalidParamsError(`Invalid trace options: limit is a struct logger option, not ${tracer}'s.`);
    options.limit = o.limit;
  }
  if (o.tracerConfig !== undefined && o.tracerConfig !== null) {
    if (tracer === "structLogger") throw new InvalidParamsError("Invalid trace options: tracerConfig needs a tracer (\"callTracer\" or \"aivmTracer\").");
    if (typeof o.tracerConfig !== "object" || Array.isArray(o.tracerConfig)) throw new InvalidParamsError("Invalid trace options: tracerConfig must be an object.");
    const config = o.tracerConfig as Record<string, unknown>;
    for (const key of Object.keys(config)) {
      if (tracer === "4byteTracer") throw new InvalidParamsError(`Invalid tracerConfig: unknown field ${JSON.stringify(key.slice(0, 60))} (4byteTracer takes none).`);
      if (!(CALL_TRACER_FLAGS as readonly string[]).includes(key)) throw new InvalidParamsError(`Invalid tracerConfig: unknown field ${JSON.stringify(key.slice(0, 60))} (${tracer} takes onlyTopCall and withLog).`);
      const v = config[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== "boolean") throw new InvalidParamsError(`Invalid tracerConfig: ${key} must be true or false.`);
      options[key as (typeof CALL_TRACER_FLAGS)[number]] = v;
    }
  }
  if (o.timeout !== undefined && o.timeout !== null) options.timeoutMs = durationMs(o.timeout);
  for (const key of IGNORED) {
    const v = o[key];
    if (v !== undefined && v !== null && typeof v !== "number") throw new InvalidParamsError(`Invalid trace options: ${key} must be a number.`);
  }
  return options;
}

/** geth's `timeout`: a Go duration such as "10s", "500ms" or "1m30s", positive; whole ms, rounded up. */
function durationMs(raw: unknown): number {
  const text = typeof raw === "string" ? raw.trim() : "";
  let ms = 0;
  let rest = text;
  while (rest !== "") {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) break;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (text === "" || rest !== "" || !(ms > 0) || ms > 2 ** 31 - 1) {
    throw new InvalidParamsError('Invalid trace options: timeout must be a positive duration such as "10s" or "500ms".');
  }
  return Math.ceil(ms);
}
