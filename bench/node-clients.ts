// The JSON-RPC clients of `npm run bench:node`, run in a worker thread so that their CPU time
// (HTTP, JSON) is not taken from the node's event loop, as with real clients in other processes.
// Each job posts pre-built JSON-RPC bodies over HTTP and reports wall-clock timings.
import { Agent, request } from "node:http";
import { parentPort } from "node:worker_threads";

export type ClientJob =
  /** Each inner list is one client, sending its bodies one after another; all clients at once. */
  | { kind: "concurrent"; url: string; clients: string[][] }
  /** One client, one body after another. */
  | { kind: "serial"; url: string; bodies: string[] }
  /**
   * Each inner list is one client sending on a fixed schedule: all clients together offer
   * `callsPerSec`, client c's i-th call due at start + (i·clients + c) / callsPerSec. A client whose
   * previous call returned after the next was due sends late, and that call's latency counts from
   * when it was due, so the time it waited behind a slow one is measured, not hidden (no coordinated
   * omission); otherwise it counts from the send (a timer firing late is the client's delay).
   */
  | { kind: "paced"; url: string; clients: string[][]; callsPerSec: number };

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

async function runPacedClient(url: string, bodies: string[], report: ClientReport, dueMs: (i: number) => number): Promise<void> {
  for (let i = 0; i < bodies.length; i++) {
    const due = dueMs(i);
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const from = wait > 0 ? performance.now() : due;
    const reply = await post(url, bodies[i]!);
    report.latenciesMs.push(performance.now() - from);
    report.error ??= firstError(reply);
  }
}

async function run(job: ClientJob): Promise<ClientReport> {
  const report: ClientReport = { latenciesMs: [], elapsedMs: 0 };
  const t0 = performance.now();
  if (job.kind === "serial") await runClient(job.url, job.bodies, report);
  else if (job.kind === "paced") {
    const n = job.clients.length;
    const intervalMs = 1000 / job.callsPerSec;
    await Promise.all(job.clients.map((bodies, c) => runPacedClient(job.url, bodies, report, (i) => t0 + (i * n + c) * intervalMs)));
  } else await Promise.all(job.clients.map((bodies) => runClient(job.url, bodies, report)));
  report.elapsedMs = performance.now() - t0;
  return report;
}

parentPort?.on("message", (job: ClientJob) => {
  run(job).then(
    (report) => parentPort!.postMessage(report),
    (error: unknown) => parentPort!.postMessage({ latenciesMs: [], elapsedMs: 0, error: String(error) }),
  );
});
