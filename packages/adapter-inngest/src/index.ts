export { fromEnv } from "./from-env.js";
export { INNGEST_API_ERROR_CODE, InngestApiError } from "./inngest-api-error.js";
export { inngest } from "./inngest-backend.js";
export { IDEMPOTENCY_WINDOW_MS, inngestCapabilities } from "./inngest-capabilities.js";
export type { InngestBackendOptions } from "./inngest-options.js";
export { EVENT_NAME_PREFIX, eventNameFor, keyedJobId } from "./job-id.js";
