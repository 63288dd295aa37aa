import type { OpDef } from "../op.ts";

export const linearOps: readonly OpDef[] = [];
