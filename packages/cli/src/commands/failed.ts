import { type JobSnapshot, supports } from "@switchyard/core";
import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { formatDate, formatTable, truncate } from "../table.js";

const DEFAULT_LIMIT = 20;

/**
 * `switchyard failed`: failed jobs, newest first, a page at a time (`jobs.list`), or the backend's
 * failed-job listing where it has no `jobs.list` (one page, no cursor).
 */
export async function failedCommand({ args, io, client, printJson }: CommandContext): Promise<ExitCode> {
  const jobs = await client();
  const limit = args.limit ?? DEFAULT_LIMIT;
  const job = args.job === undefined ? {} : { job: args.job };
  const page: { jobs: JobSnapshot[]; cursor?: string } =
    supports(jobs.capabilities, "jobs.list") || args.cursor !== undefined
      ? await jobs.list({ state: "failed", limit, ...job, ...(args.cursor ? { cursor: args.cursor } : {}) })
      : { jobs: await jobs.listFailed({ limit, ...job }) };
  if (args.json) {
    printJson(page);
    return 0;
  }
  if (page.jobs.length === 0) {
    io.stdout("No failed jobs.\n");
    return 0;
  }
  const rows = page.jobs.map((snapshot) => [
    snapshot.id,
    snapshot.name,
    `${snapshot.attempts}/${snapshot.maxAttempts}`,
    formatDate(snapshot.finishedAt),
    truncate(snapshot.error?.message ?? "-", 60),
  ]);
  io.stdout(formatTable(["ID", "JOB", "ATTEMPTS", "FAILED AT", "ERROR"], rows));
  if (page.cursor) io.stdout(`More: switchyard failed --cursor ${page.cursor}\n`);
  return 0;
}
