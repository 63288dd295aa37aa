// The part of the threaded matmul that both the calling thread and the worker threads run, in plain
// JavaScript so the workers start without the TypeScript loader (matmul-threads.ts explains the
// protocol). Integer arithmetic only.

/** Slots of the shared control block (an Int32Array). */
export const SLOT = Object.freeze({
  SEQ: 0, // bumped for every task; idle workers sleep on it
  NEXT: 1, // first block of the next chunk to claim
  END: 2, // blocks in the current task; 0 while a task is being set up, stored last to publish it
  DONE: 3, // blocks finished in the current task
  READY: 4, // workers that have instantiated the kernel
  A_PTR: 5,
  B_PTR: 6,
  OUT_PTR: 7,
  M_BLOCKS: 8,
  N_BLOCKS: 9,
  K_STEPS: 10,
  OUT_ROW: 11,
  SPLIT_ROWS: 12, // 1: chunks are blocks of rows; 0: blocks of columns
  MIN_CHUNK: 13, // blocks in the smallest chunk (see chunkBlocks)
  A_BLOCK: 14, // bytes of one row block of packed A
  B_BLOCK: 15, // bytes of one column block of packed Bᵀ
  KERNEL: 16, // index of the kernel export (KERNEL_BLOCKS in matmul-wasm-module.ts)
  ROWS: 17, // rows per output block of that kernel
  COLS: 18, // columns per output block of that kernel
  THREADS: 19, // threads that may take chunks: the workers and the calling thread
  SPIN_US: 20, // µs a thread polls for the next task (worker) or the last chunk (caller) before sleeping
  // A's rows packed per chunk by the thread that claims it (row splits only): the row packer's
  // index (ROW_PACKERS in matmul-pack-wasm.ts) or −1 when A is packed already, then its operands.
  PACK_FN: 21,
  PACK_STAGE: 22, // staged source rows, as they are
  PACK_ROWS: 23, // source rows in the task
  PACK_K: 24,
  PACK_ZERO: 25,
  PACK_SPLIT: 26, // kernel rows per source row (1, or 2: split into bytes)
  PACK_ELEM_BYTES: 27, // bytes per source element
  TASK: 28, // the task's number, from 1: what a finished row block's flag holds
  FLAGS_ON: 29, // 1: the workers flag each row block of a row split once done (FLAGGED_BLOCKS)
  COUNT: 30,
});

/**
 * Row blocks of a row split that get a done flag, at ctl[SLOT.COUNT + block]: the task's number,
 * stored by the worker after the block's outputs are written. The calling thread copies the
 * workers' finished rows out between its own chunks by them. Larger tasks go without flags.
 */
export const FLAGGED_BLOCKS = 4096;

/**
 * Blocks in the chunk that starts at `next`: a share 1/(2·threads) of what is left, at least
 * `minChunk` (guided scheduling). Chunks shrink as the task ends, so a thread that starts late or
 * is preempted leaves the others a short wait, while the first chunks stay large. Every thread
 * computes the same size from `next`, which is what makes the claim below a single CAS.
 */
function chunkBlocks(next, end, threads, minChunk) {
  return Math.min(end - next, Math.max(minChunk, Math.ceil((end - next) / (2 * threads))));
}

/** Blocks in the chunk the last successful claim() of this thread took. */
let claimedSize = 0;

/**
 * Claims a chunk: a compare-and-swap moving NEXT past it, which holds only while NEXT < END.
 * Returns its first block (its size in claimedSize), or −1 when none is left.
 */
function claim(ctl) {
  for (;;) {
    const next = Atomics.load(ctl, SLOT.NEXT);
    const end = Atomics.load(ctl, SLOT.END);
    if (next >= end) return -1;
    const size = chunkBlocks(next, end, Atomics.load(ctl, SLOT.THREADS), Atomics.load(ctl, SLOT.MIN_CHUNK));
    if (Atomics.compareExchange(ctl, SLOT.NEXT, next, next + size) === next) {
      claimedSize = size;
      return next;
    }
  }
}

/** Packs the source rows behind kernel rows [from, to) of the task's staged A to dst. */
function packChunk(ctl, pack, dst, from, to, kSteps, block) {
  const split = Atomics.load(ctl, SLOT.PACK_SPLIT);
  const k = Atomics.load(ctl, SLOT.PACK_K);
  const first = from / split;
  const rows = Math.min(Atomics.load(ctl, SLOT.PACK_ROWS), to / split) - first;
  const stage = Atomics.load(ctl, SLOT.PACK_STAGE) + first * k * Atomics.load(ctl, SLOT.PACK_ELEM_BYTES);
  pack(stage, dst, rows, k, kSteps, block, Atomics.load(ctl, SLOT.PACK_ZERO));
}

