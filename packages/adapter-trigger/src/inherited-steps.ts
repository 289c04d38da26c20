import { runs } from "@trigger.dev/sdk";
import { replayedAs } from "./job-tags.js";
import { STEP_METADATA_PREFIX, type UpdateRunMetadata } from "./run-step-store.js";

/** Set on a replayed run once it holds the steps of the runs before it. */
export const STEPS_INHERITED_METADATA_KEY = "switchyard.stepsInherited";

/**
 * A job retried with `retry(id)` is a replay: a new run, whose metadata is the first trigger's, so
 * without its steps (W:apps/webapp/app/v3/services/replayTaskRun.server.ts copies the seed
 * metadata). Its steps are still the job's, as on every backend: at the start of a replay's first
 * attempt the adapter walks the job's runs from the first (`switchyard_replayed_as:` links, see
 * job-tags.ts), up to this one, and writes their steps into this run's metadata, marked so that
 * later attempts find them there. Returns the metadata the attempt goes on with.
 */
export async function inheritSteps(
  jobId: string,
  runId: string,
  current: Record<string, unknown> | undefined,
  update: UpdateRunMetadata,
): Promise<Record<string, unknown> | undefined> {
  if (jobId === runId || current?.[STEPS_INHERITED_METADATA_KEY] !== undefined) return current;
  const inherited: Record<string, unknown> = {};
  const seen = new Set<string>([runId]);
  for (let next: string | undefined = jobId; next !== undefined && !seen.has(next); ) {
    seen.add(next);
    const run = await runs.retrieve(next);
    for (const [key, value] of Object.entries(run.metadata ?? {})) {
      if (key.startsWith(STEP_METADATA_PREFIX)) inherited[key] = value;
    }
    next = replayedAs(run.tags);
  }
  const operations = [
    ...Object.entries(inherited).map(([key, value]) => ({ type: "set" as const, key, value })),
    { type: "set" as const, key: STEPS_INHERITED_METADATA_KEY, value: true },
  ];
  await update(runId, { operations });
  return { ...current, ...inherited, [STEPS_INHERITED_METADATA_KEY]: true };
}
