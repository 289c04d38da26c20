import type { JobSnapshot } from "@switchyard/core";
import type { Job, JobState } from "bullmq";
import { toJobSnapshot } from "./job-snapshot.js";
import { schedulePayloadOf, scheduleTemplateData } from "./schedule-payload.js";

// BullMQ's PostgreSQL backend reads a job's data back with `row.data ?? {}`, so a null payload would
// run as {}. The adapter stores null as the marker it already uses for a schedule's null payload
// (schedule-payload.ts), on every job, and reads it back as null.

/** The data a payload is stored as. */
export function storedData(payload: unknown): unknown {
  return scheduleTemplateData(payload);
}

/** The payload of a job: its data, except the null marker. */
export function postgresPayloadOf(job: Job): unknown {
  return schedulePayloadOf(job.data);
}

/** toJobSnapshot, with the payload read back through the null marker. */
export function toPostgresSnapshot(queue: string, job: Job, state: JobState | "unknown"): JobSnapshot {
  const snapshot = toJobSnapshot(queue, job, state);
  snapshot.payload = postgresPayloadOf(job);
  return snapshot;
}
