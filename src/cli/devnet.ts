// `aivm devnet` (docs/network.md#devnet): N execution nodes (`aivm node --engine`, one process each,
// its own LevelDB, JWT secret and log) on loopback, every transaction forwarded between them
// (--tx-peers) and missed blocks fetched from each other (--sync-peers), driven through their
// Engine API by the simulated beacon (./devnet-beacon.ts). Node 1 runs with the matmul worker
// threads off and node 2 with the JS kernels only, so an engine that computed differently on
// another machine shows as a rejected payload. A node that dies is restarted on its database and
// catches up.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hexToBytes } from "@ethereumjs/util";
import { SimulatedBeacon, type BeaconMember } from "./devnet-beacon.ts";
import { withAllocatorEnv } from "./process-tuning.ts";

type Hex = `0x${string}`;

const AIVM_BIN = fileURLToPath(new URL("../../bin/aivm.mjs", import.meta.url));

export interface DevnetOptions {
  nodes: number;
  /** Node i's JSON-RPC port is port + i (0: any free port). */
  port: number;
  /** Node i's Engine API port is authPort + i (0: any free port). */
  authPort: number;
  /** Where the nodes keep their databases, JWT secrets and logs (default: a fresh temporary directory). */
  dir?: string;
  slotMs: number;
  hardfork: string;
  /** A genesis.json every node starts from (default: <dir>/genesis.json, written by `aivm genesis` on first start). */
  genesis?: string;
  mnemonic?: string;
  /** Same engine settings on every node (no workers-off node, no JS-kernel node). */
  uniform?: boolean;
  /** TEST ONLY: node index and opcode whose receipts that node records with one output-commit bit flipped. */
  injectFault?: { node: number; opcode: string };
  /** Restart a node that exits on its own (default true). */
  restart?: boolean;
  log?: (line: string) => void;
}

export interface DevnetNode {
  index: number;
  name: string;
  rpcUrl: string;
  engineUrl: string;
  jwtSecretFile: string;
  dbDir: string;
  logFile: string;
  /** What this node runs differently (empty: the defaults). */
  variant: string;
  child: ChildProcess;
}

export interface Devnet {
  dir: string;
  nodes: DevnetNode[];
  beacon: SimulatedBeacon;
  /** Kills node i with `signal` (SIGKILL: a crash) and waits for it to exit; it is restarted when restart is on. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts node i again on its database (after kill with restart off). */
  start(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** The environment and description of node i's engine variant: what makes it a "different machine". */
function engineVariant(index: number, uniform: boolean): { env: Record<string, string>; variant: string } {
  if (uniform) return { env: {}, variant: "" };
  if (index % 3 === 1) return { env: { AIVM_MATMUL_THREADS: "0", AIVM_MATMUL_KERNEL: "wasm" }, variant: "WASM matmul kernel, workers off (AIVM_MATMUL_KERNEL=wasm AIVM_MATMUL_THREADS=0)" };
  if (index % 3 === 2) return { env: { AIVM_MATMUL_KERNEL: "js" }, variant: "JS kernels only (AIVM_MATMUL_KERNEL=js)" };
  return { env: {}, variant: "" };
}

interface Launch {
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Each line the node writes to stderr (where its engine reports rejected blocks). */
  onStderrLine?: (line: string) => void;
}

/** The node's line for a block it found invalid: its number and hash. */
const INVALID_BLOCK_LINE = /^aivm engine: Block (\d+) \((0x[0-9a-f]{64})\) is invalid: /;
/** The node's diagnosis of a rejected block's AIVM receipts (src/chain/engine-chain.ts), after it asked its --sync-peers for the producer's. */
const DIAGNOSIS_LINE = /^aivm engine: block (\d+): (?!this node's AIVM receipts)(.+)$/;
/** The first receipt that differs: transaction, index, opcode, field, the producer's value and the re-executed one. */
const RECEIPT_MISMATCH = /^the mismatching AIVM receipt is transaction (0x[0-9a-f]+) receipt (\d+) \((\w+)\): (.+?) (\S+) != re-executed (\S+)$/;

/** Calls `onLine` with each whole line of a stream of chunks. */
function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop()!;
    for (const line of parts) onLine(line);
  };
}

/** Starts one `aivm node --engine` and resolves with its RPC and Engine URLs once it listens. */
function launch(spec: Launch, timeoutMs = 180_000): Promise<{ child: ChildProcess; rpcUrl: string; engineUrl: string; log: WriteStream }> {
  const log = createWriteStream(spec.logFile, { flags: "a" });
  const child = spawn(process.execPath, [AIVM_BIN, "node", ...spec.args], { env: spec.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  if (spec.onStderrLine) child.stderr!.on("data", lineSplitter(spec.onStderrLine));
  let out = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`aivm node did not start in ${timeoutMs} ms (log: ${spec.logFile})`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`aivm node exited with ${code} before listening (log: ${spec.logFile}):\n${out.slice(-2000)}`));
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const rpc = /Listening on (http:\/\/\S+)/.exec(out);
      const engine = /Engine API on (http:\/\/\S+)/.exec(out);
      if (rpc && engine) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stderr!.off("data", onData);
        child.off("exit", onExit);
        resolvePromise({ child, rpcUrl: rpc[1]!, engineUrl: engine[1]!, log });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
  });
}

