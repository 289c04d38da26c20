export { bullmq } from "./bullmq-backend.js";
export { bullmqCapabilities, DEFAULT_IDEMPOTENCY_TTL_MS } from "./bullmq-capabilities.js";
export { type BullmqBackendOptions, DEFAULT_REDIS_URL } from "./bullmq-options.js";
export type { BullmqWorker } from "./bullmq-worker.js";
export { fromEnv } from "./from-env.js";
export type { IoredisClient } from "./redis-client.js";
export { STOP_GRACE_MS } from "./stop-wait.js";
