// The `aivm` command: one subcommand per module of ./commands, each loading its implementation when it runs.
import { createProgram } from "./commands/program.ts";
import { applyNodeV8Flags } from "./v8-flags.ts";

applyNodeV8Flags();
await createProgram().parseAsync(process.argv);
