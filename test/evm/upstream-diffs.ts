// The upstream code src/evm/ copies, and the reviewable diff of each copy (src/evm/upstream/*.diff).
//
// Where an override has to replace an EthereumJS function with a changed copy, the copy is pinned
// two ways: the diff file records the sha256 of each upstream function's text in the pinned
// release (a new release that changes it fails test/evm/upstream-diffs.test.ts), and its body is
// the unified diff from upstream's function to ours, so a reviewer reads exactly what we changed.
// Both sides are normalised before diffing, the same way: TypeScript types, `this` parameters,
// access modifiers, comments and layout are dropped and the code is printed by the TypeScript
// printer (double quotes, one statement per line). Nothing else is changed, so the test, which
// applies the committed diff to upstream and compares with ours, checks every token of the code.
//
//   node --import tsx test/evm/upstream-diffs.ts            reports which diffs are out of date
//   node --import tsx test/evm/upstream-diffs.ts --write    rewrites them (npm run evm:diffs)
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where the committed diffs live. */
export const DIFF_DIR = join(REPO, "src", "evm", "upstream");

/** How to find one function in a file; each must match exactly one node. */
export type Locator =
  /** A class member: "Class.method", or "Class.constructor". */
  | { method: string }
  /** `function name(…)` or `const name = function / arrow`. */
  | { function: string }
  /** The function assigned by `<lhs> = …`, lhs as written ("Interpreter.prototype.run"). */
  | { assigned: string }
  /** The function at `key` in `const <map> = new Map([[key, function], …])`. */
  | { mapEntry: string; key: number }
  /** An argument of a call to `<callee>` ("memoryGas.set"). */
  | { callArgument: string; index: number };

/** A function in a file: "@ethereumjs/<pkg>/src/…" (the pinned upstream source) or a repo path. */
export interface Piece {
  file: string;
  locate: Locator;
}

export interface UpstreamCopy {
  /** The diff's file name, without .diff. */
  name: string;
  /** One line: what the copy is and why it differs. */
  what: string;
  /** Upstream's functions our copy is made from, in the order ours follows them. */
  upstream: Piece[];
  ours: Piece;
}

