// The real exported models beyond Fashion-MNIST (scripts/train_fashion_resnet.py,
// train_keyword_audio.py, train_wordnet_pos.py), each as the TorchScript and the dynamo exporter
// wrote it: packed with calibration samples from the training split, the AIVM int8 program's class
// on the committed held-out examples against onnxruntime-node fp32 and the labels; then the audio
// model deployed on a dev node, called through TCUSTOM and charged exactly its quote.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hexToBytes, type Hex } from "viem";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { decodeProgram } from "../../src/codec/program.ts";
import { callStoredProgram, chainExecutor, connect, tcustomCalldata } from "../../src/model/chain.ts";
import { uploadPackage } from "../../src/model/deploy.ts";
import { encodeInputs, quoteModel } from "../../src/model/package.ts";
import { EXPORTERS, REAL_MODELS, aivmClasses, evaluateRealModel, loadRealFixture, packRealModel, type RealModel } from "../../src/model/real-models.ts";
import { createAivmProvider } from "../../src/rpc/provider.ts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/models");

/**
 * Bounds per model, from the measured figures (docs/models.md) with margin: the fp32 model is a trained
 * model (accuracy floor), AIVM int8 stays within `points` of fp32 and picks fp32's class on at
 * least `agree` of the examples.
 */
const BOUNDS: Record<string, { fp32Floor: number; points: number; agree: number }> = {
  fashion_resnet: { fp32Floor: 85, points: 2, agree: 0.97 },
  keyword_cnn: { fp32Floor: 85, points: 2, agree: 0.97 },
  wordnet_pos_lstm: { fp32Floor: 65, points: 2, agree: 0.97 },
};

for (const m of REAL_MODELS) {
  for (const exporter of EXPORTERS) {
    test(`${m.name} (${exporter} export): AIVM int8 within ${BOUNDS[m.name]!.points} points of onnxruntime fp32 on the held-out fixture`, async () => {
      const r = await evaluateRealModel(fixtures, m, exporter);
      const b = BOUNDS[m.name]!;
      const pct = (k: number) => (100 * k) / r.examples;
      console.log(JSON.stringify({ model: r.model, exporter, examples: r.examples, fp32: pct(r.fp32Correct), aivm: pct(r.aivmCorrect), agree: pct(r.agree), quoteGas: r.quoteGas.toString(), int16: r.int16Tensors }));
      assert.equal(r.examples, 200);
      assert.ok(pct(r.fp32Correct) >= b.fp32Floor, `fp32 ${pct(r.fp32Correct)} %`);
      assert.ok(Math.abs(pct(r.aivmCorrect) - pct(r.fp32Correct)) <= b.points, `AIVM ${pct(r.aivmCorrect)} % vs fp32 ${pct(r.fp32Correct)} %`);
      assert.ok(r.agree / r.examples >= b.agree, `agreement ${pct(r.agree)} %`);
      // What `aivm model pack` builds takes the model's one input: nothing frozen (the LSTM's token ids
      // feed a Gather, and were once frozen into a constant).
      assert.deepEqual(r.pkg.inputs.map((i) => i.name), [m.input]);
      assert.equal(r.pkg.config.frozenInputs, undefined);
      // The program is a real computation of its input, not a constant: the classes it picks vary.
      assert.ok(new Set(aivmClasses(r.pkg, r.fixture.inputs.slice(0, 40))).size >= 3);
      assert.ok(r.quoteGas > 0n && r.quoteGas < 30_000_000n);
    });
  }
}

test("keyword_cnn on a dev node: deployed, called through TCUSTOM (same class as the engine) and charged exactly its quote", async () => {
  const m = REAL_MODELS.find((x) => x.name === "keyword_cnn") as RealModel;
  const fixture = loadRealFixture(fixtures, m);
  const pkg = packRealModel(fixtures, m, "torchscript", fixture);
  const provider = await createAivmProvider();
  try {
    const conn = await connect(provider);
    await uploadPackage(conn, pkg);
    const program = decodeProgram(hexToBytes(pkg.program));
    const engine = aivmClasses(pkg, fixture.inputs.slice(0, 3));
    for (let i = 0; i < 3; i++) {
      const ins = encodeInputs(pkg, [fixture.inputs[i]!]);
      const viaCall = (await callStoredProgram(conn, pkg.programId, ins))[0]!;
      const viaGraph = (await chainExecutor(conn)(program, ins))[0]!;
      assert.deepEqual(Array.from(viaCall.data), Array.from(viaGraph.data));
      let best = 0;
      for (let k = 1; k < viaCall.data.length; k++) if (viaCall.data[k]! > viaCall.data[best]!) best = k;
      assert.equal(best, engine[i]);
    }
    const hash = await conn.wallet.sendTransaction({ to: PRECOMPILE_ADDRESSES.TCUSTOM, data: tcustomCalldata(pkg.programId, encodeInputs(pkg, [fixture.inputs[0]!])), account: conn.account, chain: null, gas: 30_000_000n });
    const receipt = await conn.public.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    const r = (await provider.request({ method: "aivm_getReceipts", params: [hash] })) as { receipts: { gasUsed: Hex }[] };
    const charged = r.receipts.reduce((s, x) => s + BigInt(x.gasUsed), 0n);
    assert.equal(charged, quoteModel(pkg).gas);
    assert.ok(receipt.gasUsed > charged);
  } finally {
    await provider.close();
  }
});
