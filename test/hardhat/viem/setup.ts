// Shared by the hardhat-viem tests: compiles contracts/ once (offline, pinned solc) and connects to
// the in-process `aivm` network of the root hardhat.config.ts.
import hre from "hardhat";
import { bytesToHex, type Hex } from "viem";
import { encodeTensor } from "../../../src/codec/tensor.ts";

let built: Promise<void> | undefined;

export async function build(): Promise<void> {
  built ??= hre.tasks.getTask("build").run({ quiet: true, noTests: true }) as Promise<void>;
  await built;
}

/** A fresh in-process AIVM chain (one per call), with hardhat-viem and the network helpers. */
export async function connectAivm() {
  await build();
  return hre.network.create("aivm");
}

export { hre };

/** Wire-format int8 tensor as hex. */
export function int8Tensor(shape: number[], values: number[]): Hex {
  return bytesToHex(encodeTensor({ dtype: "int8", shape, data: Int8Array.from(values) }));
}

/** argmax of x·W for x [1,K], W [K,N] row-major: the reference the classifier must match. */
export function linearArgmax(x: number[], w: number[], n: number): number {
  const k = x.length;
  let best = 0;
  let top = -Infinity;
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let i = 0; i < k; i++) acc += x[i]! * w[i * n + j]!;
    if (acc > top) {
      top = acc;
      best = j;
    }
  }
  return best;
}

/** A 4-feature, 3-class classifier and inputs whose classes differ. */
export const W = [12, -3, 5, -7, 9, 2, 4, 4, -6, 1, -8, 11];
export const X0 = [3, -1, 7, 2];
export const X1 = [-5, 9, 0, 1];
export const X2 = [0, 2, -3, 9];