/** Every function of src/evm/ that copies EthereumJS code. docs/evm.md lists the files that copy nothing. */
export const UPSTREAM_COPIES: UpstreamCopy[] = [
  {
    name: "interpreter-run",
    what: "Interpreter.run for legacy code: awaits only steps that return a promise, polls the call deadline",
    upstream: [{ file: "@ethereumjs/evm/src/interpreter.ts", locate: { method: "Interpreter.run" } }],
    ours: { file: "src/evm/run-loop.ts", locate: { assigned: "Interpreter.prototype.run" } },
  },
  {
    name: "interpreter-runstep",
    what: "Interpreter.runStep: synchronous unobserved steps run in place, everything else goes to upstream's runStep",
    upstream: [{ file: "@ethereumjs/evm/src/interpreter.ts", locate: { method: "Interpreter.runStep" } }],
    ours: { file: "src/evm/sync-steps.ts", locate: { assigned: "Interpreter.prototype.runStep" } },
  },
  {
    name: "memory-gas",
    what: "MLOAD, MSTORE and MSTORE8's memory-expansion gas handlers as one synchronous function",
    upstream: [0x51, 0x52, 0x53].map((key) => ({ file: "@ethereumjs/evm/src/opcodes/gas.ts", locate: { mapEntry: "dynamicGasHandlers", key } })),
    ours: { file: "src/evm/sync-steps.ts", locate: { callArgument: "memoryGas.set", index: 1 } },
  },
  {
    name: "sload",
    what: "SLOAD under plain EIP-2929 rules: its gas handler, the EIP-2929 charge, its op handler and storageLoad in one synchronous function",
    upstream: [
      { file: "@ethereumjs/evm/src/opcodes/gas.ts", locate: { mapEntry: "dynamicGasHandlers", key: 0x54 } },
      { file: "@ethereumjs/evm/src/opcodes/EIP2929.ts", locate: { function: "accessStorageEIP2929" } },
      { file: "@ethereumjs/evm/src/opcodes/functions.ts", locate: { mapEntry: "handlers", key: 0x54 } },
      { file: "@ethereumjs/evm/src/interpreter.ts", locate: { method: "Interpreter.storageLoad" } },
    ],
    ours: { file: "src/evm/sload.ts", locate: { function: "sload" } },
  },
  {
    name: "mload",
    what: "the MLOAD handler: four 64-bit reads instead of bytesToBigInt",
    upstream: [{ file: "@ethereumjs/evm/src/opcodes/functions.ts", locate: { mapEntry: "handlers", key: 0x51 } }],
    ours: { file: "src/evm/memory-ops.ts", locate: { function: "mload" } },
  },
  {
    name: "mstore",
    what: "the MSTORE handler: wordToBytes instead of setLengthLeft(bigIntToBytes(word), 32)",
    upstream: [{ file: "@ethereumjs/evm/src/opcodes/functions.ts", locate: { mapEntry: "handlers", key: 0x52 } }],
    ours: { file: "src/evm/memory-ops.ts", locate: { function: "mstore" } },
  },
  {
    name: "push",
    what: "the PUSH1–PUSH32 handler for rules without code-chunk charging",
    upstream: [{ file: "@ethereumjs/evm/src/opcodes/functions.ts", locate: { mapEntry: "handlers", key: 0x60 } }],
    ours: { file: "src/evm/memory-ops.ts", locate: { function: "push" } },
  },
  {
    name: "memory-extend",
    what: "Memory.extend: one allocation per growth, doubling from 1 KiB",
    upstream: [{ file: "@ethereumjs/evm/src/memory.ts", locate: { method: "Memory.extend" } }],
    ours: { file: "src/evm/memory-growth.ts", locate: { assigned: "proto.extend" } },
  },
  {
    name: "evm-runinterpreter",
    what: "EVM.runInterpreter: the result's runState is the RunState itself, not three spreads",
    upstream: [{ file: "@ethereumjs/evm/src/evm.ts", locate: { method: "EVM.runInterpreter" } }],
    ours: { file: "src/evm/run-interpreter.ts", locate: { assigned: "EVM.prototype.runInterpreter" } },
  },
  {
    name: "interpreter-constructor",
    what: "the Interpreter constructor: memory starts empty",
    upstream: [{ file: "@ethereumjs/evm/src/interpreter.ts", locate: { method: "Interpreter.constructor" } }],
    ours: { file: "src/evm/run-interpreter.ts", locate: { function: "createInterpreter" } },
  },
  {
    name: "statemanager-putstorage",
    what: "MerkleStateManager.putStorage: the cache only, no write-through to the storage trie",
    upstream: [{ file: "@ethereumjs/statemanager/src/merkleStateManager.ts", locate: { method: "MerkleStateManager.putStorage" } }],
    ours: { file: "src/evm/state-manager.ts", locate: { method: "AivmStateManager.putStorage" } },
  },
  {
    name: "statemanager-getaccount",
    what: "MerkleStateManager.getAccount's cache hit: a copy of the cached account instead of an RLP decode",
    upstream: [{ file: "@ethereumjs/statemanager/src/merkleStateManager.ts", locate: { method: "MerkleStateManager.getAccount" } }],
    ours: { file: "src/evm/state-manager.ts", locate: { method: "AivmStateManager.getAccount" } },
  },
  {
    name: "statemanager-getstoragesync",
    what: "MerkleStateManager.getStorage's cache hit, without a promise (for SLOAD)",
    upstream: [{ file: "@ethereumjs/statemanager/src/merkleStateManager.ts", locate: { method: "MerkleStateManager.getStorage" } }],
    ours: { file: "src/evm/state-manager.ts", locate: { method: "AivmStateManager.getStorageSync" } },
  },
  {
    name: "account-cache-put",
    what: "AccountCache.put: stores the account, its RLP made on first read",
    upstream: [{ file: "@ethereumjs/statemanager/src/cache/account.ts", locate: { method: "AccountCache.put" } }],
    ours: { file: "src/evm/state-manager.ts", locate: { method: "ObjectAccountCache.put" } },
  },
  {
    name: "tx-sender",
    what: "getSenderAddress of a frozen transaction: memoised, keccak256 of the public key by the node's keccak",
    upstream: [
      { file: "@ethereumjs/tx/src/capabilities/legacy.ts", locate: { function: "getSenderAddress" } },
      { file: "@ethereumjs/util/src/account.ts", locate: { function: "pubToAddress" } },
    ],
    ours: { file: "src/evm/tx-memo.ts", locate: { assigned: "proto.getSenderAddress" } },
  },
  {
    name: "crypto-ecrecover",
    what: "ecrecover on libsecp256k1 instead of noble",
    upstream: [{ file: "@ethereumjs/util/src/signature.ts", locate: { function: "ecrecover" } }],
    ours: { file: "src/evm/crypto.ts", locate: { function: "nativeEcrecover" } },
  },
];

