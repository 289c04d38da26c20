import type { JobState } from "@switchyard/core";
import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { formatTable } from "../table.js";

const STATE_ORDER: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];

/** `switchyard counts`: jobs per state, for the states the backend counts. */
export async function countsCommand({ args, io, client, printJson }: CommandContext): Promise<ExitCode> {
  const counts = await (await client()).counts(args.job === undefined ? {} : { job: args.job });
  if (args.json) {
    printJson(counts);
    return 0;
  }
  const rows = STATE_ORDER.filter((state) => counts[state] !== undefined).map((state) => [
    state,
    String(counts[state]),
  ]);
  io.stdout(formatTable(["STATE", "JOBS"], rows));
  return 0;
}
