// The JSON-RPC clients of `npm run bench:node`, run in a worker thread so that their CPU time
// (HTTP, JSON) is not taken from the node's event loop, as with real clients in other processes.
// Each job posts pre-built JSON-RPC bodies over HTTP and reports wall-clock timings.
import { Agent, request } from "node:http";
import { parentPort } from "node:worker_threads";

export type ClientJob =
  /** Each inner list is one client, sending its bodies one after another; all clients at once. */
  | { kind: "concurrent"; url: string; clients: string[][] }
  /** One client, one body after another. */
  | { kind: "serial"; url: string; bodies: string[] };

export interface ClientReport {
  /** Per request, milliseconds from send to parsed reply. */
  latenciesMs: number[];
  elapsedMs: number;
  /** The first JSON-RPC error seen, if any. */
  error?: string;
}

// node:http with keep-alive sockets, one per client: a lean client, so that the latency measured is
// the node's and not the client library's (fetch costs ~0.7 ms of client CPU per request here).
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(error);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function firstError(reply: unknown): string | undefined {
  for (const r of Array.isArray(reply) ? reply : [reply]) {
    const error = (r as { error?: { message?: string } }).error;
    if (error) return error.message ?? "error";
  }
  return undefined;
}

async function runClient(url: string, bodies: string[], report: ClientReport): Promise<void> {
  for (const body of bodies) {
    const start = performance.now();
    const reply = await post(url, body);
    report.latenciesMs.push(performance.now() - start);
    report.error ??= firstError(reply);
  }
}

async function run(job: ClientJob): Promise<ClientReport> {
  const report: ClientReport = { latenciesMs: [], elapsedMs: 0 };
  const t0 = performance.now();
  if (job.kind === "serial") await runClient(job.url, job.bodies, report);
  else await Promise.all(job.clients.map((bodies) => runClient(job.url, bodies, report)));
  report.elapsedMs = performance.now() - t0;
  return report;
}

parentPort?.on("message", (job: ClientJob) => {
  run(job).then(
    (report) => parentPort!.postMessage(report),
    (error: unknown) => parentPort!.postMessage({ latenciesMs: [], elapsedMs: 0, error: String(error) }),
  );
});