// ---------------------------------------------------------------------------------------------
// Files and functions

interface UpstreamFile {
  /** "@ethereumjs/evm" */
  pkg: string;
  version: string;
  /** Absolute path of the TypeScript source the package ships. */
  source: string;
  /** Absolute path of the compiled module Node runs (dist/esm), the same function. */
  compiled: string;
}

/** The package root Node resolves for `pkg` from this repository. */
function packageRoot(pkg: string): { root: string; version: string } {
  const entry = fileURLToPath(import.meta.resolve(pkg));
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
    if (name === pkg) return { root: dir, version: version ?? "unknown" };
  }
  throw new Error(`${pkg}: package root not found from ${entry}`);
}

export function upstreamFile(file: string): UpstreamFile {
  const match = /^(@ethereumjs\/[^/]+)\/(src\/.+)\.ts$/.exec(file);
  if (!match) throw new Error(`not an upstream source path: ${file}`);
  const [, pkg, path] = match as unknown as [string, string, string];
  const { root, version } = packageRoot(pkg);
  return { pkg, version, source: join(root, `${path}.ts`), compiled: join(root, "dist", "esm", `${path.slice("src/".length)}.js`) };
}

export function parse(path: string, text = readFileSync(path, "utf8")): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, path.endsWith(".js") ? ts.ScriptKind.JS : ts.ScriptKind.TS);
}

export function describeLocator(locate: Locator): string {
  if ("method" in locate) return locate.method;
  if ("function" in locate) return `function ${locate.function}`;
  if ("assigned" in locate) return `${locate.assigned} = …`;
  if ("mapEntry" in locate) return `${locate.mapEntry} entry 0x${locate.key.toString(16)}`;
  return `argument ${locate.index} of ${locate.callArgument}(…)`;
}

const isFunctionLike = (n: ts.Node | undefined): n is ts.FunctionLikeDeclaration =>
  n !== undefined && (ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n));

/** The one node `locate` names in `sf`; throws if there is none or more than one. */
export function locateNode(sf: ts.SourceFile, locate: Locator): ts.Node {
  const found: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if ("method" in locate && (ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n))) {
      const [cls, member] = locate.method.split(".") as [string, string];
      const owner = n.parent;
      const name = ts.isConstructorDeclaration(n) ? "constructor" : n.name.getText(sf);
      if (ts.isClassLike(owner) && owner.name?.text === cls && name === member && n.body !== undefined) found.push(n);
    } else if ("function" in locate) {
      if (ts.isFunctionDeclaration(n) && n.name?.text === locate.function) found.push(n);
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === locate.function && isFunctionLike(n.initializer)) found.push(n.initializer);
    } else if ("assigned" in locate && ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && n.left.getText(sf) === locate.assigned) {
      found.push(n.right);
    } else if ("mapEntry" in locate && ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === locate.mapEntry && n.initializer) {
      const entries = (m: ts.Node): void => {
        if (ts.isArrayLiteralExpression(m) && m.elements.length === 2 && ts.isNumericLiteral(m.elements[0]!) && Number(m.elements[0].text) === locate.key) found.push(m.elements[1]!);
        else ts.forEachChild(m, entries);
      };
      entries(n.initializer);
      return;
    } else if ("callArgument" in locate && ts.isCallExpression(n) && n.expression.getText(sf) === locate.callArgument) {
      const arg = n.arguments[locate.index];
      if (arg) found.push(arg);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (found.length !== 1) throw new Error(`${sf.fileName}: ${describeLocator(locate)} matches ${found.length} nodes, expected one`);
  return found[0]!;
}

