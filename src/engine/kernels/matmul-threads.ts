// Worker threads for the WASM matmul kernel: the output blocks of one call are split into chunks
// that the calling thread and the workers claim from a shared counter and run on one shared
// WebAssembly memory. Each output element is one integer dot product computed by the same kernel
// whichever thread takes its chunk, so the result is bit-identical to the single-threaded run (the
// tests check it).
//
// The call stays synchronous: the calling thread publishes the task in a shared control block
// (matmul-chunks.mjs), wakes the workers, runs chunks itself, then blocks in Atomics.wait until the
// chunks the workers took are done. Workers are started on the first large call and join once
// ready; until then (and wherever threads are unavailable or disabled) the caller runs the kernel
// itself. A worker that dies or stalls makes the caller give
// the pool up for good and redo the call alone on fresh memory, so a stray write from it can never
// land in a later call's buffers.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { FLAGGED_BLOCKS, SLOT, runClaimedChunks, pollSlot, type KernelFn, type PackFn } from "./matmul-chunks.mjs";

/** One kernel task: `kernel(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes)` over blocks of `rows` × `cols`. */
export interface MatmulTask {
  /** Index of the kernel in MatmulPoolOptions.kernels (and in the workers' list). */
  kernel: number;
  rows: number;
  cols: number;
  aPtr: number;
  bPtr: number;
  outPtr: number;
  mBlocks: number;
  nBlocks: number;
  kSteps: number;
  outRowBytes: number;
  /** Bytes of one column block of packed Bᵀ: kSteps·cols·16 for int16 (the default), half that for the int8 form. */
  bBlockBytes?: number;
  /**
   * A's rows staged as they are but not packed yet: the thread that claims a chunk of a row split
   * packs its rows to aPtr first (packing runs on every thread); a column split packs them all on
   * the calling thread before the task is published.
   */
  packA?: {
    /** Index of the row packer (ROW_PACKERS in matmul-pack-wasm.ts). */
    fn: number;
    stagePtr: number;
    /** Source rows. */
    rows: number;
    k: number;
    zero: number;
    /** Kernel rows per source row: 2 when A is split into bytes. */
    split: 1 | 2;
    elemBytes: number;
  };
}

/** Multiply-adds below which a call runs on the calling thread alone (waking workers costs tens of µs). */
export const THREADED_MIN_MACS = 1 << 22;
/** Row blocks per thread from which a task is split by rows (see MatmulPool.run). */
const ROW_SPLIT_MIN_BLOCKS_PER_THREAD = 4;
/** Knobs read at every call (tests shorten the stall and inject a worker that never finishes). */
export interface MatmulPoolTuning {
  /** With no chunk finished for this long, the pool is given up and the call redone alone. */
  stallMs: number;
  /** µs a thread polls before sleeping: a worker for the next task, the caller for the last chunk. */
  spinUs: number;
  /** Called once a task is published, before the workers are woken (fault injection). */
  onPublish?: (ctl: Int32Array) => void;
}

export interface MatmulPoolOptions {
  /** The shared memory every instance of the kernel uses. */
  memory: object;
  /** The compiled kernel module (imports `env.memory`). */
  module: object;
  /** The calling thread's instances of its kernels, and their export names (the workers look them up). */
  kernels: readonly KernelFn[];
  kernelNames: readonly string[];
  /** The native kernels (matmul-native.ts), the calling thread's kernels after the named ones, in `names` order: the workers load them too. */
  native?: { path: string; isa: string; names: readonly string[] };
  /** The row packers on the calling thread, and the packer module (shared memory) and export names the workers instantiate. */
  rowPackers: readonly PackFn[];
  packModule: object;
  rowPackerNames: readonly string[];
  workers: number;
  tuning: MatmulPoolTuning;
}

export class MatmulPool {
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private broken = false;
  /** The last task's number (SLOT.TASK). */
  private task = 0;
  /** Tasks that workers took part in (tests check that the threaded path really ran). */
  threadedTasks = 0;
  private readonly rowsOut: RowsOut;

  constructor(private readonly opts: MatmulPoolOptions) {
    this.ctl = new Int32Array(new SharedArrayBuffer((SLOT.COUNT + FLAGGED_BLOCKS) * 4));
    this.rowsOut = new RowsOut(this.ctl);
    for (let i = 0; i < opts.workers; i++) {
      // Plain JavaScript, started without this process's loaders (--import tsx and the like).
      const worker = new Worker(new URL("./matmul-worker.mjs", import.meta.url), {
        execArgv: [],
        workerData: {
          memory: opts.memory, module: opts.module, control: this.ctl.buffer, kernelNames: opts.kernelNames, native: opts.native,
          packModule: opts.packModule, rowPackerNames: opts.rowPackerNames,
        },
      });
      // Never keep the process alive; a worker that fails or exits ends the pool.
      worker.unref();
      worker.on("error", () => this.giveUp());
      worker.on("exit", () => this.giveUp());
      this.workers.push(worker);
    }
  }

