import type { OpDef } from "../op.ts";

export const normalizeOps: readonly OpDef[] = [];
