export { fromEnv } from "./from-env.js";
export { PROGRESS_METADATA_KEY } from "./job-task.js";
export { MAX_TRIGGER_ATTEMPTS } from "./retry-options.js";
export { toTriggerTasks } from "./to-trigger-tasks.js";
export { TRIGGER_API_ERROR_CODE, TriggerApiError } from "./trigger-api-error.js";
export { trigger } from "./trigger-backend.js";
export { DEFAULT_IDEMPOTENCY_TTL_MS, triggerCapabilities } from "./trigger-capabilities.js";
export type { TriggerBackendOptions } from "./trigger-options.js";
export type { TriggerTasks } from "./trigger-tasks.js";
