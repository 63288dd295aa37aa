// The figures of docs/models.md "Real models beyond Fashion-MNIST": for each real model and each
// torch exporter, AIVM int8 vs onnxruntime fp32 on the committed held-out fixture, the quote, and
// the gas measured on an in-process dev node: the AIVM receipts and the whole transaction of one
// TCUSTOM call on the deployed program, and its eth_call estimate.
//   npm run measure:real-models [-- --json]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hexToBytes, type Hex } from "viem";
import { decodeProgram } from "../src/codec/program.ts";
import { PRECOMPILE_ADDRESSES } from "../precompiles/addresses.ts";
import { connect, tcustomCalldata } from "../src/model/chain.ts";
import { uploadPackage } from "../src/model/deploy.ts";
import { encodeInputs } from "../src/model/package.ts";
import { EXPORTERS, REAL_MODELS, evaluateRealModel } from "../src/model/real-models.ts";
import { createAivmProvider } from "../src/rpc/provider.ts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test/fixtures/models");
const json = process.argv.includes("--json");
const provider = await createAivmProvider();
const rows: Record<string, unknown>[] = [];
try {
  const conn = await connect(provider);
  for (const m of REAL_MODELS) {
    for (const exporter of EXPORTERS) {
      const t0 = performance.now();
      const r = await evaluateRealModel(fixtures, m, exporter);
      const evalSeconds = (performance.now() - t0) / 1000;
      await uploadPackage(conn, r.pkg);
      const data = tcustomCalldata(r.pkg.programId, encodeInputs(r.pkg, [r.fixture.inputs[0]!]));
      const estimate = await conn.public.estimateGas({ to: PRECOMPILE_ADDRESSES.TCUSTOM, data, account: conn.account });
      const hash = await conn.wallet.sendTransaction({ to: PRECOMPILE_ADDRESSES.TCUSTOM, data, account: conn.account, chain: null, gas: 30_000_000n });
      const receipt = await conn.public.waitForTransactionReceipt({ hash });
      const aivm = (await provider.request({ method: "aivm_getReceipts", params: [hash] })) as { receipts: { gasUsed: Hex }[] };
      const charged = aivm.receipts.reduce((s, x) => s + BigInt(x.gasUsed), 0n);
      const pct = (k: number) => Number(((100 * k) / r.examples).toFixed(1));
      rows.push({
        model: m.name, exporter, examples: r.examples, fp32: pct(r.fp32Correct), aivm: pct(r.aivmCorrect), agree: pct(r.agree),
        quote: r.quoteGas, aivmCharged: charged, txGas: receipt.gasUsed, estimate, status: receipt.status,
        flops: r.flops, int16Tensors: r.int16Tensors, programNodes: decodeProgram(hexToBytes(r.pkg.program)).nodes.length, shards: r.pkg.shards.length, evalSeconds: Number(evalSeconds.toFixed(1)),
      });
    }
  }
} finally {
  await provider.close();
}
if (json) console.log(JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
else {
  console.log("| model | exporter | fp32 top-1 | AIVM top-1 | same class | quote | AIVM receipts | tx gasUsed | FLOPs | program nodes | int16 tensors |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.model} | ${r.exporter} | ${r.fp32} % | ${r.aivm} % | ${r.agree} % | ${r.quote} | ${r.aivmCharged} | ${r.txGas} | ${r.flops} | ${r.programNodes} | ${r.int16Tensors} |`);
}
