// aivm_* methods through the in-process provider: program quotes from src/gas, anchors of blocks
// without AIVM work, missing tensors, and bad AIVM params.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex } from "viem";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { quoteProgramBytes } from "../../src/gas/index.ts";
import { MULTIPLIER_ONE } from "../../precompiles/gas.ts";
import { createAivmProvider } from "../../src/rpc/provider.ts";
import { DEMO_WEIGHTS } from "../../src/cli/demo.ts";

const program: Program = {
  stateCount: 0,
  values: [
    { kind: "input", dtype: "int8", shape: [1, 4] },
    { kind: "const", tensor: DEMO_WEIGHTS },
  ],
  nodes: [{ op: 1, inputs: [0, 1], outputs: 1, attrs: {} }],
  outputs: [2],
};

describe("aivm_* methods", () => {
  it("aivm_quote on a program returns src/gas's quote at the multiplier in state", async () => {
    const provider = await createAivmProvider();
    try {
      const bytes = encodeProgram(program);
      const quote = (await provider.request({ method: "aivm_quote", params: [{ program: bytesToHex(bytes) }] })) as { gas: string; flops: string };
      const congestion = (await provider.request({ method: "aivm_congestion" })) as { nextMultiplier: string | null };
      const m = congestion.nextMultiplier === null ? MULTIPLIER_ONE : BigInt(congestion.nextMultiplier);
      const expected = quoteProgramBytes(bytes, m);
      assert.equal(BigInt(quote.gas), expected.gas);
      assert.equal(BigInt(quote.flops), 24n, "1x4 · 4x3 = 12 multiply-adds");
      await assert.rejects(provider.request({ method: "aivm_quote", params: [{ program: "0x1234" }] }), (e: any) => e.code === -32602);
    } finally {
      await provider.close();
    }
  });

  it("anchors every mined block, returns null for unknown tensors and rejects malformed handles", async () => {
    const provider = await createAivmProvider();
    try {
      await provider.request({ method: "evm_mine" });
      const anchor = (await provider.request({ method: "aivm_getAnchor", params: ["latest"] })) as { receiptCount: number; anchorRoot: string; blockNumber: string };
      assert.equal(anchor.blockNumber, "0x1");
      assert.equal(anchor.receiptCount, 0);
      assert.equal(anchor.anchorRoot, `0x${"00".repeat(32)}`, "no receipts: the zero root");
      assert.equal(await provider.request({ method: "aivm_getAnchor", params: ["0x0"] }), null, "genesis has no anchor");
      assert.equal(await provider.request({ method: "aivm_getTensor", params: [`0x${"ab".repeat(32)}`] }), null);
      await assert.rejects(provider.request({ method: "aivm_getTensor", params: ["0x1234"] }), (e: any) => e.code === -32602);
      assert.equal(await provider.request({ method: "aivm_getReceipts", params: [`0x${"cd".repeat(32)}`] }), null);
    } finally {
      await provider.close();
    }
  });
});