// ---------------------------------------------------------------------------------------------
// Normalisation: the code without types, comments or layout

const TYPE_ONLY_MODIFIERS = new Set([
  ts.SyntaxKind.PublicKeyword,
  ts.SyntaxKind.PrivateKeyword,
  ts.SyntaxKind.ProtectedKeyword,
  ts.SyntaxKind.OverrideKeyword,
  ts.SyntaxKind.ReadonlyKeyword,
  ts.SyntaxKind.DeclareKeyword,
  ts.SyntaxKind.AbstractKeyword,
]);

/** Removes what only the type checker reads: annotations, assertions, `this` parameters, type-only modifiers, empty statements. */
const stripTypes: ts.TransformerFactory<ts.Node> = (context) => {
  const f = context.factory;
  const visit = (node: ts.Node): ts.VisitResult<ts.Node | undefined> => {
    // `f<T>` (and `extends B<T>`) is a type node around an expression: the expression stays.
    if (ts.isExpressionWithTypeArguments(node)) return ts.visitNode(node.expression, visit);
    if (ts.isTypeNode(node) || ts.isTypeParameterDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node)) return undefined;
    // `;(x as T).y()`: an empty statement in a list, not an empty loop body.
    if (ts.isEmptyStatement(node) && (ts.isBlock(node.parent) || ts.isSourceFile(node.parent))) return undefined;
    if (ts.isModifier(node) && TYPE_ONLY_MODIFIERS.has(node.kind)) return undefined;
    if (ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node) || ts.isTypeAssertionExpression(node)) return ts.visitNode(node.expression, visit);
    if (ts.isParenthesizedExpression(node)) {
      // Parentheses that held an assertion, `(x as T).y` or `(await x) as T`, go where they change nothing:
      // around a primary expression, or as a whole initializer, return value or argument.
      const inner = ts.visitNode(node.expression, visit) as ts.Expression;
      // Not around an optional chain (`(a?.b).c` throws where `a?.b.c` does not) or a `new` callee (`new (f())()`).
      const member = (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner) || ts.isCallExpression(inner)) && !ts.isOptionalChain(inner);
      const newCallee = ts.isNewExpression(node.parent) && node.parent.expression === node;
      const primary = ts.isIdentifier(inner) || inner.kind === ts.SyntaxKind.ThisKeyword || (member && !newCallee);
      const comma = ts.isBinaryExpression(inner) && inner.operatorToken.kind === ts.SyntaxKind.CommaToken;
      return primary || (!comma && isWholeExpressionSlot(node)) ? inner : f.updateParenthesizedExpression(node, inner);
    }
    // Braces around a lone statement are layout: `if (x) y;` is printed as `if (x) { y; }`.
    if (ts.isIfStatement(node)) {
      const otherwise = node.elseStatement && (ts.isIfStatement(node.elseStatement) ? (ts.visitNode(node.elseStatement, visit) as ts.Statement) : braced(node.elseStatement));
      return f.updateIfStatement(node, ts.visitNode(node.expression, visit) as ts.Expression, braced(node.thenStatement), otherwise);
    }
    if (ts.isForStatement(node) || ts.isForOfStatement(node) || ts.isForInStatement(node) || ts.isWhileStatement(node)) {
      const visited = ts.visitEachChild(node, visit, context);
      return ts.isBlock(visited.statement) ? visited : ts.visitEachChild(visited, (child) => (child === visited.statement ? f.createBlock([child as ts.Statement], true) : child), context);
    }
    if (ts.isParameter(node)) {
      if (ts.isIdentifier(node.name) && node.name.text === "this") return undefined;
      return f.updateParameterDeclaration(
        node,
        node.modifiers, // kept: on a constructor parameter, `readonly` and `private` declare a field
        node.dotDotDotToken,
        ts.visitNode(node.name, visit) as ts.BindingName,
        undefined,
        undefined,
        ts.visitNode(node.initializer, visit) as ts.Expression | undefined,
      );
    }
    if (ts.isVariableDeclaration(node)) {
      return f.updateVariableDeclaration(node, ts.visitNode(node.name, visit) as ts.BindingName, undefined, undefined, ts.visitNode(node.initializer, visit) as ts.Expression | undefined);
    }
    return ts.visitEachChild(node, visit, context);
  };
  const braced = (statement: ts.Statement): ts.Block => {
    const visited = ts.visitNode(statement, visit) as ts.Statement;
    return ts.isBlock(visited) ? visited : f.createBlock([visited], true);
  };
  return (node) => ts.visitNode(node, visit) as ts.Node;
};

