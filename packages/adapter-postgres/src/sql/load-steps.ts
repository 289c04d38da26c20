import type { QueryConfig } from "pg";
import { quoteIdentifier } from "../adapter-schema.js";

/** A row of `loadStepsQuery`. */
export interface StepRow {
  step_id: string;
  record: unknown;
}

/** The completed steps of a job, in the order they were first saved. */
export function loadStepsQuery(schemaName: string, jobId: string): QueryConfig {
  const S = quoteIdentifier(schemaName);
  return {
    name: `switchyard_load_steps/${schemaName}`,
    text: `select step_id, record from ${S}.switchyard_steps where job_id = $1::bigint order by position`,
    values: [jobId],
  };
}
