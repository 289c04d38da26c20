import type { QueryConfig } from "pg";
import { quoteIdentifier } from "../adapter-schema.js";
import { CHILD_FLAG, PARENT_FLAG_PREFIX, STEPS_FLAG } from "../step-schema.js";

/** One step to store. */
export interface StepToSave {
  jobId: string;
  stepId: string;
  /** The StepRecord as JSON. */
  record: string;
  /** The job's first step: set STEPS_FLAG on the job too. */
  flagJob: boolean;
  /** An invoke whose child runs: mark the child, so that its end wakes this job (step-schema.ts). */
  childId?: string | undefined;
}

/**
 * Stores one completed step: an upsert keyed by (job id, step id), one statement whatever else it does.
 * With `flagJob` it also sets STEPS_FLAG on the job, so that its later attempts load its steps; with
 * `childId` it also marks the child job (CHILD_FLAG and the parent's id), so that the child's end wakes
 * the parent early.
 */
export function saveStepQuery(schemaName: string, step: StepToSave): QueryConfig {
  const S = quoteIdentifier(schemaName);
  const values: unknown[] = [step.jobId, step.stepId, step.record];
  const alsoWrites: string[] = [];
  if (step.flagJob) {
    alsoWrites.push(`update ${S}._private_jobs j
      set flags = coalesce(j.flags, '{}'::jsonb) || '{"${STEPS_FLAG}": true}'::jsonb
      where j.id = $1::bigint`);
  }
  if (step.childId !== undefined) {
    values.push(step.childId);
    alsoWrites.push(`update ${S}._private_jobs c
      set flags = coalesce(c.flags, '{}'::jsonb)
                  || jsonb_build_object('${CHILD_FLAG}', true, '${PARENT_FLAG_PREFIX}' || $1::text, true)
      where c.id = $4::bigint`);
  }
  const upsert = `insert into ${S}.switchyard_steps (job_id, step_id, record)
    values ($1::bigint, $2::text, $3::json)
    on conflict (job_id, step_id) do update set record = excluded.record`;
  const text =
    alsoWrites.length === 0
      ? upsert
      : `with ${alsoWrites.map((write, index) => `w${index} as (${write})`).join(", ")} ${upsert}`;
  return {
    name: `switchyard_save_step${step.flagJob ? "_first" : ""}${step.childId === undefined ? "" : "_invoke"}/${schemaName}`,
    text,
    values,
  };
}
