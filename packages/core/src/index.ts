export { AttemptAbort } from "./attempt-abort.js";
export type { AttemptOutcome } from "./attempt-outcome.js";
export { decideAttemptOutcome, toJobError } from "./attempt-outcome.js";
export type { Backend, EnqueueRequest, JobRuntime } from "./backend.js";
export { BACKEND_PACKAGES, type BackendName, backendFromEnv } from "./backend-from-env.js";
export { backoffDelay } from "./backoff.js";
export {
  type Capabilities,
  type ExecutionModel,
  FEATURES,
  type Feature,
  featureTable,
  type IdempotencyWindow,
  requireFeature,
  type Support,
  supports,
} from "./capabilities.js";
export { createSwitchyard, type Switchyard, type SwitchyardOptions } from "./client.js";
export { assertCron, assertTimezone, cronHasSeconds, nextCronTime } from "./cron.js";
export { DEFAULT_RETRY_POLICY, defineJob, resolveRetryPolicy, resolveSchedule } from "./define-job.js";
export { type Duration, toMilliseconds } from "./duration.js";
export * from "./errors/index.js";
export {
  type FetchWithRetryOptions,
  fetchWithRetry,
  HttpStatusError,
  retryAfterDelay,
} from "./helpers/fetch-with-retry.js";
export { type NodeRequest, RawBodyUnavailableError, toNodeHandler } from "./helpers/node-handler.js";
export {
  type DeliverWebhookOptions,
  deliverWebhook,
  signWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WebhookVerificationError,
} from "./helpers/webhook.js";
export type * from "./interfaces.js";
export { consoleLogger, silentLogger } from "./logger.js";
export { type Clock, type ClockTimer, ManualClock, systemClock } from "./memory/clock.js";
export {
  type MemoryBackendOptions,
  type MemoryWorker,
  memory,
  memoryCapabilities,
  STALLED_ERROR_CODE,
} from "./memory/memory-backend.js";
export { type AttemptInput, runAttempt } from "./run-attempt.js";
export { validatePayload } from "./validate-payload.js";
