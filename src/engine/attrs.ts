// Typed, validated access to op attributes.
import { InvalidArgumentError } from "./errors.ts";
import type { Attrs } from "./op.ts";

export function attrInt(op: string, attrs: Attrs, name: string, fallback?: number): number {
  const v = attrs[name];
  if (v === undefined) {
    if (fallback === undefined) throw new InvalidArgumentError(op, `attribute "${name}"`, "is required");
    return fallback;
  }
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(op, `attribute "${name}"`, "must be a single integer");
  }
  return v;
}

export function attrInts(op: string, attrs: Attrs, name: string, fallback?: readonly number[]): readonly number[] {
  const v = attrs[name];
  if (v === undefined) {
    if (fallback === undefined) throw new InvalidArgumentError(op, `attribute "${name}"`, "is required");
    return fallback;
  }
  const list = typeof v === "number" ? [v] : v;
  for (let i = 0; i < list.length; i++) {
    if (!Number.isSafeInteger(list[i])) throw new InvalidArgumentError(op, `attribute "${name}"`, "must hold integers only");
  }
  return list;
}

// A stored program's nodes keep their attrs objects from call to call (and step to step), and the
// engine never changes one: an attrs object that passed against a list of names passes again.
const checkedAttrNames = new WeakMap<Attrs, readonly string[]>();

/** Rejects attributes the op does not declare, so a typo never silently uses a default. */
export function checkAttrNames(op: string, attrs: Attrs, allowed: readonly string[]): void {
  if (checkedAttrNames.get(attrs) === allowed) return;
  for (const k of Object.keys(attrs)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(op, `attribute "${k}"`, `unknown; accepted: ${allowed.join(", ") || "none"}`);
  }
  checkedAttrNames.set(attrs, allowed);
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new InvalidArgumentError(op, "axis", `${axis} is out of range for rank ${rank}`);
  }
  return a;
}
