import type { OpDef } from "../op.ts";

export const movementOps: readonly OpDef[] = [];