  /** Workers ready to take chunks. */
  get ready(): number {
    return this.broken ? 0 : Atomics.load(this.ctl, SLOT.READY);
  }

  get usable(): boolean {
    return !this.broken;
  }

  /**
   * Runs the task on the workers and returns true once every chunk is done; false (nothing to rely
   * on in the output, A perhaps still unpacked) when no worker is ready or the pool was given up,
   * so the caller runs it alone. In a row split, `onRows(first, count)` is called on the calling
   * thread for every row block, each once, as soon as it is known done: after each chunk the
   * calling thread runs, with that chunk and the workers' chunks finished since (up to the first
   * block not done), and at the end with the rest. The caller copies outputs out while the workers
   * still run, instead of all of them after.
   */
  run(task: MatmulTask, onRows?: (first: number, count: number) => void): boolean {
    const workers = this.ready;
    if (workers === 0) return false;
    const ctl = this.ctl;
    const { rows, cols } = task;
    // Rows while there are enough row blocks to share: each thread then reads only its own rows of
    // A and writes whole output rows, where column chunks share every row's cache lines at their
    // edges and every thread reads all of A.
    const splitRows = task.mBlocks >= ROW_SPLIT_MIN_BLOCKS_PER_THREAD * (workers + 1) || task.mBlocks >= task.nBlocks;
    const blocks = splitRows ? task.mBlocks : task.nBlocks;
    // Chunks shrink from 1/(2·threads) of the task to 1/(64·threads) (chunkBlocks in
    // matmul-chunks.mjs): a thread slowed by other load, or woken late, is covered by the rest.
    const minChunk = Math.max(1, Math.ceil(blocks / ((workers + 1) * 64)));
    const p = task.packA;
    // Every thread reads all of A in a column split: pack it here, once; a row split packs per chunk.
    if (p !== undefined && !splitRows) this.opts.rowPackers[p.fn]!(p.stagePtr, task.aPtr, p.rows, p.k, task.kSteps, rows, p.zero);
    // Close the previous task (every chunk of it is done) before resetting its counters; publish
    // the new one by storing END last. Nothing between the two stores can throw: a thread whose
    // claim lands in between waits for END (runChunk in matmul-chunks.mjs).
    Atomics.store(ctl, SLOT.END, 0);
    const perChunk = splitRows ? p : undefined;
    // Task numbers wrap after 2^31 − 2 tasks: the flags are cleared then (no worker touches them
    // between tasks), so a flag left from a task that long ago can never match a new one.
    if (this.task >= 0x7ffffffe) {
      ctl.fill(0, SLOT.COUNT);
      this.task = 0;
    }
    this.task++;
    const flagsOn = onRows !== undefined && splitRows && blocks <= FLAGGED_BLOCKS;
    const fields: [number, number][] = [
      [SLOT.NEXT, 0], [SLOT.DONE, 0],
      [SLOT.A_PTR, task.aPtr], [SLOT.B_PTR, task.bPtr], [SLOT.OUT_PTR, task.outPtr],
      [SLOT.M_BLOCKS, task.mBlocks], [SLOT.N_BLOCKS, task.nBlocks], [SLOT.K_STEPS, task.kSteps], [SLOT.OUT_ROW, task.outRowBytes],
      [SLOT.SPLIT_ROWS, splitRows ? 1 : 0], [SLOT.MIN_CHUNK, minChunk], [SLOT.THREADS, workers + 1],
      [SLOT.A_BLOCK, task.kSteps * rows * 16], [SLOT.B_BLOCK, task.bBlockBytes ?? task.kSteps * cols * 16],
      [SLOT.KERNEL, task.kernel], [SLOT.ROWS, rows], [SLOT.COLS, cols], [SLOT.SPIN_US, this.opts.tuning.spinUs],
      [SLOT.PACK_FN, perChunk === undefined ? -1 : perChunk.fn],
      [SLOT.TASK, this.task], [SLOT.FLAGS_ON, flagsOn ? 1 : 0],
    ];
    if (perChunk !== undefined) {
      const { stagePtr, rows: sourceRows, k, zero, split, elemBytes } = perChunk;
      fields.push([SLOT.PACK_STAGE, stagePtr], [SLOT.PACK_ROWS, sourceRows], [SLOT.PACK_K, k], [SLOT.PACK_ZERO, zero], [SLOT.PACK_SPLIT, split], [SLOT.PACK_ELEM_BYTES, elemBytes]);
    }
    for (const [slot, value] of fields) Atomics.store(ctl, slot, value);
    Atomics.store(ctl, SLOT.END, blocks);
    this.opts.tuning.onPublish?.(ctl);
    Atomics.add(ctl, SLOT.SEQ, 1);
    Atomics.notify(ctl, SLOT.SEQ);
    const out = onRows !== undefined && splitRows ? this.rowsOut.start(blocks, this.task, flagsOn, onRows) : undefined;
    const own = runClaimedChunks(ctl, this.opts.kernels, this.opts.rowPackers, out?.ownChunk);
    let done = pollSlot(ctl, SLOT.DONE, (d: number) => d >= blocks);
    let lastProgress = performance.now();
    while (done < blocks) {
      Atomics.wait(ctl, SLOT.DONE, done, Math.min(1000, this.opts.tuning.stallMs));
      const now = Atomics.load(ctl, SLOT.DONE);
      if (now !== done) {
        done = now;
        lastProgress = performance.now();
      } else if (performance.now() - lastProgress > this.opts.tuning.stallMs) {
        this.giveUp();
        return false;
      }
    }
    out?.rest();
    if (own < blocks) this.threadedTasks++;
    return true;
  }

