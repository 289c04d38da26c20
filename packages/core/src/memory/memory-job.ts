import type { JobError, JobProgress, JobSnapshot, JobState } from "../interfaces.js";
import type { StepRecord } from "../steps/step-record.js";
import type { TraceContext } from "../telemetry/trace-context.js";

/** A job as the memory backend holds it. */
export interface MemoryJob {
  id: string;
  name: string;
  /** The payload's JSON copy, made and checked by core at enqueue, as a real backend stores it. */
  payload: unknown;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  priority: number;
  /** Enqueue order, for FIFO among equal priorities. */
  seq: number;
  createdAt: number;
  runAt?: number;
  finishedAt?: number;
  result?: unknown;
  error?: JobError;
  progress?: JobProgress;
  /** `name` or `name` + concurrency key: the bucket its job concurrency limit counts in. */
  limitKey: string;
  /** Bumped when a run is abandoned (crash, hard stop), so the abandoned run's late outcome is ignored. */
  run: number;
  /** Completed durable steps, by step id. */
  steps: Map<string, StepRecord>;
  /** The enqueuer's trace context (telemetry), handed to every attempt. */
  traceContext?: TraceContext;
  /** Aborts the running attempt (set by core's runAttempt while the job is active). */
  abort?: (reason: unknown) => void;
}

export function toJobSnapshot(job: MemoryJob): JobSnapshot {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    payload: structuredClone(job.payload),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    progress: job.progress === undefined ? undefined : structuredClone(job.progress),
    result: job.result === undefined ? undefined : structuredClone(job.result),
    error: job.error,
    createdAt: new Date(job.createdAt),
    runAt: job.runAt === undefined ? undefined : new Date(job.runAt),
    finishedAt: job.finishedAt === undefined ? undefined : new Date(job.finishedAt),
    steps: job.steps.size === 0 ? undefined : [...job.steps.keys()],
  };
}

/** Round-trips a value through JSON, as every real backend does (progress values). */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
