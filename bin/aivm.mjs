#!/usr/bin/env node
// The `aivm` binary: registers tsx's loader in this process and runs the TypeScript CLI, so
// `npx aivm ...` works without a build step and signals reach the node process directly.
import { register } from "tsx/esm/api";

register();
await import(new URL("../src/cli/main.ts", import.meta.url).href);