  /** Stops using the workers for good (their memory is abandoned by the caller). */
  giveUp(): void {
    if (this.broken) return;
    this.broken = true;
    for (const worker of this.workers) void worker.terminate();
  }
}

/**
 * Hands a row split's finished row blocks to `onRows` on the calling thread, each once and in runs:
 * its own chunks as it runs them, with the workers' flagged blocks finished since, from the lowest
 * block not handed over up to the first not done (chunks are claimed in order, so the scans move
 * on); `rest` every block left once the whole task is done. One per pool, started again for each
 * task: building it per call (its block map and the bound `ownChunk`) took 14–28 µs of a 512³ call.
 */
class RowsOut {
  private ctl: Int32Array;
  /** 1 for the blocks the calling thread ran, from 0 to `blocks` (kept between tasks, grown when short). */
  private own = new Uint8Array(0);
  private blocks = 0;
  private task = 0;
  private flagged = false;
  private onRows: (first: number, count: number) => void = () => {};
  /** Every block below is handed over. */
  private scan = 0;

  constructor(ctl: Int32Array) {
    this.ctl = ctl;
  }

  /** Starts handing over the row blocks of task number `task`. */
  start(blocks: number, task: number, flagged: boolean, onRows: (first: number, count: number) => void): this {
    if (this.own.length < blocks) this.own = new Uint8Array(blocks);
    else this.own.fill(0, 0, blocks);
    this.blocks = blocks;
    this.task = task;
    this.flagged = flagged;
    this.onRows = onRows;
    this.scan = 0;
    return this;
  }

  readonly ownChunk = (first: number, count: number): void => {
    this.own.fill(1, first, first + count);
    this.onRows(first, count);
    if (this.flagged) this.handOver(false);
  };

  rest(): void {
    this.handOver(true);
    // Hold nothing of the finished call (its onRows closes over the call's output).
    this.onRows = () => {};
  }

  /** Hands over the workers' blocks from `scan` on while they are finished (all of them with `all`, else those flagged done). */
  private handOver(all: boolean): void {
    const { own, blocks, ctl, task } = this;
    const done = (block: number): boolean => all || Atomics.load(ctl, SLOT.COUNT + block) === task;
    let b = this.scan;
    while (b < blocks) {
      if (own[b] === 1) {
        b++;
        continue;
      }
      if (!done(b)) break;
      let e = b + 1;
      while (e < blocks && own[e] === 0 && done(e)) e++;
      this.onRows(b, e - b);
      b = e;
    }
    this.scan = b;
  }
}

/**
 * Worker count: AIVM_MATMUL_THREADS when set (0 turns threads off), else one per core beyond the
 * calling thread's, at most 7. Zero where SharedArrayBuffer or shared WebAssembly memory is missing.
 */
export function matmulWorkerCount(): number {
  const env = process.env.AIVM_MATMUL_THREADS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new RangeError(`AIVM_MATMUL_THREADS must be an integer from 0 to 64, got ${JSON.stringify(env)}`);
    return n;
  }
  if (typeof SharedArrayBuffer !== "function") return 0;
  return Math.min(7, Math.max(0, availableParallelism() - 1));
}
