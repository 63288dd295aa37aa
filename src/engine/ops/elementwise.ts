// Element-wise ops: add/sub/mul with numpy broadcasting and TFLite-style requantization, the
// clamping activations, table lookup and requantize. Exact integer formulas: docs/ops.md.
import { attrInt, attrInts, checkAttrNames, normAxis } from "../attrs.ts";
import { broadcastPlanOnce, broadcastShapes } from "../broadcast.ts";
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import type { Attrs, OpDef, PreparedRun } from "../op.ts";
import { checkRequant } from "../requant.ts";
import { checkShape, DTYPE_MAX, DTYPE_MIN, numElements, zeros, type DType, type IntArray, type Tensor, type TensorMeta } from "../tensor.ts";
import { OUT_DTYPE_CODES } from "../kernels/output-stage.ts";
import { addRescaledInto, clampInto, keepAboveInto, mulRescaledInto, requantizeInto, rescaledCopy, rescaleOf, type Rescale } from "../kernels/elementwise-loops.ts";

const ALL_DTYPES: readonly DType[] = ["int8", "int16", "int32"];
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const TWO31 = 2 ** 31;

const sat32 = (v: number): number => (v < I32_MIN ? I32_MIN : v > I32_MAX ? I32_MAX : v);

function checkArity(op: string, inputs: readonly TensorMeta[], count: number): void {
  if (inputs.length !== count) throw new InvalidArgumentError(op, "inputs", `expected ${count} tensors, got ${inputs.length}`);
}

/** Dtype check plus the shape limits, so a malformed declared shape never reaches the arithmetic. */
function checkDType(op: string, name: string, t: TensorMeta, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) throw new DTypeMismatchError(op, name, allowed, t.dtype);
  checkShape(t.shape);
}

/** An integer attribute that must be a value of `dtype` (zero points, clip bounds). */
function attrInRange(op: string, attrs: Attrs, name: string, dtype: DType, fallback?: number): number {
  const v = attrInt(op, attrs, name, fallback);
  if (v < DTYPE_MIN[dtype] || v > DTYPE_MAX[dtype]) throw new InvalidArgumentError(op, `attribute "${name}"`, `must lie in the ${dtype} range`);
  return v;
}

function wider(a: DType, b: DType): DType {
  return ALL_DTYPES.indexOf(a) >= ALL_DTYPES.indexOf(b) ? a : b;
}

function outDtype(op: string, attrs: Attrs, fallback: DType): DType {
  const code = attrInt(op, attrs, "outDtype", ALL_DTYPES.indexOf(fallback));
  const dt = OUT_DTYPE_CODES[code];
  if (dt === undefined) throw new InvalidArgumentError(op, 'attribute "outDtype"', "must be 0 (int8), 1 (int16) or 2 (int32)");
  return dt;
}

/** Largest |x − z| over the values of `dtype`. */
function maxAbsCentered(dtype: DType, z: number): number {
  return Math.max(Math.abs(DTYPE_MIN[dtype] - z), Math.abs(DTYPE_MAX[dtype] - z));
}

/** A (multiplier, shift) pair read from `<prefix>Multiplier` / `<prefix>Shift` (or `multiplier`/`shift`). */
interface Scale {
  multiplier: number;
  shift: number;
}

function scaleAttrs(op: string, attrs: Attrs, mName: string, sName: string): Scale {
  const multiplier = attrInt(op, attrs, mName, 1);
  const shift = attrInt(op, attrs, sName, 0);
  checkRequant(op, multiplier, shift, 0, "int32");
  return { multiplier, shift };
}

const isIdentity = (s: Scale): boolean => s.multiplier === 1 && s.shift === 0;

// ---------------------------------------------------------------- add / sub

interface AddPlan {
  outShape: number[];
  out: DType;
  aZero: number;
  bZero: number;
  leftShift: number;
  aScale: Scale;
  bScale: Scale;
  outScale: Scale;
  zeroPoint: number;
}

