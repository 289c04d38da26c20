/**
 * A Switchyard job is one Trigger.dev run, or a chain of runs when `retry(id)` replayed it; the job's
 * id is its first run's id. Two tags carry the chain (tags are 1-128 characters, at most 10 a run,
 * trigger.dev/docs/tags):
 * - `switchyard_job:<job id>`, added to a run before it is replayed: a replay copies the tags its
 *   run carries (W:apps/webapp/app/v3/services/replayTaskRun.server.ts:99), so every run of the
 *   chain after the first has it, and the handler sees the job's id as `ctx.id`;
 * - `switchyard_replayed_as:<run id>`, added to a run once it was replayed: the link `get(id)`
 *   follows from the first run to the newest (run-history.ts).
 */
const JOB_TAG_PREFIX = "switchyard_job:";
const REPLAYED_AS_PREFIX = "switchyard_replayed_as:";

export function jobTag(jobId: string): string {
  return `${JOB_TAG_PREFIX}${jobId}`;
}

export function replayedAsTag(runId: string): string {
  return `${REPLAYED_AS_PREFIX}${runId}`;
}

/** The Switchyard job id of a run: from its job tag, else the run's own id. */
export function jobIdOf(tags: ReadonlyArray<string> | undefined, runId: string): string {
  const tag = tags?.find((candidate) => candidate.startsWith(JOB_TAG_PREFIX));
  return tag ? tag.slice(JOB_TAG_PREFIX.length) : runId;
}

/** The run this run was replayed as (the newest link, should it have several), if any. */
export function replayedAs(tags: ReadonlyArray<string> | undefined): string | undefined {
  const links = tags?.filter((candidate) => candidate.startsWith(REPLAYED_AS_PREFIX)) ?? [];
  return links.at(-1)?.slice(REPLAYED_AS_PREFIX.length);
}