/** <dir>/genesis.json, written by `aivm genesis` (system contracts and the dev accounts in alloc) unless the directory has one. */
async function sharedGenesis(dir: string, options: DevnetOptions, log: (line: string) => void): Promise<string> {
  const file = join(dir, "genesis.json");
  if (existsSync(file)) return file;
  const args = [AIVM_BIN, "genesis", "--out", file, "--hardfork", options.hardfork, "--alloc-dev-accounts", ...(options.mnemonic ? ["--mnemonic", options.mnemonic] : [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  if (code !== 0 || !existsSync(file)) throw new Error(`aivm genesis failed (exit ${code}):\n${out}`);
  log(out.trim());
  return file;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once("exit", () => done())));
}

export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new Error("--nodes must be at least 1.");
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), "aivm-devnet-")));
  mkdirSync(dir, { recursive: true });
  const n = options.nodes;
  const rpcPort = (i: number) => (options.port === 0 ? 0 : options.port + i);
  const authPort = (i: number) => (options.authPort === 0 ? 0 : options.authPort + i);
  if (options.port !== 0 && options.authPort !== 0 && options.port < options.authPort + n && options.authPort < options.port + n) {
    throw new Error(`The JSON-RPC ports ${options.port}..${options.port + n - 1} overlap the Engine API ports ${options.authPort}..${options.authPort + n - 1}: move --port or --authrpc.port.`);
  }
  if (options.port === 0 && n > 1) throw new Error("--port 0 cannot be used with several nodes: each node forwards transactions to the others' fixed ports.");
  const rpcUrls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${rpcPort(i)}`);

  const genesisFile = options.genesis ? resolve(options.genesis) : await sharedGenesis(dir, options, log);
  // The driver, once started: it knows which node built each block.
  const driver: { beacon?: SimulatedBeacon } = {};
  /**
   * Node i's rejections, relayed to the devnet's log: when it rejects a block for its AIVM anchor,
   * it compares its re-executed receipts with the producer's and names the first that differs.
   */
  const receiptDiagnosis = (i: number): ((line: string) => void) => {
    const invalidHashes = new Map<string, Hex>();
    return (line) => {
      const invalid = INVALID_BLOCK_LINE.exec(line);
      if (invalid) {
        invalidHashes.set(invalid[1]!, invalid[2]! as Hex);
        return;
      }
      const diagnosis = DIAGNOSIS_LINE.exec(line);
      if (!diagnosis) return;
      const [, number, text] = diagnosis as unknown as [string, string, string];
      const hash = invalidHashes.get(number);
      invalidHashes.delete(number);
      const producer = (hash && driver.beacon?.builderOf(hash)) ?? "its producer";
      const receipt = RECEIPT_MISMATCH.exec(text);
      if (receipt === null) {
        log(`node ${i}: block ${number}${hash ? ` ${hash}` : ""} from ${producer}: ${text}`);
        return;
      }
      const [, tx, index, opcode, field, theirs, ours] = receipt;
      log(`node ${i}: block ${number}${hash ? ` ${hash}` : ""} from ${producer}: receipt #${index} (tx ${tx}, ${opcode}) ${field} differs: ${theirs} (${producer}) vs ${ours} (node ${i}, re-executed)`);
    };
  };
  const specs: (Launch & { name: string; dbDir: string; jwtSecretFile: string; variant: string })[] = [];
  for (let i = 0; i < n; i++) {
    const nodeDir = join(dir, `node-${i}`);
    mkdirSync(nodeDir, { recursive: true });
    const jwtSecretFile = join(nodeDir, "jwtsecret");
    // A fresh secret per node unless the directory already has one (a devnet resumed on its --dir).
    try {
      readFileSync(jwtSecretFile);
    } catch {
      writeFileSync(jwtSecretFile, `0x${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    }
    const { env, variant } = engineVariant(i, options.uniform === true);
    const peers = rpcUrls.filter((_, j) => j !== i);
    const args = [
      "--engine",
      "--port", String(rpcPort(i)),
      "--authrpc.port", String(authPort(i)),
      "--authrpc.jwtsecret", jwtSecretFile,
      "--db", join(nodeDir, "db"),
      "--hardfork", options.hardfork,
      "-q",
      ...(peers.length > 0 ? ["--tx-peers", peers.join(","), "--sync-peers", peers.join(",")] : []),
      "--genesis", genesisFile,
      ...(options.mnemonic ? ["--mnemonic", options.mnemonic] : []),
      ...(options.injectFault?.node === i ? ["--inject-fault", options.injectFault.opcode] : []),
    ];
    specs.push({ name: `node ${i}`, args, env: withAllocatorEnv({ ...process.env, ...env }), logFile: join(nodeDir, "node.log"), onStderrLine: receiptDiagnosis(i), dbDir: join(nodeDir, "db"), jwtSecretFile, variant });
  }

  const settled = await Promise.allSettled(specs.map((spec) => launch(spec)));
  const failed = settled.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    // One node did not start: stop the ones that did, so nothing is left running.
    await Promise.all(settled.map(async (r) => {
      if (r.status !== "fulfilled") return;
      const done = exited(r.value.child);
      r.value.child.kill("SIGTERM");
      await done;
      r.value.log.end();
    }));
    throw failed.reason;
  }
  const launched = settled.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof launch>>>).value);
  const nodes: DevnetNode[] = specs.map((spec, i) => ({
    index: i,
    name: spec.name,
    rpcUrl: launched[i]!.rpcUrl,
    engineUrl: launched[i]!.engineUrl,
    jwtSecretFile: spec.jwtSecretFile,
    dbDir: spec.dbDir,
    logFile: spec.logFile,
    variant: spec.variant,
    child: launched[i]!.child,
  }));
  const logs = launched.map((l) => l.log);

  const members: BeaconMember[] = nodes.map((node) => ({
    name: node.name,
    engineUrl: node.engineUrl,
    jwtSecret: hexToBytes(`0x${readFileSync(node.jwtSecretFile, "utf8").trim().replace(/^0x/, "")}`),
    feeRecipient: `0x${(node.index + 1).toString(16).padStart(40, "0")}`,
    rpcUrl: node.rpcUrl,
  }));
  const beacon = new SimulatedBeacon({ members, fork: options.hardfork.toLowerCase(), slotMs: options.slotMs, log });
  driver.beacon = beacon;

  let stopping = false;
  const restart = options.restart ?? true;
  const watch = (node: DevnetNode) => {
    node.child.once("exit", (code, signal) => {
      if (stopping) return;
      log(`${node.name} exited (${signal ?? `code ${code}`}; log ${node.logFile})${restart ? ": restarting it on its database" : ""}`);
      if (restart) void startNode(node.index).catch((error) => log(`${node.name} did not restart: ${error instanceof Error ? error.message : String(error)}`));
    });
  };
  const startNode = async (index: number) => {
    const node = nodes[index]!;
    const relaunched = await launch(specs[index]!);
    if (stopping) {
      // The devnet was stopped while this node was starting: stop it too.
      relaunched.child.kill("SIGTERM");
      await exited(relaunched.child);
      relaunched.log.end();
      return;
    }
    node.child = relaunched.child;
    logs[index]!.end();
    logs[index] = relaunched.log;
    watch(node);
    log(`${node.name} is up again: ${node.rpcUrl}`);
  };
  nodes.forEach(watch);

  const stopAll = async () => {
    stopping = true;
    await beacon.stop();
    await Promise.all(
      nodes.map(async (node) => {
        const done = exited(node.child);
        node.child.kill("SIGTERM");
        const timer = setTimeout(() => node.child.kill("SIGKILL"), 10_000);
        await done;
        clearTimeout(timer);
      }),
    );
    for (const l of logs) l.end();
  };
  try {
    await beacon.start();
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    dir,
    nodes,
    beacon,
    async kill(index, signal = "SIGKILL") {
      const child = nodes[index]!.child;
      const done = exited(child);
      child.kill(signal);
      await done;
    },
    start: startNode,
    stop: stopAll,
  };
}

/** `aivm devnet` (the command: ./commands/devnet.ts): starts, prints the nodes, runs until SIGINT/SIGTERM. */
export async function runDevnet(options: DevnetOptions): Promise<void> {
  let devnet: Devnet;
  try {
    devnet = await startDevnet(options);
  } catch (error) {
    // Every node started is stopped again by startDevnet; what is left is the reason.
    console.error(`aivm devnet: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  const lines = ["AIVM devnet", ""];
  lines.push(`Blocks:   one per ${options.slotMs / 1000} s, built by each node in turn and re-executed by all (simulated beacon over the Engine API)`);
  lines.push(`Hardfork: ${options.hardfork}; data in ${devnet.dir}`, "");
  for (const node of devnet.nodes) {
    lines.push(`${node.name}: JSON-RPC ${node.rpcUrl}`);
    lines.push(`        Engine API ${node.engineUrl} (JWT secret ${node.jwtSecretFile})`);
    lines.push(`        log ${node.logFile}${node.variant ? `; ${node.variant}` : ""}`);
  }
  lines.push("", "Transactions sent to any node reach the others. Ctrl-C stops every node.", "");
  console.log(lines.join("\n"));
  // The last line of the banner: scripts and tests wait for it.
  console.log(`Devnet ready: ${devnet.nodes.map((node) => node.rpcUrl).join(" ")}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("Stopping the devnet…");
    await devnet.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
