// The verifier's view of a node: plain JSON-RPC over HTTP, nothing shared with the node's process.
import { AivmError } from "../../engine/errors.ts";

/** A node answered a verifier request with an error, or not at all. */
export class VerifierRpcError extends AivmError {
  override name = "VerifierRpcError";
  override readonly code = "VERIFIER_RPC";
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method} failed: ${message}`, { docsPath: "verify.md#aivm-verify" });
  }
}

export class JsonRpcClient {
  /** Requests sent so far (the verifier reports them). */
  requests = 0;
  private nextId = 1;

  constructor(readonly url: string) {}

  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    this.requests++;
    let res: Response;
    try {
      res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }) });
    } catch (e) {
      throw new VerifierRpcError(method, `cannot reach ${this.url} (${e instanceof Error ? e.message : String(e)})`);
    }
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
    if (body.error) throw new VerifierRpcError(method, `${body.error.message} (code ${body.error.code})`);
    return body.result as T;
  }
}