/** Is `node` a whole initializer, return value, argument, element or property value, where no parentheses are needed? */
function isWholeExpressionSlot(expression: ts.Expression): boolean {
  // Through the assertions and parentheses the type stripping removes: `(await x) as T`.
  let node: ts.Node = expression;
  let parent = node.parent;
  while (parent !== undefined && (ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent) || ts.isNonNullExpression(parent) || ts.isTypeAssertionExpression(parent) || ts.isParenthesizedExpression(parent))) {
    node = parent;
    parent = node.parent;
  }
  if (parent === undefined) return false;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.initializer === node;
  if (ts.isReturnStatement(parent)) return parent.expression === node;
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return parent.arguments?.includes(node as ts.Expression) === true;
  return ts.isArrayLiteralExpression(parent);
}

/**
 * The function `locate` names in `path` (or in `text`, parsed as `path`), printed without types,
 * comments or source layout: what its code does, one statement per line. A TypeScript constructor
 * gets its class's field initializers first, as tsc compiles it.
 */
export function normalisedFunction(path: string, locate: Locator, text?: string): string {
  // Parsed here, for this call only: normalise rewrites the tree it is given.
  const sf = parse(path, text);
  const node = locateNode(sf, locate);
  return normalise(ts.isConstructorDeclaration(node) && !path.endsWith(".js") ? withFieldInitializers(node) : node, sf);
}

/** Prints `node` normalised. Destructive: it erases the source positions of `node`'s tree, so `sf` is of no further use. */
function normalise(node: ts.Node, sf: ts.SourceFile): string {
  // Numbers keep the notation they were written in (0x51, not 81).
  const literals = new Map<ts.Node, string>();
  const keepNotation = (n: ts.Node): void => {
    if (ts.isNumericLiteral(n) || ts.isBigIntLiteral(n)) literals.set(n, n.getText(sf));
    ts.forEachChild(n, keepNotation);
  };
  keepNotation(node);
  const result = ts.transform(node, [stripTypes]);
  const stripped = result.transformed[0]!;
  // Forget source positions, so the printer lays everything out itself instead of copying the source's line breaks and quotes.
  const synthesise = (n: ts.Node): void => {
    const written = literals.get(n) ?? literals.get(ts.getOriginalNode(n));
    if (written !== undefined) (n as ts.Node & { text: string }).text = written;
    if (ts.isStringLiteral(n)) (n as { singleQuote?: boolean }).singleQuote = false;
    if (ts.isBlock(n)) (n as { multiLine?: boolean }).multiLine = true;
    if (ts.isObjectLiteralExpression(n)) (n as { multiLine?: boolean }).multiLine = n.properties.length > 0;
    ts.forEachChild(n, synthesise, (list) => {
      // A trailing comma is layout too.
      (list as { hasTrailingComma?: boolean }).hasTrailingComma = false;
      list.forEach(synthesise);
    });
    ts.setTextRange(n, { pos: -1, end: -1 });
  };
  synthesise(stripped);
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const text = printer.printNode(ts.EmitHint.Unspecified, stripped, ts.createSourceFile("normalised.ts", "", ts.ScriptTarget.Latest));
  result.dispose();
  // Two-space indentation, as both code bases write it (the printer indents by four).
  return text.replace(/^(?: {4})+/gm, (indent) => " ".repeat(indent.length / 2));
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

// ---------------------------------------------------------------------------------------------
// Unified diffs

type Edit = { op: " " | "-" | "+"; line: string };

/** The shortest edit script from a to b (longest common subsequence, by dynamic programming: the functions are short). */
function edits(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: " ", line: a[i++]! });
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push({ op: "-", line: a[i++]! });
    else out.push({ op: "+", line: b[j++]! });
  }
  return out;
}

