// The congestion multiplier m_block, EIP-1559 style (docs/gas.md#congestion-multiplier): set once
// per block from the parent block's AIVM FLOPs against a target, ±12.5% at most, within bounds.
import {
  MULTIPLIER_CHANGE_DENOMINATOR,
  MULTIPLIER_MAX,
  MULTIPLIER_MIN,
  MULTIPLIER_ONE,
  TARGET_BLOCK_FLOPS,
} from "./constants.ts";

/** The multiplier in force at genesis. */
export function initialMultiplier(): bigint {
  return MULTIPLIER_ONE;
}

function clamp(v: bigint, lo: bigint, hi: bigint): bigint {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * m_next = clamp(m + clamp(m·(F − T) / (T·8), −m/8, +m/8), MIN, MAX), where F is the parent block's
 * AIVM FLOPs and T the target. Divisions truncate toward zero (BigInt division), so an exactly
 * on-target block leaves m unchanged and tiny deviations round to no change.
 */
export function nextMultiplier(parentMultiplier: bigint, parentBlockFlops: bigint, target: bigint = TARGET_BLOCK_FLOPS): bigint {
  if (parentBlockFlops < 0n) throw new RangeError("block FLOPs cannot be negative");
  const m = clamp(parentMultiplier, MULTIPLIER_MIN, MULTIPLIER_MAX);
  const step = m / MULTIPLIER_CHANGE_DENOMINATOR;
  const delta = (m * (parentBlockFlops - target)) / (target * MULTIPLIER_CHANGE_DENOMINATOR);
  return clamp(m + clamp(delta, -step, step), MULTIPLIER_MIN, MULTIPLIER_MAX);
}
