import type { Switchyard } from "@switchyard/core";
import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { CommandFailure } from "../command-failure.js";

/** `switchyard retry <id>` runs one failed job again; `retry --all-failed` every failed job (`--job`, `--limit`). */
export async function retryCommand({ args, io, client, printJson }: CommandContext): Promise<ExitCode> {
  const jobs = await client();
  if (args.allFailed) {
    const { retried } = await jobs.retryFailed({
      ...(args.job === undefined ? {} : { job: args.job }),
      ...(args.limit === undefined ? {} : { limit: args.limit }),
    });
    if (args.json) printJson({ retried });
    else io.stdout(`Retried ${retried.length} failed job${retried.length === 1 ? "" : "s"}.\n`);
    return 0;
  }
  const id = args.id!;
  if (!(await jobs.retry(id)))
    throw new CommandFailure(await whyNot(jobs, id, "retried", "only failed jobs"));
  if (args.json) printJson({ id, retried: true });
  else io.stdout(`Retried ${id}.\n`);
  return 0;
}

/** Why a retry or cancel did nothing: the job is unknown, or in a state that does not allow it. */
export async function whyNot(jobs: Switchyard, id: string, verb: string, allowed: string): Promise<string> {
  const snapshot = await jobs.get(id);
  if (!snapshot) return `no job ${id}: nothing ${verb}`;
  return `job ${id} (${snapshot.name}) is ${snapshot.state}: ${allowed} can be ${verb}`;
}