/** `diff -U<context>` of two line arrays, hunks only. Empty when they are equal. */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): string {
  const script = edits(a, b);
  const changed = script.map((e, k) => (e.op === " " ? -1 : k)).filter((k) => k >= 0);
  if (changed.length === 0) return "";
  // Group changes whose context windows touch into hunks.
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last && k - last[1] <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  let out = "";
  for (const [first, last] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(script.length - 1, last + context);
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < start; k++) {
      if (script[k]!.op !== "+") aLine++;
      if (script[k]!.op !== "-") bLine++;
    }
    const hunk = script.slice(start, end + 1);
    const aLen = hunk.filter((e) => e.op !== "+").length;
    const bLen = hunk.filter((e) => e.op !== "-").length;
    out += `@@ -${aLen === 0 ? aLine - 1 : aLine},${aLen} +${bLen === 0 ? bLine - 1 : bLine},${bLen} @@\n`;
    for (const e of hunk) out += `${e.op}${e.line}\n`;
  }
  return out;
}

/** Applies the hunks of a unified diff to `a`; throws unless every context and removed line matches. */
export function applyUnifiedDiff(a: readonly string[], diff: string): string[] {
  const lines = diff.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out: string[] = [];
  let next = 0; // index into a of the first line not yet copied
  let k = lines.findIndex((l) => l.startsWith("@@"));
  if (k < 0) return [...a];
  while (k < lines.length) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[k]!);
    if (!header) throw new Error(`diff line ${k + 1}: expected a hunk header, got ${JSON.stringify(lines[k])}`);
    const aStart = Number(header[1]);
    const aLen = header[2] === undefined ? 1 : Number(header[2]);
    const at = aLen === 0 ? aStart : aStart - 1;
    if (at < next) throw new Error(`diff line ${k + 1}: hunks overlap or are out of order`);
    out.push(...a.slice(next, at));
    next = at;
    for (k++; k < lines.length && !lines[k]!.startsWith("@@"); k++) {
      const line = lines[k]!;
      const op = line[0];
      const text = line.slice(1);
      if (op === "+") {
        out.push(text);
        continue;
      }
      if (op !== " " && op !== "-") throw new Error(`diff line ${k + 1}: not a hunk line: ${JSON.stringify(line)}`);
      if (a[next] !== text) throw new Error(`diff line ${k + 1} does not apply: upstream line ${next + 1} is ${JSON.stringify(a[next])}, the diff expects ${JSON.stringify(text)}`);
      if (op === " ") out.push(text);
      next++;
    }
  }
  out.push(...a.slice(next));
  return out;
}

// ---------------------------------------------------------------------------------------------
// One copy: its upstream pieces, ours, the committed diff

export interface UpstreamPieceText {
  piece: Piece;
  pkg: string;
  version: string;
  /** The function's text as the pinned release ships it in src/ (what the sha256 pins). */
  raw: string;
  normalised: string;
  /** The same function in dist/esm (what Node runs), normalised the same way. */
  compiled: string;
}

