// JSON-RPC 2.0 envelope handling, shared by HTTP and WebSocket: parsing, batches, limits, and the
// guarantee that any input yields a response object rather than an exception.
import { INVALID_REQUEST, LIMIT_EXCEEDED, PARSE_ERROR, RpcError, toRpcError } from "./errors.ts";
import { dispatch, type MethodTable } from "./methods.ts";

export const MAX_BODY_BYTES = 16 * 1024 * 1024;
export const MAX_BATCH_SIZE = 1000;

export interface JsonRpcResponse {
  jsonrpc: "2.0";
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export type Intercept = (method: string, params: unknown[]) => Promise<{ handled: true; result: unknown } | { handled: false }>;

export function errorResponse(id: JsonRpcResponse["id"], error: RpcError): JsonRpcResponse {
  return { jsonrpc: "2.0", id, error: error.toJSON() };
}

function validId(id: unknown): id is string | number | null {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

/** Handles one parsed request object. Notifications (no id) still run; their response is dropped. */
export async function handleRequest(table: MethodTable, request: unknown, intercept?: Intercept): Promise<JsonRpcResponse | undefined> {
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    return errorResponse(null, new RpcError(INVALID_REQUEST, "Invalid request: expected a JSON-RPC 2.0 object."));
  }
  const req = request as Record<string, unknown>;
  const id = validId(req.id) ? req.id : null;
  const isNotification = !("id" in req);
  if (req.jsonrpc !== "2.0" || typeof req.method !== "string" || (req.params !== undefined && !Array.isArray(req.params) && typeof req.params !== "object")) {
    return errorResponse(id, new RpcError(INVALID_REQUEST, "Invalid request: needs jsonrpc \"2.0\", a string method and array params."));
  }
  if ("id" in req && !validId(req.id)) return errorResponse(null, new RpcError(INVALID_REQUEST, "Invalid request: id must be a string, number or null."));
  const params = (req.params ?? []) as unknown[];
  try {
    const intercepted = intercept ? await intercept(req.method, params) : { handled: false as const };
    const result = intercepted.handled ? intercepted.result : await dispatch(table, req.method, params);
    return isNotification ? undefined : { jsonrpc: "2.0", id, result: result === undefined ? null : result };
  } catch (error) {
    return isNotification ? undefined : errorResponse(id, toRpcError(error));
  }
}

/** Handles a raw body: a single request or a batch. Returns the JSON text to send (empty for notifications only). */
export async function handleBody(table: MethodTable, body: string, intercept?: Intercept): Promise<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return JSON.stringify(errorResponse(null, new RpcError(PARSE_ERROR, "Parse error: the body is not valid JSON.")));
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) return JSON.stringify(errorResponse(null, new RpcError(INVALID_REQUEST, "Invalid request: empty batch.")));
    if (parsed.length > MAX_BATCH_SIZE) {
      return JSON.stringify(errorResponse(null, new RpcError(LIMIT_EXCEEDED, `Batch of ${parsed.length} requests exceeds the limit of ${MAX_BATCH_SIZE}.`)));
    }
    const responses: JsonRpcResponse[] = [];
    // In order: a batch of sends must keep its nonces in sequence.
    for (const item of parsed) {
      const response = await handleRequest(table, item, intercept);
      if (response) responses.push(response);
    }
    return responses.length ? JSON.stringify(responses) : "";
  }
  const response = await handleRequest(table, parsed, intercept);
  return response ? JSON.stringify(response) : "";
}
