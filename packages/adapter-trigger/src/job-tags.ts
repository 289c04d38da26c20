/**
 * A Switchyard job is one Trigger.dev run, or a chain of runs when `retry(id)` replayed it: the
 * job's id is its first run's id, and every replay carries the tag `switchyard_job:<that id>`
 * (tags are 1-128 characters, trigger.dev/docs/tags) plus `switchyard_retry`, so that a handler
 * sees the same `ctx.id` and `get(id)` finds the newest run.
 */
const JOB_TAG_PREFIX = "switchyard_job:";

/** Every replay made by `retry(id)` carries it, so one query finds them all. */
export const RETRY_TAG = "switchyard_retry";

export function jobTag(jobId: string): string {
  return `${JOB_TAG_PREFIX}${jobId}`;
}

/** The Switchyard job id of a run: from its job tag, else the run's own id. */
export function jobIdOf(tags: ReadonlyArray<string> | undefined, runId: string): string {
  const tag = tags?.find((candidate) => candidate.startsWith(JOB_TAG_PREFIX));
  return tag ? tag.slice(JOB_TAG_PREFIX.length) : runId;
}
