// Builds the explorer's browser bundle (src/explorer/dist/explorer.js, committed) with esbuild, the
// bundler tsx already brings. src/commit's keccak and hex modules are swapped for browser ones
// (./app/shims): the explorer checks receipts with the node's own Merkle and receipt code.
// `npm run explorer:build` rewrites the bundle; test/explorer/bundle.test.ts fails while it is stale.
import { build, type Plugin } from "esbuild";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const EXPLORER_BUNDLE_PATH = join(HERE, "dist", "explorer.js");

/** src/commit/keccak.ts (hash-wasm) and src/commit/hex.ts (Buffer) → their browser versions. */
const COMMIT = join(HERE, "..", "commit");
const SHIMS: Record<string, string> = {
  [join(COMMIT, "keccak.ts")]: join(HERE, "app", "shims", "keccak.ts"),
  [join(COMMIT, "hex.ts")]: join(HERE, "app", "shims", "hex.ts"),
};
const browserShims: Plugin = {
  name: "aivm-browser-shims",
  setup(b) {
    b.onResolve({ filter: /(keccak|hex)\.ts$/ }, (args) => {
      const shim = SHIMS[resolve(args.resolveDir, args.path)];
      return shim === undefined ? undefined : { path: shim };
    });
  },
};

/** The bundle's bytes, built in memory, and the modules it holds (paths from the repository root). */
export async function buildExplorerBundle(): Promise<{ bytes: Uint8Array; modules: string[] }> {
  const result = await build({
    entryPoints: [join(HERE, "app", "main.ts")],
    absWorkingDir: join(HERE, "..", ".."),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
    metafile: true,
    logLevel: "silent",
    banner: { js: "/* eslint-disable */\n// Built by `npm run explorer:build` from src/explorer/app: do not edit." },
    plugins: [browserShims],
  });
  return { bytes: result.outputFiles[0]!.contents, modules: Object.keys(result.metafile.inputs) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { bytes } = await buildExplorerBundle();
  mkdirSync(dirname(EXPLORER_BUNDLE_PATH), { recursive: true });
  writeFileSync(EXPLORER_BUNDLE_PATH, bytes);
  console.log(`${EXPLORER_BUNDLE_PATH}: ${bytes.length} bytes`);
}
