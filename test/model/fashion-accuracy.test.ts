// The real models: AIVM top-1 accuracy on all 10,000 Fashion-MNIST test images is within 1.0 point
// of onnxruntime-node fp32 on the same images, for the MLP and the CNN.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runProgram } from "../../src/codec/program-run.ts";
import { quantizeInput } from "../../src/model/calibrate.ts";
import { aivmClasses, calibrateFashion, fashionAccuracy, fashionBatch, type FashionModel } from "../../src/model/evaluate.ts";
import { hasFashionMnist, loadFashionMnist } from "../../src/model/fashion-mnist.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const skip = hasFashionMnist("train") && hasFashionMnist("test") ? false : "Fashion-MNIST (dataset-fashion-mnist) is not installed";

for (const which of ["mlp", "cnn"] as FashionModel[]) {
  test(`${which}: AIVM top-1 on all 10,000 test images is within 1.0 point of onnxruntime fp32`, { skip }, async () => {
    const train = loadFashionMnist("train");
    const testSet = loadFashionMnist("test");
    const model = calibrateFashion(repoRoot, which, 64, 100, train);
    // The batched evaluation program computes, row by row, exactly what the deployed batch-1 program computes.
    const rows = aivmClasses(which, model, testSet, 0, 100);
    for (const i of [0, 37, 99]) {
      const x = quantizeInput(fashionBatch(which, testSet, i, 1), model.calibration.model.inputs[0]!);
      const y = runProgram(model.calibration.model.program, [x], new Map())[0]!;
      let best = 0;
      for (let k = 1; k < 10; k++) if (y.data[k]! > y.data[best]!) best = k;
      assert.equal(best, rows[i], `image ${i}: batch-1 and batched programs disagree`);
    }
    const acc = await fashionAccuracy(which, model, testSet);
    console.log(JSON.stringify(acc));
    assert.equal(acc.images, 10_000);
    assert.ok(Math.abs(acc.aivmAccuracy - acc.floatAccuracy) <= 1.0, `AIVM ${acc.aivmAccuracy} % vs fp32 ${acc.floatAccuracy} %`);
    assert.ok(acc.floatAccuracy > 80, "the fp32 reference itself is a trained model");
  });
}
