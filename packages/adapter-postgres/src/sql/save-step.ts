import type { QueryConfig } from "pg";
import { quoteIdentifier } from "../adapter-schema.js";
import { STEPS_FLAG } from "../step-schema.js";

/**
 * Stores one completed step: an upsert keyed by (job id, step id), one round trip. `flagJob`, for the
 * job's first step, also sets STEPS_FLAG on the job in the same statement, so that its later attempts
 * load its steps (step-schema.ts).
 */
export function saveStepQuery(
  schemaName: string,
  step: { jobId: string; stepId: string; record: string; flagJob: boolean },
): QueryConfig {
  const S = quoteIdentifier(schemaName);
  const upsert = `insert into ${S}.switchyard_steps (job_id, step_id, record)
    values ($1::bigint, $2::text, $3::json)
    on conflict (job_id, step_id) do update set record = excluded.record`;
  if (!step.flagJob) {
    return {
      name: `switchyard_save_step/${schemaName}`,
      text: upsert,
      values: [step.jobId, step.stepId, step.record],
    };
  }
  return {
    name: `switchyard_save_first_step/${schemaName}`,
    text: `with saved as (${upsert})
      update ${S}._private_jobs j
         set flags = coalesce(j.flags, '{}'::jsonb) || '{"${STEPS_FLAG}": true}'::jsonb
       where j.id = $1::bigint`,
    values: [step.jobId, step.stepId, step.record],
  };
}