const ADD_ATTRS = ["aZero", "bZero", "leftShift", "aMultiplier", "aShift", "bMultiplier", "bShift", "outMultiplier", "outShift", "zeroPoint", "outDtype"];

function planAdd(op: string, inputs: readonly TensorMeta[], attrs: Attrs): AddPlan {
  checkArity(op, inputs, 2);
  checkAttrNames(op, attrs, ADD_ATTRS);
  const [a, b] = inputs as [TensorMeta, TensorMeta];
  checkDType(op, "a", a, ALL_DTYPES);
  checkDType(op, "b", b, ALL_DTYPES);
  const outShape = broadcastShapes(op, ["a", "b"], a.shape, b.shape);
  checkShape(outShape);
  const aZero = attrInRange(op, attrs, "aZero", a.dtype, 0);
  const bZero = attrInRange(op, attrs, "bZero", b.dtype, 0);
  const leftShift = attrInt(op, attrs, "leftShift", 0);
  // The shifted, centred inputs stay within ±2^31, as in TFLite's int32 pipeline.
  if (leftShift < 0 || leftShift > 31 || maxAbsCentered(a.dtype, aZero) * 2 ** leftShift > TWO31 || maxAbsCentered(b.dtype, bZero) * 2 ** leftShift > TWO31) {
    throw new InvalidArgumentError(op, 'attribute "leftShift"', "must be ≥ 0 with |x − zero|·2^leftShift ≤ 2^31 for both inputs' dtypes");
  }
  const out = outDtype(op, attrs, wider(a.dtype, b.dtype));
  const zeroPoint = attrInRange(op, attrs, "zeroPoint", out, 0);
  return {
    outShape, out, aZero, bZero, leftShift, zeroPoint,
    aScale: scaleAttrs(op, attrs, "aMultiplier", "aShift"),
    bScale: scaleAttrs(op, attrs, "bMultiplier", "bShift"),
    outScale: scaleAttrs(op, attrs, "outMultiplier", "outShift"),
  };
}

