// Tables built offline by src/model/lut.ts, applied by the engine's `lut` op, stay within 1 LSB of
// the float function on every int8 input, for each function, int8 and int16 tables, several scales.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { buildLut, erf, LUT_FUNCTIONS, lutOutputScale, lutTensor, type LutDType, type LutFunction } from "../../src/model/lut.ts";

const ALL_INPUTS = tensor("int8", [256], Array.from({ length: 256 }, (_, i) => i - 128));

test("erf matches reference values to 1e-9", () => {
  // erf(0.5), erf(1), erf(2), erf(3.5) from standard tables.
  for (const [x, want] of [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3.5, 0.9999992569016276], [-1, -0.8427007929497149]] as const) {
    assert.ok(Math.abs(erf(x) - want) < 1e-9, `erf(${x}) = ${erf(x)}`);
  }
});

for (const fn of Object.keys(LUT_FUNCTIONS) as LutFunction[]) {
  for (const outDtype of ["int8", "int16"] as LutDType[]) {
    test(`lut op with a ${outDtype} ${fn} table is within 1 LSB of the float function on all 256 inputs`, () => {
      for (const [inScale, inZero] of [[8 / 128, 0], [3 / 128, 10], [0.02, -20]] as const) {
        const outScale = lutOutputScale(fn, inScale, outDtype, inZero);
        const outZero = outDtype === "int8" && (fn === "sigmoid" || fn === "exp") ? -20 : 0;
        const spec = { fn, inScale, inZero, outScale: outZero ? outScale * 1.2 : outScale, outZero, outDtype };
        const y = getOp("lut").run([ALL_INPUTS, lutTensor(spec)], {})[0]!;
        assert.equal(y.dtype, outDtype);
        for (let i = 0; i < 256; i++) {
          const real = LUT_FUNCTIONS[fn]((i - 128 - inZero) * inScale);
          const got = (y.data[i]! - outZero) * spec.outScale;
          assert.ok(Math.abs(got - real) <= spec.outScale, `${fn} q=${i - 128} scale=${inScale}: ${got} vs ${real}`);
        }
      }
    });
  }
}

test("buildLut clamps to the output dtype and rejects bad scales and zero points", () => {
  const t = buildLut({ fn: "exp", inScale: 0.1, outScale: 0.01, outDtype: "int8" });
  assert.equal(Math.max(...t), 127);
  assert.equal(t[128], 100); // exp(0) / 0.01
  assert.throws(() => buildLut({ fn: "tanh", inScale: 0, outScale: 1, outDtype: "int8" }), /scales/);
  assert.throws(() => buildLut({ fn: "tanh", inScale: 1, outScale: 1, outZero: 200, outDtype: "int8" }), /zero points/);
});
