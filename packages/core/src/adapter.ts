// @switchyard/core/adapter: what a backend adapter needs from core, apart from the app-facing API.
// Applications import "@switchyard/core"; adapters (and the conformance kit) import both.
export { AttemptAbort } from "./attempt-abort.js";
export {
  type AttemptOutcome,
  decideAttemptOutcome,
  type StepAttemptOutcome,
  type SuspendedOutcome,
  toJobError,
} from "./attempt-outcome.js";
export type { Backend, BackendWorker, EnqueueRequest, JobRuntime } from "./backend.js";
export { backoffDelay } from "./backoff.js";
export { FEATURES, featureTable, requireFeature, supports } from "./capabilities.js";
export { assertCron, assertTimezone, cronHasSeconds, nextCronTime, previousCronTime } from "./cron.js";
export { resolveRetryPolicy, resolveSchedule } from "./define-job.js";
export { MAX_DURATION_MS, toMilliseconds } from "./duration.js";
export { describeFailure, type FetchFailure, fetchFailure } from "./helpers/fetch-failure.js";
export { type JsonCopy, jsonCopy } from "./json-value.js";
export { memoryCapabilities } from "./memory/memory-backend.js";
export { migrateFromEnv } from "./migrate-from-env.js";
export { checkHttpUrl, checkOptions, describeValue, optionalText } from "./option-checks.js";
export { type AttemptInput, runAttempt, unsupportedProgress } from "./run-attempt.js";
export type { NativeSteps, NativeStepsFactory } from "./steps/native-steps.js";
export type {
  InvokeStepRecord,
  RunStepRecord,
  SleepStepRecord,
  StepRecord,
  StepStore,
} from "./steps/step-record.js";
export { type ResolvedStopOptions, resolveStopOptions } from "./stop-options.js";
export { readTraceContext, type TraceContext } from "./telemetry/trace-context.js";
export { type LongTimeout, MAX_TIMER_MS, setLongTimeout, sleepFor } from "./timers/long-timeout.js";
export { storedPayload, validatePayload } from "./validate-payload.js";
export { WriteCoalescer, type WriteCoalescerOptions } from "./write-coalescer.js";