function prepareAdd(op: string, sign: 1 | -1, inputs: readonly TensorMeta[], attrs: Attrs): PreparedRun {
  const p = planAdd(op, inputs, attrs);
  const [am, bm] = inputs as [TensorMeta, TensorMeta];
  const planOf = broadcastPlanOnce(am.shape, bm.shape, p.outShape);
  const z = p.zeroPoint;
  const lo = DTYPE_MIN[p.out];
  const hi = DTYPE_MAX[p.out];
  if (isIdentity(p.aScale) && isIdentity(p.bScale) && isIdentity(p.outScale) && p.leftShift === 0 && p.aZero === 0 && p.bZero === 0) {
    // The plain add: no rescale, so no per-input copies.
    return ([a, b]) => {
      const y = zeros(p.out, p.outShape);
      const out = y.data;
      const plan = planOf();
      const ad = a!.data;
      const bd = b!.data;
      for (let r = 0, o = 0; r < plan.rows; r++) {
        let ia = plan.rowOffsetA[r]!;
        let ib = plan.rowOffsetB[r]!;
        for (let j = 0; j < plan.rowLength; j++, o++, ia += plan.strideA, ib += plan.strideB) {
          const v = sat32(ad[ia]! + sign * bd[ib]!) + z;
          out[o] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      return [y];
    };
  }
  // Inputs rescale to sat32(rms((x − z)·2^leftShift, M, t)), within ±2^31 (planAdd checks the
  // shifted value), and the saturated sum is too: the split form applies to all three rescales.
  const inputScale = (s: Scale) => rescaleOf(s.multiplier, s.shift, 0, I32_MIN, I32_MAX, true);
  const aRescale = inputScale(p.aScale);
  const bRescale = inputScale(p.bScale);
  const outRescale = rescaleOf(p.outScale.multiplier, p.outScale.shift, z, lo, hi, true);
  const shifted = 2 ** p.leftShift;
  return ([a, b]) => {
    const y = zeros(p.out, p.outShape);
    const ra = rescaledCopy(a!.data, p.aZero, shifted, aRescale);
    const rb = rescaledCopy(b!.data, p.bZero, shifted, bRescale);
    addRescaledInto(planOf(), ra, rb, y.data, sign, outRescale);
    return [y];
  };
}

function addLike(name: "add" | "sub", sign: 1 | -1): OpDef {
  return {
    name,
    inputs: ["a", "b"],
    attrs: ADD_ATTRS,
    infer(inputs, attrs) {
      const p = planAdd(name, inputs, attrs);
      return [{ dtype: p.out, shape: p.outShape }];
    },
    // Per output: two input rescales, the add, the output requantization.
    flops(inputs, attrs) {
      return 4n * BigInt(numElements(planAdd(name, inputs, attrs).outShape));
    },
    prepare(inputs, attrs) {
      return prepareAdd(name, sign, inputs, attrs);
    },
    run(inputs, attrs) {
      return prepareAdd(name, sign, inputs, attrs)(inputs);
    },
  };
}

// ---------------------------------------------------------------- mul

const MUL_ATTRS = ["aZero", "bZero", "multiplier", "shift", "zeroPoint", "outDtype"];

interface MulPlan {
  outShape: number[];
  out: DType;
  aZero: number;
  bZero: number;
  scale: Scale;
  zeroPoint: number;
  /** |(a − za)(b − zb)| < 2^53 for every value of the dtypes: the product is an exact double. */
  exactProduct: boolean;
}

function planMul(inputs: readonly TensorMeta[], attrs: Attrs): MulPlan {
  checkArity("mul", inputs, 2);
  checkAttrNames("mul", attrs, MUL_ATTRS);
  const [a, b] = inputs as [TensorMeta, TensorMeta];
  checkDType("mul", "a", a, ALL_DTYPES);
  checkDType("mul", "b", b, ALL_DTYPES);
  const outShape = broadcastShapes("mul", ["a", "b"], a.shape, b.shape);
  checkShape(outShape);
  const aZero = attrInRange("mul", attrs, "aZero", a.dtype, 0);
  const bZero = attrInRange("mul", attrs, "bZero", b.dtype, 0);
  const out = outDtype("mul", attrs, wider(a.dtype, b.dtype));
  const zeroPoint = attrInRange("mul", attrs, "zeroPoint", out, 0);
  const scale = scaleAttrs("mul", attrs, "multiplier", "shift");
  const exactProduct = maxAbsCentered(a.dtype, aZero) * maxAbsCentered(b.dtype, bZero) < 2 ** 53;
  return { outShape, out, aZero, bZero, scale, zeroPoint, exactProduct };
}

/** The rare int32×int32 case: exact BigInt product, then the same rounding. */
function mulShiftBig(x: number, y: number, s: Scale): number {
  const big = BigInt(x) * BigInt(y) * BigInt(s.multiplier) + (s.shift > 0 ? 1n << BigInt(s.shift - 1) : 0n);
  const q = big >> BigInt(s.shift);
  const cap = 1n << 40n;
  return Number(q > cap ? cap : q < -cap ? -cap : q);
}

function prepareMul(inputs: readonly TensorMeta[], attrs: Attrs): PreparedRun {
  const p = planMul(inputs, attrs);
  const [am, bm] = inputs as [TensorMeta, TensorMeta];
  const planOf = broadcastPlanOnce(am.shape, bm.shape, p.outShape);
  const { aZero, bZero, zeroPoint: z } = p;
  const lo = DTYPE_MIN[p.out];
  const hi = DTYPE_MAX[p.out];
  if (p.exactProduct) {
    // Products within ±2^31 (int8/int16 without zero points): the hoisted 16-bit split is exact for
    // shifts ≥ 17, so no element takes multiplyShiftRound's BigInt path.
    const narrow = maxAbsCentered(am.dtype, aZero) * maxAbsCentered(bm.dtype, bZero) <= TWO31;
    const rescale = rescaleOf(p.scale.multiplier, p.scale.shift, z, lo, hi, narrow);
    return ([a, b]) => {
      const y = zeros(p.out, p.outShape);
      mulRescaledInto(planOf(), a!.data, b!.data, y.data, aZero, bZero, rescale);
      return [y];
    };
  }
  return ([a, b]) => {
    const y = zeros(p.out, p.outShape);
    const out = y.data;
    const plan = planOf();
    const ad = a!.data;
    const bd = b!.data;
    for (let r = 0, o = 0; r < plan.rows; r++) {
      let ia = plan.rowOffsetA[r]!;
      let ib = plan.rowOffsetB[r]!;
      for (let j = 0; j < plan.rowLength; j++, o++, ia += plan.strideA, ib += plan.strideB) {
        const v = mulShiftBig(ad[ia]! - aZero, bd[ib]! - bZero, p.scale) + z;
        out[o] = v < lo ? lo : v > hi ? hi : v;
      }
    }
    return [y];
  };
}

const mul: OpDef = {
  name: "mul",
  inputs: ["a", "b"],
  attrs: MUL_ATTRS,
  infer(inputs, attrs) {
    const p = planMul(inputs, attrs);
    return [{ dtype: p.out, shape: p.outShape }];
  },
  // Per output: the product and its requantization.
  flops(inputs, attrs) {
    return 2n * BigInt(numElements(planMul(inputs, attrs).outShape));
  },
  prepare: prepareMul,
  run(inputs, attrs) {
    return prepareMul(inputs, attrs)(inputs);
  },
};

// ---------------------------------------------------------------- unary clamps: relu, relu6, clip, leaky_relu

/** A unary op whose output has the input's dtype and shape; `prepare` validates attrs and returns the loop writing y from x. */
function unaryOp(name: string, attrNames: readonly string[], flopsPerElement: bigint, prepare: (x: TensorMeta, attrs: Attrs) => (x: IntArray, y: IntArray) => void): OpDef {
  const validate = (inputs: readonly TensorMeta[], attrs: Attrs): TensorMeta => {
    checkArity(name, inputs, 1);
    checkAttrNames(name, attrs, attrNames);
    const x = inputs[0]!;
    checkDType(name, "x", x, ALL_DTYPES);
    return x;
  };
  const prepareRun = (inputs: readonly TensorMeta[], attrs: Attrs): PreparedRun => {
    const x = validate(inputs, attrs);
    const loop = prepare(x, attrs);
    return ([t]) => {
      const y = zeros(x.dtype, x.shape);
      loop(t!.data, y.data);
      return [y];
    };
  };
  return {
    name,
    inputs: ["x"],
    attrs: attrNames,
    infer(inputs, attrs) {
      const x = validate(inputs, attrs);
      prepare(x, attrs);
      return [{ dtype: x.dtype, shape: [...x.shape] }];
    },
    flops(inputs, attrs) {
      const x = validate(inputs, attrs);
      prepare(x, attrs);
      return flopsPerElement * BigInt(numElements(x.shape));
    },
    prepare: prepareRun,
    run(inputs, attrs) {
      return prepareRun(inputs, attrs)(inputs);
    },
  };
}

const relu = unaryOp("relu", ["zeroPoint"], 1n, (x, attrs) => {
  const z = attrInRange("relu", attrs, "zeroPoint", x.dtype, 0);
  const hi = DTYPE_MAX[x.dtype];
  return (xs, ys) => clampInto(xs, ys, z, hi);
});

const relu6 = unaryOp("relu6", ["zeroPoint", "six"], 1n, (x, attrs) => {
  const z = attrInRange("relu6", attrs, "zeroPoint", x.dtype, 0);
  const six = attrInRange("relu6", attrs, "six", x.dtype);
  if (six < z) throw new InvalidArgumentError("relu6", 'attribute "six"', 'must be ≥ "zeroPoint"');
  return (xs, ys) => clampInto(xs, ys, z, six);
});

const clip = unaryOp("clip", ["min", "max"], 1n, (x, attrs) => {
  const lo = attrInRange("clip", attrs, "min", x.dtype);
  const hi = attrInRange("clip", attrs, "max", x.dtype);
  if (lo > hi) throw new InvalidArgumentError("clip", 'attributes "min"/"max"', "min must be ≤ max");
  return (xs, ys) => clampInto(xs, ys, lo, hi);
});

// y = x for x ≥ z, else z + rms(x − z, αM, αt), saturated: α = αM / 2^αt in the real domain.
const leakyRelu = unaryOp("leaky_relu", ["zeroPoint", "alphaMultiplier", "alphaShift"], 2n, (x, attrs) => {
  const z = attrInRange("leaky_relu", attrs, "zeroPoint", x.dtype, 0);
  const m = attrInt("leaky_relu", attrs, "alphaMultiplier");
  const t = attrInt("leaky_relu", attrs, "alphaShift");
  checkRequant("leaky_relu", m, t, 0, "int32");
  // v < z ≤ 0, or narrower dtypes, keep |v − z| ≤ 2^31: the split form is exact there.
  const below = rescaleOf(m, t, z, DTYPE_MIN[x.dtype], DTYPE_MAX[x.dtype], x.dtype !== "int32" || z <= 0);
  return (xs, ys) => keepAboveInto(xs, ys, z, below);
});

// ---------------------------------------------------------------- lut

function validateLut(inputs: readonly TensorMeta[], attrs: Attrs): [TensorMeta, TensorMeta] {
  checkArity("lut", inputs, 2);
  checkAttrNames("lut", attrs, []);
  const [x, table] = inputs as [TensorMeta, TensorMeta];
  checkDType("lut", "x", x, ["int8"]);
  checkDType("lut", "table", table, ["int8", "int16"]);
  if (table.shape.length !== 1 || table.shape[0] !== 256) throw new ShapeMismatchError("lut", "table", [256], table.shape);
  return [x, table];
}

const lut: OpDef = {
  name: "lut",
  inputs: ["x", "table"],
  attrs: [],
  infer(inputs, attrs) {
    const [x, table] = validateLut(inputs, attrs);
    return [{ dtype: table.dtype, shape: [...x.shape] }];
  },
  flops(inputs, attrs) {
    return BigInt(numElements(validateLut(inputs, attrs)[0].shape));
  },
  run(inputs, attrs) {
    validateLut(inputs, attrs);
    const [x, table] = inputs as [Tensor, Tensor];
    const y = zeros(table.dtype, x.shape);
    const n = x.data.length;
    for (let i = 0; i < n; i++) y.data[i] = table.data[x.data[i]! + 128]!;
    return [y];
  },
};

// ---------------------------------------------------------------- requantize

interface RequantPlan {
  out: DType;
  inZero: number;
  multiplier: readonly number[];
  shift: readonly number[];
  zeroPoint: number;
  /** Elements per channel step (the multipliers cycle through the channels at this step). */
  inner: number;
}

const REQUANTIZE_ATTRS: readonly string[] = ["inZero", "multiplier", "shift", "zeroPoint", "outDtype", "axis"];

function planRequantize(inputs: readonly TensorMeta[], attrs: Attrs): RequantPlan {
  const op = "requantize";
  checkArity(op, inputs, 1);
  checkAttrNames(op, attrs, REQUANTIZE_ATTRS);
  const x = inputs[0]!;
  checkDType(op, "x", x, ALL_DTYPES);
  const inZero = attrInRange(op, attrs, "inZero", x.dtype, 0);
  const out = outDtype(op, attrs, "int8");
  if (attrs["outDtype"] === undefined) throw new InvalidArgumentError(op, 'attribute "outDtype"', "is required");
  const multiplier = attrInts(op, attrs, "multiplier");
  const shift = attrInts(op, attrs, "shift");
  const zeroPoint = attrInRange(op, attrs, "zeroPoint", out, 0);
  if (shift.length !== multiplier.length) {
    throw new InvalidArgumentError(op, 'attribute "shift"', `has ${shift.length} entries, expected ${multiplier.length} (like "multiplier")`);
  }
  for (let c = 0; c < multiplier.length; c++) checkRequant(op, multiplier[c]!, shift[c]!, zeroPoint, out);
  let inner = 1;
  let channels = 1;
  if (attrs["axis"] !== undefined) {
    const axis = normAxis(op, attrInt(op, attrs, "axis"), x.shape.length);
    channels = x.shape[axis]!;
    inner = numElements(x.shape.slice(axis + 1));
    if (multiplier.length !== 1 && multiplier.length !== channels) {
      throw new InvalidArgumentError(op, 'attribute "multiplier"', `has ${multiplier.length} entries, expected 1 or ${channels} (size of axis ${axis})`);
    }
  } else if (multiplier.length !== 1) {
    throw new InvalidArgumentError(op, 'attribute "axis"', "is required for per-channel multipliers");
  }
  return { out, inZero, multiplier, shift, zeroPoint, inner };
}

/**
 * Requantize's rescales per node (its attribute object) and input width, made once: a node prepared
 * for several input shapes shares them, so what preparing keeps stays within the attributes' size.
 */
const keptRescales = new WeakMap<Attrs, { narrow?: Rescale[]; wide?: Rescale[] }>();

function requantRescales(attrs: Attrs, narrow: boolean, make: () => Rescale[]): Rescale[] {
  let kept = keptRescales.get(attrs);
  if (kept === undefined) keptRescales.set(attrs, (kept = {}));
  return narrow ? (kept.narrow ??= make()) : (kept.wide ??= make());
}

function prepareRequantize(inputs: readonly TensorMeta[], attrs: Attrs): PreparedRun {
  const p = planRequantize(inputs, attrs);
  const x = inputs[0]!;
  const lo = DTYPE_MIN[p.out];
  const hi = DTYPE_MAX[p.out];
  // |x − inZero| ≤ 2^31 unless an int32 input has a zero point. Then, for shifts ≥ 17, the hoisted
  // 16-bit split is exact and no element takes multiplyShiftRound's BigInt path.
  const narrow = x.dtype !== "int32" || p.inZero === 0;
  const rescales = requantRescales(attrs, narrow, () => p.multiplier.map((m, c) => rescaleOf(m, p.shift[c]!, p.zeroPoint, lo, hi, narrow)));
  const step = rescales.length === 1 ? numElements(x.shape) : p.inner;
  return ([t]) => {
    const y = zeros(p.out, x.shape);
    requantizeInto(t!.data, y.data, p.inZero, rescales, step);
    return [y];
  };
}

const requantizeOp: OpDef = {
  name: "requantize",
  inputs: ["x"],
  attrs: REQUANTIZE_ATTRS,
  infer(inputs, attrs) {
    return [{ dtype: planRequantize(inputs, attrs).out, shape: [...inputs[0]!.shape] }];
  },
  flops(inputs, attrs) {
    planRequantize(inputs, attrs);
    return BigInt(numElements(inputs[0]!.shape));
  },
  prepare: prepareRequantize,
  run(inputs, attrs) {
    return prepareRequantize(inputs, attrs)(inputs);
  },
};

export const elementwiseOps: readonly OpDef[] = [
  addLike("add", 1),
  addLike("sub", -1),
  mul,
  relu,
  relu6,
  leakyRelu,
  clip,
  lut,
  requantizeOp,
];
