import type { Switchyard } from "@switchyard/core";
import type { CliIo } from "./cli-io.js";
import type { ParsedCommand } from "./parse-command.js";

/** What a command gets: its arguments, the outside world, and the client (opened on first use). */
export interface CommandContext {
  args: ParsedCommand;
  io: CliIo;
  client(): Promise<Switchyard>;
  /** Prints `value` as JSON (dates as ISO strings) on standard output. */
  printJson(value: unknown): void;
}
