/// <reference lib="dom" />
// A few lines of DOM building: elements from a tag, attributes and children; text is always set
// as text (chain data never becomes markup).
export type Child = Node | string | number | bigint | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const c of children) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

/** 1234567 → "1,234,567" (integers of any size). */
export function num(v: bigint | number | string): string {
  const s = BigInt(v).toString();
  const neg = s.startsWith("-");
  const digits = neg ? s.slice(1) : s;
  return (neg ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** 0x1234…abcd */
export function short(hex: string | null | undefined, keep = 6): string {
  if (!hex) return "—";
  return hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** A fixed-point multiplier (MULTIPLIER_ONE = 1,000,000 is 1.0) as a decimal, e.g. "1.125000". */
export function multiplier(v: bigint | string | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const x = BigInt(v);
  return `${x / 1_000_000n}.${(x % 1_000_000n).toString().padStart(6, "0")}`;
}

/** part / whole as a percentage with one decimal ("—" when whole is 0). */
export function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return "—";
  const tenths = (part * 1000n) / whole;
  return `${tenths / 10n}.${tenths % 10n} %`;
}

export function timeOf(ts: string): string {
  return new Date(Number(BigInt(ts)) * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
}

export function blockLink(n: bigint | string): HTMLAnchorElement {
  const b = BigInt(n);
  return h("a", { href: `#/block/${b}` }, `#${b}`);
}

export function txLink(hash: string, keep = 6): HTMLAnchorElement {
  return h("a", { href: `#/tx/${hash}`, class: "mono", title: hash }, short(hash, keep));
}

export function table(head: (string | [string, string])[], rows: Child[][], caption?: string, testId?: string): HTMLElement {
  return h(
    "div",
    { class: "table-wrap", "data-testid": testId },
    h(
      "table",
      {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, head.map((c) => (Array.isArray(c) ? h("th", { scope: "col", class: c[1] }, c[0]) : h("th", { scope: "col" }, c))))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", Array.isArray(head[i]) ? { class: (head[i] as [string, string])[1] } : {}, c))))),
    ),
  );
}

export function kv(pairs: [string, Child][]): HTMLDListElement {
  return h("dl", { class: "kv" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function card(label: string, value: Child, testId?: string): HTMLElement {
  return h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value", "data-testid": testId }, value));
}

/** Replaces `root`'s content (null and false children are skipped). */
export function render(root: HTMLElement, ...children: Child[]): void {
  root.replaceChildren();
  append(root, children);
}
