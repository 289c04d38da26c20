import type { Job } from "bullmq";

/**
 * BullMQ stores a job scheduler's template data `null` as `{}` (`Queue.upsertJobScheduler` uses
 * `data ?? {}`), so a schedule whose payload is null would run with `{}`. The adapter stores this
 * marker instead, and reads it back as null, in the schedule's listing and in the runs it makes (and
 * only there: an enqueued job's payload is never rewritten).
 */
const NULL_PAYLOAD_MARKER = "switchyard:null-payload";

/** The template data a schedule's payload is stored as. */
export function scheduleTemplateData(payload: unknown): unknown {
  return payload === null ? { [NULL_PAYLOAD_MARKER]: true } : payload;
}

/** A schedule's payload from its stored template data. */
export function schedulePayloadOf(data: unknown): unknown {
  return isNullMarker(data) ? null : data;
}

/** The payload a job's handler gets: its data, except the null marker of a scheduled run. */
export function payloadOf(job: Job): unknown {
  return job.repeatJobKey !== undefined && isNullMarker(job.data) ? null : job.data;
}

function isNullMarker(data: unknown): boolean {
  if (typeof data !== "object" || data === null) return false;
  const keys = Object.keys(data);
  return (
    keys.length === 1 &&
    keys[0] === NULL_PAYLOAD_MARKER &&
    (data as Record<string, unknown>)[NULL_PAYLOAD_MARKER] === true
  );
}
