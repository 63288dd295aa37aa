// Small SVG charts over the last N blocks, each with a text alternative (its values as a table
// in a <details>) for screen readers and keyboard users.
import { h, svg, table } from "./dom.ts";

export interface Series {
  /** Block numbers, oldest first. */
  labels: bigint[];
  /** One value per label. */
  values: number[];
  /** How each value reads in the table ("1.125000", "32 %"). */
  text: (v: number, i: number) => string;
}

const W = 600;
const H = 150;
const PAD = { left: 74, right: 8, top: 8, bottom: 20 };

/** A bar chart (kind "bar") or a line (kind "line") of one series, with its axis extremes. */
export function chart(title: string, s: Series, kind: "bar" | "line", color: string, testId: string): HTMLElement {
  const max = Math.max(...s.values, 0);
  const min = kind === "line" ? Math.min(...s.values) : 0;
  const span = max - min || 1;
  const n = s.values.length;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : (i * plotW) / (kind === "bar" ? n : n - 1));
  const y = (v: number) => PAD.top + plotH - ((v - min) * plotH) / span;
  const marks: SVGElement[] = [];
  if (kind === "bar") {
    const bw = Math.max(1, plotW / Math.max(n, 1) - 2);
    s.values.forEach((v, i) => marks.push(svg("rect", { x: x(i) + 1, y: y(v), width: bw, height: Math.max(0, PAD.top + plotH - y(v)), fill: color }, svg("title", {}, `block ${s.labels[i]}: ${s.text(v, i)}`))));
  } else {
    marks.push(svg("polyline", { points: s.values.map((v, i) => `${x(i)},${y(v)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
    s.values.forEach((v, i) => marks.push(svg("circle", { cx: x(i), cy: y(v), r: 2.5, fill: color }, svg("title", {}, `block ${s.labels[i]}: ${s.text(v, i)}`))));
  }
  const axis = [
    svg("line", { x1: PAD.left, y1: PAD.top + plotH, x2: W - PAD.right, y2: PAD.top + plotH, stroke: "currentColor", "stroke-opacity": 0.3 }),
    svg("text", { x: PAD.left - 4, y: PAD.top + 8, "text-anchor": "end" }, s.values.length ? s.text(max, s.values.indexOf(max)) : ""),
    svg("text", { x: PAD.left - 4, y: PAD.top + plotH, "text-anchor": "end" }, kind === "line" && s.values.length ? s.text(min, s.values.indexOf(min)) : "0"),
    svg("text", { x: PAD.left, y: H - 4 }, s.labels.length ? `#${s.labels[0]}` : ""),
    svg("text", { x: W - PAD.right, y: H - 4, "text-anchor": "end" }, s.labels.length ? `#${s.labels[s.labels.length - 1]}` : ""),
  ];
  const graphic = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `${title}, blocks ${s.labels[0] ?? ""} to ${s.labels[s.labels.length - 1] ?? ""}` }, ...axis, ...marks);
  return h(
    "figure",
    { class: "chart", "data-testid": testId },
    graphic,
    h("figcaption", {}, title),
    h("details", {}, h("summary", {}, `${title}: values`), table(["block", ["value", "num"]], s.values.map((v, i) => [String(s.labels[i]), s.text(v, i)]), title)),
  );
}
