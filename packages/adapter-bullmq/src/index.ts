export { bullmq } from "./bullmq-backend.js";
export { bullmqCapabilities, DEFAULT_IDEMPOTENCY_TTL_MS } from "./bullmq-capabilities.js";
export type { BullmqBackendOptions } from "./bullmq-options.js";
export type { BullmqWorker } from "./bullmq-worker.js";
export { fromEnv } from "./from-env.js";
export { DEFAULT_REDIS_URL } from "./redis-connections.js";
export { REDIS_UNAVAILABLE_ERROR_CODE, RedisUnavailableError } from "./redis-unavailable-error.js";
