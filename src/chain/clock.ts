// Block time for the dev node: the wall clock plus an offset (evm_increaseTime), a pinned next
// timestamp (evm_setNextBlockTimestamp, evm_mine with a timestamp), and the rule that a block comes
// after its parent. Pure: the node passes the parent's timestamp; tests pass their own clock.
import { NodeError } from "./node-errors.ts";

/** Seconds since the epoch, as block timestamps count them. */
export function wallClockSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

export interface ClockState {
  timeOffset: bigint;
  nextTimestamp: bigint | undefined;
}

export class ChainClock {
  /** Seconds added to the wall clock. */
  timeOffset = 0n;
  /** The next block's timestamp, when pinned. */
  nextTimestamp: bigint | undefined;

  constructor(readonly now: () => bigint = wallClockSeconds) {}

  /** The timestamp the next block would get, without consuming a pinned one. */
  peek(parentTimestamp: bigint): bigint {
    if (this.nextTimestamp !== undefined) return this.nextTimestamp;
    const now = this.now() + this.timeOffset;
    const min = parentTimestamp + 1n;
    return now > min ? now : min;
  }

  /** The next block's timestamp, consuming a pinned one: later blocks continue from it, as Hardhat does. */
  take(parentTimestamp: bigint): bigint {
    const ts = this.peek(parentTimestamp);
    if (this.nextTimestamp !== undefined) {
      this.timeOffset = this.nextTimestamp - this.now();
      this.nextTimestamp = undefined;
    }
    return ts;
  }

  /** evm_increaseTime: returns the total offset in seconds. */
  increase(seconds: bigint): bigint {
    this.timeOffset += seconds;
    return this.timeOffset;
  }

  /** Pins the next block's timestamp; it must come after its parent's (Hardhat's messages). */
  pin(timestamp: bigint, parentTimestamp: bigint): void {
    if (timestamp < parentTimestamp) {
      throw new NodeError(`Timestamp ${timestamp} is lower than the previous block's timestamp ${parentTimestamp}.`);
    }
    if (timestamp === parentTimestamp) {
      throw new NodeError(`Timestamp ${timestamp} is equal to the previous block's timestamp; a block must come after its parent.`);
    }
    this.nextTimestamp = timestamp;
  }

  save(): ClockState {
    return { timeOffset: this.timeOffset, nextTimestamp: this.nextTimestamp };
  }

  restore(state: ClockState): void {
    this.timeOffset = state.timeOffset;
    this.nextTimestamp = state.nextTimestamp;
  }
}
