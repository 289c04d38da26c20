// @switchyard/core: the app-facing API. Adapter-facing internals live in "@switchyard/core/adapter".
export type { Backend } from "./backend.js";
export { BACKEND_PACKAGES, type BackendName, backendFromEnv } from "./backend-from-env.js";
export {
  type Capabilities,
  type ExecutionModel,
  FEATURES,
  type Feature,
  type IdempotencyWindow,
  type Support,
  supports,
} from "./capabilities.js";
export { createSwitchyard, type Switchyard, type SwitchyardOptions } from "./client.js";
export { DEFAULT_RETRY_POLICY, defineJob } from "./define-job.js";
export { type Duration, MAX_DURATION_MS } from "./duration.js";
export * from "./errors/index.js";
export type { JobEvent, JobEventListener, JobEventType } from "./events/job-event.js";
export {
  type FastifyInstanceLike,
  type FastifyPluginOptions,
  type FastifyReplyLike,
  type FastifyRequestLike,
  toFastifyPlugin,
} from "./helpers/fastify-plugin.js";
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
export { consoleLogger, type PinoLikeLogger, silentLogger } from "./logger.js";
export { type Clock, type ClockTimer, ManualClock, systemClock } from "./memory/clock.js";
export {
  type MemoryBackendOptions,
  type MemoryWorker,
  memory,
  STALLED_ERROR_CODE,
} from "./memory/memory-backend.js";
export type { Telemetry, TelemetryClient } from "./telemetry/telemetry.js";
export type { TraceContext } from "./telemetry/trace-context.js";
