// Tensors in the explorer: found in a precompile call's ABI-encoded input or output (inline
// tensors start with the wire format's "AIVT" magic, persistent handles with "AREF"), decoded
// with src/codec, committed with src/commit, and shown as an image, a heat map or a table.
import { decodeTensorAt, decodeTensorHeader } from "../../codec/tensor.ts";
import { commitEncodedTensor } from "../../commit/tensor-commit.ts";
import { fromHex, toHex, type Hex } from "../../commit/hex.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { h } from "./dom.ts";

export interface FoundTensor {
  tensor: Tensor;
  /** Its Tensor Commit (also its content id when stored). */
  commit: Hex;
  /** The wire bytes. */
  bytes: Uint8Array;
}

/** Every well-formed inline tensor in ABI-encoded bytes, in order (ABI tails are 32-byte aligned). */
export function inlineTensors(hex: Hex | string | undefined): FoundTensor[] {
  if (!hex || hex.length < 10) return [];
  const bytes = fromHex(hex);
  const found: FoundTensor[] = [];
  for (let o = 0; o + 12 <= bytes.length; o += 4) {
    if (bytes[o] !== 0x41 || bytes[o + 1] !== 0x49 || bytes[o + 2] !== 0x56 || bytes[o + 3] !== 0x54) continue;
    try {
      const header = decodeTensorHeader(bytes, o);
      const { tensor, end } = decodeTensorAt(bytes, o);
      const wire = bytes.subarray(o, o + header.encodedLength);
      // The commit is hashed when first read: the transaction page lists tensors by shape only.
      let commit: Hex | undefined;
      found.push({ tensor, bytes: wire, get commit() {
        return (commit ??= toHex(commitEncodedTensor(wire)));
      } });
      o = end - 4 - ((end - 4) % 4);
    } catch {
      // "AIVT" inside other data: not a tensor.
    }
  }
  return found;
}

/** Content ids of the persistent handles ("AREF", kind 2) in ABI-encoded bytes. */
export function storedHandles(hex: Hex | string | undefined): Hex[] {
  if (!hex) return [];
  const bytes = fromHex(hex);
  const ids: Hex[] = [];
  for (let o = 0; o + 57 <= bytes.length; o += 1) {
    if (bytes[o] === 0x41 && bytes[o + 1] === 0x52 && bytes[o + 2] === 0x45 && bytes[o + 3] === 0x46 && bytes[o + 4] === 2) ids.push(toHex(bytes.subarray(o + 25, o + 57)));
  }
  return ids;
}

export function shapeText(dtype: string, shape: readonly number[]): string {
  return `${dtype}[${shape.join(",")}]`;
}

/** Height, width and channels when the shape is a picture: [H,W], [1,H,W], [H,W,1|3], [3,H,W], or n = s² elements in one non-unit dim. */
export function imageGeometry(shape: readonly number[]): { height: number; width: number; channels: 1 | 3; channelsFirst: boolean } | undefined {
  const dims = shape.filter((d) => d !== 1);
  if (dims.length === 1) {
    const s = Math.round(Math.sqrt(dims[0]!));
    if (s * s === dims[0] && s >= 8) return { height: s, width: s, channels: 1, channelsFirst: false };
    return undefined;
  }
  if (dims.length === 2 && dims[0]! >= 8 && dims[1]! >= 8) return { height: dims[0]!, width: dims[1]!, channels: 1, channelsFirst: false };
  if (dims.length === 3 && dims[0] === 3 && dims[1]! >= 8 && dims[2]! >= 8) return { height: dims[1]!, width: dims[2]!, channels: 3, channelsFirst: true };
  if (dims.length === 3 && dims[2] === 3 && dims[0]! >= 8 && dims[1]! >= 8) return { height: dims[0]!, width: dims[1]!, channels: 3, channelsFirst: false };
  return undefined;
}

function range(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The tensor as a picture, its values stretched from their minimum (black) to their maximum (white). */
export function imageView(t: Tensor): HTMLCanvasElement | undefined {
  const g = imageGeometry(t.shape);
  if (!g) return undefined;
  const canvas = h("canvas", { width: g.width, height: g.height, class: "tensor", role: "img", "data-testid": "tensor-image", "aria-label": `${g.width}×${g.height} ${g.channels === 3 ? "colour" : "greyscale"} image of ${shapeText(t.dtype, t.shape)}` });
  const scale = Math.max(1, Math.floor(280 / Math.max(g.width, g.height)));
  canvas.style.width = `${g.width * scale}px`;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(g.width, g.height);
  const [lo, hi] = range(t.data);
  const span = hi - lo || 1;
  const px = (v: number) => Math.round(((v - lo) * 255) / span);
  const plane = g.height * g.width;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const src = g.channels === 1 ? i : g.channelsFirst ? c * plane + i : i * 3 + c;
      img.data[i * 4 + c] = px(t.data[src]!);
    }
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** Rows × columns of a tensor seen as a matrix: the last dim against everything before it. */
function matrixOf(t: Tensor): { rows: number; cols: number } {
  const cols = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
  return { rows: Math.max(1, t.data.length / Math.max(cols, 1)), cols };
}

/** A heat map: blue for negative, red for positive, white at zero. */
export function heatMapView(t: Tensor): HTMLCanvasElement {
  const g = imageGeometry(t.shape);
  const { rows, cols } = g && g.channels === 1 ? { rows: g.height, cols: g.width } : matrixOf(t);
  const canvas = h("canvas", { width: cols, height: rows, class: "tensor", role: "img", "data-testid": "tensor-heatmap", "aria-label": `heat map of ${shapeText(t.dtype, t.shape)} as ${rows}×${cols}` });
  const scale = Math.max(1, Math.floor(400 / Math.max(rows, cols)));
  canvas.style.width = `${cols * scale}px`;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(cols, rows);
  const [lo, hi] = range(t.data);
  const mag = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let i = 0; i < rows * cols; i++) {
    const v = t.data[i]! / mag;
    const fade = Math.round(255 * (1 - Math.abs(v)));
    img.data[i * 4] = v >= 0 ? 255 : fade;
    img.data[i * 4 + 1] = fade;
    img.data[i * 4 + 2] = v >= 0 ? fade : 255;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** The values as a table (the first 32 rows and 32 columns). */
export function tableView(t: Tensor): HTMLElement {
  const { rows, cols } = matrixOf(t);
  const shownRows = Math.min(rows, 32);
  const shownCols = Math.min(cols, 32);
  const body: HTMLElement[] = [];
  for (let r = 0; r < shownRows; r++) {
    const cells: HTMLElement[] = [h("th", { scope: "row" }, r)];
    for (let c = 0; c < shownCols; c++) cells.push(h("td", { class: "num" }, t.data[r * cols + c]!));
    body.push(h("tr", {}, cells));
  }
  const head = h("tr", {}, h("th", {}, ""), Array.from({ length: shownCols }, (_v, c) => h("th", { scope: "col", class: "num" }, c)));
  const note = rows > shownRows || cols > shownCols ? h("p", { class: "muted" }, `Showing ${shownRows} of ${rows} rows and ${shownCols} of ${cols} columns.`) : null;
  return h("div", { class: "table-wrap", "data-testid": "tensor-table" }, note, h("table", {}, h("caption", { class: "visually-hidden" }, `values of ${shapeText(t.dtype, t.shape)}`), h("thead", {}, head), h("tbody", {}, body)));
}
