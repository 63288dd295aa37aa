// Shared test setup: a node server on a random port, and the compiled demo contract.
import { startNodeServer, type NodeServer, type NodeServerOptions } from "../../src/rpc/server.ts";
import { demoContract, DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import type { Tensor } from "../../src/engine/tensor.ts";
import { bytesToHex, type Hex } from "viem";

export async function startTestServer(options: NodeServerOptions = {}): Promise<NodeServer> {
  return startNodeServer({ port: 0, host: "127.0.0.1", ...options });
}

export const demo = demoContract();
export const weightsHex: Hex = bytesToHex(encodeTensor(DEMO_WEIGHTS));
export const inputHex: Hex = bytesToHex(encodeTensor(DEMO_INPUT));
/** x·W for DEMO_INPUT, computed by hand in the test from the integer data (BigInt oracle). */
export function expectedOutput(x: Tensor = DEMO_INPUT, w: Tensor = DEMO_WEIGHTS): bigint[] {
  const [k, n] = w.shape as [number, number];
  const out: bigint[] = [];
  for (let j = 0; j < n; j++) {
    let acc = 0n;
    for (let i = 0; i < k; i++) acc += BigInt(x.data[i]!) * BigInt(w.data[i * n + j]!);
    out.push(acc);
  }
  return out;
}
/** A wrongly shaped input: int8 [1, 5] against W [4, 3]. */
export const badInputHex: Hex = bytesToHex(encodeTensor({ dtype: "int8", shape: [1, 5], data: Int8Array.from([1, 2, 3, 4, 5]) }));

export async function rpc(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
