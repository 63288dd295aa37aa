// The `aivm` command: one subcommand per module of ./commands, each loading its implementation when it runs.
import { createProgram } from "./commands/program.ts";
import { tuneNodeProcess } from "./process-tuning.ts";

tuneNodeProcess();
await createProgram().parseAsync(process.argv);
