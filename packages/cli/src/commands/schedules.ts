import type { ScheduleEntry } from "@switchyard/core";
import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { formatDate, formatTable, truncate } from "../table.js";

/** `switchyard schedules`: the schedules the backend stores, with their next run where it knows it. */
export async function schedulesCommand({ args, io, client, printJson }: CommandContext): Promise<ExitCode> {
  const schedules = await (await client()).schedules.list();
  if (args.json) {
    printJson({ schedules });
    return 0;
  }
  if (schedules.length === 0) {
    io.stdout("No schedules.\n");
    return 0;
  }
  const rows = schedules.map((entry) => [
    entry.id,
    entry.job,
    repeat(entry),
    entry.timezone ?? "UTC",
    formatDate(entry.nextRunAt),
    entry.declared === undefined ? "-" : entry.declared ? "declared" : "upserted",
    truncate(JSON.stringify(entry.payload ?? {}), 40),
  ]);
  io.stdout(formatTable(["ID", "JOB", "REPEAT", "TIME ZONE", "NEXT RUN", "SOURCE", "PAYLOAD"], rows));
  return 0;
}

function repeat(entry: ScheduleEntry): string {
  if (entry.cron) return entry.cron;
  if (entry.everyMs !== undefined) return `every ${entry.everyMs / 1000}s`;
  return "-";
}