export function readUpstream(piece: Piece): UpstreamPieceText {
  const file = upstreamFile(piece.file);
  const sf = parse(file.source);
  const raw = locateNode(sf, piece.locate).getText(sf);
  return { piece, pkg: file.pkg, version: file.version, raw, normalised: normalisedFunction(file.source, piece.locate), compiled: normalisedFunction(file.compiled, piece.locate) };
}

/**
 * A TypeScript constructor as it runs: the class's field initializers (`opDebuggers = {}`) are
 * assignments at the start of its body, where tsc puts them in dist/esm.
 */
function withFieldInitializers(ctor: ts.ConstructorDeclaration): ts.ConstructorDeclaration {
  const f = ts.factory;
  const fields = ctor.parent.members.filter(
    (m): m is ts.PropertyDeclaration & { name: ts.Identifier; initializer: ts.Expression } =>
      ts.isPropertyDeclaration(m) && m.initializer !== undefined && ts.isIdentifier(m.name) && !m.modifiers?.some((mod) => mod.kind === ts.SyntaxKind.StaticKeyword),
  );
  if (fields.length === 0) return ctor;
  const assignments = fields.map((m) => f.createExpressionStatement(f.createAssignment(f.createPropertyAccessExpression(f.createThis(), m.name.text), m.initializer)));
  return f.updateConstructorDeclaration(ctor, ctor.modifiers, ctor.parameters, f.updateBlock(ctor.body!, [...assignments, ...ctor.body!.statements]));
}

export function readOurs(piece: Piece): string {
  return normalisedFunction(join(REPO, piece.file), piece.locate);
}

export const diffPath = (copy: UpstreamCopy): string => join(DIFF_DIR, `${copy.name}.diff`);

/** The header lines of a copy's diff: what it is, and the pinned sha256 of each upstream function. */
export function diffHeader(copy: UpstreamCopy, pieces: readonly UpstreamPieceText[]): string {
  let header = `# ${copy.name}: ${copy.what}\n`;
  for (const p of pieces) header += `# upstream ${p.pkg} ${p.version} ${p.piece.file.slice(p.pkg.length + 1)} ${describeLocator(p.piece.locate)} sha256:${sha256(p.raw)}\n`;
  header += `# ours ${copy.ours.file} ${describeLocator(copy.ours.locate)}\n`;
  header += "# Both sides normalised by test/evm/upstream-diffs.ts (types, comments and layout dropped); refresh with npm run evm:diffs.\n";
  return header + `--- upstream/${copy.name}\n+++ ours/${copy.name}\n`;
}

/** The upstream side of the diff: the pieces' normalised texts, one after another. */
export const upstreamLines = (pieces: readonly UpstreamPieceText[]): string[] => pieces.flatMap((p) => p.normalised.split("\n"));

export function expectedDiff(copy: UpstreamCopy): string {
  const pieces = copy.upstream.map(readUpstream);
  return diffHeader(copy, pieces) + unifiedDiff(upstreamLines(pieces), readOurs(copy.ours).split("\n"));
}

function main(): void {
  const write = process.argv.includes("--write");
  let stale = 0;
  for (const copy of UPSTREAM_COPIES) {
    const path = diffPath(copy);
    const expected = expectedDiff(copy);
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
    if (current === expected) continue;
    stale++;
    if (write) writeFileSync(path, expected);
    console.log(`${write ? "wrote" : "out of date"}: ${relative(REPO, path)}`);
  }
  const known = new Set(UPSTREAM_COPIES.map((c) => `${c.name}.diff`));
  const orphans = readdirSync(DIFF_DIR).filter((f) => f.endsWith(".diff") && !known.has(f));
  for (const f of orphans) console.log(`not a known copy (delete it or add it to UPSTREAM_COPIES): ${relative(REPO, join(DIFF_DIR, f))}`);
  console.log(`${UPSTREAM_COPIES.length} copies, ${stale} ${write ? "rewritten" : "out of date"}`);
  if (!write && (stale > 0 || orphans.length > 0)) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
