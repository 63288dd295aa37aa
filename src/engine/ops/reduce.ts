import type { OpDef } from "../op.ts";

export const reduceOps: readonly OpDef[] = [];
