// How a job's durable steps are kept in Redis: as fields of the job's own BullMQ hash
// (`<prefix>:<queue>:<id>`), one field per step. Whatever removes the job (remove, obliterate, clean,
// removeOnComplete / removeOnFail retention, a cancel) deletes that hash, and its steps with it.
import type { StepRecord } from "@switchyard/core/adapter";

/** The field of a step: BullMQ's own field names never contain ":", so these cannot collide. */
export const STEP_FIELD_PREFIX = "sy:step:";

/** Set on a suspended job: its next start resumes it and is not an attempt (suspend.ts, step-store.ts). */
export const RESUME_FIELD = "sy:resume";

export function stepField(stepId: string): string {
  return STEP_FIELD_PREFIX + stepId;
}

/**
 * A step's stored value: its record with `seq`, the order in which the job's steps were first
 * stored (a hash of more than 128 fields does not keep insertion order).
 */
export function encodeStep(seq: number, record: StepRecord): string {
  return JSON.stringify({ seq, ...record });
}

/** A job's steps from its hash (as HGETALL returns it), in the order they were stored, with their seq. */
export function decodeSteps(hash: Record<string, string>): Map<string, { seq: number; record: StepRecord }> {
  const found: Array<[string, { seq: number; record: StepRecord }]> = [];
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith(STEP_FIELD_PREFIX)) continue;
    const { seq, ...record } = JSON.parse(value) as StepRecord & { seq: number };
    found.push([field.slice(STEP_FIELD_PREFIX.length), { seq, record }]);
  }
  found.sort((a, b) => a[1].seq - b[1].seq);
  return new Map(found);
}

/** The ids of a job's completed steps, in order, or undefined when it has none (as JobSnapshot.steps). */
export function stepIdsOf(hash: Record<string, string>): string[] | undefined {
  const steps = decodeSteps(hash);
  return steps.size === 0 ? undefined : [...steps.keys()];
}
