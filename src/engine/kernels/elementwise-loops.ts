// The element-wise ops' inner loops, one per formula, each over whole typed arrays: an op hands a
// loop its bounds once instead of calling a per-op closure per element, which V8 cannot inline.
import type { IntArray } from "../tensor.ts";

/** y[i] = clamp(x[i], lo, hi): relu, relu6 and clip. */
export function clampInto(x: IntArray, y: IntArray, lo: number, hi: number): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** y[i] = x[i] for x[i] ≥ z, else below(x[i]): leaky_relu, whose slope side requantizes. */
export function keepAboveInto(x: IntArray, y: IntArray, z: number, below: (v: number) => number): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    y[i] = v >= z ? v : below(v);
  }
}
