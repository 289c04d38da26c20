// @switchyard/cli: the `switchyard` command, also callable in-process (runCli).
export type { CliIo, ExitCode } from "./cli-io.js";
export { runCli } from "./run-cli.js";
export { USAGE } from "./usage.js";
