// ONNX ConvTranspose (1-D and 2-D) as an ordinary convolution: the input is spread out with
// stride − 1 zeros between samples and padded by dilation·(kernel − 1) − pad on each side (one
// exact gather per spatial axis that reads zeros from an appended slab), then convolved with the
// flipped kernel, in and out channels swapped, stride 1. Shapes follow the ONNX operator spec.
import { OnnxFormatError, hostTensor, type HostTensor, type OnnxAttr } from "./onnx.ts";

export interface ConvTransposePlan {
  /** Per spatial axis of the (2-D) input: source index of every position of the spread input, −1 for a zero. */
  spread: number[][];
  /** The equivalent conv2d weight [C_out, C_in/group, kh, kw] (flipped, channels swapped). */
  weight: HostTensor;
  group: number;
  dilations: number[];
  /** Output spatial dims (2-D). */
  outSpatial: number[];
  /** True when the model's input is 1-D (N, C, L): run over a height of 1. */
  oneD: boolean;
}

function ints(v: OnnxAttr | undefined, d: number[]): number[] {
  return Array.isArray(v) ? v.map(Number) : d;
}

export function planConvTranspose(xShape: readonly number[], w: HostTensor, attrs: Record<string, OnnxAttr>, where: string): ConvTransposePlan {
  const oneD = xShape.length === 3;
  if (xShape.length !== 4 && !oneD) throw new OnnxFormatError(where, "only 1-D and 2-D ConvTranspose are supported");
  const lift = (v: number[], one: number) => (oneD ? [one, ...v] : v);
  const inSp = oneD ? [1, xShape[2]!] : [xShape[2]!, xShape[3]!];
  const kernel = lift(ints(attrs.kernel_shape, w.shape.slice(2)), 1);
  const r = 2;
  const strides = lift(ints(attrs.strides, new Array<number>(kernel.length - (oneD ? 1 : 0)).fill(1)), 1);
  const dilations = lift(ints(attrs.dilations, new Array<number>(kernel.length - (oneD ? 1 : 0)).fill(1)), 1);
  const outPad = lift(ints(attrs.output_padding, new Array<number>(kernel.length - (oneD ? 1 : 0)).fill(0)), 0);
  const rawPads = ints(attrs.pads, []);
  let pads = rawPads.length ? (oneD ? [0, rawPads[0]!, 0, rawPads[1]!] : rawPads) : [0, 0, 0, 0];
  const autoPad = typeof attrs.auto_pad === "string" ? attrs.auto_pad : "NOTSET";
  const outputShape = Array.isArray(attrs.output_shape) ? lift(ints(attrs.output_shape, []).slice(-(oneD ? 1 : 2)), 1) : undefined;
  const full = (d: number) => strides[d]! * (inSp[d]! - 1) + outPad[d]! + (kernel[d]! - 1) * dilations[d]! + 1;
  if (outputShape || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const target = outputShape ?? inSp.map((n, d) => n * strides[d]!);
    pads = [0, 0, 0, 0];
    for (let d = 0; d < r; d++) {
      const total = full(d) - target[d]!;
      const half = Math.floor(total / 2);
      // The spec: SAME_UPPER puts the larger half at the end.
      pads[d] = autoPad === "SAME_UPPER" ? half : total - half;
      pads[d + r] = total - pads[d]!;
    }
  } else if (autoPad === "VALID") pads = [0, 0, 0, 0];
  const outSpatial = [0, 1].map((d) => full(d) - pads[d]! - pads[d + r]!);
  const spread = [0, 1].map((d) => {
    const before = (kernel[d]! - 1) * dilations[d]! - pads[d]!;
    const len = outSpatial[d]! + (kernel[d]! - 1) * dilations[d]!;
    return Array.from({ length: len }, (_, q) => {
      const p = q - before;
      return p >= 0 && p % strides[d]! === 0 && p / strides[d]! < inSp[d]! ? p / strides[d]! : -1;
    });
  });
  const group = typeof attrs.group === "number" ? attrs.group : 1;
  const [Cin, CoutG] = [w.shape[0]!, w.shape[1]!];
  const [kh, kw] = [kernel[0]!, kernel[1]!];
  const CinG = Cin / group;
  const weight = hostTensor("float32", [CoutG * group, CinG, kh, kw]);
  for (let g = 0; g < group; g++)
    for (let o = 0; o < CoutG; o++)
      for (let i = 0; i < CinG; i++)
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const src = (((g * CinG + i) * CoutG + o) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx);
            weight.data[(((g * CoutG + o) * CinG + i) * kh + ky) * kw + kx] = w.data[src]!;
          }
  return { spread, weight, group, dilations, outSpatial, oneD };
}