/**
 * Claims and runs chunks of the current task until none is left; counts their blocks in DONE and
 * wakes the waiters after the last. `kernels` are the module's kernel exports, indexed by
 * SLOT.KERNEL, and `rowPackers` the packer module's, indexed by SLOT.PACK_FN. The calling thread
 * passes `onRows(first, count)`, called after each chunk of a row split it runs with its row
 * blocks; the workers flag theirs instead (FLAGGED_BLOCKS). Returns the blocks run.
 */
export function runClaimedChunks(ctl, kernels, rowPackers, onRows) {
  let ran = 0;
  for (let first = claim(ctl); first >= 0; first = claim(ctl)) ran += runChunk(ctl, first, claimedSize, kernels, rowPackers, onRows);
  return ran;
}

/**
 * Runs the claimed chunk [first, first + size) of the current task, cut at its END, counts it in
 * DONE and returns its blocks. The claim moved NEXT past exactly these blocks, so exactly these
 * run, whatever size this task's own chunking would give. A claim sized from an earlier task's
 * counters (a thread that read NEXT = 0 and END before that task began, and compared-and-swapped
 * after the next task reset NEXT to 0) lands at the start of the next task, perhaps while that is
 * still being published: END is reset before NEXT and stored last, so the task is read once END is
 * set again. That task cannot end before this chunk is counted, so what is read stays its own.
 */
export function runChunk(ctl, first, size, kernels, rowPackers, onRows) {
  let end = Atomics.load(ctl, SLOT.END);
  while (end === 0) end = Atomics.load(ctl, SLOT.END);
  const count = Math.min(size, end - first);
  const splitRows = Atomics.load(ctl, SLOT.SPLIT_ROWS) === 1;
  const mBlocks = Atomics.load(ctl, SLOT.M_BLOCKS);
  const nBlocks = Atomics.load(ctl, SLOT.N_BLOCKS);
  const aPtr = Atomics.load(ctl, SLOT.A_PTR);
  const bPtr = Atomics.load(ctl, SLOT.B_PTR);
  const outPtr = Atomics.load(ctl, SLOT.OUT_PTR);
  const kSteps = Atomics.load(ctl, SLOT.K_STEPS);
  const outRow = Atomics.load(ctl, SLOT.OUT_ROW);
  const matmul = kernels[Atomics.load(ctl, SLOT.KERNEL)];
  const rows = Atomics.load(ctl, SLOT.ROWS);
  const cols = Atomics.load(ctl, SLOT.COLS);
  if (splitRows) {
    const aBlock = Atomics.load(ctl, SLOT.A_BLOCK);
    const pack = Atomics.load(ctl, SLOT.PACK_FN);
    if (pack >= 0) packChunk(ctl, rowPackers[pack], aPtr + first * aBlock, first * rows, (first + count) * rows, kSteps, rows);
    matmul(aPtr + first * aBlock, bPtr, outPtr + first * rows * outRow, count, nBlocks, kSteps, outRow);
    if (onRows !== undefined) onRows(first, count);
    else if (Atomics.load(ctl, SLOT.FLAGS_ON) === 1) {
      const task = Atomics.load(ctl, SLOT.TASK);
      for (let b = first; b < first + count; b++) Atomics.store(ctl, SLOT.COUNT + b, task);
    }
  }
  else matmul(aPtr, bPtr + first * Atomics.load(ctl, SLOT.B_BLOCK), outPtr + first * cols * 4, mBlocks, count, kSteps, outRow);
  if (Atomics.add(ctl, SLOT.DONE, count) + count === end) Atomics.notify(ctl, SLOT.DONE);
  return count;
}

/**
 * Polls `ctl[slot]` until `stop(value)` holds or SLOT.SPIN_US µs have passed, and returns the value
 * it read last. Sleeping in Atomics.wait costs a wake-up of tens of µs on a virtual machine's idle
 * core; a short poll catches the next task (a worker) or the last chunk (the caller) without it.
 */
export function pollSlot(ctl, slot, stop) {
  let now = Atomics.load(ctl, slot);
  const spinUs = Atomics.load(ctl, SLOT.SPIN_US);
  if (spinUs <= 0 || stop(now)) return now;
  const until = performance.now() + spinUs / 1000;
  for (let i = 1; !stop(now); i++) {
    if ((i & 63) === 0 && performance.now() > until) break;
    now = Atomics.load(ctl, slot);
  }
  return now;
}

/**
 * The native kernel `fn(view, ...args)` of build/aivm-native.node (matmul-native.ts) as a KernelFn
 * on `memory`: the Int8Array view over the memory is made again whenever the memory has grown.
 */
export function nativeKernelOn(memory, fn) {
  let view = new Int8Array(memory.buffer);
  return (aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow) => {
    const buffer = memory.buffer;
    if (buffer.byteLength !== view.byteLength) view = new Int8Array(buffer);
    fn(view, aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
  };
}
